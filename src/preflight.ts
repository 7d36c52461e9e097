/**
 * Checks that the places a run writes to can be written, before any measurement starts: a
 * minute of measuring must not end in EEXIST because `--out` names a file, and a store
 * directory that is a file must not be found only at promotion time.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { GatePlan } from './types.js';

/**
 * `dir` is a writable directory, or can be created: its nearest existing ancestor is a writable
 * directory. `what` names the setting (`--out or gate.yml output.dir`).
 */
async function checkWritableDir(dir: string, what: string): Promise<void> {
  const absolute = resolve(dir);
  let current = absolute;
  for (;;) {
    const found = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw new ConfigError(`${what}: cannot use ${absolute}: ${error.message}`);
    });
    if (found) {
      if (!found.isDirectory()) {
        throw new ConfigError(
          current === absolute
            ? `${what}: expected a directory, got a file: ${absolute}`
            : `${what}: cannot create ${absolute}: ${current} is a file, not a directory`,
        );
      }
      try {
        await access(current, constants.W_OK | constants.X_OK);
      } catch {
        throw new ConfigError(`${what}: ${current} is not writable${current === absolute ? '' : ` (needed to create ${absolute})`}`);
      }
      return;
    }
    const parent = dirname(current);
    if (parent === current) throw new ConfigError(`${what}: cannot create ${absolute}: no existing parent directory`);
    current = parent;
  }
}

/** `file` can be written: not a directory, and in a directory that exists or can be created. */
export async function checkWritableFile(file: string, what: string): Promise<void> {
  const absolute = resolve(file);
  const found = await stat(absolute).catch(() => undefined);
  if (found?.isDirectory()) throw new ConfigError(`${what}: expected a file to write, got a directory: ${absolute}`);
  await checkWritableDir(dirname(absolute), what);
}

/** A directory a run reads or writes, with the setting that names it. */
interface RunDir {
  dir: string;
  what: string;
  kind: 'output' | 'store' | 'dataset' | 'cache' | 'shards' | 'checkout';
}

/** Directories a run only reads: two of them in one place harm nothing. */
const READ_ONLY = new Set<RunDir['kind']>(['dataset', 'shards', 'checkout']);

const OUTPUT_WHAT = 'output directory (--out, the output-dir input or gate.yml output.dir)';

/** The directories a run's plan names: the output, a local store, every model's dataset, the dataset cache, the shards read. */
function runDirs(plan: Pick<GatePlan, 'output' | 'store'> & Partial<Pick<GatePlan, 'models'>>, extra: RunPathsExtra): RunDir[] {
  const dirs: RunDir[] = [{ dir: plan.output.dir, what: OUTPUT_WHAT, kind: 'output' }];
  if (plan.store.kind === 'file')
    dirs.push({ dir: plan.store.dir, what: 'baseline store directory (--store-dir or gate.yml store.file.dir)', kind: 'store' });
  if (plan.store.kind === 'actions-cache' && plan.store.dir !== undefined)
    dirs.push({ dir: plan.store.dir, what: 'actions-cache directory (gate.yml store.actions-cache.dir)', kind: 'store' });
  (plan.models ?? []).forEach((model, i) => {
    const at = `gate.yml models[${i}] (${model.name}) dataset`;
    const d = model.dataset;
    if (d.format === 'ppocr-rec' || d.format === 'image-list') {
      // root: the images' directory (by default the labels file's own).
      dirs.push({ dir: d.root, what: `image root of ${at}.root`, kind: 'dataset' });
    } else if (d.format === 'npy') {
      dirs.push({ dir: dirname(d.inputs), what: `directory of ${at}.inputs`, kind: 'dataset' });
    }
  });
  if (extra.cacheDir !== undefined) dirs.push({ dir: extra.cacheDir, what: 'dataset cache directory (PPG_CACHE_DIR)', kind: 'cache' });
  for (const dir of extra.shardDirs ?? [])
    dirs.push({ dir, what: 'shard directory (aggregate DIR…, or the artifact-dir input)', kind: 'shards' });
  return dirs;
}

/** The real path of `dir` as far as it exists (symbolic links resolved), the rest appended. */
async function realDir(dir: string): Promise<string> {
  const absolute = resolve(dir);
  let current = absolute;
  const rest: string[] = [];
  for (;;) {
    const real = await realpath(current).catch(() => undefined);
    if (real !== undefined) return join(real, ...rest.reverse());
    const parent = dirname(current);
    if (parent === current) return absolute;
    rest.push(basename(current));
    current = parent;
  }
}

/** a equals b, or lies inside it. */
function within(a: string, b: string): boolean {
  const rel = relative(b, a);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface RunPathsExtra {
  /** Where prepared datasets are cached (PPG_CACHE_DIR or its default). */
  cacheDir?: string;
  /** The shard directories an aggregate reads. */
  shardDirs?: readonly string[];
  /** A checkout of the baseline's commit for the A/B confirmation's base side. */
  baseCheckout?: string;
}

/**
 * The report directory and a local store directory can be written, and no two of the run's
 * directories (output, store, datasets, cache, shards) are one directory or one inside the other:
 * a run would write where another's data lives. Checked before the gate measures anything.
 */
export async function checkRunPaths(
  plan: Pick<GatePlan, 'output' | 'store'> & Partial<Pick<GatePlan, 'models'>>,
  extra: RunPathsExtra = {},
): Promise<void> {
  const dirs = await Promise.all(runDirs(plan, extra).map(async (d) => ({ ...d, real: await realDir(d.dir) })));
  for (const [i, a] of dirs.entries()) {
    for (const b of dirs.slice(i + 1)) {
      // Two of one kind may share a place (two models' datasets), and so may two that are only read.
      if (a.kind === b.kind || (READ_ONLY.has(a.kind) && READ_ONLY.has(b.kind))) continue;
      const how =
        a.real === b.real
          ? 'is the same directory as'
          : within(a.real, b.real)
            ? 'is inside'
            : within(b.real, a.real)
              ? 'contains'
              : undefined;
      if (how === undefined) continue;
      throw new ConfigError(
        `the ${a.what} ${resolve(a.dir)} ${how} the ${b.what} ${resolve(b.dir)}: a run would write where the other's data lives; give them separate directories`,
      );
    }
  }
  await checkWritableDir(plan.output.dir, OUTPUT_WHAT);
  if (plan.store.kind === 'file')
    await checkWritableDir(plan.store.dir, 'baseline store directory (--store-dir or gate.yml store.file.dir)');
  if (plan.store.kind === 'actions-cache' && plan.store.dir !== undefined)
    await checkWritableDir(plan.store.dir, 'actions-cache directory (gate.yml store.actions-cache.dir)');
}
