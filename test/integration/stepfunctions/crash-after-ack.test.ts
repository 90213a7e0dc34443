/**
 * Persist before acknowledging: the service runs in a child process (`service-runner.ts`) on a slow disk,
 * the test SIGKILLs it the moment an action's 200 arrives, restarts it on the same data directory and
 * checks that the acknowledged effect survived.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListStateMachineVersionsCommand,
  PublishStateMachineVersionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { currentStateOf } from '#adapters/sfn/execution-view';
import { type Invocation, tempDir, waitFor } from './support.ts';

const runner = fileURLToPath(new URL('./service-runner.ts', import.meta.url));
/** How long every atomic write of the child takes to commit; far longer than a SIGKILL takes to land. */
const renameDelayMs = 100;
const rounds = 5;

/** A service process on a data directory. */
interface ServiceProcess {
  readonly client: SFNClient;
  /** SIGKILLs the process right away, then waits until it is gone. */
  kill(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts `service-runner.ts` on the Node running the tests; its invocations are appended to `invocations`. */
async function spawnService(dataDir: string, invocations: Invocation[]): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, [runner, dataDir], {
    env: { ...process.env, SFN_TEST_RENAME_DELAY_MS: String(renameDelayMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let client: SFNClient | undefined;
  const kill = async () => {
    client?.destroy();
    child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(kill);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: string; invoked?: Invocation };
      if (message.invoked) invocations.push(message.invoked);
      if (message.ready) resolve(message.ready);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`service-runner exited (${code ?? signal}) before it was ready:\n${stderr}`)),
    );
  });
  client = new SFNClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { client, kill };
}

const waitTask = (stage: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: {
    FunctionName: 'approve',
    Payload: { stage, 'subject.$': '$.subject', 'taskToken.$': '$$.Task.Token' },
  },
  ResultPath: `$.${stage}`,
});

/** Two `.waitForTaskToken` tasks in a row; a `Rejected` failure of the first also leads to the second. */
const twoWaits = JSON.stringify({
  StartAt: 'StageA',
  States: {
    StageA: {
      ...waitTask('A'),
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.A', Next: 'StageB' }],
      Next: 'StageB',
    },
    StageB: { ...waitTask('B'), End: true },
  },
});

