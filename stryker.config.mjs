// @ts-check
/**
 * Mutation testing (`npm run mutation`, not part of `npm test`): how many changes to the domain
 * and the workflow engine the unit tests notice. Reports: reports/mutation/ (gitignored).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  // The unit project only (no Java, no DynamoDB Local): the runner has no `--project` option.
  vitest: { configFile: 'test/setup/vitest.mutation.config.ts' },
  mutate: [
    'functions/domain/**/*.ts',
    'workflows/**/*.ts',
    // The default workflows are data, validated when they load and exercised end to end; mutating
    // their names and descriptions would measure which literals a test happens to repeat.
    '!workflows/defaults/**',
  ],
  coverageAnalysis: 'perTest',
  // No type checking of mutants: TypeScript 7 has no compiler API for @stryker-mutator/typescript-checker.
  checkers: [],
  // Stryker rewrites this file's `extends`/`references` in its sandbox through the TypeScript
  // compiler API, which TypeScript 7 no longer has; our tsconfig.json needs no rewriting, so point
  // it at a file that does not exist and Stryker leaves tsconfig alone.
  tsconfigFile: 'tsconfig.stryker-none.json',
  concurrency: 2,
  // Stryker copies the project to .stryker-tmp/ (gitignored) and never edits the working tree; it
  // does not read .gitignore, so leave out what is generated and large.
  inPlace: false,
  ignorePatterns: ['/cdk.out', '/.data', '/coverage', '/reports'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, allowEmojis: false, logTests: false },
  // Enforcement (`break`) comes later; until then the run reports and always exits 0.
  thresholds: { high: 85, low: 75, break: null },
};
