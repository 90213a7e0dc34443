/**
 * The outbox relay and the execution consumers with the AWS SDK mocked.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  ExecutionAlreadyExists,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { createHandler as createRelay, entrySize } from '../../../functions/events/outbox-relay.ts';
import {
  createHandler as createSignal,
  ExecutionNotReadyError,
} from '../../../functions/events/signal-execution.ts';
import {
  createHandler as createStart,
  MalformedEventError,
} from '../../../functions/events/start-execution.ts';
import { validateRequest } from '../../../infra/local/eventbridge/put-events.ts';

const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  events.reset();
  sfn.reset();
  dynamo.reset();
});

const clients = {
  events: new EventBridgeClient({ region: 'us-east-1' }),
  sfn: new SFNClient({ region: 'us-east-1' }),
  db: DynamoDBDocumentClient.from(
    new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({ region: 'us-east-1' }),
  ),
};
const config = { eventBusName: 'release-desk', tableName: 'release-desk' };

function record(
  seq: string,
  item: Record<string, unknown>,
  eventName: 'INSERT' | 'MODIFY' = 'INSERT',
): DynamoDBRecord {
  return { eventName, dynamodb: { SequenceNumber: seq, NewImage: marshall(item) as never } };
}
const eventItem = (id: string) => ({
  pk: 'REL#rel_1',
  sk: `EVT#${id}`,
  entity: 'event',
  id,
  type: 'Release Created',
  occurredAt: '2026-11-26T10:00:00.000Z',
  actor: 'rm',
  subject: { kind: 'release', id: 'rel_1' },
  data: { releaseId: 'rel_1' },
});

describe('outbox relay', () => {
  it('publishes event items only, with the documented envelope', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const relay = createRelay(() => ({ clients, config }));
    const out = await relay({
      Records: [
        record('1', eventItem('evt_1')),
        record('2', { pk: 'REL#rel_1', sk: '#STATE', entity: 'release' }),
        record('3', eventItem('evt_x'), 'MODIFY'),
      ],
    });
    expect(out.batchItemFailures).toEqual([]);
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'release-desk',
      Source: 'release-desk',
      DetailType: 'Release Created',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toEqual({
      id: 'evt_1',
      occurredAt: '2026-11-26T10:00:00.000Z',
      actor: 'rm',
      subject: { kind: 'release', id: 'rel_1' },
      data: { releaseId: 'rel_1' },
    });
  });

  it('reports the first record it could not publish, so the stream retries from there', async () => {
    // evt_b never gets through (not even on the relay's own retries), evt_a does.
    events.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => {
      const results = input.Entries.map((e) =>
        JSON.parse(e.Detail).id === 'evt_b' ? { ErrorCode: 'InternalFailure' } : { EventId: 'ok' },
      );
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });
    const relay = createRelay(() => ({ clients, config }));
    const out = await relay({
      Records: [record('10', eventItem('evt_a')), record('11', eventItem('evt_b'))],
    });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '11' }]);
  }, 10_000);
  it('splits batches by size as well as by count: no call over 256 KB, every event once, in order', async () => {
    const sent: { Entries: PutEventsRequestEntry[] }[] = [];
    events.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      // What EventBridge itself refuses: more than 10 entries, or 256 KB of entries, in one call.
      validateRequest(input.Entries);
      sent.push(input);
      return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'ok' })) };
    });
    const big = (id: string, kb: number) => ({
      ...eventItem(id),
      data: { releaseId: 'rel_1', notes: 'x'.repeat(kb * 1024) },
    });
    const records = [
      ...Array.from({ length: 9 }, (_, i) => record(String(20 + i), big(`evt_${i}`, 60))),
      record('40', big('evt_huge', 300)),
      ...Array.from({ length: 12 }, (_, i) => record(String(50 + i), eventItem(`evt_small_${i}`))),
    ];
    const out = await createRelay(() => ({ clients, config }))({ Records: records });
    expect(out.batchItemFailures).toEqual([]);
    for (const call of sent) {
      expect(call.Entries.length).toBeLessThanOrEqual(10);
      expect(call.Entries.reduce((n, e) => n + entrySize(e), 0)).toBeLessThan(256 * 1024);
    }
    const ids = sent.flatMap((c) => c.Entries.map((e) => JSON.parse(e.Detail as string).id));
    expect(ids).toEqual(
      records.map((r) => (r.dynamodb?.NewImage as { id: { S: string } } | undefined)?.id.S),
    );
    const huge = sent.flatMap((c) => c.Entries).find((e) => JSON.parse(e.Detail as string).id === 'evt_huge');
    expect(JSON.parse(huge?.Detail as string).data).toMatchObject({ truncated: true });
    // Four 60 KB entries fill a call; the truncated giant and the small ones fill up the rest.
    expect(sent.map((c) => c.Entries.length)).toEqual([4, 4, 10, 4]);
  });
});

/** The table as the consumers read it: one stored release and its committed events. */
const storedRelease = {
  id: 'rel_1',
  status: 'active',
  workflow: { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' },
} as unknown as Release;
const committed: Record<string, DomainEvent> = {
  evt_1: {
    id: 'evt_1',
    type: 'Release Created',
    occurredAt: 't',
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { releaseId: 'rel_1' },
  },
  e: {
    id: 'e',
    type: 'Release Stage Entered',
    occurredAt: 't',
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { releaseId: 'rel_1', status: 'active', signal: { to: 'Development', entry: 1, actor: 'rm' } },
  },
};
const releases = {
  get: async (id: string) => (id === storedRelease.id ? storedRelease : undefined),
  event: async (id: string, eventId: string) => (id === storedRelease.id ? committed[eventId] : undefined),
};
const nothing = { get: async () => undefined, event: async () => undefined };
const runs = { release: releases, change: nothing };
/** The #WAIT item as the (mocked) table holds it. */
const waits = {
  waiting: async () => {
    const out = await clients.db.send(
      new GetCommand({ TableName: 'release-desk', Key: { pk: 'REL#rel_1', sk: '#WAIT' } }),
    );
    return out.Item as { stage: string; entry: number; taskToken: string } | undefined;
  },
};

/** An event as EventBridge delivers it to a target (consumers parse it with its schema). */
const delivered = (
  type: string,
  detail: { id: string; subject: { kind: string; id: string }; data: Record<string, unknown> },
) =>
  ({
    version: '0',
    id: `eb-${detail.id}`,
    'detail-type': type,
    source: 'release-desk',
    account: '000000000000',
    time: '2026-11-26T10:00:00Z',
    region: 'local',
    resources: [`${detail.subject.kind}/${detail.subject.id}`],
    detail: {
      id: detail.id,
      occurredAt: '2026-11-26T10:00:00.000Z',
      actor: 'rm',
      subject: detail.subject,
      data: detail.data,
    },
  }) as never;
/** A state machine ARN an event may claim (the consumers use the stored one). */
const claimedArn = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;
/** A whole `Release Created` data. */
const createdData = (releaseId: string, stateMachineArn: string) => ({
  releaseId,
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  teamId: null,
  stage: 'Assessment',
  plannedStart: '2026-12-01T20:00:00.000Z',
  plannedEnd: '2026-12-01T23:00:00.000Z',
  workflow: { id: 'release-default', version: 1 },
  stateMachineArn,
  executionInput: { subject: { kind: 'release', id: releaseId }, signal: { to: 'Assessment', entry: 0 } },
});
/** A whole `Release Stage Entered` data carrying `signal`. */
const enteredData = (releaseId: string, signal: { to: string; entry: number; actor: string }) => ({
  releaseId,
  from: 'Assessment',
  to: signal.to,
  entry: signal.entry,
  version: signal.entry + 1,
  reason: null,
  status: 'active',
  deployStage: false,
  stateMachineArn: claimedArn('release-default:1'),
  signal,
});

describe('start-execution', () => {
  const event = delivered('Release Created', {
    id: 'evt_1',
    subject: { kind: 'release', id: 'rel_1' },
    data: createdData('rel_1', claimedArn('release-default:1')),
  });

  it('starts the execution named after the release, and treats an existing one as done', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:exec' })
      .rejects(new ExecutionAlreadyExists({ message: 'x', $metadata: {} }));
    const start = createStart(() => ({ clients, runs }));
    await start(event);
    await start(event);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:sm',
      name: 'rel_1',
    });
  });

  it('starts nothing for a release the table does not hold, or an event it did not commit', async () => {
    const start = createStart(() => ({ clients, runs }));
    const forged = (releaseId: string, id: string) =>
      delivered('Release Created', {
        id,
        subject: { kind: 'release', id: releaseId },
        data: createdData(releaseId, claimedArn('evil')),
      });
    await start(forged('rel_ghost', 'evt_1'));
    await start(forged('rel_1', 'evt_forged'));
    // A malformed event is refused, with its reason, so that Lambda sets it aside.
    await expect(start({ detail: { data: {} } } as never)).rejects.toThrow(MalformedEventError);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('starts the stored release on its stored state machine, whatever the event claims', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
    const start = createStart(() => ({ clients, runs }));
    await start(
      delivered('Release Created', {
        id: 'evt_1',
        subject: { kind: 'release', id: 'rel_1' },
        data: createdData('rel_1', claimedArn('evil')),
      }),
    );
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:sm',
      name: 'rel_1',
    });
  });

  it('does not start the execution of a release that failed (its execution ended outside the API)', async () => {
    const over = { ...releases, get: async () => ({ ...storedRelease, status: 'failed' }) as Release };
    await createStart(() => ({ clients, runs: { release: over, change: nothing } }))(event);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('starts the execution of a release cancelled before it ran (the move is then signalled to it)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:rel_1', startDate: new Date() });
    const justNow = new Date(Date.now() - 60_000).toISOString();
    const over = {
      ...releases,
      get: async () => ({ ...storedRelease, status: 'cancelled', updatedAt: justNow }) as Release,
    };
    await createStart(() => ({ clients, runs: { release: over, change: nothing } }))(event);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:sm',
      name: 'rel_1',
    });
  });

  it('does not start the execution of a release that ended more than a day ago (a late replay)', async () => {
    const longAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000).toISOString();
    const over = {
      ...releases,
      get: async () => ({ ...storedRelease, status: 'closed', updatedAt: longAgo }) as Release,
    };
    await createStart(() => ({ clients, runs: { release: over, change: nothing } }))(event);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});

