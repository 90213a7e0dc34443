/**
 * A transition whose API signal cannot land is completed by the `Release Stage Entered` consumer,
 * retried by Lambda's asynchronous invocation as in AWS — not by the rule. The execution is held
 * "not ready" by delaying record-stage (its first stage's task token is not stored yet), so the
 * API's short wait gives up and the consumer throws `ExecutionNotReadyError` until it catches up.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatePk, WAIT_SK } from '../../functions/store/keys.ts';
import type { LocalCloudOptions } from '../../infra/local/cloud.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

/** A test cloud whose record-stage waits for `openGate()`, and which records the consumer's attempts. */
async function cloudWithHeldExecutions(asyncInvoke: LocalCloudOptions['asyncInvoke']) {
  let openGate = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  /** One entry per signal-execution attempt: `ok`, or the name of the error it threw. */
  const signalAttempts: string[] = [];
  const wrapFunction: LocalCloudOptions['wrapFunction'] = <T>(
    name: string,
    fn: (payload: T) => Promise<unknown>,
  ) => {
    if (name === 'record-stage') {
      return async (payload: T) => {
        await gate;
        return fn(payload);
      };
    }
    if (name === 'signal-execution') {
      return async (payload: T) => {
        try {
          const result = await fn(payload);
          signalAttempts.push('ok');
          return result;
        } catch (error) {
          signalAttempts.push((error as Error).name);
          throw error;
        }
      };
    }
    return fn;
  };
  const t = await startTestCloud({ schedules: false, asyncInvoke, wrapFunction });
  return { t, openGate, signalAttempts };
}

const at = (id: string) => ({ params: { path: { id } } });

async function createRelease(t: TestCloud): Promise<string> {
  return (await ok(t.api().POST('/releases', { body: releaseBody() }), 201)).id;
}

/** Moves the release out of its first stage while its execution cannot take the signal yet. */
async function moveWhileHeld(t: TestCloud, id: string) {
  // Asked to wait 3 s: within the consumer's first two attempts (about 0 and 1 s), before its last.
  const moved = await t.api().POST('/releases/{id}/transitions', {
    params: { path: { id }, header: { Prefer: 'wait=3' } },
    body: { to: 'Development', expectedVersion: 1 },
  });
  expect(moved.response.status).toBe(200);
  expect(moved.response.headers.get('preference-applied')).toBe('wait=3');
  // The API waited its seconds, saw the execution not ready and left the rest to the consumer.
  expect(moved.data).toMatchObject({ stage: 'Development', execution: { inStep: false } });
}

describe('a transition the API could not signal', () => {
  let held: Awaited<ReturnType<typeof cloudWithHeldExecutions>>;

  beforeAll(async () => {
    // Each attempt waits up to 5 s for the execution (NOT_READY_WAIT_MS), then fails; Lambda
    // retries it 1 s later, then 4 s later. The gate opens after the first attempt has failed, so
    // the second lands. Lambda's count: 2 retries.
    held = await cloudWithHeldExecutions({ retryDelaysMs: [1_000, 4_000] });
  });
  afterAll(async () => held?.t.stop());

  it('lands through the consumer retried by Lambda: release and execution in the same stage, nothing failed', async () => {
    const { t, openGate, signalAttempts } = held;
    const id = await createRelease(t);
    await moveWhileHeld(t, id);
    await eventually(() => expect(signalAttempts[0]).toBe('ExecutionNotReadyError'));

    // The execution catches up: record-stage stores the first stage's token.
    openGate();
    await t.cloud.settle();

    await eventually(async () => expect((await t.execution(id)).state).toBe('Development'));
    const release = await ok(t.api().GET('/releases/{id}', at(id)));
    expect(release).toMatchObject({ stage: 'Development', version: 2 });
    // Refused while not ready, then accepted once, within Lambda's 1 + 2 attempts.
    expect(signalAttempts.at(-1)).toBe('ok');
    expect(signalAttempts.slice(0, -1).every((a) => a === 'ExecutionNotReadyError')).toBe(true);
    expect(signalAttempts.length).toBeGreaterThanOrEqual(2);
    expect(signalAttempts.length).toBeLessThanOrEqual(3);
    const { events } = await t.execution(id);
    expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
    expect(t.cloud.bus.deadLetters()).toEqual([]);
  });
});

