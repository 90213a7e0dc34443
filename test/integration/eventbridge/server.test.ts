/**
 * The local EventBridge behind HTTP, driven by the real `@aws-sdk/client-eventbridge` client.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BusRule, type LocalEvent, LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';
import { readServerSentEvents } from '../../../infra/local/eventbridge/sse-client.ts';
import { EVENT_BUS_NAME } from '../../../infra/rules.ts';

const rules: BusRule[] = [
  {
    name: 'release-created',
    target: 'record',
    eventPattern: { source: ['test'], 'detail-type': ['Created'] },
  },
  { name: 'always-failing', target: 'broken', eventPattern: { 'detail-type': ['Doomed'] } },
];

let bus: LocalEventBus;
let server: LocalEventBridge;
let client: EventBridgeClient;
let delivered: LocalEvent[];

beforeEach(async () => {
  delivered = [];
  bus = new LocalEventBus({
    rules,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    resolveTarget: (target) => async (event) => {
      if (target === 'broken') throw new Error('down for maintenance');
      delivered.push(event);
    },
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
});

function entry(detailType: string, detail: unknown = { releaseId: 'rel-1' }) {
  return {
    Source: 'test',
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    EventBusName: EVENT_BUS_NAME,
  };
}

describe('local EventBridge over the AWS JSON 1.1 protocol', () => {
  it('listens on 127.0.0.1', () => {
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('delivers a PutEvents entry from the SDK to the rule target exactly once, in the AWS event shape', async () => {
    const time = new Date('2030-05-06T07:08:09Z');
    const out = await client.send(
      new PutEventsCommand({ Entries: [{ ...entry('Created'), Resources: ['arn:aws:x'], Time: time }] }),
    );
    await bus.idle();
    expect(out.FailedEntryCount).toBe(0);
    const eventId = out.Entries?.[0]?.EventId;
    expect(eventId).toEqual(expect.any(String));
    expect(delivered).toEqual([
      {
        version: '0',
        id: eventId,
        'detail-type': 'Created',
        source: 'test',
        account: '000000000000',
        time: '2030-05-06T07:08:09Z',
        region: 'local',
        resources: ['arn:aws:x'],
        detail: { releaseId: 'rel-1' },
      },
    ]);
  });

  it('answers per-entry errors for malformed entries through the SDK', async () => {
    const out = await client.send(
      new PutEventsCommand({ Entries: [entry('Created'), { ...entry('Created'), Detail: 'not json' }] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(out.Entries?.[1]).toMatchObject({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
  });

  it('fails the whole request as a ValidationException for more than ten entries', async () => {
    const entries = Array.from({ length: 11 }, () => entry('Created'));
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('between 1 and 10'),
      $metadata: { httpStatusCode: 400 },
    });
  });

  // ListRules, the example here before, is implemented now (rules.test.ts); archives are not.
  it.each(['AWSEvents.CreateArchive', 'AWSEvents.toString'])(
    'rejects operations it does not implement with UnknownOperationException (%s)',
    async (operation) => {
      const response = await fetch(server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': operation },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        __type: 'UnknownOperationException',
        message: expect.stringContaining(operation),
      });
    },
  );

  it('lists recent events and dead letters over plain HTTP', async () => {
    await client.send(
      new PutEventsCommand({ Entries: [entry('Created'), entry('Doomed'), entry('Unrouted')] }),
    );
    await bus.idle();

    const events = (await (await fetch(`${server.endpoint}/_local/events?limit=2`)).json()) as {
      events: LocalEvent[];
    };
    expect(events.events.map((e) => e['detail-type'])).toEqual(['Doomed', 'Unrouted']);

    const dead = (await (await fetch(`${server.endpoint}/_local/dead-letters`)).json()) as {
      deadLetters: { rule: string; attempts: number; error: string }[];
    };
    expect(dead.deadLetters).toEqual([
      expect.objectContaining({ rule: 'always-failing', attempts: 3, error: 'down for maintenance' }),
    ]);
  });

  it('streams each accepted event as Server-Sent Events', async () => {
    const response = await fetch(`${server.endpoint}/_local/events/stream`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    if (!response.body) throw new Error('no body');
    const messages = readServerSentEvents(response.body);

    const out = await client.send(new PutEventsCommand({ Entries: [entry('Unrouted', { n: 1 })] }));
    const first = await messages.next();
    expect(first.done).toBe(false);
    expect(JSON.parse(first.value as string)).toMatchObject({
      id: out.Entries?.[0]?.EventId,
      'detail-type': 'Unrouted',
      detail: { n: 1 },
    });
    await messages.return(undefined);
  });
});
