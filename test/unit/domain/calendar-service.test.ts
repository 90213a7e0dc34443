/**
 * The change calendar on the in-memory fakes (issue 12, item 6): releases, RFC windows and
 * blackout windows of a range in one list, earliest first, each plan with its blackout conflicts
 * (through CMDB dependencies, with the path) and each window with the plans conflicting with it;
 * a plan that began before the range but ends in it is there, touching ones are not; narrowed to
 * a team or a CI; stable ids; bounds, access and bad ranges.
 */
import { describe, expect, it } from 'vitest';
import {
  type BlackoutEntry,
  CALENDAR_LIMITS,
  type CalendarEntry,
  type ChangeEntry,
  calendarOf,
  calendarUid,
  compactUtc,
  type ReleaseEntry,
} from '../../../functions/domain/calendar/service.ts';
import type { Change } from '../../../functions/domain/change/change.ts';
import type { Ci } from '../../../functions/domain/ci/ci.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../functions/domain/errors.ts';
import type { PlannedTask, Release } from '../../../functions/domain/release/release.ts';
import { createSla } from '../../../functions/domain/sla/service.ts';
import type { Team, TeamKind } from '../../../functions/domain/team/team.ts';
import { actor, changeFixture, ciFixture, fixedClock, inMemoryPorts } from '../../support/fakes.ts';

const admin = actor('root', [], { admin: true });
const rm = actor('rm', ['release', 'deployment']);
const tech = actor('tech', ['deployment']);
const cm = actor('cm', ['change']);
const nobody = actor('nobody', []);

const T0 = '2026-11-01T00:00:00.000Z';
const FROM = '2026-12-01T00:00:00Z';
const TO = '2027-01-01T00:00:00Z';

function team(id: string, kind: TeamKind): Team {
  return {
    id,
    name: id,
    kind,
    workGroups: [],
    members: [],
    version: 1,
    createdAt: T0,
    createdBy: 'root',
    updatedAt: T0,
    updatedBy: 'root',
  };
}

const task = (ciId: string): PlannedTask => ({
  id: `task_${ciId}`,
  title: `Change ${ciId}`,
  workGroupId: 'wg_dep',
  ciIds: [ciId],
  ciUpdates: [],
  status: 'planned',
});

