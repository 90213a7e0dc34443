/**
 * The change calendar (`GET /calendar`): in one view, the releases planned, the RFCs' planned
 * windows and the SLAs' blackout windows that share time with a range, each plan with the blackout
 * windows it conflicts with (on every CI it touches or impacts) and each blackout window with the
 * plans that conflict with it. Narrowed to a team (its releases, and the RFCs they implement or
 * its board votes on) or to a CI (the plans touching it, the blackouts applying to it through its
 * dependents). Every entry has a stable id (`uid`), so a calendar app subscribed to the feed
 * updates an entry rather than adding it again.
 */
import { type Access, type Actor, ANY_PROCESS, authorize } from '../actor.ts';
import type { Change } from '../change/change.ts';
import type { ChangeStore } from '../change/ports.ts';
import type { InboundRelation } from '../ci/ports.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { MAX_PLANNED_WINDOW_MS } from '../planned-window.ts';
import type { Page } from '../ports.ts';
import { touchedCis } from '../release/blackouts.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { Release } from '../release/release.ts';
import { type BlackoutConflict, blackoutConflicts } from '../sla/conflicts.ts';
import type { SlaPorts } from '../sla/ports.ts';
import { type AppliedWindow, blackoutsIn, type PathStep } from '../sla/service.ts';
import type { Sla } from '../sla/sla.ts';
import type { Team } from '../team/team.ts';

/**
 * Who may read the calendar (the route declares this same object): every process holder, as each
 * may read the releases, the RFCs and the SLAs it shows.
 */
export const calendarAccess = {
  read: ANY_PROCESS,
} as const satisfies Record<string, Access>;

/**
 * Bounds of one calendar: its range; the plans (releases and RFCs) it shows, then `truncated`
 * (and those it reads to pick a team's or a CI's from);
 * the conflicts listed on each plan (all are counted; the plan's own view lists them all); the
 * blackout windows, and the CIs listed on each through which it applies (with `ci`). They keep
 * the answer within a Lambda response (6 MB) whatever the data.
 */
export const CALENDAR_LIMITS = {
  maxRangeDays: 400,
  maxPlans: 500,
  /** Plans read before a team's or a CI's are picked from them. */
  maxPlansRead: 2000,
  maxConflictsPerPlan: 20,
  maxBlackouts: 2000,
  maxAppliesPerBlackout: 20,
} as const;

/** Plans whose conflicts are computed at a time: bounds the reads in flight. */
const PLANS_AT_ONCE = 25;

export interface CalendarQuery {
  readonly from: string;
  readonly to: string;
  readonly teamId?: string | undefined;
  readonly ciId?: string | undefined;
}

export interface CalendarPorts extends SlaPorts {
  readonly releases: Pick<ReleaseStore, 'list' | 'get'>;
  readonly changes: Pick<ChangeStore, 'list' | 'get' | 'linkedReleases'>;
  readonly teams: { get(id: string): Promise<Team | undefined> };
}

/** The blackout conflicts of a plan, as the calendar lists them. */
export interface PlanConflicts {
  /** The first {@link CALENDAR_LIMITS.maxConflictsPerPlan}, earliest first. */
  readonly blackoutConflicts: readonly BlackoutConflict[];
  /** How many were found (one per blackout window and CI covered). */
  readonly conflictCount: number;
  /** Not every conflict is listed, or the search reached its bounds (some may be missing). */
  readonly conflictsTruncated: boolean;
}

export interface ReleaseEntry extends PlanConflicts {
  readonly kind: 'release';
  readonly uid: string;
  readonly start: string;
  readonly end: string;
  readonly id: string;
  readonly title: string;
  readonly teamId?: string;
  readonly releaseType: Release['releaseType'];
  readonly stage: string;
  readonly status: Release['status'];
  /** The CIs it touches: its tasks' and those of the RFCs it implements. */
  readonly ciIds: readonly string[];
  readonly updatedAt: string;
}

