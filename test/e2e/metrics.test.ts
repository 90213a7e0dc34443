/**
 * Release metrics end to end on the local cloud: one release deployed inside its window with an
 * incident attributed, another backed out from its deploy stage; the record-release-metrics
 * consumer, reached through the stack's rule, keeps the counters that `GET /metrics/releases`
 * reads, and they equal the recount from the releases' histories on DynamoDB Local — also after
 * every event was put on the bus twice more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountReleaseMetrics } from '../../functions/domain/metrics/service.ts';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { RELEASE_TEAM } from '../support/teams.ts';

let t: TestCloud;
/** Every invocation of the consumer, by the release it was about. */
const invocations: string[] = [];

beforeAll(async () => {
  t = await startTestCloud(
    {
      schedules: false,
      wrapFunction: (name, fn) =>
        name === 'record-release-metrics'
          ? async (payload) => {
              invocations.push(String((payload as { resources?: string[] }).resources?.[0]));
              return fn(payload);
            }
          : fn,
    },
    { rm: ['release'], cm: ['change'], tech: ['deployment'] },
  );
});
afterAll(async () => t?.stop());

type Entry = { id: string; type: string; occurredAt: string; actor: string; data: Record<string, unknown> };

async function move(id: string, to: string, reason?: string) {
  const current = await t.call('GET', `/releases/${id}`);
  const res = await t.call('POST', `/releases/${id}/transitions`, {
    to,
    expectedVersion: current.body.version,
    ...(reason ? { reason } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const history = async (id: string) =>
  (await t.call('GET', `/releases/${id}/history?limit=100`)).body.items as Entry[];

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
// Yesterday to tomorrow: the releases below are deployed now, in one or two months of the range.
const range = { from: day(-1), to: day(1) };
const query = `/metrics/releases?from=${range.from}&to=${range.to}`;

describe('metrics on the local cloud', () => {
  const ids: { onTime?: string; backedOut?: string } = {};

  it('counts a release deployed in its window with an incident, and one backed out from Deployment', async () => {
    const now = Date.now();
    const window = {
      plannedStart: new Date(now - 3_600_000).toISOString(),
      plannedEnd: new Date(now + 3 * 3_600_000).toISOString(),
    };
    const a = await t.call('POST', '/releases', validRelease({ title: 'On time', ...window }));
    const b = await t.call('POST', '/releases', validRelease({ title: 'Backed out', ...window }));
    expect([a.status, b.status]).toEqual([201, 201]);
    ids.onTime = a.body.id as string;
    ids.backedOut = b.body.id as string;
    for (const id of [ids.onTime, ids.backedOut]) {
      for (const to of ['Development', 'Testing', 'Deployment']) await move(id, to);
    }
    // Deployed: the first moves out of Deployment, onwards and into Backed Out.
    await move(ids.onTime, 'Audit');
    const backout = await t.call('POST', `/releases/${ids.backedOut}/backout`, {
      acknowledgedArticles: [],
      reason: 'Smoke test failed',
    });
    expect(backout.status, JSON.stringify(backout.body)).toBe(200);
    // A change manager attributes the incident (any team's release).
    const incident = await t.call(
      'POST',
      `/releases/${ids.onTime}/incidents`,
      {
        reference: 'INC0012345',
        severity: 'critical',
        occurredAt: new Date().toISOString(),
        summary: 'Payslips show last month’s tax rate',
      },
      'cm',
    );
    expect(incident.status, JSON.stringify(incident.body)).toBe(201);
    expect(incident.body).toMatchObject({
      reference: 'INC0012345',
      teamId: RELEASE_TEAM,
      attributedBy: 'cm',
    });
    expect((await history(ids.onTime)).at(-1)).toMatchObject({
      type: 'Incident Attributed',
      data: { reference: 'INC0012345', severity: 'critical' },
    });

    // Lead times from the histories: creation → the first move out of Deployment.
    const leadTime = async (id: string) => {
      const entries = await history(id);
      const created = entries.find((e) => e.type === 'Release Created') as Entry;
      const out = entries.find(
        (e) => e.type === 'Release Stage Entered' && e.data.from === 'Deployment',
      ) as Entry;
      return (Date.parse(out.occurredAt) - Date.parse(created.occurredAt)) / 1000;
    };
    const leadTimes = [await leadTime(ids.onTime), await leadTime(ids.backedOut)].sort((x, y) => x - y);
    const expected = {
      deployed: 2,
      onTime: 1,
      backedOut: 1,
      withIncidents: 1,
      incidents: 1,
      failed: 2,
      changeFailureRate: 1,
      onTimeRate: 0.5,
      // Nearest rank: the median of two is the shorter, the 90th percentile the longer.
      leadTime: { medianSeconds: leadTimes[0], p90Seconds: leadTimes[1] },
    };
    await eventually(async () => {
      const metrics = await t.call('GET', query, undefined, 'tech');
      expect(metrics.status).toBe(200);
      expect(metrics.body.total).toEqual(expected);
      expect(metrics.body.teams).toEqual([{ teamId: RELEASE_TEAM, ...expected }]);
    }, 20_000);
  });

  it('equals the recount from the releases’ histories', async () => {
    const metrics = await t.call('GET', query);
    expect(await recountReleaseMetrics(range, t.cloud.ports)).toEqual(metrics.body);
    const byWeek = await t.call('GET', `${query}&groupBy=week`);
    expect(byWeek.status).toBe(200);
    expect(byWeek.body.total).toEqual(metrics.body.total);
    expect(await recountReleaseMetrics({ ...range, groupBy: 'week' }, t.cloud.ports)).toEqual(byWeek.body);
  });

  it('writes and changes nothing when every event is put on the bus twice more', async () => {
    const before = await t.call('GET', query);
    const facts = await Promise.all(
      [ids.onTime, ids.backedOut].map((id) => t.cloud.ports.metrics.fact(id as string)),
    );
    const entries = [];
    for (const id of [ids.onTime, ids.backedOut] as string[]) {
      for (const e of await history(id)) {
        if (!['Release Stage Entered', 'Release Backed Out', 'Incident Attributed'].includes(e.type))
          continue;
        entries.push({
          EventBusName: EVENT_BUS_NAME,
          Source: 'release-desk',
          DetailType: e.type,
          Resources: [`release/${id}`],
          Detail: JSON.stringify({
            id: e.id,
            occurredAt: e.occurredAt,
            actor: e.actor,
            subject: { kind: 'release', id },
            data: e.data,
          }),
        });
      }
    }
    const seen = invocations.length;
    // Latest first, then in order: reordered and duplicated.
    for (const batch of [[...entries].reverse(), entries]) {
      for (let i = 0; i < batch.length; i += 10) {
        expect((await t.cloud.bus.putEvents(batch.slice(i, i + 10))).FailedEntryCount).toBe(0);
      }
    }
    await eventually(() => {
      expect(invocations.length - seen).toBe(2 * entries.length);
    }, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    const after = await t.call('GET', query);
    expect({ status: after.status, body: after.body }).toEqual({ status: before.status, body: before.body });
    expect(
      await Promise.all([ids.onTime, ids.backedOut].map((id) => t.cloud.ports.metrics.fact(id as string))),
    ).toEqual(facts);
    expect(await recountReleaseMetrics(range, t.cloud.ports)).toEqual(before.body);
  });

  it('refuses an incident for a release never deployed, and one attributed twice', async () => {
    const planned = await t.call('POST', '/releases', validRelease({ title: 'Planned' }));
    const body = {
      reference: 'INC0099999',
      severity: 'low',
      occurredAt: new Date().toISOString(),
      summary: 'Slow',
    };
    const refused = await t.call('POST', `/releases/${planned.body.id}/incidents`, body);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toContain('release-not-deployed');
    const again = await t.call(
      'POST',
      `/releases/${ids.onTime}/incidents`,
      { ...body, reference: 'INC0012345' },
      'rm',
    );
    expect(again.status).toBe(409);
    const tech = await t.call('POST', `/releases/${ids.onTime}/incidents`, body, 'tech');
    expect(tech.status).toBe(403);
  });
});
