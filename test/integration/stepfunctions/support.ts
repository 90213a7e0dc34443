/**
 * Shared test helpers for the local Step Functions service: a server with a recording `invokeFunction`,
 * an SDK client for it, polling, and the small two-stage definition the tests run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { type PublishEvent, startLocalStepFunctions } from '#local/stepfunctions/index';

/** One call the service made to `invokeFunction`. */
export interface Invocation {
  readonly functionName: string;
  readonly payload: Record<string, unknown>;
}

/** A started local service, its SDK client and the invocations it made. */
export interface SfnHarness {
  readonly client: SFNClient;
  readonly endpoint: string;
  readonly invocations: Invocation[];
  stop(): Promise<void>;
}

/** Starts the service; `respond` decides what each invoked function returns (default `{ ok: true }`). */
export async function startHarness(
  options: {
    dataDir?: string;
    respond?: (invocation: Invocation) => unknown;
    timeScale?: number;
    publishEvent?: PublishEvent;
  } = {},
): Promise<SfnHarness> {
  const invocations: Invocation[] = [];
  const sfn = await startLocalStepFunctions({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.publishEvent ? { publishEvent: options.publishEvent } : {}),
    invokeFunction: async (functionName, payload) => {
      const invocation = { functionName, payload: payload as Record<string, unknown> };
      invocations.push(invocation);
      return options.respond ? options.respond(invocation) : { ok: true };
    },
  });
  const client = new SFNClient({
    endpoint: sfn.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint: sfn.endpoint,
    invocations,
    async stop() {
      client.destroy();
      await sfn.stop();
    },
  };
}

/** Polls `probe` until it returns something other than undefined (or the timeout elapses). */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'local-sfn-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The Lambda ARN the definitions' stage tasks call. */
export const RECORD_STAGE_FN = 'arn:aws:lambda:local:000000000000:function:record-stage';

const stageTask = (stage: string, next: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: {
    FunctionName: RECORD_STAGE_FN,
    Payload: { stage, 'taskToken.$': '$$.Task.Token', 'subject.$': '$.subject' },
  },
  ResultPath: '$.signal',
  Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 1, MaxAttempts: 2 }],
  Catch: [{ ErrorEquals: ['Release.Cancelled'], ResultPath: '$.failure', Next: 'Cancelled' }],
  Next: next,
});

/**
 * Two human stages (`.waitForTaskToken`) with a Choice on `$.signal.to` between them, the shape the
 * Release Desk workflows compile to.
 */
export const twoStageDefinition = JSON.stringify({
  Comment: 'two stages',
  StartAt: 'StageA',
  States: {
    StageA: stageTask('A', 'RouteA'),
    RouteA: {
      Type: 'Choice',
      Choices: [{ Variable: '$.signal.to', StringEquals: 'StageB', Next: 'StageB' }],
      Default: 'Cancelled',
    },
    StageB: stageTask('B', 'Done'),
    Done: { Type: 'Succeed' },
    Cancelled: { Type: 'Pass', End: true },
  },
});

/** Events of `GetExecutionHistory` as one flat list (follows nextToken). */
export function eventTypes(events: readonly HistoryEvent[]): string[] {
  return events.map((event) => event.type ?? '?');
}

/** The stage invocations, by stage letter. */
export function stageInvocations(invocations: readonly Invocation[], stage: string): Invocation[] {
  return invocations.filter((invocation) => invocation.payload.stage === stage);
}
