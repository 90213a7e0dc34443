/**
 * Rules whose targets are Lambda functions, as in AWS: the bus's delivery succeeds once Lambda has
 * queued the event; a function's error is Lambda's to retry and record (failed invocations), and
 * only a failure to deliver goes through the rule's retries and dead-letter list.
 */
import { describe, expect, it } from 'vitest';
import { type AsyncInvokeConfig, LocalAsyncLambda } from '../../../infra/local/eventbridge/async-invoke.ts';
import { type BusRule, LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { EVENT_BUS_NAME } from '../../../infra/rules.ts';

const busRetry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
const asyncInvoke: Partial<AsyncInvokeConfig> = { retryDelaysMs: [5, 5], onFailure: 'destination' };

function entry(detailType: string) {
  return { Source: 'test', DetailType: detailType, Detail: '{"id":"r-1"}', EventBusName: EVENT_BUS_NAME };
}

const rule = (name: string, target: string, detailType: string): BusRule => ({
  name,
  target,
  eventPattern: { 'detail-type': [detailType] },
});

/** A bus with one Lambda function `consumer` that fails its first `failures` attempts. */
function setUp(failures: number, config: Partial<AsyncInvokeConfig> = {}) {
  let attempts = 0;
  const lambda = new LocalAsyncLambda({
    functions: {
      consumer: async () => {
        attempts++;
        if (attempts <= failures) throw new Error(`attempt ${attempts} failed`);
      },
    },
    override: { ...asyncInvoke, ...config },
  });
  const plain: string[] = [];
  const bus = new LocalEventBus({
    rules: [
      rule('to-consumer', 'consumer', 'Created'),
      rule('to-nowhere', 'no-such-function', 'Lost'),
      rule('to-plain', 'plain', 'Plain'),
    ],
    functions: lambda,
    resolveTarget: (target) => (target === 'plain' ? async () => void plain.push(target) : undefined),
    retry: busRetry,
  });
  return { bus, lambda, attempts: () => attempts, plain };
}

describe('Lambda-function targets', () => {
  it('leave a throwing function to Lambda: retried up to its attempts, then a failed invocation — not a dead letter', async () => {
    const { bus, attempts } = setUp(Number.POSITIVE_INFINITY);
    const out = await bus.putEvents([entry('Created')]);
    // idle() covers Lambda's retries too: the outcome is known once it resolves.
    await bus.idle();
    expect(attempts()).toBe(3);
    expect(bus.deadLetters()).toEqual([]);
    const [record, ...rest] = bus.failedInvocations();
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { id: out.Entries[0]?.EventId, 'detail-type': 'Created' },
      responsePayload: { errorType: 'Error', errorMessage: 'attempt 3 failed' },
    });
  });

  it('follow the function’s own retry count, not the rule’s', async () => {
    const { bus, attempts } = setUp(Number.POSITIVE_INFINITY, { maximumRetryAttempts: 0 });
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts()).toBe(1);
    expect(bus.failedInvocations()).toHaveLength(1);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('land exactly once when the function succeeds on its second attempt', async () => {
    const { bus, attempts } = setUp(1);
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts()).toBe(2);
    expect(bus.failedInvocations()).toEqual([]);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('respect the event age limit across the function’s retries', async () => {
    const { bus, attempts } = setUp(Number.POSITIVE_INFINITY, {
      maximumEventAgeMs: 30,
      retryDelaysMs: [200, 200],
    });
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts()).toBe(1);
    expect(bus.failedInvocations()[0]?.requestContext.condition).toBe('EventAgeExceeded');
  });

  it('dead-letter a target that resolves to nothing at once, without retries (a delivery failure)', async () => {
    const { bus, attempts } = setUp(0);
    const out = await bus.putEvents([entry('Lost')]);
    await bus.idle();
    expect(attempts()).toBe(0);
    expect(bus.failedInvocations()).toEqual([]);
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        rule: 'to-nowhere',
        target: 'no-such-function',
        attempts: 1,
        error: 'No target named no-such-function',
        event: expect.objectContaining({ id: out.Entries[0]?.EventId }),
      }),
    ]);
  });

  it('dead-letter an event Lambda cannot accept, after the rule’s retries', async () => {
    const { bus, lambda, attempts } = setUp(0);
    // A closed Lambda service refuses every invoke: a retryable failure to deliver.
    await lambda.close();
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts()).toBe(0);
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({ rule: 'to-consumer', attempts: busRetry.maxAttempts }),
    ]);
    expect(bus.failedInvocations()).toEqual([]);
  });

  it('still deliver to plain targets alongside', async () => {
    const { bus, plain } = setUp(0);
    await bus.putEvents([entry('Plain')]);
    await bus.idle();
    expect(plain).toEqual(['plain']);
  });
});