export interface ChangeEntry extends PlanConflicts {
  readonly kind: 'change';
  readonly uid: string;
  readonly start: string;
  readonly end: string;
  readonly id: string;
  readonly title: string;
  readonly type: Change['type'];
  readonly risk: Change['risk'];
  readonly state: string;
  readonly status: Change['status'];
  readonly cabTeamId: string;
  readonly ciIds: readonly string[];
  readonly updatedAt: string;
}

/** A plan conflicting with a blackout window. */
export interface PlanRef {
  readonly kind: 'release' | 'change';
  readonly id: string;
  readonly title: string;
}

export interface BlackoutEntry {
  readonly kind: 'blackout';
  readonly uid: string;
  readonly start: string;
  readonly end: string;
  readonly slaId: string;
  readonly slaName: string;
  readonly blackoutIndex: number;
  readonly reason: string;
  readonly tz: string;
  readonly localStart: string;
  readonly localEnd: string;
  /**
   * With a CI: the CIs the SLA covers through which the window applies to it, each with the path
   * (the shortest first; at most {@link CALENDAR_LIMITS.maxAppliesPerBlackout}).
   */
  readonly appliesTo?: readonly { readonly ciId: string; readonly path: readonly PathStep[] }[];
  /** With a CI: how many CIs it applies through. */
  readonly appliesCount?: number;
  /** The plans shown that conflict with it. */
  readonly conflicts: readonly PlanRef[];
}

export type CalendarEntry = ReleaseEntry | ChangeEntry | BlackoutEntry;

export interface Calendar {
  readonly from: string;
  readonly to: string;
  readonly teamId?: string;
  readonly ciId?: string;
  /** When it was read (the injected clock): the feed's DTSTAMP. */
  readonly generatedAt: string;
  /** Earliest first (then blackouts, RFCs, releases; then by id). */
  readonly items: readonly CalendarEntry[];
  /** More plans or windows than listed share time with the range. */
  readonly truncated: boolean;
}

/** `20261224T230000Z`: an instant as RFC 5545 writes it in UTC, for ids. */
export function compactUtc(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** The stable ids of calendar entries (RFC 5545 UIDs): the same entry keeps its id across reads. */
export const calendarUid = {
  release: (id: string) => `release-${id}@release-desk`,
  change: (id: string) => `rfc-${id}@release-desk`,
  /** A blackout window: its SLA, which of its blackouts, and when it starts. */
  blackout: (w: Pick<AppliedWindow, 'slaId' | 'blackoutIndex' | 'start'>) =>
    `blackout-${w.slaId}-${w.blackoutIndex}-${compactUtc(w.start)}@release-desk`,
};

const DAY = 86_400_000;

function assertRange(from: string, to: string): { from: string; to: string } {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (Number.isNaN(f))
    throw new ValidationError('Bad range.', [{ path: 'from', message: 'must be an instant' }]);
  if (Number.isNaN(t))
    throw new ValidationError('Bad range.', [{ path: 'to', message: 'must be an instant' }]);
  if (!(t > f)) throw new ValidationError('Bad range.', [{ path: 'to', message: 'must be after from' }]);
  if (t - f > CALENDAR_LIMITS.maxRangeDays * DAY) {
    throw new ValidationError('Range too long.', [
      { path: 'to', message: `must be at most ${CALENDAR_LIMITS.maxRangeDays} days after from` },
    ]);
  }
  return { from: new Date(f).toISOString(), to: new Date(t).toISOString() };
}

/**
 * The reads that plans share, each made once per calendar: many plans touch the same CIs, link
 * the same RFCs and meet the same SLAs, so each CI's dependents and SLA links, each SLA and each
 * RFC are read once however many plans reach them (concurrent asks share one read).
 */
function sharedReads(ports: CalendarPorts) {
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let pending = cache.get(key);
    if (!pending) {
      pending = read();
      cache.set(key, pending);
    }
    return pending;
  };
  const covering = new Map<string, Promise<string[]>>();
  const dependents = new Map<string, Promise<InboundRelation[]>>();
  const slas = new Map<string, Promise<Sla | undefined>>();
  const changes = new Map<string, Promise<Change | undefined>>();
  const releases = new Map<string, Promise<Release | undefined>>();
  return {
    slas: {
      covering: (ciId: string) => once(covering, ciId, () => ports.slas.covering(ciId)),
      getMany: async (ids: readonly string[]): Promise<Sla[]> => {
        const missing = [...new Set(ids)].filter((id) => !slas.has(id));
        if (missing.length > 0) {
          const batch = ports.slas.getMany(missing).then((found) => new Map(found.map((s) => [s.id, s])));
          for (const id of missing)
            slas.set(
              id,
              batch.then((found) => found.get(id)),
            );
        }
        const found = await Promise.all(ids.map((id) => slas.get(id)));
        return found.filter((s): s is Sla => s !== undefined);
      },
    },
    cis: {
      dependents: (ciId: string, limit: number) =>
        once(dependents, `${ciId}#${limit}`, () => ports.cis.dependents(ciId, limit)),
    },
    changes: {
      get: (id: string) => once(changes, id, () => ports.changes.get(id)),
      linkedReleases: (id: string) => ports.changes.linkedReleases(id),
    },
    releases: { get: (id: string) => once(releases, id, () => ports.releases.get(id)) },
  };
}

