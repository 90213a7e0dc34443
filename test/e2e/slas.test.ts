/**
 * SLAs over HTTP on the local cloud (issue 12, items 1 and 2): an SLA with a one-off and a
 * recurring blackout recorded by an administrator and edited; bad rules, zones and durations named
 * by field; unknown CIs refused; the events on the bus; and `GET /blackouts` for a CI, finding a
 * window through a dependency chain of the CMDB with its path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { createCi } from '../support/cis.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const seen: LocalEvent[] = [];
let stopWatching: () => void;
const ci: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], tech: ['deployment'], nobody: [] });
  stopWatching = t.cloud.bus.subscribe((e) => seen.push(e));
  // cluster ← vm (part-of) ← app (runs-on) ← web (depends-on): web depends on the cluster.
  const create = async (name: string, relations: components['schemas']['CiRelation'][]) => {
    ci[name] = await createCi(t, name, relations);
  };
  await create('cluster', []);
  await create('vm', [{ type: 'part-of', ciId: ci.cluster as string }]);
  await create('app', [{ type: 'runs-on', ciId: ci.vm as string }]);
  await create('web', [{ type: 'depends-on', ciId: ci.app as string }]);
});

afterAll(async () => {
  stopWatching?.();
  await t?.stop();
});

const monthEnd: components['schemas']['Blackout'] = {
  rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
  start: '2026-01-01T22:00',
  duration: 'PT6H',
  tz: 'Europe/Berlin',
  reason: 'month-end batch',
};

describe('SLAs', () => {
  let slaId: string;

  it('are recorded by administrators only, with their blackouts, and read by any process holder', async () => {
    const body: components['schemas']['CreateSla'] = {
      name: 'Web shop',
      ciIds: [ci.web as string],
      blackouts: [
        { start: '2026-12-24T00:00:00+01:00', end: '2026-12-27T00:00:00+01:00', reason: 'Christmas' },
        monthEnd,
      ],
    };
    await refused(t.api('rm').POST('/slas', { body }), 403);
    const created = await ok(t.api('admin').POST('/slas', { body }), 201);
    expect(created).toMatchObject({
      version: 1,
      ciIds: [ci.web],
      blackouts: [
        { start: '2026-12-23T23:00:00.000Z', end: '2026-12-26T23:00:00.000Z', reason: 'Christmas' },
        monthEnd,
      ],
    });
    slaId = created.id;
    const read = await ok(t.api('tech').GET('/slas/{id}', { params: { path: { id: slaId } } }), 200);
    expect(read).toEqual(created);
    const list = await ok(t.api('tech').GET('/slas'));
    expect(list.items.map((s) => s.id)).toContain(slaId);
    await eventually(() =>
      expect(
        seen.find((e) => e['detail-type'] === 'SLA Created' && e.resources.includes(`sla/${slaId}`)),
      ).toBeDefined(),
    );
  });

  it('refuses bad rules, zones and durations naming the field, and unknown CIs', async () => {
    const admin = t.api('admin');
    const bad = await refused(
      admin.POST('/slas', {
        body: {
          name: 'Bad',
          ciIds: [],
          blackouts: [{ ...monthEnd, rrule: 'FREQ=MONTHLY;BYDAY=-1XX', tz: 'Mars/Base', duration: 'PT' }],
        },
      }),
      400,
    );
    const paths = (bad.errors ?? []).map((e) => e.path).sort();
    expect(paths).toEqual(['blackouts.0.duration', 'blackouts.0.rrule', 'blackouts.0.tz']);
    // Sent raw: the typed client would not let a recurring blackout go without its duration and zone.
    const missing = await t.call(
      'POST',
      '/slas',
      { name: 'Bad', blackouts: [{ rrule: 'FREQ=DAILY', start: '2026-01-01T22:00', reason: 'x' }] },
      'admin',
    );
    expect(missing.status).toBe(400);
    expect((missing.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'blackouts.0.duration',
      'blackouts.0.tz',
    ]);
    const unknown = await refused(admin.POST('/slas', { body: { name: 'Ghost', ciIds: ['ci_ghost'] } }), 422);
    expect(unknown).toMatchObject({ unknownCiIds: ['ci_ghost'] });
  });

  it('finds the blackouts of a CI through a three-level dependency chain, with the path', async () => {
    const tech = t.api('tech');
    const found = await ok(
      tech.GET('/blackouts', {
        params: { query: { from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z', ci: ci.cluster } },
      }),
      200,
    );
    expect(found).toMatchObject({ ciId: ci.cluster, truncated: false });
    const items = found.items;
    expect(items.map((i) => [i.start, i.localStart])).toEqual([
      ['2026-03-27T21:00:00.000Z', '2026-03-27T22:00:00+01:00'],
      ['2026-04-24T20:00:00.000Z', '2026-04-24T22:00:00+02:00'],
    ]);
    expect(items[0]).toMatchObject({
      slaId,
      slaName: 'Web shop',
      reason: 'month-end batch',
      ciId: ci.web,
      path: [
        { ciId: ci.vm, relation: 'part-of' },
        { ciId: ci.app, relation: 'runs-on' },
        { ciId: ci.web, relation: 'depends-on' },
      ],
    });
    await refused(
      tech.GET('/blackouts', {
        params: { query: { from: '2026-01-01T00:00:00Z', to: '2027-06-01T00:00:00Z' } },
      }),
      400,
    );
  });

  it('is edited with its version (409 when stale) and emits SLA Updated', async () => {
    const admin = t.api('admin');
    const at = { params: { path: { id: slaId } } };
    await refused(admin.PATCH('/slas/{id}', { ...at, body: { name: 'x', expectedVersion: 9 } }), 409);
    // An edit's blackouts are checked as a new SLA's: 400 naming each field, nothing written.
    const bad = await refused(
      admin.PATCH('/slas/{id}', {
        ...at,
        body: {
          blackouts: [
            monthEnd,
            { ...monthEnd, rrule: 'FREQ=SOMETIMES', tz: 'Europe/Nowhere', duration: 'PT0S' },
          ],
          expectedVersion: 1,
        },
      }),
      400,
    );
    expect((bad.errors ?? []).map((e) => e.path).sort()).toEqual([
      'blackouts.1.duration',
      'blackouts.1.rrule',
      'blackouts.1.tz',
    ]);
    expect(await ok(admin.GET('/slas/{id}', at))).toMatchObject({ version: 1 });
    const edited = await ok(
      admin.PATCH('/slas/{id}', { ...at, body: { ciIds: [ci.app as string], expectedVersion: 1 } }),
      200,
    );
    expect(edited).toMatchObject({ version: 2, ciIds: [ci.app] });
    await eventually(() =>
      expect(
        seen.find((e) => e['detail-type'] === 'SLA Updated' && e.resources.includes(`sla/${slaId}`)),
      ).toBeDefined(),
    );
    const now = await ok(
      t.api('rm').GET('/blackouts', {
        params: { query: { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z', ci: ci.vm } },
      }),
    );
    expect(now.items.map((i) => [i.ciId, i.path?.length])).toEqual([
      [ci.app, 1],
      [ci.app, 1],
    ]);
  });
});
