import { defineConfig } from 'vitest/config';
import { testPaths } from './__tests__/setup/paths.js';

// One scratch directory per run, the workers' TMPDIR: removed by the global teardown even when
// tests fail (see __tests__/setup/). Logs of what tests print go to PPG_TEST_LOGS.
const { tmp, logs } = testPaths();

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // 2-core CI machines: inference tests are CPU-bound, keep them from fighting.
    maxWorkers: 2,
    fileParallelism: true,
    env: { TMPDIR: tmp, PPG_TEST_TMP: tmp, PPG_TEST_LOGS: logs },
    globalSetup: ['__tests__/setup/global.ts'],
    setupFiles: ['__tests__/setup/quiet.ts'],
    // console.* from passing tests is noise; a failing test shows its own.
    silent: process.env['PPG_TEST_VERBOSE'] === '1' ? false : 'passed-only',
  },
});
