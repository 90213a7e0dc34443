import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run; each test file creates its own table in it.
    globalSetup: ['test/setup/dynamodb-local.ts'],
    setupFiles: ['test/setup/matchers.ts', 'test/setup/contract.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: false,
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // Handlers log failures on purpose in many tests; keep the run's output readable.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT' },
  },
});
