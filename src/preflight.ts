/**
 * Checks that the places a run writes to can be written, before any measurement starts: a
 * minute of measuring must not end in EEXIST because `--out` names a file, and a store
 * directory that is a file must not be found only at promotion time.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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

/** The report directory and a local store directory, before the gate measures anything. */
export async function checkRunPaths(plan: Pick<GatePlan, 'output' | 'store'>): Promise<void> {
  await checkWritableDir(plan.output.dir, 'output directory (--out, the output-dir input or gate.yml output.dir)');
  if (plan.store.kind === 'file')
    await checkWritableDir(plan.store.dir, 'baseline store directory (--store-dir or gate.yml store.file.dir)');
  if (plan.store.kind === 'actions-cache' && plan.store.dir !== undefined)
    await checkWritableDir(plan.store.dir, 'actions-cache directory (gate.yml store.actions-cache.dir)');
}
