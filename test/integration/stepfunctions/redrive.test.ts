/**
 * RedriveExecution as AWS does it, through @aws-sdk/client-sfn: a failed, timed-out or aborted
 * execution restarts from the state that did not complete (what came before is not run again), with
 * `ExecutionRedriven` in its history, the redrive fields in DescribeExecution and ListExecutions
 * (`redriveFilter`), AWS's errors, client-token idempotency, and a redriven execution that survives a
 * restart (docs/decisions.md, "Local Step Functions: redrive, stop, heartbeats, time scale, status events").
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Invocation,
  RECORD_STAGE_FN,
  type SfnHarness,
  stageInvocations,
  startHarness,
  tempDir,
  twoStageDefinition,
  waitFor,
} from './support.ts';

/** `flaky` fails while `broken` holds; `prepare` always works. */
const broken = { flaky: true };
const respond = ({ functionName }: Invocation) => {
  if (functionName === 'flaky' && broken.flaky) {
    throw Object.assign(new Error('downstream is down'), { name: 'Downstream.Unavailable' });
  }
  return { ok: functionName };
};

let harness: SfnHarness;
let machineCount = 0;

beforeAll(async () => {
  harness = await startHarness({ respond, timeScale: 0.01 });
});
afterAll(() => harness.stop());

const flakyDefinition = {
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'prepare', 'Payload.$': '$' },
      ResultSelector: { 'ok.$': '$.Payload.ok' },
      ResultPath: '$.prepared',
      Next: 'Call',
    },
    Call: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'flaky', 'Payload.$': '$' },
      ResultSelector: { 'ok.$': '$.Payload.ok' },
      ResultPath: '$.called',
      Retry: [{ ErrorEquals: ['Downstream.Unavailable'], IntervalSeconds: 1, MaxAttempts: 1 }],
      End: true,
    },
  },
};

async function createMachine(client: SfnHarness['client'], definition: unknown, name?: string) {
  machineCount++;
  const { stateMachineArn } = await client.send(
    new CreateStateMachineCommand({
      name: name ?? `redrive-${machineCount}`,
      definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
      roleArn: 'arn:aws:iam::0:role/r',
    }),
  );
  return stateMachineArn ?? '';
}

async function start(client: SfnHarness['client'], stateMachineArn: string, input: unknown, name?: string) {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
  );
  return executionArn ?? '';
}

async function settled(client: SfnHarness['client'], executionArn: string) {
  return waitFor(async () => {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === 'RUNNING' ? undefined : execution;
  });
}

async function history(client: SfnHarness['client'], executionArn: string): Promise<HistoryEvent[]> {
  const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
  return events;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as { name: string; message: string },
  );

