import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BusRule,
  type LocalEvent,
  LocalEventBus,
  type TargetInvoker,
} from '../../../infra/local/eventbridge/bus.ts';
import { InvalidEventPatternError } from '../../../infra/local/eventbridge/pattern.ts';
import { PutEventsValidationError } from '../../../infra/local/eventbridge/put-events.ts';
import { EVENT_BUS_NAME, rules as stackRules } from '../../../infra/rules.ts';

const tinyRetry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

function rule(name: string, target: string, eventPattern: BusRule['eventPattern']): BusRule {
  return { name, target, eventPattern };
}

function entry(detailType: string, detail: unknown = { id: 'r-1' }) {
  return {
    Source: 'test',
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    EventBusName: EVENT_BUS_NAME,
  };
}

/** A bus whose targets are recorded per name; `behaviour` decides whether an attempt fails. */
function makeBus(rules: BusRule[], behaviour: Record<string, (attempt: number) => void> = {}, extra = {}) {
  const received = new Map<string, LocalEvent[]>();
  const attempts = new Map<string, number>();
  const resolveTarget =
    (target: string): TargetInvoker =>
    async (event) => {
      const attempt = (attempts.get(target) ?? 0) + 1;
      attempts.set(target, attempt);
      behaviour[target]?.(attempt);
      received.set(target, [...(received.get(target) ?? []), event]);
    };
  const bus = new LocalEventBus({ rules, resolveTarget, retry: tinyRetry, ...extra });
  return { bus, received, attempts };
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup) fn();
  cleanup = [];
});

