/**
 * The vitest configuration StrykerJS runs (`npm run mutation`, stryker.config.mjs): the unit
 * project alone, since the vitest runner has no `--project` option. Everything else (setup files,
 * timeouts, env) comes from vitest.config.ts.
 */
import { defineConfig } from 'vitest/config';
import config, { unitProject } from '../../vitest.config.ts';

export default defineConfig({
  ...config,
  test: {
    ...config.test,
    projects: [unitProject],
    // The route fuzz (test/unit/http/fuzz-routes.test.ts) covers most of the domain, so it runs for
    // most mutants: a few cases per route there, its volume is `npm test`'s.
    env: { ...config.test?.env, FUZZ_RUNS: '20' },
  },
});
