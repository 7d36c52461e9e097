/** Whether `n` takes the singular form in `lang` (English: 1; Chinese: never), by Intl's plural rules. */
export function isSingular(lang: 'en' | 'zh', n: number): boolean {
  return RULES[lang].select(n) === 'one';
}

const RULES = { en: new Intl.PluralRules('en'), zh: new Intl.PluralRules('zh') } as const;

/** "1 sample", "3 samples": a count with the English noun that agrees, for messages outside text/'s table. */
export function counted(n: number, one: string, other: string): string {
  return `${n} ${isSingular('en', n) ? one : other}`;
}
