import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** One DynamoDB Local for the whole run, shared by every project that lists it (see the file). */
const DYNAMODB_LOCAL = 'test/setup/dynamodb-local.ts';

/**
 * Pure tests: no Java, no DynamoDB Local, no network (`npm run test:unit`). Also the only tests
 * mutation testing runs (test/setup/vitest.mutation.config.ts).
 */
export const unitProject = {
  extends: true,
  test: {
    name: 'unit',
    include: ['test/unit/**/*.test.ts'],
  },
} satisfies TestProjectInlineConfiguration;

export default defineConfig({
  test: {
    // Inherited by every project (`extends: true`). The contract setup checks every response of
    // the HTTP edge against the OpenAPI document, in unit tests as much as in the others.
    setupFiles: ['test/setup/matchers.ts', 'test/setup/contract.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: false,
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // Handlers log failures on purpose in many tests; keep the run's output readable.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT' },
    // Vitest runs a project's global setup only when that project has files in the run, so
    // `--project unit` starts no DynamoDB Local; the other three share one (see its file).
    projects: [
      unitProject,
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: [DYNAMODB_LOCAL],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: [DYNAMODB_LOCAL] },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], globalSetup: [DYNAMODB_LOCAL] },
      },
      // Full-count load and crash tests: minutes each, so only in `npm run soak` (SOAK=1), never in
      // `npm test`; every file under test/soak/ is picked up.
      ...(process.env.SOAK === '1'
        ? [
            {
              extends: true,
              test: {
                name: 'soak',
                include: ['test/soak/**/*.test.ts'],
                globalSetup: [DYNAMODB_LOCAL],
                testTimeout: 900_000,
                hookTimeout: 900_000,
              },
            } satisfies TestProjectInlineConfiguration,
          ]
        : []),
    ],
  },
});