describe('signal-execution', () => {
  const event = (entry: number) =>
    delivered('Release Stage Entered', {
      id: 'e',
      subject: { kind: 'release', id: 'rel_1' },
      data: enteredData('rel_1', { to: 'Development', entry, actor: 'rm' }),
    });
  const signal = createSignal(() => ({ clients, runs, waits }));

  it('answers the waiting token once; a redelivery changes nothing', async () => {
    // The execution has moved on to entry 1 by the time the event comes again.
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok' } })
      .resolves({ Item: { entry: 1, stage: 'Development', taskToken: 'tok-next' } });
    sfn
      .on(SendTaskSuccessCommand)
      .resolvesOnce({})
      .rejects(new TaskTimedOut({ message: 'used', $metadata: {} }));
    await signal(event(1));
    await signal(event(1));
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'tok',
      output: JSON.stringify({ to: 'Development', entry: 1, actor: 'rm' }),
    });
  });

  it('a spent token whose stage task was retried: sends to the new token', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok-dead' } })
      .resolves({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok-retried' } });
    sfn
      .on(SendTaskSuccessCommand, { taskToken: 'tok-dead' })
      .rejects(new TaskTimedOut({ message: 'used', $metadata: {} }))
      .on(SendTaskSuccessCommand, { taskToken: 'tok-retried' })
      .resolves({});
    await signal(event(1));
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'tok-retried' });
  });

  it('a spent token not replaced yet: retry later (throws), never "done"', async () => {
    dynamo.on(GetCommand).resolves({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok-dead' } });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'used', $metadata: {} }));
    await expect(signal(event(1))).rejects.toBeInstanceOf(ExecutionNotReadyError);
  });

  it('does nothing when the execution already moved past the stage', async () => {
    dynamo.on(GetCommand).resolves({ Item: { entry: 1, stage: 'Development', taskToken: 'tok2' } });
    await signal(event(1));
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('sends the committed signal, never the one a forged or altered event carries', async () => {
    dynamo.on(GetCommand).resolves({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok' } });
    const altered = delivered('Release Stage Entered', {
      id: 'e',
      subject: { kind: 'release', id: 'rel_1' },
      data: enteredData('rel_1', { to: 'Cancelled', entry: 1, actor: 'x' }),
    });
    await signal(altered);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'tok',
      output: JSON.stringify({ to: 'Development', entry: 1, actor: 'rm' }),
    });
    sfn.reset();
    const forged = delivered('Release Stage Entered', {
      id: 'evt_made_up',
      subject: { kind: 'release', id: 'rel_1' },
      data: enteredData('rel_1', { to: 'Cancelled', entry: 1, actor: 'x' }),
    });
    await signal(forged);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('signals nothing for a release whose execution is over (failed)', async () => {
    dynamo.on(GetCommand).resolves({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok' } });
    const failed = { ...releases, get: async () => ({ ...storedRelease, status: 'failed' }) as Release };
    await createSignal(() => ({ clients, runs: { release: failed, change: nothing }, waits }))(event(1));
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('finds the release of a truncated event by its subject', async () => {
    dynamo.on(GetCommand).resolves({ Item: { entry: 0, stage: 'Assessment', taskToken: 'tok' } });
    await signal(
      delivered('Release Stage Entered', {
        id: 'e',
        subject: { kind: 'release', id: 'rel_1' },
        data: { truncated: true, reason: 'over 256 KB' },
      }),
    );
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'tok' });
  });

  it('throws (so EventBridge retries) while the execution has not reached the stage yet', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(signal(event(1))).rejects.toBeInstanceOf(ExecutionNotReadyError);
  });
});
