/**
 * Where a test run keeps its scratch files and its logs, shared by vitest.config.ts (which makes
 * them), the global teardown (which removes the scratch and reports leftovers) and quiet.ts (which
 * writes the logs).
 *
 *   PPG_TEST_TMP   the run's scratch directory; the workers' TMPDIR, so every mkdtemp(tmpdir())
 *                  of a test, and of the CLIs, containers and tools it starts, lands in it
 *   PPG_TEST_LOGS  the run's log directory (default .test-logs/ in the repository): what tests
 *                  and the libraries they drive print (@actions/* workflow commands, tar, the
 *                  engine) goes to one file per test file instead of the terminal
 *   PPG_TEST_VERBOSE=1  print everything to the terminal as it comes, as before
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function testPaths(): { tmp: string; logs: string } {
  const logs = resolve(process.env['PPG_TEST_LOGS'] || join(ROOT, '.test-logs'));
  mkdirSync(logs, { recursive: true });
  let tmp = process.env['PPG_TEST_TMP'];
  if (!tmp) {
    tmp = mkdtempSync(join(tmpdir(), 'ppg-test-'));
    process.env['PPG_TEST_TMP'] = tmp;
  }
  mkdirSync(tmp, { recursive: true });
  process.env['PPG_TEST_LOGS'] = logs;
  return { tmp, logs };
}

/** The log file of one test file: logs/<its path under the repository>.log. */
export function logFileFor(logs: string, testFile: string): string {
  const rel = relative(ROOT, resolve(ROOT, testFile));
  const file = join(logs, rel.startsWith('..') ? basename(testFile) : rel) + '.log';
  mkdirSync(dirname(file), { recursive: true });
  return file;
}
