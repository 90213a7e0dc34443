/**
 * The local EventBridge endpoint shows both ends of a failure: `/_local/dead-letters` for events
 * the bus could not deliver, `/_local/failed-invocations` for events a Lambda-function target
 * received but kept failing on.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalAsyncLambda } from '../../../infra/local/eventbridge/async-invoke.ts';
import { LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';
import { EVENT_BUS_NAME } from '../../../infra/rules.ts';

let bus: LocalEventBus;
let lambda: LocalAsyncLambda;
let server: LocalEventBridge;
let client: EventBridgeClient;

beforeEach(async () => {
  lambda = new LocalAsyncLambda({
    functions: {
      consumer: async () => {
        throw new Error('consumer is broken');
      },
    },
    override: { maximumRetryAttempts: 1, retryDelaysMs: [1, 1], onFailure: 'destination' },
  });
  bus = new LocalEventBus({
    rules: [
      { name: 'to-consumer', target: 'consumer', eventPattern: { 'detail-type': ['Created'] } },
      { name: 'to-nowhere', target: 'missing', eventPattern: { 'detail-type': ['Lost'] } },
    ],
    functions: lambda,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
  });
  server = await startLocalEventBridge({ bus });
  client = new EventBridgeClient({
    endpoint: server.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(async () => {
  client.destroy();
  await server.stop();
  await bus.close();
  await lambda.close();
});

const entry = (detailType: string) => ({
  Source: 'test',
  DetailType: detailType,
  Detail: '{"releaseId":"rel-1"}',
  EventBusName: EVENT_BUS_NAME,
});

describe('failed invocations over plain HTTP', () => {
  it('lists a consumer’s failure under /_local/failed-invocations and a lost delivery under /_local/dead-letters', async () => {
    const out = await client.send(new PutEventsCommand({ Entries: [entry('Created'), entry('Lost')] }));
    await bus.idle();

    const failed = (await (await fetch(`${server.endpoint}/_local/failed-invocations`)).json()) as {
      failedInvocations: unknown[];
    };
    expect(failed.failedInvocations).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 2 }),
        requestPayload: expect.objectContaining({ id: out.Entries?.[0]?.EventId }),
        responsePayload: { errorType: 'Error', errorMessage: 'consumer is broken' },
      }),
    ]);

    const dead = (await (await fetch(`${server.endpoint}/_local/dead-letters`)).json()) as {
      deadLetters: unknown[];
    };
    expect(dead.deadLetters).toEqual([
      expect.objectContaining({ rule: 'to-nowhere', target: 'missing', attempts: 1 }),
    ]);
  });

  it('names the new route in its 404', async () => {
    const response = await fetch(`${server.endpoint}/_local/nothing`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toContain('/_local/failed-invocations');
  });
});
