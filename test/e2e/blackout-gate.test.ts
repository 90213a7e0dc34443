/**
 * Blackouts at work over HTTP on the local cloud (issue 12, items 3 to 5): a release planned over
 * a blackout of a CI that depends on what it touches shows the conflict with its path; the next
 * free windows skip the blackout; entering Deployment is 409 naming SLA and window; an emergency
 * release enters it with an override from the member its team allows, audited in history and
 * published as `Blackout Overridden`; a normal release and another member are refused. An RFC
 * with a planned window shows its conflicts and its own free windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
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
  const created = async (name: string, relations: { type: string; ciId: string }[]) => {
    const res = await t.call('POST', '/cis', { type: 'application', name, attributes: {}, relations }, 'rm');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  db = await created('pay-db', []);
  app = await created('pay-app', [{ type: 'depends-on', ciId: db }]);
  const sla = await t.call(
    'POST',
    '/slas',
    { name: 'Payroll', ciIds: [app], blackouts: [{ ...blackout, reason: 'Payroll run' }] },
    'admin',
  );
  expect(sla.status, JSON.stringify(sla.body)).toBe(201);
  slaId = sla.body.id as string;
  const team = await t.call('GET', `/teams/${RELEASE_TEAM}`, undefined, 'admin');
  const allowed = await t.call(
    'PATCH',
    `/teams/${RELEASE_TEAM}`,
    { blackoutOverriders: ['rm'], expectedVersion: team.body.version },
    'admin',
  );
  expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
  expect(allowed.body.blackoutOverriders).toEqual(['rm']);
});

afterAll(async () => {
  stopWatching?.();
  await t?.stop();
});

async function release(releaseType: 'emergency' | 'minor') {
  const res = await t.call('POST', '/releases', {
    title: `Payroll hotfix (${releaseType})`,
    releaseType,
    packageType: 'delta',
    urgency: 'high',
    businessPriority: 1,
    plannedStart: iso(base),
    plannedEnd: iso(base + HOUR),
    tasks: [{ title: 'Patch the database', workGroupId: 'wg_deployment', ciIds: [db], ciUpdates: [] }],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function toTesting(id: string) {
  for (const [to, expectedVersion] of [
    ['Development', 1],
    ['Testing', 2],
  ] as const) {
    const res = await t.call('POST', `/releases/${id}/transitions`, { to, expectedVersion });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
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
    const read = await t.call('GET', `/releases/${created.id}`);
    expect(read.body.blackoutConflicts).toEqual(created.blackoutConflicts);
    // In a list, no conflicts are computed.
    const list = await t.call('GET', '/releases?limit=5');
    expect((list.body.items as Record<string, unknown>[])[0]).not.toHaveProperty('blackoutConflicts');
  });

  it('proposes the next free windows after the blackout, and says so when none fits', async () => {
    const created = await release('minor');
    const res = await t.call('GET', `/releases/${created.id}/next-windows?duration=PT3H&count=2&horizon=P2D`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ duration: 'PT3H', ciIds: [db], truncated: false });
    expect(res.body.items).toEqual([
      { start: blackout.end, end: iso(base + 5 * HOUR), latestStart: expect.any(String) },
    ]);
    const none = await t.call(
      'GET',
      `/releases/${created.id}/next-windows?duration=PT3H&horizon=PT4H&after=${encodeURIComponent(blackout.start)}`,
    );
    expect(none.body.items).toEqual([]);
    expect(none.body.detail).toMatch(/^No window of PT3H free of blackouts/);
    const bad = await t.call('GET', `/releases/${created.id}/next-windows?duration=soon`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('duration');
  });

  it('shows an RFC’s conflicts for its planned window and its next free windows', async () => {
    const rfc = await t.call(
      'POST',
      '/changes',
      {
        title: 'Patch the database',
        type: 'normal',
        risk: 'low',
        impact: 'low',
        urgency: 'low',
        ciIds: [db],
        plannedStart: iso(base + HOUR),
        plannedEnd: iso(base + 3 * HOUR),
      },
      'admin',
    );
    expect(rfc.status, JSON.stringify(rfc.body)).toBe(201);
    expect(rfc.body.blackoutConflicts).toEqual([expect.objectContaining(expectedConflict())]);
    const windows = await t.call(
      'GET',
      `/changes/${rfc.body.id}/next-windows?duration=PT2H&count=1`,
      undefined,
      'tech',
    );
    expect(windows.status, JSON.stringify(windows.body)).toBe(200);
    expect(windows.body.items).toEqual([
      expect.objectContaining({ start: blackout.end, end: iso(base + 4 * HOUR) }),
    ]);
  });

  it('keeps a normal release out of Deployment, naming the SLA and window; no override for it', async () => {
    const created = await release('minor');
    await toTesting(created.id as string);
    const refused = await t.call('POST', `/releases/${created.id}/transitions`, {
      to: 'Deployment',
      expectedVersion: 3,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:release-desk:problem:transition-gate-failed');
    expect(refused.body.detail).toContain(
      `SLA "Payroll" (${slaId}) blackout ${blackout.start} to ${blackout.end}`,
    );
    const overridden = await t.call('POST', `/releases/${created.id}/transitions`, {
      to: 'Deployment',
      expectedVersion: 3,
      override: { reason: 'Hurry' },
    });
    expect(overridden.status).toBe(422);
    expect(overridden.body.type).toBe('urn:release-desk:problem:override-not-emergency');
  });

  it('lets the allowed member override for an emergency release: audited and evented; not another member', async () => {
    const created = await release('emergency');
    const id = created.id as string;
    await toTesting(id);
    const other = await t.call(
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Deployment', expectedVersion: 3, override: { reason: 'Payroll is down' } },
      'rm2',
    );
    expect(other.status).toBe(403);
    const ok = await t.call('POST', `/releases/${id}/transitions`, {
      to: 'Deployment',
      expectedVersion: 3,
      override: { reason: 'Payroll is down' },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.stage).toBe('Deployment');
    const history = await t.call('GET', `/releases/${id}/history?limit=20`);
    const entry = (
      history.body.items as { type: string; actor: string; data: Record<string, unknown> }[]
    ).find((e) => e.type === 'Blackout Overridden');
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
