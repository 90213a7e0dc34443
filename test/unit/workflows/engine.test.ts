import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { compileWorkflow, STAGE_FAILED_ERROR } from '../../../workflows/compile.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition, type WorkflowDefinition } from '../../../workflows/definition.ts';
import { RECORD_STAGE_ARN } from './fixtures.ts';

/** Decides whether record-stage fails on its `attempt`-th call for `stage`, and how. */
type Fault = (stage: string, attempt: number) => Error | undefined;

/** An error as a function throws it: Step Functions reports its `name` as the task's error. */
function thrown(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The error the execution failed with (the Fail state's `Error`). */
async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return (error?.cause as Error | undefined)?.name;
}

interface Recorded {
  readonly stage: string;
  readonly entry: number;
}

/**
 * Runs a compiled workflow on the local engine. Each human stage "records" itself and answers
 * with the next signal from `script` (or never answers when the script is exhausted).
 */
async function run(def: WorkflowDefinition, script: string[], fault?: Fault) {
  const asl = compileWorkflow(def, { recordStageFunctionArn: RECORD_STAGE_ARN });
  const machine = new StateMachine(asl);
  const attempts = new Map<string, number>();
  const recorded: Recorded[] = [];
  const handler = (input: unknown): Promise<never> | Record<string, string | number> => {
    const { Payload } = input as {
      Payload: { subject: unknown; stage: string; entry: number; taskToken?: string; terminal?: boolean };
    };
    expect(Payload.subject).toStrictEqual({ kind: def.kind, id: 'r-1' });
    recorded.push({ stage: Payload.stage, entry: Payload.entry });
    const attempt = (attempts.get(Payload.stage) ?? 0) + 1;
    attempts.set(Payload.stage, attempt);
    const error = fault?.(Payload.stage, attempt);
    if (error) return Promise.reject(error);
    // A timeout into an exit is recorded without a token, and nothing waits for an answer.
    if (Payload.terminal) return {};
    expect(Payload.taskToken).toBe('local-token');
    const to = script.shift();
    if (to === undefined) return new Promise<never>(() => {});
    return { to, entry: Payload.entry + 1, actor: 'alice' };
  };
  const handlers = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name]) => [name, handler]),
  );
  const execution = machine.run(
    { subject: { kind: def.kind, id: 'r-1' }, signal: { to: def.initialStage, entry: 0 } },
    {
      overrides: {
        taskResourceLocalHandlers: handlers,
        // The policy's attempts and order are under test here, not its waits.
        retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
      },
      context: { Task: { Token: 'local-token' } },
    },
  );
  const output = await execution.result;
  return { output, recorded };
}

describe('compiled workflows on the local engine', () => {
  it('walk the default release workflow stage by stage to Closure', async () => {
    const { output, recorded } = await run(defaultWorkflows['release-default'], [
      'Development',
      'Testing',
      'Development',
      'Testing',
      'Deployment',
      'Audit',
      'CMDB Update',
      'Closure',
    ]);
    expect(recorded).toStrictEqual(
      [
        'Assessment',
        'Development',
        'Testing',
        'Development',
        'Testing',
        'Deployment',
        'Audit',
        'CMDB Update',
      ].map((stage, entry) => ({ stage, entry })),
    );
    expect(output).toStrictEqual({
      subject: { kind: 'release', id: 'r-1' },
      signal: { to: 'Closure', entry: 8, actor: 'alice' },
    });
  });

  it('keep waiting in the same stage after a stray signal', async () => {
    const { recorded } = await run(defaultWorkflows['change-standard'], ['Closed', 'Approved', 'Cancelled']);
    expect(recorded).toStrictEqual([
      { stage: 'Recorded', entry: 0 },
      { stage: 'Recorded', entry: 1 },
      { stage: 'Approved', entry: 2 },
    ]);
  });

  it('move a timed-out stage to its onTimeout stage with the next entry', async () => {
    const def = parseWorkflowDefinition({
      name: 'Expiring',
      kind: 'change',
      initialStage: 'Waiting',
      stages: [
        { name: 'Waiting', timeoutSeconds: 1, onTimeout: 'Expired', transitions: [{ to: 'Expired' }] },
        { name: 'Expired', terminal: true },
      ],
    });
    const { output, recorded } = await run(def, []);
    expect(recorded).toStrictEqual([
      { stage: 'Waiting', entry: 0 },
      { stage: 'Expired', entry: 1 },
    ]);
    expect(output).toStrictEqual({
      subject: { kind: 'change', id: 'r-1' },
      signal: {
        to: 'Expired',
        entry: 1,
        actor: 'system:timeout',
        reason: 'Stage "Waiting" timed out after 1 second.',
      },
    });
  });
});

describe('compiled retries on the local engine', () => {
  const pipeline = parseWorkflowDefinition({
    name: 'Pipeline',
    kind: 'release',
    initialStage: 'Build',
    stages: [
      { name: 'Build', transitions: [{ to: 'Verify' }, { to: 'Dropped' }] },
      { name: 'Verify', transitions: [{ to: 'Done' }, { to: 'Dropped' }] },
      { name: 'Done', terminal: true },
      { name: 'Dropped', terminal: true },
    ],
  });

  it('retry a stage whose record-stage was throttled once, and go on', async () => {
    const { output, recorded } = await run(pipeline, ['Verify', 'Done'], (stage, attempt) =>
      stage === 'Verify' && attempt === 1 ? thrown('ProvisionedThroughputExceededException') : undefined,
    );
    expect(recorded).toStrictEqual([
      { stage: 'Build', entry: 0 },
      { stage: 'Verify', entry: 1 },
      { stage: 'Verify', entry: 1 },
    ]);
    expect(output).toMatchObject({ signal: { to: 'Done', entry: 2 } });
  });

  it.each([
    // What record-stage throws (a throttle, a cancelled transaction) rides on States.TaskFailed.
    ['ThrottlingException', 16],
    ['TransactionCanceledException', 16],
    ['Lambda.Unknown', 16],
    ['Lambda.ResourceNotFoundException', 3],
    [STAGE_FAILED_ERROR, 1],
    ['Lambda.RequestTooLargeException', 1],
  ])('fail the execution on %s after %i attempt(s) in all', async (name, count) => {
    let calls = 0;
    const error = await failure(
      run(pipeline, ['Verify'], (stage) => {
        if (stage !== 'Verify') return undefined;
        calls++;
        return thrown(name);
      }),
    );
    expect(error).toBe(STAGE_FAILED_ERROR);
    expect(calls).toBe(count);
  });

  it('route a stage timeout at once, also as the local service reports it (a States.Timeout error)', async () => {
    const def = parseWorkflowDefinition({
      name: 'Expiring',
      kind: 'change',
      initialStage: 'Waiting',
      stages: [
        { name: 'Waiting', timeoutSeconds: 3600, onTimeout: 'Expired', transitions: [{ to: 'Expired' }] },
        { name: 'Expired', terminal: true },
      ],
    });
    // The local service rejects the task with an error named `States.Timeout`, which the engine's
    // `States.TaskFailed` would match: the policy must not retry it.
    const { output, recorded } = await run(def, [], (stage) =>
      stage === 'Waiting' ? thrown('States.Timeout', 'Task timed out') : undefined,
    );
    expect(recorded).toStrictEqual([
      { stage: 'Waiting', entry: 0 },
      { stage: 'Expired', entry: 1 },
    ]);
    expect(output).toMatchObject({ signal: { to: 'Expired', entry: 1, actor: 'system:timeout' } });
  });
});
