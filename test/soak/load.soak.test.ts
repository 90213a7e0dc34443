/**
 * The full load of issue 13, item 4: 500 concurrent mixed requests on the local cloud, with the
 * checks of test/e2e/load.test.ts. Runs only in `npm run soak` (SOAK=1; see vitest.config.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLoad, LOAD_USERS, type LoadWorld, prepareLoad, runLoad } from '../support/load.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const COUNT = Number(process.env.LOAD_COUNT ?? 500);
let t: TestCloud;
let world: LoadWorld;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { ...LOAD_USERS });
  world = await prepareLoad(t, COUNT);
}, 300_000);
afterAll(async () => t?.stop());

describe(`${COUNT} concurrent mixed requests`, () => {
  it('answers no 5xx, refuses only with problem+json, loses nothing and applies every effect once', async () => {
    const { report, acknowledged, failures } = await runLoad(t, world, COUNT);
    console.info(`load: ${JSON.stringify(report)}`);
    expect(failures).toEqual([]);
    expect(report.requests).toBeGreaterThanOrEqual(COUNT);
    expect(Object.keys(report.statuses).filter((s) => Number(s) >= 500)).toEqual([]);
    for (const kind of ['createdReleases', 'ciWrites', 'votes', 'releaseApprovals', 'releaseMoves'] as const)
      expect(report.acknowledged[kind], kind).toBeGreaterThan(0);
    await checkLoad(t, world, acknowledged);
  }, 600_000);
});
