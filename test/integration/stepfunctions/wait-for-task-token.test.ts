import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentStateOf } from '#adapters/sfn/execution-view';
import { TASK_TOKEN_SENTINEL } from '#local/stepfunctions/task-tokens';
import {
  RECORD_STAGE_FN,
  type SfnHarness,
  stageInvocations,
  startHarness,
  twoStageDefinition,
  waitFor,
} from './support.ts';

let harness: SfnHarness;
let stateMachineArn: string;

beforeAll(async () => {
  harness = await startHarness();
  const created = await harness.client.send(
    new CreateStateMachineCommand({
      name: 'two-stage',
      definition: twoStageDefinition,
      roleArn: 'arn:aws:iam::000000000000:role/sfn',
    }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
});

afterAll(() => harness.stop());

async function start(name: string, subject = name) {
  const { executionArn } = await harness.client.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ subject }) }),
  );
  return executionArn ?? '';
}

const invocationFor = (subject: string, stage: string, count = 1) =>
  waitFor(() => {
    const matching = stageInvocations(harness.invocations, stage).filter(
      (i) => i.payload.subject === subject,
    );
    return matching.length >= count ? matching[count - 1] : undefined;
  });

async function history(executionArn: string) {
  return (
    (await harness.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
    []
  );
}

const describeExecution = (executionArn: string) =>
  harness.client.send(new DescribeExecutionCommand({ executionArn }));

const finished = (executionArn: string) =>
  waitFor(async () => {
    const described = await describeExecution(executionArn);
    return described.status === 'RUNNING' ? undefined : described;
  });

describe('waitForTaskToken tasks', () => {
  it('invoke the function with a real token and move on when SendTaskSuccess returns it', async () => {
    const executionArn = await start('success');
    const stageA = await invocationFor('success', 'A');
    expect(stageA.functionName).toBe(RECORD_STAGE_FN);
    const tokenA = String(stageA.payload.taskToken);
    expect(tokenA).not.toContain(TASK_TOKEN_SENTINEL);
    expect(tokenA.length).toBeGreaterThan(20);
    await waitFor(async () => (currentStateOf(await history(executionArn)) === 'StageA' ? true : undefined));
    await harness.client.send(new SendTaskHeartbeatCommand({ taskToken: tokenA }));

    await harness.client.send(
      new SendTaskSuccessCommand({ taskToken: tokenA, output: JSON.stringify({ to: 'StageB' }) }),
    );

    const stageB = await invocationFor('success', 'B');
    const tokenB = String(stageB.payload.taskToken);
    expect(tokenB).not.toBe(tokenA);
    await waitFor(async () => (currentStateOf(await history(executionArn)) === 'StageB' ? true : undefined));
    expect((await describeExecution(executionArn)).status).toBe('RUNNING');

    await harness.client.send(
      new SendTaskSuccessCommand({ taskToken: tokenB, output: JSON.stringify({ to: 'Done' }) }),
    );
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ subject: 'success', signal: { to: 'Done' } });
    expect(done.stopDate).toBeInstanceOf(Date);

    const events = await history(executionArn);
    expect(currentStateOf(events)).toBe('Done');
    const submitted = events.filter((event) => event.type === 'TaskSubmitted');
    expect(submitted).toHaveLength(2);
    const scheduled = events.find((event) => event.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'local',
    });
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}')).toEqual({
      FunctionName: RECORD_STAGE_FN,
      Payload: { stage: 'A', taskToken: tokenA, subject: 'success' },
    });
  });

  it('refuses used and malformed tokens as AWS does', async () => {
    const executionArn = await start('tokens');
    const token = String((await invocationFor('tokens', 'A')).payload.taskToken);
    await harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"to":"Nowhere"}' }));
    await expect(
      harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(
      harness.client.send(new SendTaskFailureCommand({ taskToken: token, error: 'X', cause: 'y' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(
      harness.client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
  });

  it('route SendTaskFailure to the Catch target', async () => {
    const executionArn = await start('catch');
    const token = String((await invocationFor('catch', 'A')).payload.taskToken);
    await harness.client.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: 'Release.Cancelled',
        cause: 'withdrawn by requester',
      }),
    );
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}').failure).toEqual({
      Error: 'Release.Cancelled',
      Cause: 'withdrawn by requester',
    });
    const events = await history(executionArn);
    const failed = events.find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      error: 'Release.Cancelled',
      cause: 'withdrawn by requester',
    });
    expect(events.map((event) => event.type)).toContain('PassStateEntered');
    expect(currentStateOf(events)).toBe('Cancelled');
    expect(stageInvocations(harness.invocations, 'B').some((i) => i.payload.subject === 'catch')).toBe(false);
  });

  it('retry a retryable SendTaskFailure with a new token', async () => {
    const executionArn = await start('retry');
    const first = String((await invocationFor('retry', 'A')).payload.taskToken);
    await harness.client.send(
      new SendTaskFailureCommand({ taskToken: first, error: 'Transient', cause: 'try again' }),
    );

    const second = String((await invocationFor('retry', 'A', 2)).payload.taskToken);
    expect(second).not.toBe(first);
    await expect(
      harness.client.send(new SendTaskSuccessCommand({ taskToken: first, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await harness.client.send(new SendTaskSuccessCommand({ taskToken: second, output: '{"to":"StageB"}' }));
    const third = String((await invocationFor('retry', 'B')).payload.taskToken);
    await harness.client.send(new SendTaskSuccessCommand({ taskToken: third, output: '{"to":"Done"}' }));

    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
    const types = (await history(executionArn)).map((event) => event.type);
    expect(types.filter((type) => type === 'TaskScheduled')).toHaveLength(3);
    expect(types.filter((type) => type === 'TaskFailed')).toHaveLength(1);
    expect(types.filter((type) => type === 'TaskStateEntered')).toHaveLength(2);
  });

  it('fail the execution when the failure is neither retried nor caught', async () => {
    const executionArn = await start('uncaught');
    const token = String((await invocationFor('uncaught', 'A')).payload.taskToken);
    await harness.client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'Boom', cause: 'it broke' }),
    );
    const done = await finished(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'it broke' });
    expect((await history(executionArn)).at(-1)?.executionFailedEventDetails).toEqual({
      error: 'Boom',
      cause: 'it broke',
    });
  });

  it('SendTaskFailure without error or cause: TaskFailed has neither key and the Catch output holds nulls', async () => {
    const { stateMachineArn: arn } = await harness.client.send(
      new CreateStateMachineCommand({
        name: 'bare-failure',
        roleArn: 'arn:aws:iam::000000000000:role/sfn',
        definition: JSON.stringify({
          StartAt: 'Wait',
          States: {
            Wait: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: {
                FunctionName: RECORD_STAGE_FN,
                Payload: { subject: 'bare', stage: 'A', 'taskToken.$': '$$.Task.Token' },
              },
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }],
              End: true,
            },
            Caught: { Type: 'Pass', End: true },
          },
        }),
      }),
    );
    const { executionArn = '' } = await harness.client.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }),
    );
    const token = String((await invocationFor('bare', 'A')).payload.taskToken);
    await harness.client.send(new SendTaskFailureCommand({ taskToken: token }));
    const done = await finished(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toEqual({ failure: { Error: null, Cause: null } });
    const failed = (await history(executionArn)).find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
  });

  it('SendTaskFailure without error or cause, uncaught: the execution fails without error or cause', async () => {
    const executionArn = await start('bare-uncaught');
    const token = String((await invocationFor('bare-uncaught', 'A')).payload.taskToken);
    await harness.client.send(new SendTaskFailureCommand({ taskToken: token }));
    const done = await finished(executionArn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBeUndefined();
    expect(done.cause).toBeUndefined();
    const last = (await history(executionArn)).at(-1);
    expect(last?.type).toBe('ExecutionFailed');
    expect(last?.executionFailedEventDetails).toEqual({});
  });

  it('stop: StopExecution aborts a waiting execution and retires its token', async () => {
    const executionArn = await start('stop');
    const token = String((await invocationFor('stop', 'A')).payload.taskToken);
    expect(await describeExecution(executionArn)).toMatchObject({
      status: 'RUNNING',
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    });
    await harness.client.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by hand' }),
    );
    const described = await describeExecution(executionArn);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
    const last = (await history(executionArn)).at(-1);
    expect(last?.type).toBe('ExecutionAborted');
    expect(last?.executionAbortedEventDetails).toEqual({ error: 'Operator', cause: 'stopped by hand' });
    // As AWS records it: ExecutionAborted starts its own chain.
    expect(last?.previousEventId).toBe(0);
    await expect(
      harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });
});

describe('TimeoutSeconds on a waiting task', () => {
  it('fails the task with States.Timeout (TaskTimedOut event) that a Catch can route', async () => {
    const { stateMachineArn: arn } = await harness.client.send(
      new CreateStateMachineCommand({
        name: 'timeout',
        roleArn: 'arn:aws:iam::000000000000:role/sfn',
        definition: JSON.stringify({
          StartAt: 'Wait',
          States: {
            Wait: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              TimeoutSeconds: 1,
              Parameters: {
                FunctionName: RECORD_STAGE_FN,
                Payload: { stage: 'T', 'taskToken.$': '$$.Task.Token' },
              },
              Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'TimedOut' }],
              End: true,
            },
            TimedOut: { Type: 'Pass', End: true },
          },
        }),
      }),
    );
    const { executionArn } = await harness.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await finished(executionArn ?? '');
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}').timeout.Error).toBe('States.Timeout');
    const events = await history(executionArn ?? '');
    // As AWS records it: the error and the resource, no cause.
    expect(events.find((event) => event.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'States.Timeout',
    });
    expect(
      events.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails?.timeoutInSeconds,
    ).toBe(1);
  });
});
