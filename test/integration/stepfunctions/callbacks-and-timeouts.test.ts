/**
 * `.waitForTaskToken` tasks as AWS ends them, through @aws-sdk/client-sfn: StopExecution of a waiting
 * task, SendTaskFailure caught by the state's Catch, HeartbeatSeconds (reset by SendTaskHeartbeat),
 * TimeoutSecondsPath/HeartbeatSecondsPath, and SFN_TIME_SCALE on Wait states and timeouts
 * (docs/decisions.md, "Local Step Functions: redrive, stop, heartbeats, time scale, status events").
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_STAGE_FN, type SfnHarness, startHarness, twoStageDefinition, waitFor } from './support.ts';

/** 1 s of execution time lasts 10 ms here: a `HeartbeatSeconds` of 100 is one real second. */
const SCALE = 0.01;

let harness: SfnHarness;
let machines = 0;

beforeAll(async () => {
  harness = await startHarness({ timeScale: SCALE });
});
afterAll(() => harness.stop());

async function start(definition: unknown, input: unknown = { subject: { id: 's' } }): Promise<string> {
  machines++;
  const { stateMachineArn } = await harness.client.send(
    new CreateStateMachineCommand({
      name: `callbacks-${machines}`,
      definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
      roleArn: 'arn:aws:iam::0:role/r',
    }),
  );
  const { executionArn } = await harness.client.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  return executionArn ?? '';
}

const describeExecution = (executionArn: string) =>
  harness.client.send(new DescribeExecutionCommand({ executionArn }));

async function finished(executionArn: string, timeoutMs = 10_000) {
  return waitFor(async () => {
    const execution = await describeExecution(executionArn);
    return execution.status === 'RUNNING' ? undefined : execution;
  }, timeoutMs);
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const { events = [] } = await harness.client.send(new GetExecutionHistoryCommand({ executionArn }));
  return events;
}

/** The token of the only waiting task of an execution started with a unique `subject.execution`. */
async function startWaiting(definition: unknown): Promise<{ executionArn: string; token: string }> {
  const marker = `m-${Math.random().toString(36).slice(2)}`;
  const executionArn = await start(definition, { subject: { id: 's', execution: marker } });
  const token = await waitFor(() => {
    const call = harness.invocations.find(
      (c) => (c.payload.subject as { execution?: string } | undefined)?.execution === marker,
    );
    return call?.payload.taskToken as string | undefined;
  });
  // The task has been submitted (its function returned) once TaskSubmitted is in the history.
  await waitFor(async () =>
    (await history(executionArn)).some((e) => e.type === 'TaskSubmitted') ? true : undefined,
  );
  return { executionArn, token };
}

/** A single `.waitForTaskToken` task with the given extra fields, then Succeed (or its Catch). */
function callbackMachine(extra: Record<string, unknown>, catchTimeout = false) {
  return {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: RECORD_STAGE_FN,
          Payload: { 'taskToken.$': '$$.Task.Token', 'subject.$': '$.subject' },
        },
        ResultPath: '$.signal',
        ...(catchTimeout
          ? { Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Lapsed' }] }
          : {}),
        ...extra,
        Next: 'Done',
      },
      ...(catchTimeout ? { Lapsed: { Type: 'Pass', End: true } } : {}),
      Done: { Type: 'Succeed' },
    },
  };
}

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: unknown) => (error as { name?: string }).name,
  );

describe('StopExecution of a waiting .waitForTaskToken task', () => {
  it('aborts the execution, records ExecutionAborted and spends the token', async () => {
    const { executionArn, token } = await startWaiting(twoStageDefinition);
    const { stopDate } = await harness.client.send(
      new StopExecutionCommand({ executionArn, error: 'Operator.Stopped', cause: 'stopped by hand' }),
    );
    expect(stopDate).toBeInstanceOf(Date);
    expect(await describeExecution(executionArn)).toMatchObject({
      status: 'ABORTED',
      error: 'Operator.Stopped',
      cause: 'stopped by hand',
      redriveStatus: 'REDRIVABLE',
    });
    const events = await history(executionArn);
    expect(events.map((e) => e.type).slice(-5)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'ExecutionAborted',
    ]);
    expect(events.at(-1)).toMatchObject({
      previousEventId: 0,
      executionAbortedEventDetails: { error: 'Operator.Stopped', cause: 'stopped by hand' },
    });
    // The task is closed: every use of its token is TaskTimedOut, as for any closed task in AWS.
    expect(
      await errorName(harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))),
    ).toBe('TaskTimedOut');
    expect(await errorName(harness.client.send(new SendTaskFailureCommand({ taskToken: token })))).toBe(
      'TaskTimedOut',
    );
    expect(await errorName(harness.client.send(new SendTaskHeartbeatCommand({ taskToken: token })))).toBe(
      'TaskTimedOut',
    );
    // Nothing ran after the stop.
    expect((await history(executionArn)).length).toBe(events.length);
  });
});

describe('SendTaskFailure', () => {
  it("is caught by the state's Catch, with the error and cause as the catch output", async () => {
    const { executionArn, token } = await startWaiting(twoStageDefinition);
    await harness.client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'Release.Cancelled', cause: 'by request' }),
    );
    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').failure).toEqual({
      Error: 'Release.Cancelled',
      Cause: 'by request',
    });
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'Release.Cancelled',
      cause: 'by request',
    });
    expect(events.map((e) => e.stateEnteredEventDetails?.name).filter(Boolean)).toEqual([
      'StageA',
      'Cancelled',
    ]);
  });
});

