/**
 * With `exactOptionalPropertyTypes`, an optional property is absent or has a value, never
 * `undefined`. Readers that produce "value or undefined" for many fields at once build their
 * object with this: keys whose value is undefined are left out, and the type says so.
 */
export type WithoutUndefined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

export function withoutUndefined<T extends object>(object: T): WithoutUndefined<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as WithoutUndefined<T>;
}
