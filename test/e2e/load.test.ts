/**
 * Load (issue 13, item 4) in `npm test`: a smaller count of concurrent mixed requests than the
 * soak's 500 (test/soak/load.soak.test.ts), so the file stays near a minute on 2 cores. The same
 * checks: zero 5xx, refusals well-formed, every acknowledged write read back, every event's effect
 * applied once, every subject's stage equal to its execution's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLoad, LOAD_USERS, type LoadWorld, prepareLoad, runLoad } from '../support/load.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const COUNT = 120;
let t: TestCloud;
let world: LoadWorld;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { ...LOAD_USERS });
  world = await prepareLoad(t, COUNT);
}, 120_000);
afterAll(async () => t?.stop());

describe(`${COUNT} concurrent mixed requests`, () => {
  it('answers no 5xx, refuses only with problem+json, loses nothing and applies every effect once', async () => {
    const { report, acknowledged, failures } = await runLoad(t, world, COUNT);
    console.info(`load: ${JSON.stringify(report)}`);
    expect(failures).toEqual([]);
    expect(report.requests).toBeGreaterThanOrEqual(COUNT);
    expect(Object.keys(report.statuses).filter((s) => Number(s) >= 500)).toEqual([]);
    // The mix really mixed: writes of every kind were acknowledged.
    for (const kind of ['createdReleases', 'ciWrites', 'votes', 'releaseApprovals', 'releaseMoves'] as const)
      expect(report.acknowledged[kind], kind).toBeGreaterThan(0);
    await checkLoad(t, world, acknowledged);
  }, 180_000);
});
