/**
 * store:, fingerprint: and fail-on:.
 */
import { resolve } from 'node:path';
import type { GatePlan, StorePlan } from '../../types.js';
import { DEFAULT_FAIL_ON, DEFAULT_FINGERPRINT_FIELDS, DEFAULT_S3_PREFIX, DEFAULT_S3_REGION, DEFAULT_STORE_DIR } from '../defaults.js';
import { joinPath } from '../read.js';
import { closest } from '../suggest.js';
import { type BuildContext, type RawGate, type RawStore } from './context.js';

/** Environment fields the runners record besides the default fingerprint fields (runners/, harness/bench.py). */
const OTHER_ENV_FIELDS = [
  'runner',
  'cpuCount',
  'os',
  'node',
  'python',
  'driver',
  'paddleCommit',
  'inputShape',
  'mkldnn',
  'irOptim',
  'memoryOptim',
];

export function buildFingerprint(ctx: BuildContext, raw: Array<string | undefined> | undefined): string[] {
  if (raw === undefined) return [...DEFAULT_FINGERPRINT_FIELDS];
  const fields: string[] = [];
  raw.forEach((field, index) => {
    if (field === undefined) return;
    // The environment is open-ended (a harness may add fields), but a near miss of a known field is a typo.
    const known = [...DEFAULT_FINGERPRINT_FIELDS, ...OTHER_ENV_FIELDS];
    const guess = known.includes(field) ? undefined : closest(field, known);
    if (guess !== undefined) ctx.error(joinPath('fingerprint', index), `unknown field "${field}"; did you mean \`${guess}\`?`);
    fields.push(field);
  });
  return fields;
}

export function buildFailOn(ctx: BuildContext, raw: RawGate['fail-on']): GatePlan['failOn'] {
  const allowed = ['fail', 'warn', 'inconclusive', 'unreadable'] as const;
  if (ctx.overrides.failOn !== undefined) {
    const wrong = ctx.overrides.failOn.filter((verdict) => !allowed.includes(verdict));
    if (wrong.length > 0) ctx.diagnostics.inputError('fail-on', `expected a subset of ${allowed.join(', ')}, got ${wrong.join(', ')}`);
    return [...new Set(ctx.overrides.failOn)];
  }
  return raw === undefined ? [...DEFAULT_FAIL_ON] : raw.filter((verdict): verdict is (typeof allowed)[number] => verdict !== undefined);
}

export function buildStore(ctx: BuildContext, raw: RawStore | undefined): StorePlan {
  if (ctx.overrides.store !== undefined) return ctx.overrides.store;
  if (raw?.s3) {
    const s3 = raw.s3;
    const region = s3.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? DEFAULT_S3_REGION;
    if (s3.endpoint !== undefined) {
      try {
        new URL(s3.endpoint);
      } catch {
        ctx.error('store.s3.endpoint', `expected a URL such as http://127.0.0.1:9000, got "${s3.endpoint}"`);
      }
    }
    return {
      kind: 's3',
      bucket: s3.bucket ?? '',
      prefix: (s3.prefix ?? DEFAULT_S3_PREFIX).replace(/^\/+|\/+$/g, ''),
      region,
      ...(s3.endpoint !== undefined && { endpoint: s3.endpoint }),
      forcePathStyle: s3['path-style'] ?? s3.endpoint !== undefined,
      ...(s3['unsafe-unconditional-writes'] === true && { unsafeUnconditionalWrites: true }),
    };
  }
  if (raw?.['actions-cache']) {
    const cache = raw['actions-cache'];
    return {
      kind: 'actions-cache',
      prefix: cache.prefix ?? DEFAULT_S3_PREFIX,
      ...(cache.dir !== undefined && { dir: resolve(ctx.baseDir, cache.dir) }),
    };
  }
  return { kind: 'file', dir: resolve(ctx.baseDir, raw?.file?.dir ?? DEFAULT_STORE_DIR) };
}
