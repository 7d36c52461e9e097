/**
 * The prepared-dataset cache keeps at most a size limit on disk (default 10 GiB, or
 * PPG_DATASET_CACHE_MAX, e.g. "2g"), evicting the least recently used datasets first. A dataset is
 * "used" when it is prepared or hit: its manifest's modification time is set to now. The dataset
 * the current run uses is never evicted, even when it alone is over the limit.
 */
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { readBytes } from '../config/units.js';
import { ConfigError } from '../errors.js';
import type { Progress } from '../ports.js';
import { MANIFEST_FILE } from './prepared.js';

const DEFAULT_CACHE_MAX = 10 * 2 ** 30;
const CACHE_MAX_ENV = 'PPG_DATASET_CACHE_MAX';

export function cacheLimit(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[CACHE_MAX_ENV];
  if (text === undefined || text.trim() === '') return DEFAULT_CACHE_MAX;
  const bytes = readBytes(text.trim());
  if (typeof bytes === 'string' || bytes <= 0) {
    throw new ConfigError(`${CACHE_MAX_ENV}: expected a positive size such as 2g, 500m or 10GiB, got ${JSON.stringify(text)}`);
  }
  return bytes;
}

export async function touchDataset(dir: string): Promise<void> {
  const now = new Date();
  await utimes(path.join(dir, MANIFEST_FILE), now, now).catch(() => {});
}

interface Entry {
  dir: string;
  bytes: number;
  used: number;
}

/** Total bytes of the prepared datasets in `cacheDir` (directories named by a sha256). */
async function cacheEntries(cacheDir: string): Promise<Entry[]> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const entries: Entry[] = [];
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const dir = path.join(cacheDir, name);
    try {
      const files = await readdir(dir);
      let bytes = 0;
      for (const f of files) bytes += (await stat(path.join(dir, f))).size;
      const used = (await stat(path.join(dir, MANIFEST_FILE))).mtimeMs;
      entries.push({ dir, bytes, used });
    } catch {
      // Being written or removed by another run: not ours to count.
    }
  }
  return entries;
}

export async function evictDatasets(cacheDir: string, keep: string, progress: Progress, limit = cacheLimit()): Promise<void> {
  const entries = await cacheEntries(cacheDir);
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  if (total <= limit) return;
  const victims = entries.filter((e) => path.resolve(e.dir) !== path.resolve(keep)).sort((a, b) => a.used - b.used);
  for (const v of victims) {
    if (total <= limit) break;
    await rm(v.dir, { recursive: true, force: true });
    total -= v.bytes;
    progress.info(
      `dataset cache: removed ${path.basename(v.dir).slice(0, 12)}… (${(v.bytes / 2 ** 20).toFixed(1)} MB, least recently used) to stay under ${(limit / 2 ** 20).toFixed(0)} MB (${CACHE_MAX_ENV})`,
    );
  }
}
