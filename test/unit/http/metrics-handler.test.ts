/**
 * The metrics handler through the production middy chain, on the in-memory fakes: an incident
 * attributed (201 with its ETag, a replay, 409, 422, 403), and the figures' query refused with
 * the field named (400) when a day, the grouping or the range is wrong. Every response is checked
 * against the OpenAPI document and its declared schema by the contract setup.
 */
import { describe, expect, it } from 'vitest';
import { createRelease, moveRelease } from '../../../functions/domain/release/service.ts';
import { createHandler } from '../../../functions/http/metrics.ts';
import { actor, fixedClock, inMemoryPorts } from '../../support/fakes.ts';
import { bodyOf, httpEvent, type RequestOptions } from '../../support/http-events.ts';

const T0 = '2026-11-20T00:00:00.000Z';

async function world() {
  const clock = fixedClock(T0);
  const ports = inMemoryPorts({ clock });
  const user = (id: string, processes: ('change' | 'release' | 'deployment')[], teamIds: string[] = []) =>
    ports.users.seed({
      id,
      processes,
      admin: false,
      teamIds,
      workGroupIds: [],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  user('rm', ['release', 'deployment'], ['team_pay']);
  user('tech', ['deployment']);
  user('cm', ['change']);
  ports.teams.seed({
    id: 'team_pay',
    name: 'Payroll',
    kind: 'release',
    workGroups: [],
    members: ['rm'],
    version: 1,
    createdAt: T0,
    createdBy: 'root',
    updatedAt: T0,
    updatedBy: 'root',
  });
  const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'] });
  const create = async () =>
    (
      await createRelease(
        {
          title: 'Payroll 4.2',
          releaseType: 'minor',
          packageType: 'delta',
          urgency: 'medium',
          businessPriority: 2,
          plannedStart: '2026-11-25T20:00:00Z',
          plannedEnd: '2026-11-25T23:00:00Z',
          changeIds: [],
          kbArticleIds: [],
          deployment: { managedByChange: false },
          tasks: [],
        },
        rm,
        ports,
      )
    ).release.id;
  const deployed = await create();
  const planned = await create();
  let version = 1;
  for (const to of ['Development', 'Testing', 'Deployment']) {
    version = (await moveRelease(deployed, { to, expectedVersion: version }, rm, ports)).release.version;
  }
  clock.advance(7 * 86_400_000);
  const handler = createHandler(() => ports);
  const call = (routeKey: string, path: string, options: RequestOptions = {}) =>
    handler(httpEvent(routeKey, path, { user: 'rm', ...options }));
  return { ports, call, deployed, planned };
}

const incident = (over: Record<string, unknown> = {}) => ({
  reference: 'INC0012345',
  severity: 'high',
  occurredAt: '2026-11-26T09:00:00Z',
  summary: 'Payslips wrong',
  ...over,
});
const ATTRIBUTE = 'POST /releases/{id}/incidents';
const METRICS = 'GET /metrics/releases';
type Problem = { type: string; errors?: { path: string }[] };

describe('POST /releases/{id}/incidents', () => {
  it('attributes it: 201 with its ETag; a retry under its Idempotency-Key is replayed', async () => {
    const { call, deployed, ports } = await world();
    const options = { body: incident(), headers: { 'idempotency-key': 'k-1' } };
    const res = await call(ATTRIBUTE, `/releases/${deployed}/incidents`, options);
    expect(res.statusCode).toBe(201);
    expect(res.headers).toMatchObject({ etag: '"1"' });
    expect(bodyOf(res)).toMatchObject({ releaseId: deployed, reference: 'INC0012345', attributedBy: 'rm' });
    const replay = await call(ATTRIBUTE, `/releases/${deployed}/incidents`, options);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(ports.table.events.filter((e) => e.type === 'Incident Attributed')).toHaveLength(1);
    const twice = await call(ATTRIBUTE, `/releases/${deployed}/incidents`, { body: incident() });
    expect(twice.statusCode).toBe(409);
    expect(bodyOf<Problem>(twice).type).toContain('incident-already-attributed');
  });

  it('names each bad field (400), refuses an undeployed release (422), an outsider (403), an unknown one (404)', async () => {
    const { call, deployed, planned } = await world();
    const bad = await call(ATTRIBUTE, `/releases/${deployed}/incidents`, {
      body: incident({ severity: 'sev1', occurredAt: 'yesterday', reference: 'INC 1', extra: true }),
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bodyOf<Problem>(bad)
        .errors?.map((e) => e.path)
        .sort(),
    ).toEqual(['extra', 'occurredAt', 'reference', 'severity']);
    const future = await call(ATTRIBUTE, `/releases/${deployed}/incidents`, {
      body: incident({ occurredAt: '2027-01-01T00:00:00Z' }),
    });
    expect([future.statusCode, bodyOf<Problem>(future).errors?.map((e) => e.path)]).toEqual([
      400,
      ['occurredAt'],
    ]);
    const notDeployed = await call(ATTRIBUTE, `/releases/${planned}/incidents`, { body: incident() });
    expect(notDeployed.statusCode).toBe(422);
    expect(bodyOf<Problem>(notDeployed).type).toContain('release-not-deployed');
    expect(
      (await call(ATTRIBUTE, `/releases/${deployed}/incidents`, { user: 'tech', body: incident() }))
        .statusCode,
    ).toBe(403);
    expect((await call(ATTRIBUTE, '/releases/rel_nope/incidents', { body: incident() })).statusCode).toBe(
      404,
    );
    expect(
      (
        await call(ATTRIBUTE, `/releases/${deployed}/incidents`, {
          user: 'cm',
          body: incident({ reference: 'INC-CM' }),
        })
      ).statusCode,
    ).toBe(201);
  });
});

describe('GET /metrics/releases', () => {
  it('answers every process holder with every period of the range', async () => {
    const { call } = await world();
    const res = await call(METRICS, '/metrics/releases', {
      user: 'tech',
      query: { from: '2026-11-01', to: '2026-12-31', groupBy: 'week' },
    });
    expect(res.statusCode).toBe(200);
    const body = bodyOf<{ groupBy: string; periods: { period: string }[] }>(res);
    expect(body.groupBy).toBe('week');
    expect(body.periods.at(0)?.period).toBe('2026-W44');
    expect(body.periods.at(-1)?.period).toBe('2026-W53');
  });

  it.each([
    [{ from: '2026-02-30' }, ['query.from']],
    [{ to: '2026-12' }, ['query.to']],
    [{ groupBy: 'day' }, ['query.groupBy']],
    [{ team: 'team pay' }, ['query.team']],
    [{ period: 'month' }, ['query.period']],
    [{ from: '2026-12-02', to: '2026-12-01' }, ['query.to']],
    [{ from: '2020-01-01', to: '2026-12-01' }, ['query.from']],
    [{ from: '2024-12-01', to: '2026-12-01', groupBy: 'week' }, ['query.from']],
  ])('names the field of %j (400)', async (query, fields) => {
    const { call } = await world();
    const res = await call(METRICS, '/metrics/releases', { query: query as Record<string, string> });
    expect(res.statusCode).toBe(400);
    expect(bodyOf<Problem>(res).errors?.map((e) => e.path)).toEqual(fields);
  });
});