describe('LocalEventBus', () => {
  it('builds the AWS event shape and delivers it to the matching rule once, after PutEvents returns', async () => {
    const { bus, received } = makeBus([
      rule('created', 'record', { source: ['test'], 'detail-type': ['Created'] }),
      rule('other', 'other', { 'detail-type': ['Other'] }),
    ]);
    const time = new Date('2030-01-02T03:04:05.678Z');
    const result = await bus.putEvents([{ ...entry('Created'), Resources: ['arn:x'], Time: time }]);
    expect(received.size).toBe(0);
    await bus.idle();

    expect(result.FailedEntryCount).toBe(0);
    const id = result.Entries[0]?.EventId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(received.get('record')).toEqual([
      {
        version: '0',
        id,
        'detail-type': 'Created',
        source: 'test',
        account: '000000000000',
        time: '2030-01-02T03:04:05Z',
        region: 'local',
        resources: ['arn:x'],
        detail: { id: 'r-1' },
      },
    ]);
    expect(received.has('other')).toBe(false);
  });

  it('delivers to every matching rule, each with its own copy', async () => {
    const { bus, received } = makeBus([
      rule('a', 'first', { source: ['test'] }),
      rule('b', 'second', { detail: { id: [{ prefix: 'r-' }] } }),
    ]);
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(received.get('first')).toHaveLength(1);
    expect(received.get('second')).toHaveLength(1);
    expect(received.get('first')?.[0]).not.toBe(received.get('second')?.[0]);
  });

  it('retries a target that fails twice, then succeeds, without a dead letter', async () => {
    const { bus, received, attempts } = makeBus([rule('flaky', 'flaky', { source: ['test'] })], {
      flaky: (attempt) => {
        if (attempt <= 2) throw new Error(`attempt ${attempt} failed`);
      },
    });
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts.get('flaky')).toBe(3);
    expect(received.get('flaky')).toHaveLength(1);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('dead-letters a delivery that fails every attempt', async () => {
    const seen: unknown[] = [];
    const { bus, attempts } = makeBus(
      [rule('broken-rule', 'broken', { source: ['test'] })],
      {
        broken: () => {
          throw new Error('target is down');
        },
      },
      { onDeadLetter: (letter: unknown) => seen.push(letter) },
    );
    const result = await bus.putEvents([entry('Created')]);
    await bus.idle();
    expect(attempts.get('broken')).toBe(tinyRetry.maxAttempts);
    const letters = bus.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      rule: 'broken-rule',
      target: 'broken',
      error: 'target is down',
      attempts: tinyRetry.maxAttempts,
      event: { id: result.Entries[0]?.EventId, 'detail-type': 'Created' },
    });
    expect(seen).toEqual(letters);
  });

  it('persists dead letters under dataDir and reloads them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-eventbridge-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const failing = {
      broken: () => {
        throw new Error('nope');
      },
    };
    const { bus } = makeBus([rule('r', 'broken', { source: ['test'] })], failing, { dataDir });
    await bus.putEvents([entry('Created')]);
    await bus.idle();
    const file = join(dataDir, 'eventbridge', 'dead-letters.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);

    const { bus: restarted } = makeBus([rule('r', 'broken', { source: ['test'] })], failing, { dataDir });
    expect(restarted.deadLetters()).toEqual(bus.deadLetters());
  });

  it('accepts an event matching no rule and shows it to subscribers', async () => {
    const { bus, received } = makeBus([rule('created', 'record', { 'detail-type': ['Created'] })]);
    const watched: [LocalEvent, unknown][] = [];
    const unsubscribe = bus.subscribe((event, info) => watched.push([event, info]));
    const result = await bus.putEvents([entry('Nobody Listens')]);
    await bus.idle();
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(received.size).toBe(0);
    expect(watched).toEqual([
      [
        expect.objectContaining({ id: result.Entries[0]?.EventId, 'detail-type': 'Nobody Listens' }),
        { eventBusName: EVENT_BUS_NAME, matchedRules: [] },
      ],
    ]);
    unsubscribe();
    await bus.putEvents([entry('Again')]);
    expect(watched).toHaveLength(1);
    expect(bus.recentEvents().map((e) => e['detail-type'])).toEqual(['Nobody Listens', 'Again']);
  });

  it('reports malformed entries one by one and accepts the good ones', async () => {
    const { bus, received } = makeBus([rule('all', 'record', { source: ['test'] })]);
    const result = await bus.putEvents([
      { DetailType: 'No Source', Detail: '{}', EventBusName: EVENT_BUS_NAME },
      { Source: 'test', Detail: '{}', EventBusName: EVENT_BUS_NAME },
      { Source: 'test', DetailType: 'No Detail', EventBusName: EVENT_BUS_NAME },
      { ...entry('Bad JSON'), Detail: '{not json' },
      { ...entry('Array'), Detail: '[1,2]' },
      { ...entry('Elsewhere'), EventBusName: 'no-such-bus' },
      entry('Good'),
    ]);
    await bus.idle();
    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus no-such-bus does not exist.' },
      { EventId: expect.any(String) },
    ]);
    expect(received.get('record')?.map((e) => e['detail-type'])).toEqual(['Good']);
  });

  it('rejects a request with no entries or more than ten as a whole', async () => {
    const { bus } = makeBus([]);
    await expect(bus.putEvents([])).rejects.toThrow(PutEventsValidationError);
    await expect(bus.putEvents(Array.from({ length: 11 }, () => entry('X')))).rejects.toThrow(
      PutEventsValidationError,
    );
  });

  it('routes by the bus ARN, and keeps the default bus free of this bus rules (as in AWS)', async () => {
    const { bus, received } = makeBus([rule('all', 'record', { source: ['test'] })]);
    const arn = `arn:aws:events:local:000000000000:event-bus/${EVENT_BUS_NAME}`;
    const result = await bus.putEvents([
      { ...entry('Via ARN'), EventBusName: arn },
      { ...entry('Default bus'), EventBusName: undefined },
    ]);
    await bus.idle();
    expect(result.FailedEntryCount).toBe(0);
    expect(received.get('record')?.map((e) => e['detail-type'])).toEqual(['Via ARN']);
  });

  it('refuses a rule with a malformed pattern when built', () => {
    expect(() => makeBus([rule('bad', 'record', { source: 'test' })])).toThrow(InvalidEventPatternError);
  });

  it('takes the shared rules module as it is', async () => {
    const { bus, received } = makeBus([...stackRules]);
    await bus.putEvents([{ ...entry('Release Created'), Source: 'release-desk' }]);
    await bus.idle();
    expect(received.get('start-execution')).toHaveLength(1);
  });
});
