import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Subprocess and browser suites share two cores; keep parallelism modest.
    maxWorkers: 2,
  },
});
