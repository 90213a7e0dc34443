/**
 * The local Lambda asynchronous invocation: retries of a function's own errors up to its
 * configuration, the event age limit, and the on-failure destination's records.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AsyncInvokeConfig,
  AWS_ASYNC_INVOKE_DEFAULTS,
  CONSUMER_ASYNC_INVOKE,
  type FailedInvocation,
  FunctionNotFoundError,
  LOCAL_ASYNC_INVOKE_DEFAULTS,
  LocalAsyncLambda,
} from '../../../infra/local/eventbridge/async-invoke.ts';
import { consumerAsyncInvoke, rules, schedules } from '../../../infra/rules.ts';

const short: Partial<AsyncInvokeConfig> = { retryDelaysMs: [5, 10], onFailure: 'destination' };

/** A function that fails its first `failures` attempts, recording when each attempt started. */
function flaky(failures: number, error = () => new Error('consumer failed')) {
  const attempts: { at: number; event: unknown }[] = [];
  const handler = async (event: unknown) => {
    attempts.push({ at: Date.now(), event });
    if (attempts.length <= failures) throw error();
  };
  return { attempts, handler };
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup) fn();
  cleanup = [];
});

describe('LocalAsyncLambda', () => {
  it('accepts the event before the function runs, then runs it once', async () => {
    const fn = flaky(0);
    const lambda = new LocalAsyncLambda({ functions: { consumer: fn.handler }, override: short });
    const { requestId } = lambda.invoke('consumer', { n: 1 });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fn.attempts).toHaveLength(0);
    await lambda.idle();
    expect(fn.attempts.map((a) => a.event)).toEqual([{ n: 1 }]);
    expect(lambda.failedInvocations()).toEqual([]);
  });

  it.each([0, 1, 2])(
    'retries a throwing function %i time(s), then sends the event with its error to the on-failure destination',
    async (retries) => {
      const fn = flaky(Number.POSITIVE_INFINITY, () =>
        Object.assign(new Error('The execution has not reached the stage yet'), {
          name: 'ExecutionNotReadyError',
        }),
      );
      const seen: FailedInvocation[] = [];
      const lambda = new LocalAsyncLambda({
        functions: { consumer: fn.handler },
        override: { ...short, maximumRetryAttempts: retries },
        functionArn: (name) => `arn:aws:lambda:local:000000000000:function:${name}`,
        onFailedInvocation: (record) => seen.push(record),
      });
      const { requestId } = lambda.invoke('consumer', { id: 'evt-1' });
      await lambda.idle();

      expect(fn.attempts).toHaveLength(retries + 1);
      const records = lambda.failedInvocations();
      expect(records).toEqual([
        {
          version: '1.0',
          timestamp: expect.any(String),
          requestContext: {
            requestId,
            functionArn: 'arn:aws:lambda:local:000000000000:function:consumer:$LATEST',
            condition: 'RetriesExhausted',
            approximateInvokeCount: retries + 1,
          },
          requestPayload: { id: 'evt-1' },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: {
            errorType: 'ExecutionNotReadyError',
            errorMessage: 'The execution has not reached the stage yet',
          },
        },
      ]);
      expect(seen).toEqual(records);
    },
  );

  it('waits the configured delays between attempts', async () => {
    const fn = flaky(Number.POSITIVE_INFINITY);
    const lambda = new LocalAsyncLambda({
      functions: { consumer: fn.handler },
      override: { ...short, retryDelaysMs: [40, 80] },
    });
    lambda.invoke('consumer', {});
    await lambda.idle();
    const [first, second, third] = fn.attempts.map((a) => a.at);
    // Timers may fire a millisecond early by the wall clock.
    expect((second as number) - (first as number)).toBeGreaterThanOrEqual(39);
    expect((third as number) - (second as number)).toBeGreaterThanOrEqual(79);
  });

  it('lands a function that succeeds on its second attempt exactly once, with nothing failed', async () => {
    const fn = flaky(1);
    const lambda = new LocalAsyncLambda({ functions: { consumer: fn.handler }, override: short });
    lambda.invoke('consumer', { id: 'evt-2' });
    await lambda.idle();
    expect(fn.attempts).toHaveLength(2);
    expect(lambda.failedInvocations()).toEqual([]);
  });

  it('gives every attempt the event as it was queued', async () => {
    const seen: unknown[] = [];
    const lambda = new LocalAsyncLambda({
      functions: {
        consumer: async (event) => {
          seen.push(structuredClone(event));
          (event as { touched?: boolean }).touched = true;
          throw new Error('again');
        },
      },
      override: short,
    });
    const event = { id: 'evt-3' };
    lambda.invoke('consumer', event);
    event.id = 'changed by the caller';
    await lambda.idle();
    expect(seen).toEqual([{ id: 'evt-3' }, { id: 'evt-3' }, { id: 'evt-3' }]);
  });

  it('stops retrying when the event would be older than its maximum age (EventAgeExceeded)', async () => {
    const fn = flaky(Number.POSITIVE_INFINITY);
    const lambda = new LocalAsyncLambda({
      functions: { consumer: fn.handler },
      override: { ...short, maximumEventAgeMs: 60, retryDelaysMs: [20, 500] },
    });
    const started = Date.now();
    lambda.invoke('consumer', {});
    await lambda.idle();
    // Attempt 1 at once, attempt 2 after 20 ms; the retry due 500 ms later is past the 60 ms age.
    expect(fn.attempts).toHaveLength(2);
    const [record] = lambda.failedInvocations();
    expect(record?.requestContext).toMatchObject({
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 2,
    });
    expect(record?.responsePayload.errorMessage).toBe('consumer failed');
    // Given up when the event expired, not when the retry would have been due.
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('discards the event of a function without an on-failure destination, as Lambda does', async () => {
    const discarded: FailedInvocation[] = [];
    const lambda = new LocalAsyncLambda({
      functions: { consumer: flaky(Number.POSITIVE_INFINITY).handler },
      override: { retryDelaysMs: [1, 1] },
      onDiscarded: (record) => discarded.push(record),
    });
    lambda.invoke('consumer', {});
    await lambda.idle();
    expect(lambda.failedInvocations()).toEqual([]);
    expect(discarded).toHaveLength(1);
  });

  it('refuses an unknown function as a delivery failure that retrying cannot fix', () => {
    const lambda = new LocalAsyncLambda({ functions: {} });
    expect(() => lambda.invoke('missing', {})).toThrow(FunctionNotFoundError);
    expect(() => lambda.invoke('missing', {})).toThrow(
      expect.objectContaining({ name: 'ResourceNotFoundException', retryable: false }),
    );
  });

  it('refuses configurations Lambda would refuse', () => {
    const make = (config: Partial<AsyncInvokeConfig>) =>
      new LocalAsyncLambda({ functions: { f: async () => {} }, override: config });
    expect(() => make({ maximumRetryAttempts: 3 })).toThrow(RangeError);
    expect(() => make({ maximumRetryAttempts: -1 })).toThrow(RangeError);
    expect(() => make({ maximumRetryAttempts: 1.5 })).toThrow(RangeError);
    expect(() => make({ maximumEventAgeMs: 0 })).toThrow(RangeError);
    expect(() => make({ retryDelaysMs: [1, -1] })).toThrow(RangeError);
  });

  it('persists failed invocations privately under dataDir and reloads them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-lambda-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const options = {
      functions: { consumer: flaky(Number.POSITIVE_INFINITY).handler },
      override: { ...short, maximumRetryAttempts: 0 },
      dataDir,
    };
    const lambda = new LocalAsyncLambda(options);
    lambda.invoke('consumer', { id: 'evt-4' });
    await lambda.idle();
    const file = join(dataDir, 'lambda', 'failed-invocations.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'lambda')).mode & 0o777).toBe(0o700);

    const restarted = new LocalAsyncLambda(options);
    expect(restarted.failedInvocations()).toEqual(lambda.failedInvocations());
  });

  it('applies defaults, then per-function settings, then the override', () => {
    const lambda = new LocalAsyncLambda({
      functions: { a: async () => {}, b: async () => {} },
      config: { a: { maximumRetryAttempts: 1 } },
    });
    expect(lambda.configOf('a')).toEqual({ ...LOCAL_ASYNC_INVOKE_DEFAULTS, maximumRetryAttempts: 1 });
    expect(lambda.configOf('b')).toEqual(LOCAL_ASYNC_INVOKE_DEFAULTS);
    const overridden = new LocalAsyncLambda({
      functions: { a: async () => {} },
      config: { a: { maximumRetryAttempts: 1 } },
      override: { maximumRetryAttempts: 0, retryDelaysMs: [3, 4] },
    });
    expect(overridden.configOf('a')).toMatchObject({ maximumRetryAttempts: 0, retryDelaysMs: [3, 4] });
  });

  it('defaults to Lambda’s numbers, with the waits shortened locally', () => {
    expect(AWS_ASYNC_INVOKE_DEFAULTS).toEqual({
      maximumRetryAttempts: 2,
      maximumEventAgeMs: 21_600_000,
      retryDelaysMs: [60_000, 120_000],
      onFailure: 'discard',
    });
    expect(LOCAL_ASYNC_INVOKE_DEFAULTS).toMatchObject({
      maximumRetryAttempts: 2,
      maximumEventAgeMs: 21_600_000,
    });
  });

  it('configures every rule and schedule target with the stack’s numbers and an on-failure destination', () => {
    const targets = [...rules, ...schedules].map((r) => r.target).sort();
    expect(Object.keys(CONSUMER_ASYNC_INVOKE).sort()).toEqual([...new Set(targets)]);
    for (const [name, settings] of Object.entries(consumerAsyncInvoke)) {
      expect(CONSUMER_ASYNC_INVOKE[name as keyof typeof consumerAsyncInvoke]).toEqual({
        maximumRetryAttempts: settings.maximumRetryAttempts,
        maximumEventAgeMs: settings.maximumEventAgeSeconds * 1000,
        onFailure: 'destination',
      });
    }
    // Lambda's default retry count for every consumer, as the stack deploys them.
    for (const config of Object.values(CONSUMER_ASYNC_INVOKE)) expect(config.maximumRetryAttempts).toBe(2);
  });
});