describe('a consumer that fails for good', () => {
  let held: Awaited<ReturnType<typeof cloudWithHeldExecutions>>;

  beforeAll(async () => {
    held = await cloudWithHeldExecutions({ maximumRetryAttempts: 0 });
  });
  afterAll(async () => held?.t.stop());

  it('is a failed invocation with its error, not a dead letter; the reconciler lands the transition', async () => {
    const { t, openGate, signalAttempts } = held;
    const id = await createRelease(t);
    await moveWhileHeld(t, id);
    await t.cloud.settle();

    expect(signalAttempts).toEqual(['ExecutionNotReadyError']);
    expect(t.cloud.bus.deadLetters()).toEqual([]);
    const failed = t.cloud.bus.failedInvocations();
    expect(failed).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          functionArn: 'arn:aws:lambda:local:000000000000:function:signal-execution:$LATEST',
          condition: 'RetriesExhausted',
          approximateInvokeCount: 1,
        }),
        requestPayload: expect.objectContaining({
          'detail-type': 'Release Stage Entered',
          detail: expect.objectContaining({ data: expect.objectContaining({ releaseId: id }) }),
        }),
        responsePayload: {
          errorType: 'ExecutionNotReadyError',
          errorMessage: expect.stringContaining(id),
        },
      }),
    ]);
    // The same records over HTTP, next to the dead letters.
    const listed = (await (await fetch(`${t.cloud.eventsEndpoint}/_local/failed-invocations`)).json()) as {
      failedInvocations: unknown[];
    };
    expect(listed.failedInvocations).toEqual(failed);

    // Nothing signals the execution any more: once it waits in its first stage, the reconciler
    // (every 5 minutes in AWS) sends the committed transition.
    openGate();
    await eventually(async () => {
      const wait = await t.cloud.ports.clients.db.send(
        new GetCommand({
          TableName: t.cloud.tableName,
          Key: { pk: aggregatePk('release', id), sk: WAIT_SK },
        }),
      );
      expect(wait.Item).toBeDefined();
    });
    expect((await t.execution(id)).state).toBe('Assessment');
    await t.cloud.reconcile();
    await eventually(async () => expect((await t.execution(id)).state).toBe('Development'));
    expect(await ok(t.api().GET('/releases/{id}', at(id)))).toMatchObject({ stage: 'Development' });
  });
});

describe('moves in quick succession, nobody waiting (Prefer: wait not sent)', () => {
  let t: TestCloud;
  beforeAll(async () => {
    // Lambda's retries as in AWS (a minute and two later): only the first attempt counts here.
    t = await startTestCloud({ schedules: false, asyncInvoke: { retryDelaysMs: [60_000, 120_000] } });
  });
  afterAll(async () => t?.stop());

  it('each reach the execution in order through the first attempt of their consumer', async () => {
    const id = await createRelease(t);
    let version = 1;
    // Straight after the create: the execution may not even have started yet.
    for (const to of ['Development', 'Testing', 'Deployment', 'Audit']) {
      const moved = await ok(
        t.api().POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: version } }),
        200,
      );
      expect(moved).toMatchObject({ stage: to, execution: { inStep: false } });
      version = moved.version;
    }
    await eventually(async () => expect((await t.execution(id)).state).toBe('Audit'), 15_000);
    const { events } = await t.execution(id);
    expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(4);
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
    expect(t.cloud.bus.deadLetters()).toEqual([]);
  }, 40_000);
});
