/**
 * Malformed events are refused whole, with their reason: by the consumers (parsed with their
 * schema before anything is read or started), by the store (an event item that is not a whole
 * event), and by the outbox relay (which never publishes one and lets the stream set it aside).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MalformedEventError,
  parseDelivered,
  parseRunEvent,
  TRUNCATED_DATA,
  truncatedData,
} from '../../../functions/events/delivered.ts';
import { createHandler as createRelay } from '../../../functions/events/outbox-relay.ts';
import { createHandler as createSignal } from '../../../functions/events/signal-execution.ts';
import { createHandler as createStart } from '../../../functions/events/start-execution.ts';
import { MalformedStoredEventError, toEvent } from '../../../functions/store/run-repository.ts';
import type { LocalEvent } from '../../../infra/local/eventbridge/bus.ts';
import { deliver, sampleEvents } from '../../support/event-contract.ts';

const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
afterEach(() => {
  events.reset();
  sfn.reset();
});

const delivered = await deliver(sampleEvents());
const first = (type: string) =>
  structuredClone(delivered.find((e) => e['detail-type'] === type) as LocalEvent);
const created = first('Release Created');
const entered = first('Release Stage Entered');

/** The consumers with a table that must never be read: a malformed event is refused before. */
const untouchable = () => {
  throw new Error('the table was read');
};
const runs = {
  release: { get: untouchable, event: untouchable },
  change: { get: untouchable, event: untouchable },
};
const clients = { sfn: new SFNClient({ region: 'us-east-1' }) };
const start = createStart(() => ({ clients, runs }));
const signal = createSignal(() => ({ clients, runs, waits: { waiting: untouchable } }));

