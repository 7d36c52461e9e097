/**
 * The baseline store named by the plan. All three share one layout and one contract
 * (__tests__/stores/contract.ts).
 */
import type { BaselineStore } from '../ports.js';
import type { StorePlan } from '../types.js';
import { ActionsCacheStore } from './cache.js';
import { FileStore } from './file.js';
import { S3Store } from './s3.js';

export { ActionsCacheStore } from './cache.js';
export { FileStore } from './file.js';
export { S3Store } from './s3.js';
export { baselineWant, gitAncestry } from './git.js';

export function createStore(plan: StorePlan, opts: { env?: NodeJS.ProcessEnv; sleep?: (ms: number) => Promise<void> } = {}): BaselineStore {
  switch (plan.kind) {
    case 'file':
      return new FileStore(plan.dir);
    case 's3':
      return new S3Store({ ...plan, ...opts });
    case 'actions-cache':
      return new ActionsCacheStore({ prefix: plan.prefix, ...(plan.dir ? { dir: plan.dir } : {}), ...(opts.env ? { env: opts.env } : {}) });
  }
}
