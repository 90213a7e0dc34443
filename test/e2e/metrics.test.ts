/**
 * Release metrics end to end on the local cloud: one release deployed inside its window with an
 * incident attributed, another backed out from its deploy stage; the record-release-metrics
 * consumer, reached through the stack's rule, keeps the counters that `GET /metrics/releases`
 * reads, and they equal the recount from the releases' histories on DynamoDB Local — also after
 * every event was put on the bus twice more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import { recountReleaseMetrics } from '../../functions/domain/metrics/service.ts';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
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

type Entry = components['schemas']['HistoryEntry'];
const at = (id: string) => ({ params: { path: { id } } });

async function move(id: string, to: string, reason?: string) {
  const current = await ok(t.api().GET('/releases/{id}', at(id)));
  await ok(
    t.api().POST('/releases/{id}/transitions', {
      ...at(id),
      body: { to, expectedVersion: current.version, ...(reason ? { reason } : {}) },
    }),
    200,
  );
}

const history = async (id: string) =>
  (await ok(t.api().GET('/releases/{id}/history', { params: { path: { id }, query: { limit: 100 } } })))
    .items;

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
// Yesterday to tomorrow: the releases below are deployed now, in one or two months of the range.
const range = { from: day(-1), to: day(1) };
const metricsOf = (as = 'rm', groupBy?: 'week' | 'month') =>
  t.api(as).GET('/metrics/releases', { params: { query: { ...range, ...(groupBy ? { groupBy } : {}) } } });

describe('metrics on the local cloud', () => {
  const ids: { onTime?: string; backedOut?: string } = {};

  it('counts a release deployed in its window with an incident, and one backed out from Deployment', async () => {
    const now = Date.now();
    const window = {
      plannedStart: new Date(now - 3_600_000).toISOString(),
      plannedEnd: new Date(now + 3 * 3_600_000).toISOString(),
    };
    const a = await ok(
      t.api().POST('/releases', { body: releaseBody({ title: 'On time', ...window }) }),
      201,
    );
    const b = await ok(
      t.api().POST('/releases', { body: releaseBody({ title: 'Backed out', ...window }) }),
      201,
    );
    ids.onTime = a.id;
    ids.backedOut = b.id;
    for (const id of [ids.onTime, ids.backedOut]) {
      for (const to of ['Development', 'Testing', 'Deployment']) await move(id, to);
    }
    // Deployed: the first moves out of Deployment, onwards and into Backed Out.
    await move(ids.onTime, 'Audit');
    await ok(
      t.api().POST('/releases/{id}/backout', {
        ...at(ids.backedOut),
        body: { acknowledgedArticles: [], reason: 'Smoke test failed' },
      }),
      200,
    );
    // A change manager attributes the incident (any team's release).
    const incident = await ok(
      t.api('cm').POST('/releases/{id}/incidents', {
        ...at(ids.onTime),
        body: {
          reference: 'INC0012345',
          severity: 'critical',
          occurredAt: new Date().toISOString(),
          summary: 'Payslips show last month’s tax rate',
        },
      }),
      201,
    );
    expect(incident).toMatchObject({
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
      const metrics = await ok(metricsOf('tech'), 200);
      expect(metrics.total).toEqual(expected);
      expect(metrics.teams).toEqual([{ teamId: RELEASE_TEAM, ...expected }]);
    }, 20_000);
  });

  it('equals the recount from the releases’ histories', async () => {
    const metrics = await ok(metricsOf());
    expect(await recountReleaseMetrics(range, t.cloud.ports)).toEqual(metrics);
    const byWeek = await ok(metricsOf('rm', 'week'), 200);
    expect(byWeek.total).toEqual(metrics.total);
    expect(await recountReleaseMetrics({ ...range, groupBy: 'week' }, t.cloud.ports)).toEqual(byWeek);
  });

  it('writes and changes nothing when every event is put on the bus twice more', async () => {
    const before = await metricsOf();
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
    const after = await metricsOf();
    expect({ status: after.response.status, body: after.data }).toEqual({
      status: before.response.status,
      body: before.data,
    });
    expect(
      await Promise.all([ids.onTime, ids.backedOut].map((id) => t.cloud.ports.metrics.fact(id as string))),
    ).toEqual(facts);
    expect(await recountReleaseMetrics(range, t.cloud.ports)).toEqual(before.data);
  });

  it('refuses an incident for a release never deployed, and one attributed twice', async () => {
    const planned = await ok(t.api().POST('/releases', { body: releaseBody({ title: 'Planned' }) }), 201);
    const body: components['schemas']['AttributeIncident'] = {
      reference: 'INC0099999',
      severity: 'low',
      occurredAt: new Date().toISOString(),
      summary: 'Slow',
    };
    const notDeployed = await refused(
      t.api().POST('/releases/{id}/incidents', { ...at(planned.id), body }),
      422,
    );
    expect(notDeployed.type).toContain('release-not-deployed');
    const onTime = at(ids.onTime as string);
    await refused(
      t.api('rm').POST('/releases/{id}/incidents', { ...onTime, body: { ...body, reference: 'INC0012345' } }),
      409,
    );
    await refused(t.api('tech').POST('/releases/{id}/incidents', { ...onTime, body }), 403);
  });
});