describe('consumers refuse a malformed event, naming the reason, before reading or doing anything', () => {
  const cases: [string, (e: LocalEvent) => unknown, RegExp][] = [
    ['no detail-type', ({ 'detail-type': _t, ...e }) => e, /detail-type missing is not one of/],
    ['another detail-type', (e) => ({ ...e, 'detail-type': 'Team Created' }), /"Team Created" is not one of/],
    ['no subject', (e) => ({ ...e, detail: { ...e.detail, subject: undefined } }), /detail\.subject: /],
    ['no event id', (e) => ({ ...e, detail: { ...e.detail, id: '' } }), /detail\.id: /],
    ['another source', (e) => ({ ...e, source: 'mallory' }), /source: /],
    ['no resources', (e) => ({ ...e, resources: [] }), /resources: /],
    [
      'a data field of the wrong type',
      (e) => ({ ...e, detail: { ...e.detail, data: { ...(e.detail.data as object), releaseId: 42 } } }),
      /detail\.data\.releaseId: /,
    ],
    ['not an object at all', () => 'hello', /detail-type missing/],
  ];

  it.each(cases)('start-execution: %s', async (_name, spoil, reason) => {
    const error = await start(spoil(created)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as Error).name).toBe('MalformedEventError');
    expect((error as Error).message).toMatch(reason);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it.each(cases)('signal-execution: %s', async (_name, spoil, reason) => {
    const error = await signal(spoil(entered)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as Error).message).toMatch(reason);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('signal-execution: a stage-entered event whose signal is missing', async () => {
    const { signal: _s, ...data } = entered.detail.data as Record<string, unknown>;
    await expect(signal({ ...entered, detail: { ...entered.detail, data } })).rejects.toThrow(
      /detail\.data\.signal: /,
    );
  });

  it('a created event of one kind about a subject of another kind', () => {
    // A whole `Change Recorded` but for its subject, so that the subject is the one fault.
    const change = first('Change Recorded');
    const recorded = {
      ...change,
      resources: ['change/ci_1'],
      detail: { ...change.detail, subject: { kind: 'ci', id: 'ci_1' } },
    };
    expect(() => parseRunEvent(recorded, 'created')).toThrow(
      'Malformed event: "Change Recorded": detail.subject.kind: Invalid input: expected "change"',
    );
    expect(() => parseRunEvent(recorded, 'entered')).toThrow(
      'detail-type "Change Recorded" is not one of "Release Stage Entered", "Change State Changed".',
    );
  });
});

describe('parsing a delivered event', () => {
  it('accepts every event the domain emits, and names its kind', () => {
    expect(parseRunEvent(created, 'created')).toMatchObject({
      type: 'Release Created',
      kind: 'release',
      truncated: false,
      detail: { id: created.detail.id, subject: created.detail.subject, data: created.detail.data },
    });
    expect(parseRunEvent(entered, 'entered').kind).toBe('release');
  });

  it('accepts fields it does not know, anywhere (EventBridge adds some; fields may be added)', () => {
    const extended = {
      ...entered,
      'replay-name': 'replay-1',
      detail: { ...entered.detail, extra: 1, data: { ...(entered.detail.data as object), extra: 2 } },
    };
    expect(parseRunEvent(extended, 'entered').detail.data).toMatchObject({ extra: 2 });
  });

  it("accepts the relay's truncation pointer instead of data, and says so; not a partial pointer", () => {
    const truncated = { ...entered, detail: { ...entered.detail, data: truncatedData('release') } };
    expect(parseRunEvent(truncated, 'entered')).toMatchObject({ truncated: true, kind: 'release' });
    expect(TRUNCATED_DATA.parse(truncatedData(undefined)).reason).toBe(
      "The event's data is over EventBridge's 256 KB limit; read the subject through the API.",
    );
    const partial = { ...entered, detail: { ...entered.detail, data: { truncated: true } } };
    expect(() => parseRunEvent(partial, 'entered')).toThrow(/detail\.data\.reason: /);
  });

  it('lists at most five problems, and how many more there are', () => {
    expect(() => parseDelivered({ 'detail-type': 'Release Created' }, [])).toThrow(
      'detail-type "Release Created" is not one of .',
    );
    const bare = { 'detail-type': 'Release Created' };
    const error = (() => {
      try {
        parseRunEvent(bare, 'created');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/^Malformed event: "Release Created": version: .*; and 3 more$/);
  });
});

describe('the store turns only whole event items back into events', () => {
  const item = {
    pk: 'REL#rel_1',
    sk: 'EVT#evt_1',
    entity: 'event',
    id: 'evt_1',
    type: 'Release Created',
    occurredAt: '2026-11-26T10:00:00.000Z',
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { releaseId: 'rel_1' },
  };

  it('keeps the event, in its order, without the item keys', () => {
    const event = toEvent(item);
    expect(event).toEqual({
      id: 'evt_1',
      type: 'Release Created',
      occurredAt: '2026-11-26T10:00:00.000Z',
      actor: 'rm',
      subject: { kind: 'release', id: 'rel_1' },
      data: { releaseId: 'rel_1' },
    });
    expect(Object.keys(event)).toEqual(['id', 'type', 'occurredAt', 'actor', 'subject', 'data']);
  });

  it.each([
    ['no type', { type: undefined }, 'type: '],
    ['a type the bus does not carry', { type: 'Release Deleted' }, 'type: '],
    ['no subject', { subject: undefined }, 'subject: '],
    ['a subject of no known kind', { subject: { kind: 'x', id: 'y' } }, 'subject.kind: '],
    ['data that is not an object', { data: 'x' }, 'data: '],
    ['an empty id', { id: '' }, 'id: '],
  ])('refuses an item with %s, naming it and the item', (_name, change, reason) => {
    expect(() => toEvent({ ...item, ...change })).toThrow(MalformedStoredEventError);
    expect(() => toEvent({ ...item, ...change })).toThrow(
      `Stored event REL#rel_1/EVT#evt_1 is malformed: ${reason}`,
    );
  });
});

describe('the outbox relay never publishes a malformed event item', () => {
  const record = (seq: string, item: Record<string, unknown>) => ({
    eventName: 'INSERT' as const,
    dynamodb: { SequenceNumber: seq, NewImage: marshall(item) as never },
  });
  const eventItem = (id: string, extra: Record<string, unknown> = {}) => ({
    pk: 'REL#rel_1',
    sk: `EVT#${id}`,
    entity: 'event',
    id,
    type: 'Release Created',
    occurredAt: '2026-11-26T10:00:00.000Z',
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { releaseId: 'rel_1' },
    ...extra,
  });

  it('publishes the others and reports the malformed one, so the stream retries it and then sets it aside', async () => {
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'ok' })),
    }));
    const relay = createRelay(() => ({
      clients: { events: new EventBridgeClient({ region: 'us-east-1' }) },
      config: { eventBusName: 'release-desk' },
    }));
    const out = await relay({
      Records: [
        record('1', eventItem('evt_a')),
        record('2', eventItem('evt_bad', { type: 'Release Deleted' })),
        record('3', eventItem('evt_c')),
      ],
    });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    const published = events
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.Detail ?? '{}').id);
    expect(published).toEqual(['evt_a', 'evt_c']);
  });
});
