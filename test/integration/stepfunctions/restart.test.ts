import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { currentStateOf } from '#adapters/sfn/execution-view';
import {
  type SfnHarness,
  stageInvocations,
  startHarness,
  tempDir,
  twoStageDefinition,
  waitFor,
} from './support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(dataDir: string): Promise<SfnHarness> {
  const harness = await startHarness({ dataDir });
  cleanups.push(() => harness.stop());
  return harness;
}

const history = async (harness: SfnHarness, executionArn: string) =>
  (await harness.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
  [];

describe('restart with a data directory', () => {
  it('resumes a waiting execution: the old token still works, nothing is invoked twice, history is not duplicated', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);

    const first = await started(dir.path);
    const { stateMachineArn } = await first.client.send(
      new CreateStateMachineCommand({
        name: 'durable',
        definition: twoStageDefinition,
        roleArn: 'arn:aws:iam::0:role/r',
      }),
    );
    const { executionArn = '' } = await first.client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'rel-42', input: '{"subject":"rel-42"}' }),
    );
    const stageA = await waitFor(() => stageInvocations(first.invocations, 'A')[0]);
    const tokenA = String(stageA.payload.taskToken);
    await waitFor(async () =>
      (await history(first, executionArn)).at(-1)?.type === 'TaskSubmitted' ? true : undefined,
    );
    const before = await history(first, executionArn);
    await first.stop();

    const second = await started(dir.path);
    expect((await second.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    expect(await history(second, executionArn)).toEqual(before);
    await second.client.send(new SendTaskSuccessCommand({ taskToken: tokenA, output: '{"to":"StageB"}' }));

    const stageB = await waitFor(() => stageInvocations(second.invocations, 'B')[0]);
    expect(stageInvocations(second.invocations, 'A')).toHaveLength(0);
    const tokenB = String(stageB.payload.taskToken);
    await waitFor(async () =>
      currentStateOf(await history(second, executionArn)) === 'StageB' ? true : undefined,
    );

    // A second restart, now with one recorded task result to replay before the waiting stage.
    await second.stop();
    const third = await started(dir.path);
    await third.client.send(new SendTaskSuccessCommand({ taskToken: tokenB, output: '{"to":"Done"}' }));
    const done = await waitFor(async () => {
      const described = await third.client.send(new DescribeExecutionCommand({ executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toEqual({ subject: 'rel-42', signal: { to: 'Done' } });
    expect(third.invocations).toHaveLength(0);

    const events = await history(third, executionArn);
    const types = events.map((event) => event.type);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(types.filter((type) => type === 'ExecutionStarted')).toHaveLength(1);
    expect(types.filter((type) => type === 'TaskStateEntered')).toHaveLength(2);
    expect(types.filter((type) => type === 'TaskScheduled')).toHaveLength(2);
    expect(types.filter((type) => type === 'TaskSucceeded')).toHaveLength(2);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.slice(0, before.length)).toEqual(before);
    await third.stop();

    const fourth = await started(dir.path);
    expect((await fourth.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe(
      'SUCCEEDED',
    );
  });
});
