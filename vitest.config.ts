import { defineConfig } from 'vitest/config';

// Files that load the machine (fuzzing, soak, killing processes) run after the rest, one at a time,
// so their load never makes an ordinary test time out.
const heavy = ['test/fuzz/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/faults/**/*.test.ts'];

export default defineConfig({
  test: {
    // Worker threads break Temporal's native bridge; each test file gets its own process.
    pool: 'forks',
    globalSetup: ['./test/support/globalSetup.ts'],
    reporters: ['default', './test/support/summaryReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: heavy, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'heavy', include: heavy, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
