/**
 * Blackouts at work over HTTP on the local cloud (issue 12, items 3 to 5): a release planned over
 * a blackout of a CI that depends on what it touches shows the conflict with its path; the next
 * free windows skip the blackout; entering Deployment is 409 naming SLA and window; an emergency
 * release enters it with an override from the member its team allows, audited in history and
 * published as `Blackout Overridden`; a normal release and another member are refused. An RFC
 * with a planned window shows its conflicts and its own free windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { createCi } from '../support/cis.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { RELEASE_TEAM } from '../support/teams.ts';

let t: TestCloud;
const seen: LocalEvent[] = [];
let stopWatching: () => void;
let db: string;
let app: string;
let slaId: string;
const HOUR = 3_600_000;
// Whole hours, so that the free window after the blackout starts on a whole minute.
const base = Math.ceil(Date.now() / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
// In force from one to two hours ago until two hours on; the release is planned inside it.
const blackout = { start: iso(base - 2 * HOUR), end: iso(base + 2 * HOUR) };

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], rm2: ['release'], tech: ['deployment'] });
  stopWatching = t.cloud.bus.subscribe((e) => seen.push(e));
  db = await createCi(t, 'pay-db');
  app = await createCi(t, 'pay-app', [{ type: 'depends-on', ciId: db }]);
  const admin = t.api('admin');
  const sla = await ok(
    admin.POST('/slas', {
      body: { name: 'Payroll', ciIds: [app], blackouts: [{ ...blackout, reason: 'Payroll run' }] },
    }),
    201,
  );
  slaId = sla.id;
  const team = await ok(admin.GET('/teams/{id}', at(RELEASE_TEAM)));
  const allowed = await ok(
    admin.PATCH('/teams/{id}', {
      ...at(RELEASE_TEAM),
      body: { blackoutOverriders: ['rm'], expectedVersion: team.version },
    }),
    200,
  );
  expect(allowed.blackoutOverriders).toEqual(['rm']);
});

afterAll(async () => {
  stopWatching?.();
  await t?.stop();
});

function at(id: string) {
  return { params: { path: { id } } };
}

async function release(releaseType: 'emergency' | 'minor') {
  return ok(
    t.api().POST('/releases', {
      body: {
        title: `Payroll hotfix (${releaseType})`,
        releaseType,
        packageType: 'delta',
        urgency: 'high',
        businessPriority: 1,
        plannedStart: iso(base),
        plannedEnd: iso(base + HOUR),
        tasks: [{ title: 'Patch the database', workGroupId: 'wg_deployment', ciIds: [db], ciUpdates: [] }],
      },
    }),
    201,
  );
}

const transition = (id: string, body: components['schemas']['Transition'], as = 'rm') =>
  t.api(as).POST('/releases/{id}/transitions', { ...at(id), body });

async function toTesting(id: string) {
  for (const [to, expectedVersion] of [
    ['Development', 1],
    ['Testing', 2],
  ] as const) {
    await ok(transition(id, { to, expectedVersion }), 200);
  }
}

const expectedConflict = () => ({
  slaId,
  slaName: 'Payroll',
  blackoutIndex: 0,
  reason: 'Payroll run',
  start: blackout.start,
  end: blackout.end,
  ciId: app,
  touchedCiId: db,
  path: [{ ciId: app, relation: 'depends-on' }],
});

describe('a release meets a blackout', () => {
  it('shows the conflict through the dependency when it is created and read', async () => {
    const created = await release('minor');
    expect(created.blackoutConflicts).toEqual([expect.objectContaining(expectedConflict())]);
    const read = await ok(t.api().GET('/releases/{id}', at(created.id)));
    expect(read.blackoutConflicts).toEqual(created.blackoutConflicts);
    // In a list, no conflicts are computed.
    const list = await ok(t.api().GET('/releases', { params: { query: { limit: 5 } } }));
    expect(list.items[0]).not.toHaveProperty('blackoutConflicts');
  });

  it('proposes the next free windows after the blackout, and says so when none fits', async () => {
    const created = await release('minor');
    const windowsOf = (query: { duration: string; count?: number; horizon?: string; after?: string }) =>
      t.api().GET('/releases/{id}/next-windows', { params: { path: { id: created.id }, query } });
    const found = await ok(windowsOf({ duration: 'PT3H', count: 2, horizon: 'P2D' }), 200);
    expect(found).toMatchObject({ duration: 'PT3H', ciIds: [db], truncated: false });
    expect(found.items).toEqual([
      { start: blackout.end, end: iso(base + 5 * HOUR), latestStart: expect.any(String) },
    ]);
    const none = await ok(windowsOf({ duration: 'PT3H', horizon: 'PT4H', after: blackout.start }));
    expect(none.items).toEqual([]);
    expect(none.detail).toMatch(/^No window of PT3H free of blackouts/);
    const bad = await refused(windowsOf({ duration: 'soon' }), 400);
    expect(bad.errors).toEqual([{ path: 'query.duration', message: expect.stringContaining('ISO 8601') }]);
    // Each bad field named once: an `after` that is no date-time is not also "after the year 9000".
    const many = await refused(
      windowsOf({ duration: 'PT3H', count: 0, horizon: 'P2Y', after: 'yesterday' }),
      400,
    );
    expect((many.errors ?? []).map((e) => e.path)).toEqual(['query.count', 'query.horizon', 'query.after']);
    const late = await refused(windowsOf({ duration: 'PT3H', after: '9500-01-01T00:00:00Z' }), 400);
    expect(late.errors).toEqual([{ path: 'query.after', message: 'must be before the year 9000' }]);
  });

  it('shows an RFC’s conflicts for its planned window and its next free windows', async () => {
    const rfc = await ok(
      t.api('admin').POST('/changes', {
        body: {
          title: 'Patch the database',
          type: 'normal',
          risk: 'low',
          impact: 'low',
          urgency: 'low',
          ciIds: [db],
          plannedStart: iso(base + HOUR),
          plannedEnd: iso(base + 3 * HOUR),
        },
      }),
      201,
    );
    expect(rfc.blackoutConflicts).toEqual([expect.objectContaining(expectedConflict())]);
    const windows = await ok(
      t.api('tech').GET('/changes/{id}/next-windows', {
        params: { path: { id: rfc.id }, query: { duration: 'PT2H', count: 1 } },
      }),
      200,
    );
    expect(windows.items).toEqual([
      expect.objectContaining({ start: blackout.end, end: iso(base + 4 * HOUR) }),
    ]);
  });

  it('shows the conflicts of the new window when a release or an RFC is rescheduled into the blackout', async () => {
    // Planned after the blackout (it ends at base + 2 h): clear; then moved into it.
    const later = { plannedStart: iso(base + 3 * HOUR), plannedEnd: iso(base + 4 * HOUR) };
    const into = { plannedStart: iso(base), plannedEnd: iso(base + HOUR) };
    const planned = await ok(
      t.api().POST('/releases', {
        body: {
          title: 'Payroll rescheduled',
          releaseType: 'minor',
          packageType: 'delta',
          urgency: 'low',
          businessPriority: 3,
          ...later,
          tasks: [{ title: 'Patch the database', workGroupId: 'wg_deployment', ciIds: [db], ciUpdates: [] }],
        },
      }),
      201,
    );
    expect(planned.blackoutConflicts).toEqual([]);
    const moved = await ok(
      t.api().PATCH('/releases/{id}', { ...at(planned.id), body: { ...into, expectedVersion: 1 } }),
      200,
    );
    expect(moved).toMatchObject({ version: 2, plannedStart: into.plannedStart });
    expect(moved.blackoutConflicts).toEqual([expect.objectContaining(expectedConflict())]);
    const rfc = await ok(
      t.api('admin').POST('/changes', {
        body: {
          title: 'Patch the database later',
          type: 'normal',
          risk: 'low',
          impact: 'low',
          urgency: 'low',
          ciIds: [db],
          ...later,
        },
      }),
      201,
    );
    expect(rfc.blackoutConflicts).toEqual([]);
    const edited = await ok(
      t.api('admin').PATCH('/changes/{id}', {
        ...at(rfc.id),
        body: { ...into, expectedVersion: rfc.version },
      }),
      200,
    );
    expect(edited.blackoutConflicts).toEqual([expect.objectContaining(expectedConflict())]);
  });

  it('keeps a normal release out of Deployment, naming the SLA and window; no override for it', async () => {
    const created = await release('minor');
    await toTesting(created.id);
    const gated = await refused(transition(created.id, { to: 'Deployment', expectedVersion: 3 }), 409);
    expect(gated.type).toBe('urn:release-desk:problem:transition-gate-failed');
    expect(gated.detail).toContain(`SLA "Payroll" (${slaId}) blackout ${blackout.start} to ${blackout.end}`);
    const overridden = await refused(
      transition(created.id, { to: 'Deployment', expectedVersion: 3, override: { reason: 'Hurry' } }),
      422,
    );
    expect(overridden.type).toBe('urn:release-desk:problem:override-not-emergency');
  });

  it('lets the allowed member override for an emergency release: audited and evented; not another member', async () => {
    const created = await release('emergency');
    const id = created.id;
    await toTesting(id);
    const override = { to: 'Deployment', expectedVersion: 3, override: { reason: 'Payroll is down' } };
    await refused(transition(id, override, 'rm2'), 403);
    const moved = await ok(transition(id, override), 200);
    expect(moved.stage).toBe('Deployment');
    const history = await ok(
      t.api().GET('/releases/{id}/history', { params: { path: { id }, query: { limit: 20 } } }),
    );
    const entry = history.items.find((e) => e.type === 'Blackout Overridden');
    expect(entry).toMatchObject({
      actor: 'rm',
      data: {
        from: 'Testing',
        to: 'Deployment',
        reason: 'Payroll is down',
        windows: [expect.objectContaining({ slaId, ciIds: [app], ciCount: 1 })],
        windowCount: 1,
      },
    });
    await eventually(() =>
      expect(
        seen.find((e) => e['detail-type'] === 'Blackout Overridden' && e.resources.includes(`release/${id}`)),
      ).toBeDefined(),
    );
  });
});
