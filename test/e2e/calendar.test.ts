/**
 * The change calendar over HTTP on the local cloud (issue 12, item 6): an SLA with a Christmas
 * blackout and a monthly one on a web shop, a release changing the database the shop depends on
 * (through two relations) during Christmas, an RFC on the shop itself, and a release that began
 * before the range. `GET /calendar` answers them together with their conflicts, as JSON and as an
 * iCalendar feed (by `Accept: text/calendar` and by `?format=ics`) that a strict RFC 5545 parser
 * reads, with the events expected; and narrowed to a team or a CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components, operations } from '../../client/index.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { createCi } from '../support/cis.ts';
import { type ParsedEvent, parseICalendar } from '../support/icalendar.ts';
import { ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const ci: Record<string, string> = {};
let slaId = '';
let payroll = '';
let early = '';
let rfc = '';

const RANGE = { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
type CalendarQuery = operations['getCalendar']['parameters']['query'];

/** The calendar as JSON. */
const calendar = (query: CalendarQuery, as = 'tech') => t.api(as).GET('/calendar', { params: { query } });
/** The calendar as a client that is not after JSON (a calendar app) reads it: text. */
const feed = (query: CalendarQuery, headers: Record<string, string> = {}, as = 'tech') =>
  t.api(as).GET('/calendar', { params: { query }, headers, parseAs: 'text' });

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], tech: ['deployment'], nobody: [] });
  // db ← app (depends-on) ← web (depends-on): changing db impacts the web shop.
  const create = async (name: string, relations: components['schemas']['CiRelation'][]) => {
    ci[name] = await createCi(t, name, relations);
  };
  await create('db', []);
  await create('app', [{ type: 'depends-on', ciId: ci.db as string }]);
  await create('web', [{ type: 'depends-on', ciId: ci.app as string }]);
  const sla = await ok(
    t.api('admin').POST('/slas', {
      body: {
        name: 'Web shop',
        ciIds: [ci.web as string],
        blackouts: [
          {
            start: '2026-12-24T00:00:00+01:00',
            end: '2026-12-27T00:00:00+01:00',
            tz: 'Europe/Berlin',
            reason: 'Christmas sales, no changes',
          },
          {
            rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
            start: '2026-01-01T22:00',
            duration: 'PT6H',
            tz: 'Europe/Berlin',
            reason: 'month-end batch',
          },
        ],
      },
    }),
    201,
  );
  slaId = sla.id;
  const release = async (body: Parameters<typeof releaseBody>[0]) =>
    (await ok(t.api('rm').POST('/releases', { body: releaseBody(body) }), 201)).id;
  payroll = await release({
    title: 'Payroll 4.2; DB upgrade',
    plannedStart: '2026-12-24T10:00:00Z',
    plannedEnd: '2026-12-24T12:00:00Z',
    tasks: [
      {
        title: 'Upgrade the database',
        workGroupId: 'wg_deployment',
        ciIds: [ci.db as string],
        ciUpdates: [],
      },
    ],
  });
  early = await release({
    title: 'Data centre move',
    plannedStart: '2026-11-28T08:00:00Z',
    plannedEnd: '2026-12-02T18:00:00Z',
  });
  const change = await ok(
    t.api('admin').POST('/changes', {
      body: {
        title: 'Shop certificate renewal',
        type: 'normal',
        risk: 'low',
        impact: 'low',
        urgency: 'low',
        ciIds: [ci.web as string],
        plannedStart: '2026-12-26T09:00:00Z',
        plannedEnd: '2026-12-26T10:00:00Z',
      },
    }),
    201,
  );
  rfc = change.id;
});

afterAll(async () => {
  await t?.stop();
});

type Item = Record<string, unknown> & { kind: string; uid: string; start: string };

