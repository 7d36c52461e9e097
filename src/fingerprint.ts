import { createHash } from 'node:crypto';
import type { RunResult } from './types.js';

/**
 * The environment fingerprint of a run: the harness's `env` plus the engine settings that change
 * what a millisecond means. Unknown values stay null (never guessed), and a null is a value:
 * "no GPU" differs from "H100".
 */
export function fingerprintOf(run: Pick<RunResult, 'engine' | 'env'> & { batchSize: number }): Record<string, string | null> {
  const threads = run.engine.options['threads'];
  return {
    ...run.env,
    engine: run.engine.name,
    engineVersion: run.engine.version,
    device: run.engine.device,
    precision: run.engine.precision,
    batchSize: String(run.batchSize),
    threads: threads === undefined ? null : String(threads),
  };
}

/** A short stable hash over the fields that must match; part of the baseline key. */
export function fingerprintHash(fingerprint: Record<string, string | null>, fields: readonly string[]): string {
  const picked = [...fields].sort().map((field) => [field, fingerprint[field] ?? null]);
  return createHash('sha256').update(JSON.stringify(picked)).digest('hex').slice(0, 16);
}

/** The fields (of those that must match) whose values differ. */
export function fingerprintDifferences(
  baseline: Record<string, string | null>,
  current: Record<string, string | null>,
  fields: readonly string[],
): Array<{ field: string; baseline: string | null; current: string | null }> {
  return fields
    .filter((field) => (baseline[field] ?? null) !== (current[field] ?? null))
    .map((field) => ({ field, baseline: baseline[field] ?? null, current: current[field] ?? null }));
}
