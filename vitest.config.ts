import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/adapters/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'temporal',
          include: ['test/workflows/**/*.test.ts', 'test/server/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // The Temporal worker's native module crashes under worker threads: use processes.
          pool: 'forks',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
