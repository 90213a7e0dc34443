/**
 * SFN_TIME_SCALE on the local cloud: the default release workflow with a one-hour deadline on its
 * Assessment stage (compiled to the stage task's `TimeoutSeconds: 3600` with a Catch on
 * `States.Timeout`, workflows/compile.ts) times out in seconds at a scale of 0.001, and the release
 * follows its execution into Cancelled, as it would after an hour in AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDefault } from '../../workflows/defaults/release-default.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  // One hour of execution time lasts 3.6 s.
  t = await startTestCloud({ sfnTimeScale: 0.001 });
});
afterAll(async () => t?.stop());

const withDeadline = {
  ...releaseDefault,
  name: 'Default release with a one-hour assessment',
  stages: releaseDefault.stages.map((stage) =>
    stage.name === 'Assessment' ? { ...stage, timeoutSeconds: 3600, onTimeout: 'Cancelled' } : stage,
  ),
};

describe('a stage timeout of the default release workflow under SFN_TIME_SCALE', () => {
  it('fires in seconds and moves the release with its execution', async () => {
    const published = await ok(
      t.api('admin').POST('/workflows', {
        body: { id: 'default-one-hour-assessment', definition: withDeadline },
      }),
      201,
    );
    const begun = Date.now();
    const created = await ok(
      t.api().POST('/releases', {
        body: releaseBody({ tasks: [], workflowId: 'default-one-hour-assessment' }),
      }),
      201,
    );
    expect(created).toMatchObject({ stage: 'Assessment', version: 1 });
    const id = created.id;
    const arn = published.stateMachineVersionArn as string;

    await eventually(async () => {
      const release = await ok(t.api().GET('/releases/{id}', { params: { path: { id } } }));
      expect(release).toMatchObject({
        stage: 'Cancelled',
        status: 'cancelled',
        updatedBy: 'system:timeout',
      });
    }, 20_000);
    const elapsed = Date.now() - begun;
    expect(elapsed).toBeGreaterThanOrEqual(3_000);
    expect(elapsed).toBeLessThan(20_000);

    const { events } = await t.execution(id, arn);
    const scheduled = events.find((event) => event.type === 'TaskScheduled');
    // The history shows the definition's limit; only the wait for it was scaled.
    expect(scheduled?.taskScheduledEventDetails?.timeoutInSeconds).toBe(3600);
    expect(events.find((event) => event.type === 'TaskTimedOut')?.taskTimedOutEventDetails?.error).toBe(
      'States.Timeout',
    );
  }, 40_000);
});
