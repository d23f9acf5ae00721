import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Worker threads break Temporal's native bridge; each test file gets its own process.
    pool: 'forks',
    globalSetup: ['./test/support/globalSetup.ts'],
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summaryReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
