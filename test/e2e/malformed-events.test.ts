/**
 * Events on the bus that the consumers cannot act on, on the local cloud. A malformed one (no
 * subject, a field of the wrong type, a subject of another kind) is refused by the consumer with
 * its reason: Lambda retries it and then records it as a failed invocation (the on-failure
 * destination's record), and the table does not change. A well-formed event the table does not
 * hold (forged) or already acted on (replayed) is ignored: no failed invocation, nothing changes.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DomainEvent, eventDetail } from '../../functions/domain/events.ts';
import { toEvent } from '../../functions/store/run-repository.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
let bus: EventBridgeClient;
let releaseId: string;

beforeAll(async () => {
  // Lambda's two retries, a few milliseconds apart instead of minutes.
  t = await startTestCloud({ schedules: false, asyncInvoke: { retryDelaysMs: [20, 40] } });
  bus = new EventBridgeClient({
    endpoint: t.cloud.eventsEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const created = await t.call('POST', '/releases', validRelease());
  expect(created.status).toBe(201);
  releaseId = created.body.id as string;
  await t.cloud.settle();
  await eventually(async () => expect((await t.execution(releaseId)).state).toBe('Assessment'));
});

afterAll(async () => {
  bus?.destroy();
  await t?.stop();
});

/** Every item of the table, sorted by key. */
async function table(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await t.cloud.ports.clients.db.send(
      new ScanCommand({ TableName: t.cloud.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const key = (i: Record<string, unknown>) => `${String(i.pk)}\u0000${String(i.sk)}`;
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

/** The release's committed events, as the table holds them. */
async function committed(): Promise<DomainEvent[]> {
  return (await table()).filter((i) => i.entity === 'event' && i.pk === `REL#${releaseId}`).map(toEvent);
}

async function put(...entries: { type: string; detail: unknown; resources?: string[] }[]) {
  const out = await bus.send(
    new PutEventsCommand({
      Entries: entries.map((e) => ({
        EventBusName: 'release-desk',
        Source: 'release-desk',
        DetailType: e.type,
        Resources: e.resources ?? [`release/${releaseId}`],
        Detail: JSON.stringify(e.detail),
      })),
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  await t.cloud.settle();
}

describe('malformed events', () => {
  it('end as failed invocations of their consumer, with the reason, after Lambda’s retries; the table does not change', async () => {
    const before = await table();
    const [genuine] = await committed();
    const detail = eventDetail(genuine as DomainEvent) as { data: Record<string, unknown> };
    const failedBefore = t.cloud.bus.failedInvocations().length;

    await put(
      // No subject: which release would it be about?
      { type: 'Release Created', detail: { id: 'evt_no_subject', data: detail.data } },
      // The kind of subject a change's event is not about.
      {
        type: 'Change Recorded',
        resources: ['ci/ci_1'],
        detail: { ...detail, id: 'evt_wrong_kind', subject: { kind: 'ci', id: 'ci_1' }, data: {} },
      },
      // A signal whose entry is not a number.
      {
        type: 'Release Stage Entered',
        detail: {
          ...detail,
          id: 'evt_bad_signal',
          data: {
            releaseId,
            from: 'Assessment',
            to: 'Cancelled',
            entry: 1,
            version: 2,
            reason: null,
            status: 'cancelled',
            deployStage: false,
            stateMachineArn: detail.data.stateMachineArn,
            signal: { to: 'Cancelled', entry: 'one', actor: 'mallory' },
          },
        },
      },
    );
    // The bad signal reaches two consumers (signal-execution and record-release-metrics): both refuse it.
    await eventually(() => expect(t.cloud.bus.failedInvocations().length).toBe(failedBefore + 4));

    const failed = t.cloud.bus.failedInvocations().slice(failedBefore);
    const of = (eventId: string, fn: string) =>
      failed.find(
        (f) =>
          (f.requestPayload as { detail: { id: string } }).detail.id === eventId &&
          f.requestContext.functionArn.includes(`:function:${fn}:`),
      );
    const expectFailed = (eventId: string, fn: string, message: RegExp) => {
      const record = of(eventId, fn);
      expect(record, eventId).toBeDefined();
      expect(record?.requestContext).toMatchObject({
        functionArn: `arn:aws:lambda:local:000000000000:function:${fn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      });
      expect(record?.responsePayload.errorType).toBe('MalformedEventError');
      expect(record?.responsePayload.errorMessage).toMatch(message);
    };
    expectFailed(
      'evt_no_subject',
      'start-execution',
      /^Malformed event: "Release Created": .*detail\.subject: /,
    );
    expectFailed(
      'evt_wrong_kind',
      'start-execution',
      /^Malformed event: "Change Recorded": .*detail\.subject\.kind: must be change; /,
    );
    expectFailed(
      'evt_bad_signal',
      'signal-execution',
      /^Malformed event: "Release Stage Entered": detail\.data\.signal\.entry: /,
    );
    expectFailed(
      'evt_bad_signal',
      'record-release-metrics',
      /^Malformed event: "Release Stage Entered": detail\.data\.signal\.entry: /,
    );
    // The same records over HTTP.
    const listed = (await (await fetch(`${t.cloud.eventsEndpoint}/_local/failed-invocations`)).json()) as {
      failedInvocations: unknown[];
    };
    expect(listed.failedInvocations.slice(failedBefore)).toEqual(failed);

    expect(await table()).toEqual(before);
    expect((await t.execution(releaseId)).state).toBe('Assessment');
  });
});

describe('well-formed events the table does not call for', () => {
  it('are ignored: a forged stage entry and a replayed creation move nothing and fail nothing', async () => {
    const before = await table();
    const [genuine] = await committed();
    const detail = eventDetail(genuine as DomainEvent) as { data: Record<string, unknown> };
    const failedBefore = t.cloud.bus.failedInvocations().length;

    await put(
      // Whole and valid, but no transition of the release was committed under this id.
      {
        type: 'Release Stage Entered',
        detail: {
          ...detail,
          id: 'evt_forged_entry',
          actor: 'mallory',
          data: {
            releaseId,
            from: 'Assessment',
            to: 'Cancelled',
            entry: 1,
            version: 2,
            reason: 'forged',
            status: 'cancelled',
            deployStage: false,
            stateMachineArn: detail.data.stateMachineArn,
            signal: { to: 'Cancelled', entry: 1, actor: 'mallory', reason: 'forged' },
          },
        },
      },
      // The genuine Release Created again: its execution exists already.
      { type: 'Release Created', detail },
    );

    expect(t.cloud.bus.failedInvocations()).toHaveLength(failedBefore);
    expect(await table()).toEqual(before);
    expect((await t.execution(releaseId)).state).toBe('Assessment');
    expect((await t.call('GET', `/releases/${releaseId}`)).body).toMatchObject({
      stage: 'Assessment',
      status: 'active',
      version: 1,
    });
  });

  it('change nothing when it is a genuine stage entry delivered again, whole: the execution moved once', async () => {
    const moved = await t.call('POST', `/releases/${releaseId}/transitions`, {
      to: 'Development',
      expectedVersion: 1,
    });
    expect(moved.status).toBe(200);
    await t.cloud.settle();
    await eventually(async () => expect((await t.execution(releaseId)).state).toBe('Development'));
    const before = await table();
    const entered = (await committed()).find((e) => e.type === 'Release Stage Entered') as DomainEvent;
    const failedBefore = t.cloud.bus.failedInvocations().length;

    await put({ type: 'Release Stage Entered', detail: eventDetail(entered) });

    expect(t.cloud.bus.failedInvocations()).toHaveLength(failedBefore);
    expect(await table()).toEqual(before);
    const { state, events } = await t.execution(releaseId);
    expect(state).toBe('Development');
    expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);
  });
});
