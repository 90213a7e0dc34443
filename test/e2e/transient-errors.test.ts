/**
 * Issue 8, item 3: a stage task retries what record-stage throws (a DynamoDB throttle surfaces as
 * the function's error, `States.TaskFailed` in the workflow's Retry) instead of failing the
 * execution at the first error. A throttle that passes is ridden out and the release moves; one
 * that never passes fails the execution after its retries, and the reconciler records the release
 * as failed instead of leaving it live.
 */
import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import type { RecordStagePayload } from '../../functions/steps/record-stage.ts';
import { STAGE_FAILED_ERROR, TASK_RETRY } from '../../workflows/compile.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

/** A fault armed for one release: record-stage throws on entering `stage`, `times` times. */
interface Fault {
  readonly stage: string;
  times: number;
  readonly error: () => Error;
  attempts: number;
}

const faults = new Map<string, Fault>();

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({
    // The reconciler runs when the test says so, not on its schedule.
    schedules: false,
    wrapFunction: (name, fn) => {
      if (name !== 'record-stage') return fn;
      return async (payload) => {
        const { subject, stage, taskToken } = payload as RecordStagePayload;
        const fault = faults.get(subject.id);
        if (fault && taskToken !== undefined && stage === fault.stage) {
          fault.attempts++;
          // Thrown before the function writes anything, as when its first DynamoDB call is throttled.
          if (fault.times > 0) {
            fault.times--;
            throw fault.error();
          }
        }
        return fn(payload);
      };
    },
  });
});
afterAll(async () => t?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

const throttle = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded.',
    $metadata: { httpStatusCode: 400, attempts: 3 },
  });

const at = (id: string) => ({ params: { path: { id } } });

async function createRelease(): Promise<string> {
  const { id } = await ok(t.api().POST('/releases', { body: releaseBody({ tasks: [] }) }), 201);
  await eventually(async () => expect((await t.execution(id)).state).toBe('Assessment'));
  return id;
}

const taskFailures = (events: HistoryEvent[]) =>
  events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error);

const describeExecution = (id: string) =>
  t.sfn.send(
    new DescribeExecutionCommand({
      executionArn: executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, id),
    }),
  );

describe('a throttled record-stage', () => {
  it('is retried: the release, the answer and the execution end up in the stage entered', async () => {
    const id = await createRelease();
    const fault: Fault = { stage: 'Development', times: 1, error: throttle, attempts: 0 };
    faults.set(id, fault);

    const started = Date.now();
    const moved = await t.moveWaiting(id, 'Development', 1);
    const answeredIn = Date.now() - started;
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    // The first retry waits at most 1 s (IntervalSeconds 1, full jitter): within the API's wait for
    // the execution, so the answer already describes an execution in step.
    expect(moved.body).toMatchObject({ stage: 'Development', version: 2, execution: { inStep: true } });
    expect(answeredIn).toBeLessThan(3_000);
    expect(fault.attempts).toBe(2);

    const release = await ok(t.api().GET('/releases/{id}', at(id)));
    expect(release).toMatchObject({ stage: 'Development', status: 'active', version: 2 });
    const execution = await t.execution(id);
    expect(execution.state).toBe('Development');
    expect(taskFailures(execution.events)).toStrictEqual(['ProvisionedThroughputExceededException']);
    expect((await describeExecution(id)).status).toBe('RUNNING');

    // The retried task recorded its new token: the next move lands as usual.
    const next = await t.moveWaiting(id, 'Testing', 2);
    expect(next.body).toMatchObject({ stage: 'Testing', execution: { inStep: true } });
    expect((await t.execution(id)).state).toBe('Testing');
  });

  it('that never passes fails the execution after its retries, and the reconciler records the release as failed', async () => {
    const id = await createRelease();
    const fault: Fault = {
      stage: 'Development',
      times: Number.POSITIVE_INFINITY,
      error: () =>
        new ThrottlingException({ message: 'Throughput exceeds the current capacity.', $metadata: {} }),
      attempts: 0,
    };
    faults.set(id, fault);
    // Full jitter draws each wait between 0 and its bound (up to 60 s); drawing 0 every time keeps
    // the 15 retries from taking minutes here. What is under test is how many attempts there are
    // and where the execution goes after them, not how long they wait.
    vi.spyOn(Math, 'random').mockReturnValue(0);

    const moved = await t.moveWaiting(id, 'Development', 1);
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ stage: 'Development', version: 2 });

    await eventually(async () => expect((await describeExecution(id)).status).toBe('FAILED'), 20_000);
    const described = await describeExecution(id);
    expect(described.error).toBe(STAGE_FAILED_ERROR);
    const transient = TASK_RETRY.at(-1);
    expect(fault.attempts).toBe(1 + (transient?.MaxAttempts ?? Number.NaN));
    const { state, events } = await t.execution(id);
    expect(state).toBe('Workflow Failed');
    expect(taskFailures(events)).toStrictEqual(Array(fault.attempts).fill('ThrottlingException'));

    // Not silently live: the reconciler finds the ended execution and records the release as failed.
    const summary = await t.cloud.reconcile();
    expect(summary.outcomes.ended).toBeGreaterThanOrEqual(1);
    const release = await ok(t.api().GET('/releases/{id}', at(id)));
    expect(release).toMatchObject({
      stage: 'Development',
      status: 'failed',
      version: 3,
      executionEnd: { status: 'FAILED', error: STAGE_FAILED_ERROR },
      allowedTransitions: [],
    });
    const history = await ok(t.api().GET('/releases/{id}/history', at(id)));
    expect(history.items.at(-1)).toMatchObject({
      type: 'Release Execution Ended',
      actor: 'system:reconciler',
    });
  });
});