/**
 * Every item of a list, page by page, that `keep` accepts, stopping once more than `max` are
 * kept (then `truncated`).
 */
async function collect<T>(
  read: (page: { limit: number; cursor?: string | undefined }) => Promise<Page<T>>,
  keep: (item: T) => boolean,
  max: number,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read({ limit: 100, cursor });
    for (const item of page.items) if (keep(item)) items.push(item);
    if (items.length > max) return { items, truncated: true };
    cursor = page.nextCursor;
  } while (cursor);
  return { items, truncated: false };
}

/** Whether `[start, end)` shares time with `[from, to)` (touching does not). */
const sharesTime = (start: string, end: string, range: { from: string; to: string }) =>
  Date.parse(start) < Date.parse(range.to) && Date.parse(range.from) < Date.parse(end);

/** Runs `work` on every item, at most {@link PLANS_AT_ONCE} at a time, keeping their order. */
async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PLANS_AT_ONCE) {
    out.push(...(await Promise.all(items.slice(i, i + PLANS_AT_ONCE).map(work))));
  }
  return out;
}

function listed(found: { items: BlackoutConflict[]; truncated: boolean }): PlanConflicts {
  const max = CALENDAR_LIMITS.maxConflictsPerPlan;
  return {
    blackoutConflicts: found.items.slice(0, max),
    conflictCount: found.items.length,
    conflictsTruncated: found.truncated || found.items.length > max,
  };
}

const windowKey = (w: Pick<AppliedWindow, 'slaId' | 'blackoutIndex' | 'start'>) =>
  `${w.slaId}|${w.blackoutIndex}|${w.start}`;

const KIND_ORDER: Record<CalendarEntry['kind'], number> = { blackout: 0, change: 1, release: 2 };

/**
 * The calendar of `[from, to)` (at most 400 days; 400 naming `to` otherwise). Releases and RFCs
 * whose planned window shares time with the range — found by planned start from `from` minus the
 * longest planned window (31 days) on, so one that began before `from` is there too — with their
 * blackout conflicts; and the blackout windows in the range, all of them or those applying to
 * `ciId`. `teamId` narrows the plans, never the blackouts: a team plans around every freeze.
 */
