/**
 * Access policies over HTTP on the local cloud (issue 13, item 1): an administrator gives the
 * release team two rules with `PATCH /teams/{id}` (published in `Team Updated`); an emergency
 * release is refused to a release manager outside work group Emergency ops, naming the rule, and
 * created by a member of it; a priority-1 full package waits for two distinct approvers to enter
 * Deployment (`POST /releases/{id}/approvals`, published as `Release Approval Recorded`), shown on
 * the release until the move resets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { RELEASE_TEAM } from '../support/teams.ts';

let t: TestCloud;
const seen: LocalEvent[] = [];
let stopWatching: () => void;

const POLICIES = [
  {
    id: 'emergency-ops-only',
    description: 'Emergency releases only by work group Emergency ops',
    action: 'create',
    match: { releaseType: ['emergency'] },
    allow: { workGroups: ['wg_emergency_ops'] },
  },
  {
    id: 'p1-full-two-approvers',
    action: 'move',
    match: { packageType: ['full'], businessPriority: [1] },
    to: 'Deployment',
    approvals: 2,
  },
];

const release = (over: Record<string, unknown> = {}) => ({
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  plannedStart: '2026-12-01T20:00:00Z',
  plannedEnd: '2026-12-01T23:00:00Z',
  ...over,
});

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], sam: ['release'], ann: ['release'], eve: ['release'] });
  stopWatching = t.cloud.bus.subscribe((e) => seen.push(e));
  const ops = await t.call(
    'POST',
    '/teams',
    {
      name: 'Emergency ops',
      kind: 'deployment',
      workGroups: [{ id: 'wg_emergency_ops', name: 'Emergency ops' }],
      members: ['eve'],
    },
    'admin',
  );
  expect(ops.status, JSON.stringify(ops.body)).toBe(201);
});

afterAll(async () => {
  stopWatching?.();
  await t?.stop();
});

describe('access policies of a release team', () => {
  it('are set by an administrator and published', async () => {
    const team = await t.call('GET', `/teams/${RELEASE_TEAM}`, undefined, 'admin');
    const refused = await t.call(
      'PATCH',
      `/teams/${RELEASE_TEAM}`,
      { policies: POLICIES, expectedVersion: team.body.version },
      'rm',
    );
    expect(refused.status).toBe(403);
    const set = await t.call(
      'PATCH',
      `/teams/${RELEASE_TEAM}`,
      { policies: POLICIES, expectedVersion: team.body.version },
      'admin',
    );
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.policies).toEqual(POLICIES);
    await eventually(() => {
      const changes = seen
        .filter((e) => e['detail-type'] === 'Team Updated')
        .map((e) => (e.detail as { data: { changed: { policies?: unknown } } }).data.changed.policies)
        .filter((c) => c !== undefined);
      expect(changes).toEqual([{ from: null, to: POLICIES }]);
    });
  });

  it('refuse an emergency release outside Emergency ops, naming the rule, and let its member create one', async () => {
    const refused = await t.call('POST', '/releases', release({ releaseType: 'emergency' }), 'rm');
    expect(refused.status).toBe(403);
    expect(String(refused.body.type)).toContain('forbidden');
    expect(refused.body).toMatchObject({ rule: 'emergency-ops-only', action: 'create' });
    const created = await t.call('POST', '/releases', release({ releaseType: 'emergency' }), 'eve');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });

  it('hold a priority-1 full package out of Deployment until two distinct approvers approve', async () => {
    const created = await t.call(
      'POST',
      '/releases',
      release({ packageType: 'full', businessPriority: 1 }),
      'rm',
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    let version = created.body.version as number;
    for (const to of ['Development', 'Testing']) {
      const moved = await t.call(
        'POST',
        `/releases/${id}/transitions`,
        { to, expectedVersion: version },
        'rm',
      );
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      version = moved.body.version as number;
    }
    const waiting = await t.call(
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Deployment', expectedVersion: version },
      'rm',
    );
    expect(waiting.status).toBe(409);
    expect(waiting.body).toMatchObject({ rule: 'p1-full-two-approvers', required: 2, have: 0 });

    const first = await t.call(
      'POST',
      `/releases/${id}/approvals`,
      { to: 'Deployment', comment: 'Tested' },
      'sam',
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.approvals).toMatchObject([{ to: 'Deployment', by: 'sam', comment: 'Tested' }]);
    const half = await t.call('GET', `/releases/${id}`, undefined, 'rm');
    expect(
      (half.body.allowedTransitions as { to: string; approvals?: unknown }[]).find(
        (m) => m.to === 'Deployment',
      )?.approvals,
    ).toEqual({ rule: 'p1-full-two-approvers', required: 2, have: 1 });
    const again = await t.call('POST', `/releases/${id}/approvals`, { to: 'Deployment' }, 'sam');
    expect(again.status).toBe(409);
    expect(String(again.body.type)).toContain('already-approved');
    const second = await t.call('POST', `/releases/${id}/approvals`, { to: 'Deployment' }, 'ann');
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const read = await t.call('GET', `/releases/${id}`, undefined, 'rm');
    expect((read.body.approvals as { by: string }[]).map((a) => a.by)).toEqual(['sam', 'ann']);
    // Offered with what it lacks until then: nothing now.
    const offered = (read.body.allowedTransitions as { to: string; approvals?: unknown }[]).find(
      (m) => m.to === 'Deployment',
    );
    expect(offered).toBeDefined();
    expect(offered?.approvals).toBeUndefined();

    const entered = await t.call(
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Deployment', expectedVersion: read.body.version },
      'rm',
    );
    expect(entered.status, JSON.stringify(entered.body)).toBe(200);
    expect(entered.body.stage).toBe('Deployment');
    expect(entered.body.approvals).toBeUndefined();
    await eventually(() => {
      const approvals = seen.filter(
        (e) => e['detail-type'] === 'Release Approval Recorded' && e.resources.includes(`release/${id}`),
      );
      expect(approvals.map((e) => (e.detail as { actor: string }).actor)).toEqual(['sam', 'ann']);
    });
  });
});
