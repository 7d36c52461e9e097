import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // 2-core CI machines: inference tests are CPU-bound, keep them from fighting.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