export async function calendarOf(
  query: CalendarQuery,
  actor: Actor,
  ports: CalendarPorts,
): Promise<Calendar> {
  authorize(actor, calendarAccess.read);
  const range = assertRange(query.from, query.to);
  const { teamId, ciId } = query;
  if (teamId !== undefined && !(await ports.teams.get(teamId))) throw new NotFoundError('Team', teamId);
  const reads = sharedReads(ports);
  // A plan starts at most the longest planned window before it ends.
  const plannedFrom = new Date(Date.parse(range.from) - MAX_PLANNED_WINDOW_MS).toISOString();
  const max = CALENDAR_LIMITS.maxPlans;
  const [releases, changes, blackouts] = await Promise.all([
    collect(
      (page) => ports.releases.list({ plannedFrom, plannedTo: range.to, teamId }, page),
      (r) => sharesTime(r.plannedStart, r.plannedEnd, range),
      // With a CI, releases are narrowed after the read, by the CIs they touch.
      ciId === undefined ? max : CALENDAR_LIMITS.maxPlansRead,
    ),
    collect(
      (page) => ports.changes.list({ plannedFrom, plannedTo: range.to }, page),
      (c) =>
        c.plannedStart !== undefined &&
        c.plannedEnd !== undefined &&
        sharesTime(c.plannedStart, c.plannedEnd, range) &&
        (ciId === undefined || c.ciIds.includes(ciId)),
      // With a team, RFCs are narrowed after the read, by their links.
      teamId === undefined ? max : CALENDAR_LIMITS.maxPlansRead,
    ),
    // Also checks that the CI exists (404 otherwise).
    blackoutsIn({ from: range.from, to: range.to, ciId }, actor, ports),
  ]);

  const touched = await inBatches(releases.items, (r) => touchedCis(r, reads));
  const releasePlans = releases.items
    .map((release, i) => ({ release, ciIds: touched[i] as string[] }))
    .filter((p) => ciId === undefined || p.ciIds.includes(ciId));
  const changePlans =
    teamId === undefined ? changes.items : await ofTeam(changes.items, teamId, releases.items, reads);

  // The earliest plans are kept when there are more than the calendar shows.
  type Plan =
    | { kind: 'release'; start: string; plan: { release: Release; ciIds: string[] } }
    | { kind: 'change'; start: string; plan: Change };
  const plans: Plan[] = [
    ...releasePlans.map((p) => ({ kind: 'release' as const, start: p.release.plannedStart, plan: p })),
    ...changePlans.map((c) => ({ kind: 'change' as const, start: c.plannedStart as string, plan: c })),
  ].sort((a, b) => a.start.localeCompare(b.start));
  const plansTruncated = releases.truncated || changes.truncated || plans.length > max;
  const shown = plans.slice(0, max);

  const planned = await inBatches(shown, async (p) => {
    const entry = p.kind === 'release' ? releaseEntry(p.plan.release, p.plan.ciIds) : changeEntry(p.plan);
    return { entry, found: await blackoutConflicts(entry.ciIds, entry, reads) };
  });
  const entries = planned.map(
    ({ entry, found }) => ({ ...entry, ...listed(found) }) as ReleaseEntry | ChangeEntry,
  );

  const windows = blackoutEntries(blackouts.items, ciId !== undefined);
  // Which shown plans conflict with each window shown: from every conflict found, listed or not.
  const conflictsOf = new Map<string, PlanRef[]>();
  for (const { entry, found } of planned) {
    for (const key of new Set(found.items.map(windowKey))) {
      const refs = conflictsOf.get(key) ?? [];
      refs.push({ kind: entry.kind, id: entry.id, title: entry.title });
      conflictsOf.set(key, refs);
    }
  }
  const blackoutItems = windows.items.map((w) => ({ ...w, conflicts: conflictsOf.get(windowKey(w)) ?? [] }));

  const items: CalendarEntry[] = [...blackoutItems, ...entries].sort(
    (a, b) =>
      a.start.localeCompare(b.start) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.uid.localeCompare(b.uid),
  );
  return {
    ...range,
    ...(teamId !== undefined ? { teamId } : {}),
    ...(ciId !== undefined ? { ciId } : {}),
    generatedAt: ports.clock.now().toISOString(),
    items,
    truncated: plansTruncated || blackouts.truncated || windows.truncated,
  };
}

