import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres server and one Redis; isolation comes from a database per
// test file and a BullMQ prefix per test file (test/helpers), so files may run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