function release(id: string, plannedStart: string, plannedEnd: string, over: Partial<Release> = {}): Release {
  return {
    id,
    version: 1,
    title: `Release ${id}`,
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    teamId: 'team_pay',
    workflow: { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' },
    stage: 'Assessment',
    stageEntry: 0,
    status: 'active',
    plannedStart,
    plannedEnd,
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [],
    createdAt: T0,
    createdBy: 'rm',
    updatedAt: T0,
    updatedBy: 'rm',
    ...over,
  };
}

const rfc = (
  id: string,
  plannedStart: string | undefined,
  plannedEnd: string | undefined,
  over: Partial<Change> = {},
) =>
  changeFixture({
    id,
    title: `RFC ${id}`,
    ...(plannedStart ? { plannedStart } : {}),
    ...(plannedEnd ? { plannedEnd } : {}),
    ...over,
  });

const dependsOn = (id: string, target: string): Ci =>
  ciFixture(id, { relations: [{ type: 'depends-on', ciId: target }] });

/**
 * ci_db ← ci_app ← ci_web (each depends on the one before); the web shop's SLA covers ci_web
 * (Christmas, and the last Friday of each month from 22:00 Berlin time for 6 hours), another
 * covers ci_other. Releases and RFCs around December 2026.
 */
async function world() {
  const w = inMemoryPorts({ clock: fixedClock('2026-11-26T10:00:00.000Z') });
  for (const ci of [
    ciFixture('ci_db'),
    dependsOn('ci_app', 'ci_db'),
    dependsOn('ci_web', 'ci_app'),
    ciFixture('ci_other'),
  ]) {
    w.cis.seed(ci);
  }
  for (const t of [team('team_pay', 'release'), team('team_ops', 'release'), team('team_cab', 'cab')]) {
    w.teams.seed(t);
  }
  const shop = (
    await createSla(
      {
        name: 'Web shop',
        ciIds: ['ci_web'],
        blackouts: [
          {
            start: '2026-12-24T00:00:00+01:00',
            end: '2026-12-27T00:00:00+01:00',
            reason: 'Christmas; sales, peak',
            tz: 'Europe/Berlin',
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
      admin,
      w,
    )
  ).sla;
  const ops = (
    await createSla(
      {
        name: 'Ops',
        ciIds: ['ci_other'],
        blackouts: [{ start: '2026-12-15T00:00:00Z', end: '2026-12-16T00:00:00Z', reason: 'Audit' }],
      },
      admin,
      w,
    )
  ).sla;
  // Through ci_db: its dependents ci_app and ci_web, whose SLA has Christmas.
  w.releases.seed(
    release('rel_a', '2026-12-24T10:00:00.000Z', '2026-12-24T12:00:00.000Z', {
      title: 'Payroll 4.2',
      tasks: [task('ci_db')],
      changeIds: ['chg_4'],
    }),
  );
  w.releases.seed(
    release('rel_b', '2026-12-10T20:00:00.000Z', '2026-12-10T22:00:00.000Z', {
      teamId: 'team_ops',
      changeIds: ['chg_2'],
    }),
  );
  // Began before the range, ends inside it.
  w.releases.seed(release('rel_early', '2026-11-20T00:00:00.000Z', '2026-12-02T00:00:00.000Z'));
  // Touch the range without sharing time with it.
  w.releases.seed(release('rel_before', '2026-11-30T20:00:00.000Z', '2026-12-01T00:00:00.000Z'));
  w.releases.seed(release('rel_after', '2027-01-01T00:00:00.000Z', '2027-01-01T02:00:00.000Z'));
  // Long before the range, yet implements an RFC planned in it.
  w.releases.seed(
    release('rel_far', '2026-06-01T00:00:00.000Z', '2026-06-01T02:00:00.000Z', { changeIds: ['chg_5'] }),
  );
  w.changes.seed(rfc('chg_1', '2026-12-25T10:00:00.000Z', '2026-12-25T12:00:00.000Z', { ciIds: ['ci_web'] }));
  w.changes.seed(
    rfc('chg_2', '2026-12-15T10:00:00.000Z', '2026-12-15T12:00:00.000Z', {
      ciIds: ['ci_other'],
      cabTeamId: 'team_cab2',
    }),
  );
  w.changes.seed(rfc('chg_3', undefined, undefined, { ciIds: ['ci_web'] }));
  w.changes.seed(
    rfc('chg_4', '2026-12-24T09:00:00.000Z', '2026-12-24T13:00:00.000Z', {
      ciIds: ['ci_db'],
      cabTeamId: 'team_cab2',
    }),
  );
  w.changes.seed(
    rfc('chg_5', '2026-12-05T09:00:00.000Z', '2026-12-05T13:00:00.000Z', { cabTeamId: 'team_cab2' }),
  );
  // Only a start: no window to show.
  w.changes.seed(rfc('chg_6', '2026-12-05T09:00:00.000Z', undefined));
  return { w, shop, ops };
}

const ids = (items: readonly CalendarEntry[]) =>
  items.map((i) => (i.kind === 'blackout' ? `${i.slaId}#${i.blackoutIndex}@${i.start}` : i.id));
const entry = <K extends CalendarEntry['kind']>(items: readonly CalendarEntry[], kind: K, id: string) =>
  items.find((i) => i.kind === kind && (i.kind === 'blackout' ? i.uid === id : i.id === id)) as Extract<
    CalendarEntry,
    { kind: K }
  >;

describe('the change calendar', () => {
  it('lists releases, RFC windows and blackout windows sharing time with the range, earliest first', async () => {
    const { w, shop, ops } = await world();
    const calendar = await calendarOf({ from: FROM, to: TO }, tech, w);
    expect(calendar).toMatchObject({
      from: '2026-12-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
      generatedAt: '2026-11-26T10:00:00.000Z',
      truncated: false,
    });
    expect(ids(calendar.items)).toEqual([
      'rel_early',
      'chg_5',
      'rel_b',
      `${ops.id}#0@2026-12-15T00:00:00.000Z`,
      'chg_2',
      `${shop.id}#0@2026-12-23T23:00:00.000Z`,
      'chg_4',
      'rel_a',
      'chg_1',
      // The last Friday of December 2026 is Christmas Day: 22:00 CET is 21:00 UTC.
      `${shop.id}#1@2026-12-25T21:00:00.000Z`,
    ]);
    expect(calendar.items.map((i) => i.kind)).toEqual([
      'release',
      'change',
      'release',
      'blackout',
      'change',
      'blackout',
      'change',
      'release',
      'change',
      'blackout',
    ]);
  });

  it('shows each plan with its blackout conflicts on every CI, through dependencies, with the path', async () => {
    const { w, shop } = await world();
    const { items } = await calendarOf({ from: FROM, to: TO }, rm, w);
    const payroll = entry(items, 'release', 'rel_a') as ReleaseEntry;
    expect(payroll).toMatchObject({
      uid: 'release-rel_a@release-desk',
      start: '2026-12-24T10:00:00.000Z',
      end: '2026-12-24T12:00:00.000Z',
      title: 'Payroll 4.2',
      teamId: 'team_pay',
      releaseType: 'minor',
      stage: 'Assessment',
      status: 'active',
      // Its task's CI and the CIs of the RFC it implements.
      ciIds: ['ci_db'],
      conflictCount: 1,
      conflictsTruncated: false,
    });
    expect(payroll.blackoutConflicts).toEqual([
      {
        slaId: shop.id,
        slaName: 'Web shop',
        blackoutIndex: 0,
        reason: 'Christmas; sales, peak',
        start: '2026-12-23T23:00:00.000Z',
        end: '2026-12-26T23:00:00.000Z',
        tz: 'Europe/Berlin',
        localStart: '2026-12-24T00:00:00+01:00',
        localEnd: '2026-12-27T00:00:00+01:00',
        ciId: 'ci_web',
        touchedCiId: 'ci_db',
        path: [
          { ciId: 'ci_app', relation: 'depends-on' },
          { ciId: 'ci_web', relation: 'depends-on' },
        ],
      },
    ]);
    const christmasRfc = entry(items, 'change', 'chg_1') as ChangeEntry;
    expect(christmasRfc).toMatchObject({
      uid: 'rfc-chg_1@release-desk',
      title: 'RFC chg_1',
      type: 'normal',
      risk: 'low',
      state: 'Recorded',
      status: 'active',
      cabTeamId: 'team_cab',
      ciIds: ['ci_web'],
      conflictCount: 1,
    });
    expect(christmasRfc.blackoutConflicts[0]).toMatchObject({
      ciId: 'ci_web',
      touchedCiId: 'ci_web',
      path: [],
    });
    expect((entry(items, 'release', 'rel_b') as ReleaseEntry).blackoutConflicts).toEqual([]);
  });

  it('shows each blackout window once, UTC and local, with the plans that conflict with it', async () => {
    const { w, shop, ops } = await world();
    const { items } = await calendarOf({ from: FROM, to: TO }, rm, w);
    const christmas = entry(
      items,
      'blackout',
      `blackout-${shop.id}-0-20261223T230000Z@release-desk`,
    ) as BlackoutEntry;
    expect(christmas).toEqual({
      kind: 'blackout',
      uid: `blackout-${shop.id}-0-20261223T230000Z@release-desk`,
      start: '2026-12-23T23:00:00.000Z',
      end: '2026-12-26T23:00:00.000Z',
      slaId: shop.id,
      slaName: 'Web shop',
      blackoutIndex: 0,
      reason: 'Christmas; sales, peak',
      tz: 'Europe/Berlin',
      localStart: '2026-12-24T00:00:00+01:00',
      localEnd: '2026-12-27T00:00:00+01:00',
      conflicts: [
        { kind: 'change', id: 'chg_4', title: 'RFC chg_4' },
        { kind: 'release', id: 'rel_a', title: 'Payroll 4.2' },
        { kind: 'change', id: 'chg_1', title: 'RFC chg_1' },
      ],
    });
    const audit = items.find((i) => i.kind === 'blackout' && i.slaId === ops.id) as BlackoutEntry;
    expect(audit.conflicts).toEqual([{ kind: 'change', id: 'chg_2', title: 'RFC chg_2' }]);
    const batch = items.find((i) => i.kind === 'blackout' && i.blackoutIndex === 1) as BlackoutEntry;
    expect(batch).toMatchObject({
      localStart: '2026-12-25T22:00:00+01:00',
      localEnd: '2026-12-26T04:00:00+01:00',
    });
    expect(batch.conflicts).toEqual([]);
  });

  it('gives every entry a stable id: the same on every read, whatever the range', async () => {
    const { w } = await world();
    const december = await calendarOf({ from: FROM, to: TO }, rm, w);
    const christmasWeek = await calendarOf(
      { from: '2026-12-20T00:00:00Z', to: '2026-12-27T00:00:00Z' },
      rm,
      w,
    );
    const uids = new Set(december.items.map((i) => i.uid));
    expect(uids.size).toBe(december.items.length);
    for (const item of christmasWeek.items) expect(uids).toContain(item.uid);
    expect(
      calendarUid.blackout({ slaId: 'sla_1', blackoutIndex: 2, start: '2026-12-23T23:00:00.000Z' }),
    ).toBe('blackout-sla_1-2-20261223T230000Z@release-desk');
    expect(compactUtc('2026-12-24T00:00:00+01:00')).toBe('20261223T230000Z');
  });

  it('for a team: its releases, the RFCs they implement (even from outside the range) and those its board votes on; every blackout', async () => {
    const { w } = await world();
    const pay = await calendarOf({ from: FROM, to: TO, teamId: 'team_pay' }, rm, w);
    expect(pay.teamId).toBe('team_pay');
    const plans = pay.items.filter((i) => i.kind !== 'blackout');
    expect(ids(plans)).toEqual(['rel_early', 'chg_5', 'chg_4', 'rel_a']);
    expect(pay.items.filter((i) => i.kind === 'blackout')).toHaveLength(3);
    const ops = await calendarOf({ from: FROM, to: TO, teamId: 'team_ops' }, rm, w);
    expect(ids(ops.items.filter((i) => i.kind !== 'blackout'))).toEqual(['rel_b', 'chg_2']);
    const cab = await calendarOf({ from: FROM, to: TO, teamId: 'team_cab' }, rm, w);
    expect(ids(cab.items.filter((i) => i.kind !== 'blackout'))).toEqual(['chg_1']);
    await expect(calendarOf({ from: FROM, to: TO, teamId: 'team_ghost' }, rm, w)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('for a CI: the plans touching it, and the blackouts applying to it through its dependents, with the paths', async () => {
    const { w, shop } = await world();
    const db = await calendarOf({ from: FROM, to: TO, ciId: 'ci_db' }, rm, w);
    expect(db.ciId).toBe('ci_db');
    expect(ids(db.items)).toEqual([
      `${shop.id}#0@2026-12-23T23:00:00.000Z`,
      'chg_4',
      'rel_a',
      `${shop.id}#1@2026-12-25T21:00:00.000Z`,
    ]);
    const christmas = db.items[0] as BlackoutEntry;
    expect(christmas.appliesTo).toEqual([
      {
        ciId: 'ci_web',
        path: [
          { ciId: 'ci_app', relation: 'depends-on' },
          { ciId: 'ci_web', relation: 'depends-on' },
        ],
      },
    ]);
    expect(christmas.appliesCount).toBe(1);
    // Without a CI, a window applies to nothing in particular.
    const all = await calendarOf({ from: FROM, to: TO }, rm, w);
    expect(all.items.find((i) => i.kind === 'blackout')).not.toHaveProperty('appliesTo');
    await expect(calendarOf({ from: FROM, to: TO, ciId: 'ci_ghost' }, rm, w)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('reads each CI’s dependents and SLA links once however many plans reach them', async () => {
    const { w } = await world();
    w.releases.seed(
      release('rel_c', '2026-12-03T10:00:00.000Z', '2026-12-03T12:00:00.000Z', { tasks: [task('ci_db')] }),
    );
    w.releases.seed(
      release('rel_d', '2026-12-04T10:00:00.000Z', '2026-12-04T12:00:00.000Z', { tasks: [task('ci_db')] }),
    );
    const before = w.cis.calls.length;
    const linksBefore = w.slas.calls.length;
    await calendarOf({ from: FROM, to: TO }, rm, w);
    const dependents = w.cis.calls
      .slice(before)
      .filter((c) => c.method === 'dependents')
      .map((c) => c.args[0]);
    expect(dependents.length).toBeGreaterThan(0);
    expect(new Set(dependents).size).toBe(dependents.length);
    const covering = w.slas.calls
      .slice(linksBefore)
      .filter((c) => c.method === 'covering')
      .map((c) => c.args[0]);
    expect(new Set(covering).size).toBe(covering.length);
    // Every read was a list by planned start or a read by key: no whole-table read exists to call.
    const listed = w.releases.calls.filter((c) => c.method === 'list').map((c) => c.args[0]);
    expect(listed).toContainEqual({
      plannedFrom: '2026-10-31T00:00:00.000Z',
      plannedTo: '2027-01-01T00:00:00.000Z',
      teamId: undefined,
    });
  });

  it('keeps the earliest plans when more share time with the range than it shows, and says so', async () => {
    const { w } = await world();
    const start = Date.parse('2027-02-01T00:00:00Z');
    for (let i = 0; i < CALENDAR_LIMITS.maxPlans + 1; i++) {
      const at = new Date(start + i * 3_600_000);
      w.releases.seed(
        release(
          `rel_${String(i).padStart(4, '0')}`,
          at.toISOString(),
          new Date(at.getTime() + 1_800_000).toISOString(),
        ),
      );
    }
    const calendar = await calendarOf({ from: '2027-02-01T00:00:00Z', to: '2027-03-01T00:00:00Z' }, rm, w);
    expect(calendar.truncated).toBe(true);
    const plans = calendar.items.filter((i) => i.kind === 'release');
    expect(plans).toHaveLength(CALENDAR_LIMITS.maxPlans);
    expect(plans.at(-1)?.id).toBe(`rel_${String(CALENDAR_LIMITS.maxPlans - 1).padStart(4, '0')}`);
  });

  it('lists at most 20 conflicts on a plan and counts them all', async () => {
    const { w } = await world();
    const covered = Array.from({ length: 30 }, (_, i) => `ci_n${String(i).padStart(2, '0')}`);
    for (const id of covered) w.cis.seed(dependsOn(id, 'ci_hub'));
    w.cis.seed(ciFixture('ci_hub'));
    await createSla(
      {
        name: 'Fleet',
        ciIds: covered,
        blackouts: [{ start: '2027-03-01T00:00:00Z', end: '2027-03-02T00:00:00Z', reason: 'Fleet' }],
      },
      admin,
      w,
    );
    w.releases.seed(
      release('rel_hub', '2027-03-01T10:00:00.000Z', '2027-03-01T11:00:00.000Z', { tasks: [task('ci_hub')] }),
    );
    const { items } = await calendarOf({ from: '2027-03-01T00:00:00Z', to: '2027-03-02T00:00:00Z' }, rm, w);
    const hub = entry(items, 'release', 'rel_hub') as ReleaseEntry;
    expect(hub.conflictCount).toBe(30);
    expect(hub.blackoutConflicts).toHaveLength(CALENDAR_LIMITS.maxConflictsPerPlan);
    expect(hub.conflictsTruncated).toBe(true);
  });

  it('is read by every process holder, and refuses bad ranges naming the field', async () => {
    const { w } = await world();
    for (const who of [rm, tech, cm, admin])
      await expect(calendarOf({ from: FROM, to: TO }, who, w)).resolves.toBeDefined();
    await expect(calendarOf({ from: FROM, to: TO }, nobody, w)).rejects.toBeInstanceOf(ForbiddenError);
    const refusal = async (from: string, to: string) => {
      const error = await calendarOf({ from, to }, rm, w).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).errors;
    };
    expect(await refusal(FROM, FROM)).toEqual([{ path: 'to', message: 'must be after from' }]);
    expect(await refusal('2026-01-01T00:00:00Z', '2027-02-05T00:00:01Z')).toEqual([
      { path: 'to', message: 'must be at most 400 days after from' },
    ]);
    expect(await refusal('soon', TO)).toEqual([{ path: 'from', message: 'must be an instant' }]);
    // 400 days exactly is allowed.
    await expect(
      calendarOf({ from: '2026-01-01T00:00:00Z', to: '2027-02-05T00:00:00Z' }, rm, w),
    ).resolves.toBeDefined();
  });
});