describe('HeartbeatSeconds', () => {
  it('keeps a task alive while heartbeats come, and records heartbeatInSeconds', async () => {
    const { executionArn, token } = await startWaiting(callbackMachine({ HeartbeatSeconds: 200 }));
    // 6 s of real time, three times the (scaled) heartbeat of 2 s, beaten every 250 ms: a loaded CI
    // machine may lag a beat by more than a second without the task timing out.
    for (let i = 0; i < 24; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await harness.client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"to":"Done"}' }));
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
    const scheduled = (await history(executionArn)).find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails?.heartbeatInSeconds).toBe(200);
  });

  it('times a task out with States.HeartbeatTimeout when no heartbeat comes', async () => {
    const { executionArn, token } = await startWaiting(callbackMachine({ HeartbeatSeconds: 100 }));
    const execution = await finished(executionArn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const events = await history(executionArn);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['TaskTimedOut', 'ExecutionFailed']);
    expect(events.at(-2)?.taskTimedOutEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'States.HeartbeatTimeout',
    });
    expect(await errorName(harness.client.send(new SendTaskHeartbeatCommand({ taskToken: token })))).toBe(
      'TaskTimedOut',
    );
  });

  it('is caught by a Catch on States.Timeout, with States.HeartbeatTimeout as the error', async () => {
    const { executionArn } = await startWaiting(callbackMachine({ HeartbeatSeconds: 100 }, true));
    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').error).toMatchObject({ Error: 'States.HeartbeatTimeout' });
  });
});

describe('TimeoutSecondsPath and HeartbeatSecondsPath', () => {
  it('take the limits from the state input, scaled like the fixed ones', async () => {
    const marker = 'paths';
    const begun = Date.now();
    const executionArn = await start(
      callbackMachine({ TimeoutSecondsPath: '$.limits.timeout', HeartbeatSecondsPath: '$.limits.beat' }),
      { subject: { id: 's', execution: marker }, limits: { timeout: 50, beat: 1000 } },
    );
    const execution = await finished(executionArn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    // 50 s at 0.01: half a second, not the engine's default 60 s.
    expect(Date.now() - begun).toBeLessThan(8_000);
    const events = await history(executionArn);
    const scheduled = events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ timeoutInSeconds: 50, heartbeatInSeconds: 1000 });
    // The function gets the task's own parameters, nothing of the local plumbing.
    expect(JSON.parse(scheduled?.parameters ?? '{}')).toEqual({
      FunctionName: RECORD_STAGE_FN,
      Payload: { taskToken: expect.any(String), subject: { id: 's', execution: marker } },
    });
    expect(events.at(-2)?.taskTimedOutEventDetails?.error).toBe('States.Timeout');
  });

  it('fails the task with States.Runtime when the path gives no positive integer', async () => {
    const executionArn = await start(callbackMachine({ TimeoutSecondsPath: '$.limit' }), {
      subject: { id: 's' },
      limit: 'soon',
    });
    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('SFN_TIME_SCALE', () => {
  it('scales Wait states (Seconds, SecondsPath, Timestamp, TimestampPath)', async () => {
    const inAnHundredSeconds = () => new Date(Date.now() + 100_000).toISOString();
    const executionArn = await start(
      {
        StartAt: 'Fixed',
        States: {
          Fixed: { Type: 'Wait', Seconds: 100, Next: 'FromInput' },
          FromInput: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Until' },
          Until: { Type: 'Wait', Timestamp: inAnHundredSeconds(), Next: 'UntilFromInput' },
          UntilFromInput: { Type: 'Wait', TimestampPath: '$.at', OutputPath: '$.keep', End: true },
        },
      },
      { seconds: 100, at: inAnHundredSeconds(), keep: { kept: true } },
    );
    const execution = await finished(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ kept: true });
    const events = await history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      ...['Fixed', 'FromInput', 'Until', 'UntilFromInput'].flatMap(() => [
        'WaitStateEntered',
        'WaitStateExited',
      ]),
      'ExecutionSucceeded',
    ]);
    // Each wait of 100 s lasted about 1 s of real time (well under 100 s, with room for a loaded
    // machine); history timestamps are wall-clock times.
    for (const name of ['Fixed', 'FromInput', 'Until', 'UntilFromInput']) {
      const entered = events.find((e) => e.stateEnteredEventDetails?.name === name)?.timestamp;
      const exited = events.find((e) => e.stateExitedEventDetails?.name === name)?.timestamp;
      const lasted = (exited?.getTime() ?? 0) - (entered?.getTime() ?? 0);
      expect(lasted, name).toBeGreaterThanOrEqual(800);
      expect(lasted, name).toBeLessThan(10_000);
    }
  });

  it('waits the whole time again when an execution stopped in a Wait is redriven', async () => {
    const executionArn = await start({
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 200, End: true } },
    });
    await waitFor(async () =>
      (await history(executionArn)).some((e) => e.type === 'WaitStateEntered') ? true : undefined,
    );
    await harness.client.send(new StopExecutionCommand({ executionArn }));
    // Past the end the wait had when it was entered (2 s scaled).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const redriven = Date.now();
    await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
    const exited = (await history(executionArn)).find((e) => e.type === 'WaitStateExited')?.timestamp;
    // Re-run from the redrive, not over at once because its first end has passed.
    expect((exited?.getTime() ?? 0) - redriven).toBeGreaterThanOrEqual(1_500);
  });

  it("scales the execution's own TimeoutSeconds", async () => {
    const executionArn = await start({
      TimeoutSeconds: 50,
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', Seconds: 10_000, End: true } },
    });
    expect(await finished(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });
});
