/**
 * Global setup and teardown of a test run: a fresh log directory at the start; at the end the
 * run's scratch directory (every test's TMPDIR) is removed, whatever happened, and anything a
 * test left in it is named, so a missing cleanup is seen and fixed rather than piling up in /tmp.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testPaths } from './paths.js';

export default function setup(): () => void {
  const { tmp, logs } = testPaths();
  // Logs describe this run only (a stale file would point a failure at old output).
  rmSync(join(logs, '__tests__'), { recursive: true, force: true });
  return () => {
    let left: string[] = [];
    try {
      left = readdirSync(tmp);
    } catch {
      return; // already gone
    }
    if (left.length > 0) {
      console.warn(
        `tests left ${left.length} item(s) in their temporary directory (removed now; clean up in afterAll): ${left.join(', ')}`,
      );
    }
    rmSync(tmp, { recursive: true, force: true });
  };
}