describe('GET /calendar', () => {
  it('answers releases, RFC windows and blackout windows together, with their conflicts, as JSON', async () => {
    const answer = await ok(calendar(RANGE), 200);
    expect(answer).toMatchObject({
      from: '2026-12-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
      truncated: false,
    });
    const items = answer.items as Item[];
    expect(items.map((i) => [i.kind, i.uid])).toEqual([
      // Began before the range and ends in it.
      ['release', `release-${early}@release-desk`],
      ['blackout', `blackout-${slaId}-0-20261223T230000Z@release-desk`],
      ['release', `release-${payroll}@release-desk`],
      // The last Friday of December 2026 is Christmas Day, 22:00 in Berlin.
      ['blackout', `blackout-${slaId}-1-20261225T210000Z@release-desk`],
      ['change', `rfc-${rfc}@release-desk`],
    ]);
    expect(items[2]).toMatchObject({
      id: payroll,
      teamId: 'team_release',
      stage: 'Assessment',
      ciIds: [ci.db],
      conflictCount: 1,
      blackoutConflicts: [
        {
          slaId,
          slaName: 'Web shop',
          reason: 'Christmas sales, no changes',
          localStart: '2026-12-24T00:00:00+01:00',
          ciId: ci.web,
          touchedCiId: ci.db,
          path: [
            { ciId: ci.app, relation: 'depends-on' },
            { ciId: ci.web, relation: 'depends-on' },
          ],
        },
      ],
    });
    expect(items[4]).toMatchObject({ id: rfc, state: 'Recorded', conflictCount: 1 });
    expect(items[1]).toMatchObject({
      slaName: 'Web shop',
      localStart: '2026-12-24T00:00:00+01:00',
      localEnd: '2026-12-27T00:00:00+01:00',
      conflicts: [
        { kind: 'release', id: payroll, title: 'Payroll 4.2; DB upgrade' },
        { kind: 'change', id: rfc, title: 'Shop certificate renewal' },
      ],
    });
    expect(items[3]).toMatchObject({ conflicts: [] });
  });

  it('answers the same as an iCalendar feed to Accept: text/calendar, which parses with the expected events', async () => {
    const json = (await ok(calendar(RANGE))).items as Item[];
    const { data: text, response } = await feed(RANGE, { accept: 'text/calendar' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(response.headers.get('vary')).toBe('Accept');
    const ics = parseICalendar(Buffer.from(text as string, 'utf8'));
    expect(ics).toMatchObject({ version: '2.0', prodId: '-//Release Desk//Change Calendar//EN' });
    expect(ics.events.map((e) => e.uid)).toEqual(json.map((i) => i.uid));
    const byUid = new Map(ics.events.map((e) => [e.uid, e] as [string, ParsedEvent]));
    const release = byUid.get(`release-${payroll}@release-desk`);
    expect(release).toMatchObject({
      start: '2026-12-24T10:00:00.000Z',
      end: '2026-12-24T12:00:00.000Z',
      utc: true,
      summary: 'Release: Payroll 4.2; DB upgrade (Assessment) – 1 blackout conflict',
      categories: ['release', 'blackout-conflict'],
      status: 'TENTATIVE',
    });
    expect(release?.description).toContain('Blackout conflicts (1):');
    expect(release?.description).toContain(
      `on ${ci.web} through ${ci.db} → ${ci.app} (depends-on) → ${ci.web} (depends-on)`,
    );
    expect(byUid.get(`rfc-${rfc}@release-desk`)).toMatchObject({
      summary: 'RFC: Shop certificate renewal (Recorded) – 1 blackout conflict',
      categories: ['rfc', 'blackout-conflict'],
      start: '2026-12-26T09:00:00.000Z',
      end: '2026-12-26T10:00:00.000Z',
    });
    const christmas = byUid.get(`blackout-${slaId}-0-20261223T230000Z@release-desk`);
    expect(christmas).toMatchObject({
      summary: 'Blackout: Web shop – Christmas sales, no changes',
      categories: ['blackout', 'blackout-conflict'],
      start: '2026-12-23T23:00:00.000Z',
      end: '2026-12-26T23:00:00.000Z',
    });
    expect(christmas?.description).toContain(`- Release ${payroll}: Payroll 4.2; DB upgrade`);
    expect(christmas?.description).toContain(`- RFC ${rfc}: Shop certificate renewal`);
    expect(byUid.get(`blackout-${slaId}-1-20261225T210000Z@release-desk`)).toMatchObject({
      categories: ['blackout'],
      start: '2026-12-25T21:00:00.000Z',
      end: '2026-12-26T03:00:00.000Z',
    });
    // Every event is stamped with when the feed was read.
    const stamp = Date.parse(ics.events[0]?.dtstamp as string);
    expect(Math.abs(stamp - Date.now())).toBeLessThan(60_000);
  });

  it('answers the feed to ?format=ics (for calendar apps that send no Accept), the same events', async () => {
    const byHeader = parseICalendar((await ok(feed(RANGE, { accept: 'text/calendar' }, 'rm'))) as string);
    const { data: text, response } = await feed({ ...RANGE, format: 'ics' }, {}, 'rm');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const byQuery = parseICalendar(text as string);
    const strip = (events: readonly ParsedEvent[]) =>
      events.map(({ component: _c, dtstamp: _d, ...rest }) => rest);
    expect(strip(byQuery.events)).toEqual(strip(byHeader.events));
    // Subscribing needs the same bearer token as any other call.
    const anonymous = await fetch(`${t.cloud.apiUrl}/calendar?${new URLSearchParams(RANGE)}&format=ics`);
    expect(anonymous.status).toBe(401);
  });

  it('narrows to a CI: the plans touching it and the blackouts reaching it, with the path', async () => {
    const items = (await ok(calendar({ ...RANGE, ci: ci.db as string }), 200)).items as Item[];
    expect(items.map((i) => i.kind)).toEqual(['blackout', 'release', 'blackout']);
    expect(items[0]).toMatchObject({
      appliesTo: [
        {
          ciId: ci.web,
          path: [
            { ciId: ci.app, relation: 'depends-on' },
            { ciId: ci.web, relation: 'depends-on' },
          ],
        },
      ],
      appliesCount: 1,
    });
    const ics = parseICalendar(
      (await ok(feed({ ...RANGE, ci: ci.db as string, format: 'ics' }, {}, 'rm'))) as string,
    );
    expect(ics.name).toBe(`Release Desk change calendar (CI ${ci.db})`);
    expect(ics.events).toHaveLength(3);
  });

  it('narrows to a team: its releases, every blackout; unknown teams and CIs are 404, bad ranges 400', async () => {
    const team = await ok(calendar({ ...RANGE, team: 'team_release' }), 200);
    expect((team.items as Item[]).map((i) => i.kind)).toEqual(['release', 'blackout', 'release', 'blackout']);
    await refused(calendar({ ...RANGE, team: 'team_ghost' }, 'rm'), 404);
    await refused(calendar({ ...RANGE, ci: 'ci_ghost' }, 'rm'), 404);
    const long = await refused(
      calendar({ from: '2026-01-01T00:00:00Z', to: '2027-06-01T00:00:00Z' }, 'rm'),
      400,
    );
    expect(long.errors).toEqual([{ path: 'to', message: 'must be at most 400 days after from' }]);
    const reversed = await feed(
      { from: '2027-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', format: 'ics' },
      {},
      'rm',
    );
    expect(reversed.response.status).toBe(400);
    expect(reversed.response.headers.get('content-type')).toBe('application/problem+json');
    await refused(calendar(RANGE, 'nobody'), 403);
  });
});
