/**
 * Quiet by default (vitest setupFiles, in every worker): what the code under test writes straight
 * to stdout/stderr — @actions/core's `::debug::` / `::add-mask::` workflow commands, @actions/exec's
 * `[command]` lines and tar's output, progress of the tools a test drives — goes to this test
 * file's log (PPG_TEST_LOGS, one file per test file, a header per test), not to the terminal.
 * A failing test's error names the log when the test wrote anything there. console.* output is
 * vitest's own and shown for failing tests only (silent: 'passed-only' in vitest.config.ts).
 * PPG_TEST_VERBOSE=1 turns all of this off.
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { beforeEach, expect, onTestFailed } from 'vitest';
import { logFileFor, ROOT, testPaths } from './paths.js';

if (process.env['PPG_TEST_VERBOSE'] !== '1') {
  const { logs } = testPaths();
  let cached: [string, string] | undefined;
  const logFile = () => {
    const test = expect.getState().testPath ?? 'outside-a-test-file';
    if (cached?.[0] !== test) cached = [test, logFileFor(logs, test)];
    return cached[1];
  };
  let written = 0;

  const capture = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array);
    try {
      appendFileSync(logFile(), text);
      written += text.length;
    } catch {
      // A log that cannot be written must not fail the test that printed.
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;

  beforeEach((ctx) => {
    try {
      appendFileSync(logFile(), `\n──── ${ctx.task.fullName ?? ctx.task.name} ────\n`);
    } catch {
      // see above
    }
    const before = written;
    onTestFailed(({ task }) => {
      if (written === before) return;
      const note = `(what this test printed: ${relative(ROOT, logFile()) || logFile()})`;
      for (const e of task.result?.errors ?? []) e.message = `${e.message}\n${note}`;
    });
  });
}