type Unlisted<E> = Omit<E, keyof PlanConflicts>;

function releaseEntry(release: Release, ciIds: string[]): Unlisted<ReleaseEntry> {
  return {
    kind: 'release',
    uid: calendarUid.release(release.id),
    start: release.plannedStart,
    end: release.plannedEnd,
    id: release.id,
    title: release.title,
    ...(release.teamId !== undefined ? { teamId: release.teamId } : {}),
    releaseType: release.releaseType,
    stage: release.stage,
    status: release.status,
    ciIds,
    updatedAt: release.updatedAt,
  };
}

function changeEntry(change: Change): Unlisted<ChangeEntry> {
  return {
    kind: 'change',
    uid: calendarUid.change(change.id),
    start: change.plannedStart as string,
    end: change.plannedEnd as string,
    id: change.id,
    title: change.title,
    type: change.type,
    risk: change.risk,
    state: change.stage,
    status: change.status,
    cabTeamId: change.cabTeamId,
    ciIds: [...change.ciIds],
    updatedAt: change.updatedAt,
  };
}

/**
 * The RFCs of a team: those its board votes on (a CAB team) and those a release of the team
 * implements (links), wherever that release is planned. One read of each RFC's release links; a
 * release outside the calendar is read once.
 */
async function ofTeam(
  changes: readonly Change[],
  teamId: string,
  teamReleases: readonly Release[],
  reads: ReturnType<typeof sharedReads>,
): Promise<Change[]> {
  const known = new Map(teamReleases.map((r) => [r.id, r.teamId]));
  const belongs = await inBatches(changes, async (change) => {
    if (change.cabTeamId === teamId) return true;
    const linked = await reads.changes.linkedReleases(change.id);
    for (const releaseId of linked) {
      const team = known.has(releaseId)
        ? known.get(releaseId)
        : (await reads.releases.get(releaseId))?.teamId;
      if (team === teamId) return true;
    }
    return false;
  });
  return changes.filter((_, i) => belongs[i]);
}

/**
 * One entry per blackout window (its SLA, blackout and start), however many CIs it applies
 * through: with a CI, the windows arrive once per covered CI and are merged, listing each CI with
 * its path (the shortest first). At most {@link CALENDAR_LIMITS.maxBlackouts}.
 */
function blackoutEntries(
  windows: readonly AppliedWindow[],
  withCi: boolean,
): { items: Omit<BlackoutEntry, 'conflicts'>[]; truncated: boolean } {
  const byWindow = new Map<string, { entry: Omit<BlackoutEntry, 'conflicts'>; applies: AppliedWindow[] }>();
  for (const w of windows) {
    const key = windowKey(w);
    const found = byWindow.get(key);
    if (found) {
      found.applies.push(w);
      continue;
    }
    byWindow.set(key, {
      entry: {
        kind: 'blackout',
        uid: calendarUid.blackout(w),
        start: w.start,
        end: w.end,
        slaId: w.slaId,
        slaName: w.slaName,
        blackoutIndex: w.blackoutIndex,
        reason: w.reason,
        tz: w.tz,
        localStart: w.localStart,
        localEnd: w.localEnd,
      },
      applies: [w],
    });
  }
  const max = CALENDAR_LIMITS.maxBlackouts;
  const items = [...byWindow.values()].slice(0, max).map(({ entry, applies }) => {
    if (!withCi) return entry;
    const sorted = applies
      .filter((a) => a.ciId !== undefined)
      .sort(
        (a, b) => (a.path?.length ?? 0) - (b.path?.length ?? 0) || (a.ciId ?? '').localeCompare(b.ciId ?? ''),
      );
    return {
      ...entry,
      appliesTo: sorted
        .slice(0, CALENDAR_LIMITS.maxAppliesPerBlackout)
        .map((a) => ({ ciId: a.ciId as string, path: (a.path ?? []).map((s) => ({ ...s })) })),
      appliesCount: sorted.length,
    };
  });
  return { items, truncated: byWindow.size > max };
}
