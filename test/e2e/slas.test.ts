/**
 * SLAs over HTTP on the local cloud (issue 12, items 1 and 2): an SLA with a one-off and a
 * recurring blackout recorded by an administrator and edited; bad rules, zones and durations named
 * by field; unknown CIs refused; the events on the bus; and `GET /blackouts` for a CI, finding a
 * window through a dependency chain of the CMDB with its path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const seen: LocalEvent[] = [];
let stopWatching: () => void;
const ci: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], tech: ['deployment'], nobody: [] });
  stopWatching = t.cloud.bus.subscribe((e) => seen.push(e));
  // cluster ← vm (part-of) ← app (runs-on) ← web (depends-on): web depends on the cluster.
  const create = async (name: string, relations: { type: string; ciId: string }[]) => {
    const res = await t.call('POST', '/cis', { type: 'application', name, attributes: {}, relations }, 'rm');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ci[name] = res.body.id as string;
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

const monthEnd = {
  rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
  start: '2026-01-01T22:00',
  duration: 'PT6H',
  tz: 'Europe/Berlin',
  reason: 'month-end batch',
};

describe('SLAs', () => {
  let slaId: string;

  it('are recorded by administrators only, with their blackouts, and read by any process holder', async () => {
    const body = {
      name: 'Web shop',
      ciIds: [ci.web],
      blackouts: [
        { start: '2026-12-24T00:00:00+01:00', end: '2026-12-27T00:00:00+01:00', reason: 'Christmas' },
        monthEnd,
      ],
    };
    expect((await t.call('POST', '/slas', body, 'rm')).status).toBe(403);
    const res = await t.call('POST', '/slas', body, 'admin');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      version: 1,
      ciIds: [ci.web],
      blackouts: [
        { start: '2026-12-23T23:00:00.000Z', end: '2026-12-26T23:00:00.000Z', reason: 'Christmas' },
        monthEnd,
      ],
    });
    slaId = res.body.id as string;
    const read = await t.call('GET', `/slas/${slaId}`, undefined, 'tech');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    const list = await t.call('GET', '/slas', undefined, 'tech');
    expect((list.body.items as { id: string }[]).map((s) => s.id)).toContain(slaId);
    await eventually(() =>
      expect(
        seen.find((e) => e['detail-type'] === 'SLA Created' && e.resources.includes(`sla/${slaId}`)),
      ).toBeDefined(),
    );
  });

  it('refuses bad rules, zones and durations naming the field, and unknown CIs', async () => {
    const bad = await t.call(
      'POST',
      '/slas',
      {
        name: 'Bad',
        ciIds: [],
        blackouts: [{ ...monthEnd, rrule: 'FREQ=MONTHLY;BYDAY=-1XX', tz: 'Mars/Base', duration: 'PT' }],
      },
      'admin',
    );
    expect(bad.status).toBe(400);
    const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['blackouts.0.duration', 'blackouts.0.rrule', 'blackouts.0.tz']);
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
    const unknown = await t.call('POST', '/slas', { name: 'Ghost', ciIds: ['ci_ghost'] }, 'admin');
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ unknownCiIds: ['ci_ghost'] });
  });

  it('finds the blackouts of a CI through a three-level dependency chain, with the path', async () => {
    const res = await t.call(
      'GET',
      `/blackouts?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z&ci=${ci.cluster}`,
      undefined,
      'tech',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ ciId: ci.cluster, truncated: false });
    const items = res.body.items as Record<string, unknown>[];
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
    const tooLong = await t.call(
      'GET',
      '/blackouts?from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z',
      undefined,
      'tech',
    );
    expect(tooLong.status).toBe(400);
  });

  it('is edited with its version (409 when stale) and emits SLA Updated', async () => {
    const stale = await t.call('PATCH', `/slas/${slaId}`, { name: 'x', expectedVersion: 9 }, 'admin');
    expect(stale.status).toBe(409);
    const res = await t.call('PATCH', `/slas/${slaId}`, { ciIds: [ci.app], expectedVersion: 1 }, 'admin');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ version: 2, ciIds: [ci.app] });
    await eventually(() =>
      expect(
        seen.find((e) => e['detail-type'] === 'SLA Updated' && e.resources.includes(`sla/${slaId}`)),
      ).toBeDefined(),
    );
    const now = await t.call(
      'GET',
      `/blackouts?from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z&ci=${ci.vm}`,
      undefined,
      'rm',
    );
    expect(
      (now.body.items as { ciId: string; path: unknown[] }[]).map((i) => [i.ciId, i.path.length]),
    ).toEqual([
      [ci.app, 1],
      [ci.app, 1],
    ]);
  });
});