describe('RedriveExecution', () => {
  it('restarts a failed execution from the failed state, keeping what came before', async () => {
    broken.flaky = true;
    const machineArn = await createMachine(harness.client, flakyDefinition);
    const executionArn = await start(harness.client, machineArn, { n: 1 });
    const failed = await settled(harness.client, executionArn);
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: 'Downstream.Unavailable',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    const before = await history(harness.client, executionArn);
    const prepares = harness.invocations.filter((call) => call.functionName === 'prepare').length;

    broken.flaky = false;
    const { redriveDate } = await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    expect(redriveDate).toBeInstanceOf(Date);
    const done = await settled(harness.client, executionArn);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    expect(done.error).toBeUndefined();
    expect(JSON.parse(done.output ?? '{}')).toEqual({
      n: 1,
      prepared: { ok: 'prepare' },
      called: { ok: 'flaky' },
    });
    // Prepare succeeded before: it is not run again.
    expect(harness.invocations.filter((call) => call.functionName === 'prepare').length).toBe(prepares);

    const after = await history(harness.client, executionArn);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((e) => e.type).slice(before.length)).toEqual([
      'ExecutionRedriven',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(after[before.length]).toMatchObject({
      id: before.length + 1,
      previousEventId: before.length,
      executionRedrivenEventDetails: { redriveCount: 1 },
    });
    expect(after.map((event) => event.id)).toEqual(after.map((_, index) => index + 1));

    // Listed with its redrive fields, and by redriveFilter.
    const listed = async (redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN') =>
      (
        await harness.client.send(
          new ListExecutionsCommand({
            stateMachineArn: machineArn,
            ...(redriveFilter ? { redriveFilter } : {}),
          }),
        )
      ).executions ?? [];
    expect((await listed('REDRIVEN')).map((e) => e.executionArn)).toEqual([executionArn]);
    expect(await listed('NOT_REDRIVEN')).toEqual([]);
    expect((await listed())[0]).toMatchObject({ redriveCount: 1, redriveDate });

    // A succeeded execution cannot be redriven.
    expect(await failure(harness.client.send(new RedriveExecutionCommand({ executionArn })))).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution is SUCCEEDED and cannot be redriven',
    });
  });

  it('answers a repeated client token as the redrive it repeats, and refuses what AWS refuses', async () => {
    broken.flaky = true;
    const machineArn = await createMachine(harness.client, flakyDefinition);
    const executionArn = await start(harness.client, machineArn, {});
    await settled(harness.client, executionArn);
    const first = await harness.client.send(
      new RedriveExecutionCommand({ executionArn, clientToken: 'once' }),
    );
    await settled(harness.client, executionArn);
    const again = await harness.client.send(
      new RedriveExecutionCommand({ executionArn, clientToken: 'once' }),
    );
    expect(again.redriveDate).toEqual(first.redriveDate);
    expect(await harness.client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'FAILED',
      redriveCount: 1,
    });
    // A new token redrives again.
    await harness.client.send(new RedriveExecutionCommand({ executionArn, clientToken: 'twice' }));
    expect(await settled(harness.client, executionArn)).toMatchObject({ status: 'FAILED', redriveCount: 2 });
    expect(
      (await history(harness.client, executionArn)).filter((e) => e.type === 'ExecutionRedriven'),
    ).toHaveLength(2);

    const unknown = executionArn.replace(/:[^:]+$/, ':nobody');
    expect(
      await failure(harness.client.send(new RedriveExecutionCommand({ executionArn: unknown }))),
    ).toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(
      await failure(harness.client.send(new RedriveExecutionCommand({ executionArn: 'not-an-arn' }))),
    ).toMatchObject({ name: 'InvalidArn' });
    const waitingMachine = await createMachine(harness.client, twoStageDefinition);
    const running = await start(harness.client, waitingMachine, { subject: { id: 'r' } });
    expect(
      await failure(harness.client.send(new RedriveExecutionCommand({ executionArn: running }))),
    ).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution is RUNNING and cannot be redriven',
    });
    await harness.client.send(new StopExecutionCommand({ executionArn: running }));
  });

  it('reschedules the task an aborted execution was waiting in, with a new token', async () => {
    const machineArn = await createMachine(harness.client, twoStageDefinition);
    const executionArn = await start(harness.client, machineArn, { subject: { id: 'aborted' } });
    const invocationsOf = () =>
      stageInvocations(harness.invocations, 'A').filter(
        (call) => (call.payload.subject as { id?: string }).id === 'aborted',
      );
    const oldToken = await waitFor(() => invocationsOf()[0]?.payload.taskToken as string | undefined);
    await harness.client.send(new StopExecutionCommand({ executionArn }));
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'ABORTED',
      redriveStatus: 'REDRIVABLE',
    });
    await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    const newToken = await waitFor(() => invocationsOf()[1]?.payload.taskToken as string | undefined);
    expect(newToken).not.toBe(oldToken);
    expect(
      await failure(harness.client.send(new SendTaskSuccessCommand({ taskToken: oldToken, output: '{}' }))),
    ).toMatchObject({ name: 'TaskTimedOut' });
    await harness.client.send(
      new SendTaskSuccessCommand({ taskToken: newToken, output: JSON.stringify({ to: 'Cancelled' }) }),
    );
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
    });
  });

  it('restarts a task that timed out', async () => {
    const machineArn = await createMachine(harness.client, {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: RECORD_STAGE_FN,
            Payload: { 'taskToken.$': '$$.Task.Token', stage: 'T' },
          },
          TimeoutSeconds: 50,
          End: true,
        },
      },
    });
    const executionArn = await start(harness.client, machineArn, {});
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
      redriveStatus: 'REDRIVABLE',
    });
    const tokens = () => stageInvocations(harness.invocations, 'T').length;
    const before = tokens();
    await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    const token = await waitFor(() =>
      tokens() > before
        ? (stageInvocations(harness.invocations, 'T').at(-1)?.payload.taskToken as string)
        : undefined,
    );
    await harness.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"done":true}' }));
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"done":true}',
    });
  });

  it('redrives an execution that timed out as a whole, which gets its TimeoutSeconds again', async () => {
    const machineArn = await createMachine(harness.client, {
      TimeoutSeconds: 20,
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', Seconds: 10_000, End: true } },
    });
    const executionArn = await start(harness.client, machineArn, {});
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'TIMED_OUT',
      redriveStatus: 'REDRIVABLE',
    });
    await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    expect(await settled(harness.client, executionArn)).toMatchObject({
      status: 'TIMED_OUT',
      redriveCount: 1,
    });
    expect((await history(harness.client, executionArn)).map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'ExecutionTimedOut',
      'ExecutionRedriven',
      'ExecutionTimedOut',
    ]);
  });

  it('keeps a redriven execution across a restart of the service', async () => {
    const dir = await tempDir();
    let durable = await startHarness({ dataDir: dir.path });
    try {
      const machineArn = await createMachine(durable.client, twoStageDefinition, 'redrive-durable');
      const executionArn = await start(durable.client, machineArn, { subject: { id: 'd' } }, 'durable');
      const first = await waitFor(
        () => stageInvocations(durable.invocations, 'A')[0]?.payload.taskToken as string,
      );
      await durable.client.send(new SendTaskSuccessCommand({ taskToken: first, output: '{"to":"StageB"}' }));
      await waitFor(() => stageInvocations(durable.invocations, 'B')[0]);
      await durable.client.send(new StopExecutionCommand({ executionArn }));
      await durable.client.send(new RedriveExecutionCommand({ executionArn }));
      await waitFor(() => stageInvocations(durable.invocations, 'B')[1]);
      const beforeRestart = await history(durable.client, executionArn);

      await durable.stop();
      durable = await startHarness({ dataDir: dir.path });
      // Resumed where the redrive left it: StageB waits with the same token, nothing is added.
      const resumed = await waitFor(async () => {
        const events = await history(durable.client, executionArn);
        return events.length === beforeRestart.length ? events : undefined;
      });
      expect(resumed.map((e) => e.type)).toEqual(beforeRestart.map((e) => e.type));
      expect(stageInvocations(durable.invocations, 'A')).toHaveLength(0);
      const scheduled = beforeRestart.filter((e) => e.type === 'TaskScheduled').at(-1);
      const waitingToken = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}').Payload
        .taskToken as string;
      await durable.client.send(
        new SendTaskSuccessCommand({ taskToken: waitingToken, output: '{"to":"x"}' }),
      );
      const done = await settled(durable.client, executionArn);
      expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      const events = await history(durable.client, executionArn);
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      expect(events.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
      expect(events.map((e) => e.type).slice(-5)).toEqual([
        'TaskSucceeded',
        'TaskStateExited',
        'SucceedStateEntered',
        'SucceedStateExited',
        'ExecutionSucceeded',
      ]);
    } finally {
      await durable.stop();
      await dir.remove();
    }
  });
});