const history = async (service: ServiceProcess, executionArn: string): Promise<HistoryEvent[]> =>
  (await service.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
  [];

/** The tokens of the `TaskScheduled` events of one stage, in order. */
function scheduledTokens(events: readonly HistoryEvent[], stage: string): string[] {
  return events
    .filter((event) => event.type === 'TaskScheduled')
    .map((event) => JSON.parse(event.taskScheduledEventDetails?.parameters ?? '{}').Payload)
    .filter((payload) => payload?.stage === stage)
    .map((payload) => String(payload.taskToken));
}

/**
 * Waits until the execution's file says it waits in the first task after the function returned, so the
 * acknowledgement under test is the only thing the disk can be missing.
 */
async function waitingOnDisk(dataDir: string, executionArn: string, token: string): Promise<void> {
  const file = join(dataDir, 'executions', `${createHash('sha256').update(executionArn).digest('hex')}.json`);
  await waitFor(async () => {
    let record: { waitingTasks?: { token: string; submittedOutput?: unknown }[] };
    try {
      record = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
    return record.waitingTasks?.some((task) => task.token === token && task.submittedOutput !== undefined)
      ? true
      : undefined;
  });
}

async function setUp() {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const invocations: Invocation[] = [];
  const service = await spawnService(dir.path, invocations);
  const restart = async (killed: ServiceProcess) => {
    await killed.kill();
    return spawnService(dir.path, invocations);
  };
  const tokenOf = (subject: string, stage: string) =>
    waitFor(() => {
      const found = invocations.find((i) => i.payload.subject === subject && i.payload.stage === stage);
      return found ? String(found.payload.taskToken) : undefined;
    });
  return { dataDir: dir.path, invocations, service, restart, tokenOf };
}

async function createTwoWaits(service: ServiceProcess, name = 'two-waits'): Promise<string> {
  const { stateMachineArn = '' } = await service.client.send(
    new CreateStateMachineCommand({ name, definition: twoWaits, roleArn: 'arn:aws:iam::0:role/r' }),
  );
  return stateMachineArn;
}

describe('an acknowledged action survives a SIGKILL right after its 200', () => {
  it(`SendTaskSuccess/SendTaskFailure: after the restart the execution is past the first task (${rounds} rounds)`, async () => {
    const { dataDir, invocations, restart, tokenOf, ...first } = await setUp();
    let service = first.service;
    const stateMachineArn = await createTwoWaits(service);

    for (let round = 1; round <= rounds; round++) {
      const subject = `round-${round}`;
      const succeed = round % 2 === 1;
      const { executionArn = '' } = await service.client.send(
        new StartExecutionCommand({ stateMachineArn, name: subject, input: JSON.stringify({ subject }) }),
      );
      const tokenA = await tokenOf(subject, 'A');
      await waitingOnDisk(dataDir, executionArn, tokenA);

      const sentAt = performance.now();
      if (succeed) {
        await service.client.send(
          new SendTaskSuccessCommand({ taskToken: tokenA, output: '{"approved":true}' }),
        );
      } else {
        await service.client.send(
          new SendTaskFailureCommand({ taskToken: tokenA, error: 'Rejected', cause: 'not now' }),
        );
      }
      const answeredAfter = performance.now() - sentAt;
      service = await restart(service);
      // The answer waited for a write, and the slow disk is in place (else this test would prove little).
      expect(answeredAfter).toBeGreaterThanOrEqual(renameDelayMs);

      // On a timeout the assertions below say where the execution is instead.
      const events =
        (await waitFor(async () => {
          const current = await history(service, executionArn);
          return currentStateOf(current) === 'StageB' && scheduledTokens(current, 'B').length > 0
            ? current
            : undefined;
        }, 5_000).catch(() => undefined)) ?? (await history(service, executionArn));
      expect(currentStateOf(events)).toBe('StageB');
      const types = events.map((event) => event.type);
      expect(types.filter((type) => type === (succeed ? 'TaskSucceeded' : 'TaskFailed'))).toHaveLength(1);
      expect(types.filter((type) => type === 'TaskStateEntered')).toHaveLength(2);
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      expect((await service.client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe(
        'RUNNING',
      );
      const [tokenB] = scheduledTokens(events, 'B');
      expect(tokenB).toBeDefined();
      expect(tokenB).not.toBe(tokenA);
      // The second task got its token: from the killed process if that one had got as far, else anew.
      await waitFor(() => (invocations.some((i) => i.payload.taskToken === tokenB) ? true : undefined));

      // The first token was settled before the crash: it is not accepted a second time.
      await expect(
        service.client.send(new SendTaskSuccessCommand({ taskToken: tokenA, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);

      await service.client.send(new SendTaskSuccessCommand({ taskToken: tokenB ?? '', output: '"done"' }));
      const done = await waitFor(async () => {
        const described = await service.client.send(new DescribeExecutionCommand({ executionArn }));
        return described.status === 'RUNNING' ? undefined : described;
      });
      expect(done.status).toBe('SUCCEEDED');
      expect(JSON.parse(done.output ?? '{}')).toEqual({
        subject,
        A: succeed ? { approved: true } : { Error: 'Rejected', Cause: 'not now' },
        B: 'done',
      });
    }
  });

  it('StopExecution: after the restart the execution is ABORTED and its token is retired', async () => {
    const { dataDir, restart, tokenOf, ...first } = await setUp();
    let service = first.service;
    const stateMachineArn = await createTwoWaits(service);

    for (let round = 1; round <= 3; round++) {
      const subject = `stop-${round}`;
      const { executionArn = '' } = await service.client.send(
        new StartExecutionCommand({ stateMachineArn, name: subject, input: JSON.stringify({ subject }) }),
      );
      const tokenA = await tokenOf(subject, 'A');
      await waitingOnDisk(dataDir, executionArn, tokenA);

      await service.client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'halt' }));
      service = await restart(service);

      expect(await service.client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        status: 'ABORTED',
        error: 'Operator',
        cause: 'halt',
      });
      expect((await history(service, executionArn)).at(-1)?.executionAbortedEventDetails).toEqual({
        error: 'Operator',
        cause: 'halt',
      });
      await expect(
        service.client.send(new SendTaskSuccessCommand({ taskToken: tokenA, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);
    }
  });

  it('StartExecution (and CreateStateMachine): after the restart the execution exists and runs', async () => {
    const { invocations, restart, tokenOf, ...first } = await setUp();
    let service = first.service;

    for (let round = 1; round <= 3; round++) {
      const stateMachineArn = await createTwoWaits(service, `machine-${round}`);
      service = await restart(service);

      const subject = `start-${round}`;
      const { executionArn = '' } = await service.client.send(
        new StartExecutionCommand({ stateMachineArn, name: subject, input: JSON.stringify({ subject }) }),
      );
      service = await restart(service);

      expect(await service.client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        status: 'RUNNING',
        stateMachineArn,
        input: JSON.stringify({ subject }),
      });
      const events = await waitFor(async () => {
        const current = await history(service, executionArn);
        return scheduledTokens(current, 'A').length > 0 ? current : undefined;
      });
      expect(events.filter((event) => event.type === 'ExecutionStarted')).toHaveLength(1);
      const tokenA = scheduledTokens(events, 'A')[0] ?? '';
      // Sent out by the restarted process, or by the killed one if it got that far before the kill.
      await waitFor(() => (invocations.some((i) => i.payload.taskToken === tokenA) ? true : undefined));

      // The restarted process runs the execution: it takes the token and goes on to the next task.
      await service.client.send(new SendTaskSuccessCommand({ taskToken: tokenA, output: '{}' }));
      await tokenOf(subject, 'B');
    }
  });

  it('UpdateStateMachine, PublishStateMachineVersion and DeleteStateMachine survive as well', async () => {
    const { restart, ...first } = await setUp();
    let service = first.service;
    const stateMachineArn = await createTwoWaits(service);

    const updated = JSON.stringify({ StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } });
    const { stateMachineVersionArn: version1 } = await service.client.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition: updated, publish: true }),
    );
    service = await restart(service);
    expect((await service.client.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition).toBe(
      updated,
    );

    await service.client.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition: twoWaits, publish: false }),
    );
    const { stateMachineVersionArn: version2 } = await service.client.send(
      new PublishStateMachineVersionCommand({ stateMachineArn, description: 'back to two waits' }),
    );
    service = await restart(service);
    const versions = await service.client.send(new ListStateMachineVersionsCommand({ stateMachineArn }));
    expect(versions.stateMachineVersions?.map((v) => v.stateMachineVersionArn)).toEqual([version2, version1]);
    expect(
      (await service.client.send(new DescribeStateMachineCommand({ stateMachineArn: version2 }))).definition,
    ).toBe(twoWaits);

    await service.client.send(new DeleteStateMachineCommand({ stateMachineArn }));
    service = await restart(service);
    await expect(
      service.client.send(new DescribeStateMachineCommand({ stateMachineArn })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});
