/**
 * `GET /calendar` through the production middy chain, on the in-memory fakes: JSON by default,
 * the iCalendar feed with `Accept: text/calendar` or `?format=ics` (every answer is checked by the
 * contract setup: the document, the declared schema, and the strict RFC 5545 parser for the feed),
 * content negotiation by weight and specificity, and the refusals as problem+json whatever the
 * caller accepts.
 */
import { describe, expect, it } from 'vitest';
import type { Calendar, ReleaseEntry } from '../../../functions/domain/calendar/service.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { createSla } from '../../../functions/domain/sla/service.ts';
import { createHandler } from '../../../functions/http/calendar.ts';
import { resource, route } from '../../../functions/http/contract/route.ts';
import * as z from '../../../functions/http/contract/zod.ts';
import { httpHandler, representation } from '../../../functions/http/edge/handler.ts';
import { preferredMediaType } from '../../../functions/http/edge/middlewares.ts';
import { actor, changeFixture, ciFixture, inMemoryPorts } from '../../support/fakes.ts';
import { bodyOf, httpEvent, type RequestOptions } from '../../support/http-events.ts';
import { parseICalendar } from '../../support/icalendar.ts';

const T0 = '2026-11-01T00:00:00.000Z';
const RANGE = { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };

async function world() {
  const ports = inMemoryPorts();
  const user = (id: string, processes: ('change' | 'release' | 'deployment')[]) =>
    ports.users.seed({
      id,
      processes,
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  user('tech', ['deployment']);
  user('nobody', []);
  ports.cis.seed(ciFixture('ci_db'));
  ports.cis.seed(ciFixture('ci_web', { relations: [{ type: 'depends-on', ciId: 'ci_db' }] }));
  const { sla } = await createSla(
    {
      name: 'Web shop',
      ciIds: ['ci_web'],
      blackouts: [
        {
          start: '2026-12-24T00:00:00+01:00',
          end: '2026-12-27T00:00:00+01:00',
          reason: 'Christmas, the peak; no changes',
          tz: 'Europe/Berlin',
        },
      ],
    },
    actor('root', [], { admin: true }),
    ports,
  );
  ports.releases.seed({
    id: 'rel_pay',
    version: 3,
    title: 'Payroll 4.2 — Zürich, “final”',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    teamId: 'team_release',
    workflow: { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' },
    stage: 'Testing',
    stageEntry: 2,
    status: 'active',
    plannedStart: '2026-12-24T10:00:00.000Z',
    plannedEnd: '2026-12-24T12:00:00.000Z',
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [
      { id: 'task_1', title: 'DB', workGroupId: 'wg', ciIds: ['ci_db'], ciUpdates: [], status: 'planned' },
    ],
    createdAt: T0,
    createdBy: 'rm',
    updatedAt: '2026-11-20T08:00:00.000Z',
    updatedBy: 'rm',
  } satisfies Release);
  ports.changes.seed(
    changeFixture({
      id: 'chg_gone',
      title: 'Old router',
      status: 'cancelled',
      stage: 'Cancelled',
      ciIds: ['ci_db'],
      plannedStart: '2026-12-05T10:00:00.000Z',
      plannedEnd: '2026-12-05T11:00:00.000Z',
    }),
  );
  const handler = createHandler(() => ports);
  const call = (options: RequestOptions = {}) =>
    handler(
      httpEvent('GET /calendar', '/calendar', {
        user: 'tech',
        ...options,
        query: { ...RANGE, ...options.query },
      }),
    );
  return { ports, sla, call };
}

describe('GET /calendar as JSON', () => {
  it('answers JSON by default, saying that the answer varies with Accept', async () => {
    const { call } = await world();
    const res = await call();
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', vary: 'Accept' });
    expect(res.headers).not.toHaveProperty('etag');
    const calendar = bodyOf<Calendar>(res);
    expect(calendar.items.map((i) => i.uid)).toEqual([
      'rfc-chg_gone@release-desk',
      expect.stringMatching(/^blackout-sla_\w+-0-20261223T230000Z@release-desk$/),
      'release-rel_pay@release-desk',
    ]);
    const release = calendar.items[2] as ReleaseEntry;
    expect(release).toMatchObject({
      conflictCount: 1,
      blackoutConflicts: [{ ciId: 'ci_web', touchedCiId: 'ci_db' }],
    });
  });

  it('refuses bad ranges and unknown formats as problem+json naming the field, whatever is accepted', async () => {
    const { call } = await world();
    const reversed = await call({
      query: { to: '2026-11-01T00:00:00Z' },
      headers: { accept: 'text/calendar' },
    });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf<{ errors: { path: string }[] }>(reversed).errors).toEqual([
      { path: 'to', message: 'must be after from' },
    ]);
    const format = await call({ query: { format: 'pdf' } });
    expect(format.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(format).errors.map((e) => e.path)).toEqual([
      'query.format',
    ]);
    const missing = await handler404();
    expect(missing.statusCode).toBe(404);
    const nobody = await call({ user: 'nobody' });
    expect(nobody.statusCode).toBe(403);

    async function handler404() {
      return call({ query: { team: 'team_ghost' }, headers: { accept: 'text/calendar' } });
    }
  });
});

describe('GET /calendar as an iCalendar feed', () => {
  it('answers text/calendar to Accept: text/calendar: a feed that parses, one event per entry, same uids', async () => {
    const { call, sla } = await world();
    const json = bodyOf<Calendar>(await call());
    const res = await call({ headers: { accept: 'text/calendar' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'text/calendar; charset=utf-8', vary: 'Accept' });
    const feed = parseICalendar(res.body as string);
    expect(feed.name).toBe('Release Desk change calendar');
    expect(feed.events.map((e) => e.uid)).toEqual(json.items.map((i) => i.uid));
    for (const e of feed.events) {
      expect(e.utc).toBe(true);
      expect(e.dtstamp).toBe('2026-11-26T10:00:00.000Z'); // the injected clock
    }
    const [rfc, blackout, release] = feed.events;
    expect(rfc).toMatchObject({
      summary: 'RFC: Old router (Cancelled)',
      categories: ['rfc'],
      status: 'CANCELLED',
      start: '2026-12-05T10:00:00.000Z',
      end: '2026-12-05T11:00:00.000Z',
    });
    expect(blackout).toMatchObject({
      summary: 'Blackout: Web shop – Christmas, the peak; no changes',
      categories: ['blackout', 'blackout-conflict'],
      status: 'CONFIRMED',
      start: '2026-12-23T23:00:00.000Z',
      end: '2026-12-26T23:00:00.000Z',
    });
    expect(blackout?.description).toContain(
      '2026-12-24T00:00:00+01:00 to 2026-12-27T00:00:00+01:00 (Europe/Berlin)',
    );
    expect(blackout?.description).toContain('- Release rel_pay: Payroll 4.2 — Zürich, “final”');
    expect(release).toMatchObject({
      summary: 'Release: Payroll 4.2 — Zürich, “final” (Testing) – 1 blackout conflict',
      categories: ['release', 'blackout-conflict'],
      status: 'TENTATIVE',
      lastModified: '2026-11-20T08:00:00.000Z',
    });
    expect(release?.description).toContain('Blackout conflicts (1):');
    expect(release?.description).toContain(
      `- Web shop: Christmas, the peak; no changes, 2026-12-24T00:00:00+01:00 to 2026-12-27T00:00:00+01:00 (Europe/Berlin), on ci_web through ci_db → ci_web (depends-on)`,
    );
    expect(release?.description).toContain(`CIs: ci_db.`);
    expect(sla.id).toMatch(/^sla_/);
  });

  it('answers the feed to ?format=ics whatever Accept says, and JSON to ?format=json', async () => {
    const { call } = await world();
    const ics = await call({ query: { format: 'ics' }, headers: { accept: 'application/json' } });
    expect(ics.headers?.['content-type']).toBe('text/calendar; charset=utf-8');
    expect(parseICalendar(ics.body as string).events).toHaveLength(3);
    const json = await call({ query: { format: 'json' }, headers: { accept: 'text/calendar' } });
    expect(json.headers?.['content-type']).toBe('application/json');
  });

  it('names the team or the CI in the feed’s name; an empty range is still a valid feed', async () => {
    const { call } = await world();
    const ci = parseICalendar((await call({ query: { format: 'ics', ci: 'ci_db' } })).body as string);
    expect(ci.name).toBe('Release Desk change calendar (CI ci_db)');
    expect(ci.events.find((e) => e.categories.includes('blackout'))?.description).toContain(
      '- ci_web: ci_db → ci_web (depends-on)',
    );
    const empty = await call({
      query: { format: 'ics', from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z' },
    });
    expect(parseICalendar(empty.body as string).events).toEqual([]);
  });
});

describe('choosing a representation from Accept', () => {
  const offered = ['application/json', 'text/calendar'] as const;
  it.each([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['text/calendar', 'text/calendar'],
    ['TEXT/Calendar', 'text/calendar'],
    ['text/*', 'text/calendar'],
    ['text/calendar, */*', 'text/calendar'],
    ['text/calendar;q=0.5, application/json', 'application/json'],
    ['application/json;q=0.2, text/calendar;q=0.9', 'text/calendar'],
    ['text/calendar;q=0, */*', 'application/json'],
    ['text/html', 'application/json'],
    ['application/json;q=0, text/calendar;q=0', 'application/json'],
  ])('Accept %j → %s', (accept, expected) => {
    expect(preferredMediaType(accept, offered)).toBe(expected);
  });
});

describe('alternative representations at the edge', () => {
  const things = resource(
    { name: 'things', description: 'A resource of a test' },
    {
      getThing: route({
        method: 'GET',
        path: '/things',
        summary: 'A thing',
        access: { signedIn: true },
        query: z.object({ as: z.string().optional() }),
        responses: { 200: { description: 'The thing', schema: z.object({ ok: z.boolean() }) } },
      }),
    },
  );
  const handler = httpHandler(
    things,
    {
      getThing: async ({ query, representation: wanted }) => {
        expect(wanted).toBe('application/json');
        return query.as === 'text' ? representation('text/calendar', 'BEGIN:VCALENDAR') : { ok: true };
      },
    },
    () => ({ users: { get: async () => undefined } }) as never,
  );

  it('a route that declares none answers JSON whatever is accepted, without Vary', async () => {
    const res = await handler(
      httpEvent('GET /things', '/things', { user: 'u', headers: { accept: 'text/calendar' } }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(res.headers).not.toHaveProperty('vary');
  });

  it('a use case cannot answer in a media type its route does not declare (a 500, logged)', async () => {
    const res = await handler(httpEvent('GET /things', '/things', { user: 'u', query: { as: 'text' } }));
    expect(res.statusCode).toBe(500);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
  });
});
