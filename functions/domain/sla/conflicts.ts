/**
 * Blackouts as a plan meets them: which SLAs apply to the CIs a release or an RFC touches — those
 * covering a touched CI and those covering any CI that depends on one, transitively through the
 * CMDB's relations — and, for a planned window, every blackout window it shares time with, on
 * every CI (never only the first one found); and the earliest free windows of a given length.
 */
import { IMPACT_LIMITS } from '../ci/service.ts';
import { ValidationError } from '../errors.ts';
import type { SlaPorts } from './ports.ts';
import type { PathStep } from './service.ts';
import {
  type BlackoutWindow,
  type Interval,
  intervalsOfAll,
  MAX_WINDOWS_PER_SLA,
  type Sla,
  windowsIn,
} from './sla.ts';

/** An SLA that applies to a plan: through the CI it covers, reached from a touched CI by `path`. */
export interface Exposure {
  readonly sla: Sla;
  /** The CI the SLA covers. */
  readonly ciId: string;
  /** The CI the plan touches that leads to it (itself when `path` is empty). */
  readonly touchedCiId: string;
  /** From the touched CI to the covered one: each CI that depends on the one before, by its relation. */
  readonly path: readonly PathStep[];
}

export interface ExposureOf {
  readonly exposures: readonly Exposure[];
  /** More dependents than {@link EXPOSURE_LIMITS.maxCis} were reached: some SLAs may be missing. */
  readonly truncated: boolean;
}

/**
 * How far the dependents of a plan's CIs are followed: as far as a CI's impact may be asked for
 * (`IMPACT_LIMITS.maxDepth` relations), and at most this many CIs in all (touched ones included).
 */
export const EXPOSURE_LIMITS = { maxDepth: IMPACT_LIMITS.maxDepth, maxCis: 1000 } as const;

/** At most this many conflicts are listed for one plan (then `truncated`). */
export const MAX_CONFLICTS = 2000;

/**
 * The SLAs that apply to a plan touching `ciIds`. One breadth-first walk from all touched CIs at
 * once, so every CI is reached once, by its shortest path from the nearest touched CI; each level
 * reads its CIs' dependents and their SLA links side by side (one Query each, 25 CIs at a time),
 * then one BatchGetItem reads the SLAs. `truncated` when more CIs depend on them than the walk
 * follows (past {@link EXPOSURE_LIMITS}). No CI touched: no read at all.
 */
export async function exposureOf(
  ciIds: readonly string[],
  ports: { slas: Pick<SlaPorts['slas'], 'covering' | 'getMany'>; cis: Pick<SlaPorts['cis'], 'dependents'> },
): Promise<ExposureOf> {
  const touched = [...new Set(ciIds)].sort();
  if (touched.length === 0) return { exposures: [], truncated: false };
  const reached = new Map<string, { touchedCiId: string; path: readonly PathStep[] }>();
  for (const id of touched) reached.set(id, { touchedCiId: id, path: [] });
  let truncated = false;
  let frontier = [...touched];
  const covering = new Map<string, string[]>();
  for (let level = 0; frontier.length > 0; level++) {
    // Past the last level only whether anything depends on it matters (then `truncated`).
    const last = level >= EXPOSURE_LIMITS.maxDepth;
    // One limit for every read, so that callers sharing reads across walks (the calendar) find
    // the same read for the same CI.
    const read = await inBatches(frontier, (id) =>
      Promise.all([ports.slas.covering(id), ports.cis.dependents(id, EXPOSURE_LIMITS.maxCis + 1)]),
    );
    const next: string[] = [];
    frontier.forEach((id, i) => {
      const [links, inbound] = read[i] ?? [[], []];
      covering.set(id, links);
      const from = reached.get(id) as { touchedCiId: string; path: readonly PathStep[] };
      for (const relation of inbound) {
        if (reached.has(relation.ciId)) continue;
        if (last || reached.size >= EXPOSURE_LIMITS.maxCis) {
          truncated = true;
          break;
        }
        reached.set(relation.ciId, {
          touchedCiId: from.touchedCiId,
          path: [...from.path, { ciId: relation.ciId, relation: relation.type }],
        });
        next.push(relation.ciId);
      }
    });
    frontier = next;
  }
  const slaIds = [...new Set([...covering.values()].flat())];
  const slas = new Map((await ports.slas.getMany(slaIds)).map((s) => [s.id, s]));
  const exposures: Exposure[] = [];
  for (const [ciId, { touchedCiId, path }] of reached) {
    for (const slaId of covering.get(ciId) ?? []) {
      const sla = slas.get(slaId);
      // A link read before its SLA changed may name an SLA that no longer covers the CI.
      if (sla?.ciIds.includes(ciId)) exposures.push({ sla, ciId, touchedCiId, path });
    }
  }
  return { exposures, truncated };
}

/** Reads side by side, at most this many at once (the SDK keeps 50 sockets per client). */
const READS_AT_ONCE = 25;

async function inBatches<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READS_AT_ONCE) {
    out.push(...(await Promise.all(items.slice(i, i + READS_AT_ONCE).map(read))));
  }
  return out;
}

/** A blackout window a planned window shares time with, on one CI. */
export interface BlackoutConflict extends BlackoutWindow {
  readonly slaName: string;
  readonly ciId: string;
  readonly touchedCiId: string;
  readonly path: readonly PathStep[];
}

/**
 * Every blackout window of the exposures that shares time with `window` (half-open: touching
 * windows do not conflict, one second in common does), one per window and CI covered; earliest
 * first, then by SLA, blackout, path length and CI. At most {@link MAX_CONFLICTS}.
 */
export function conflictsIn(
  exposure: ExposureOf,
  window: Interval,
): { items: BlackoutConflict[]; truncated: boolean } {
  let truncated = exposure.truncated;
  const expanded = new Map<string, BlackoutWindow[]>();
  for (const { sla } of exposure.exposures) {
    if (expanded.has(sla.id)) continue;
    const found = windowsIn(sla, window.start, window.end, MAX_WINDOWS_PER_SLA);
    truncated ||= found.truncated;
    expanded.set(sla.id, found.windows);
  }
  const items: BlackoutConflict[] = [];
  for (const e of exposure.exposures) {
    for (const w of expanded.get(e.sla.id) ?? []) {
      items.push({
        ...w,
        slaName: e.sla.name,
        ciId: e.ciId,
        touchedCiId: e.touchedCiId,
        path: e.path.map((s) => ({ ...s })),
      });
    }
  }
  items.sort(
    (a, b) =>
      a.start.localeCompare(b.start) ||
      a.slaId.localeCompare(b.slaId) ||
      a.blackoutIndex - b.blackoutIndex ||
      a.path.length - b.path.length ||
      a.ciId.localeCompare(b.ciId),
  );
  if (items.length > MAX_CONFLICTS) {
    items.length = MAX_CONFLICTS;
    truncated = true;
  }
  return { items, truncated };
}

/** The blackout conflicts of a plan touching `ciIds` in `window`. */
export async function blackoutConflicts(
  ciIds: readonly string[],
  window: Interval,
  ports: Parameters<typeof exposureOf>[1],
): Promise<{ items: BlackoutConflict[]; truncated: boolean }> {
  return conflictsIn(await exposureOf(ciIds, ports), window);
}

// ---------------------------------------------------------------------------------------------
// Free windows

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Bounds of a search for free windows. */
export const FREE_WINDOW_LIMITS = {
  defaultCount: 5,
  maxCount: 50,
  defaultHorizonDays: 90,
  maxHorizonDays: 366,
  /** Windows one blackout may have in a week of the search (an hourly rule has 168). */
  maxWindowsPerSla: 20_000,
  /** Windows expanded in one search, in all: past that, the search ends where time is known. */
  maxBusyWindows: 50_000,
} as const;

/**
 * An ISO 8601 span of weeks, days, hours, minutes and seconds as exact milliseconds (a day is 24
 * hours: free windows are instants apart, not local dates), or undefined when it is not one, is
 * zero, or is longer than `maxDays` days.
 */
export function parseSpan(text: string, maxDays: number): number | undefined {
  const m = /^P(?:(\d{1,4})W)?(?:(\d{1,4})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  const ms = (w * 7 + d) * DAY + h * 3_600_000 + mi * MINUTE + s * 1000;
  return ms > 0 && ms <= maxDays * DAY ? ms : undefined;
}

/** A free window: `[start, end)` of the asked length, and until when the time stays free. */
export interface FreeWindow extends Interval {
  /** The latest start of a window of that length in the same free time. */
  readonly latestStart: string;
  /** When the next blackout starts; absent when none does before the horizon's end. */
  readonly freeUntil?: string;
}

const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE) * MINUTE;
const floorMinute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

/**
 * The earliest `count` stretches of free time in `[after, horizonEnd)` that hold a window of
 * `durationMs`, one proposal per stretch: its earliest start on a whole minute. Interval maths on
 * the merged busy windows (sorted once), never a scan minute by minute: exact to the minute
 * whatever the number of rules.
 */
export function freeWindows(
  busy: readonly { start: number; end: number }[],
  range: { after: number; horizonEnd: number; durationMs: number; count: number },
): FreeWindow[] {
  const { after, horizonEnd, durationMs, count } = range;
  const sorted = busy.filter((b) => b.end > after && b.start < horizonEnd).sort((a, b) => a.start - b.start);
  const found: FreeWindow[] = [];
  const propose = (from: number, until: number, bounded: boolean) => {
    const start = ceilMinute(from);
    if (start + durationMs > until) return;
    found.push({
      start: new Date(start).toISOString(),
      end: new Date(start + durationMs).toISOString(),
      latestStart: new Date(floorMinute(until - durationMs)).toISOString(),
      ...(bounded ? { freeUntil: new Date(until).toISOString() } : {}),
    });
  };
  let cursor = after;
  for (const b of sorted) {
    if (found.length >= count) return found;
    if (b.start > cursor) propose(cursor, b.start, true);
    cursor = Math.max(cursor, b.end);
  }
  if (found.length < count && cursor < horizonEnd) propose(cursor, horizonEnd, false);
  return found.slice(0, count);
}

/**
 * The busy time of the exposures in `[from, to)`: every window of every SLA that applies (each SLA
 * once, whatever number of CIs it applies through), as milliseconds — expanded without the local
 * times a view shows. `truncated` when a rule's expansion was cut short.
 */
export function busyTime(
  slas: readonly Sla[],
  from: number,
  to: number,
): { busy: { start: number; end: number }[]; truncated: boolean } {
  const busy: { start: number; end: number }[] = [];
  let truncated = false;
  // All rules of all SLAs at once: one watchdog for the lot, not one per rule (intervalsOfAll).
  for (const found of intervalsOfAll(
    slas.flatMap((sla) => sla.blackouts),
    from,
    to,
    FREE_WINDOW_LIMITS.maxWindowsPerSla,
  )) {
    truncated ||= found.truncated;
    for (const interval of found.intervals) busy.push(interval);
  }
  return { busy, truncated };
}

/** The distinct SLAs of an exposure. */
const slasOf = (exposure: ExposureOf): Sla[] => [
  ...new Map(exposure.exposures.map((e) => [e.sla.id, e.sla])).values(),
];

/**
 * The earliest free windows in `[after, horizonEnd)` a week at a time: a week's busy time is
 * expanded, and the search stops as soon as `count` stretches of free time are closed by a
 * blackout, so a dense calendar is expanded only as far as its answer needs. At most
 * {@link FREE_WINDOW_LIMITS.maxBusyWindows} windows are expanded in all; past that (or a rule cut
 * short), the search ends where the time is still known, `truncated`.
 */
export function searchFreeWindows(
  slas: readonly Sla[],
  range: { after: number; horizonEnd: number; durationMs: number; count: number },
): { items: FreeWindow[]; searchedTo: number; truncated: boolean } {
  const busy: { start: number; end: number }[] = [];
  let searchedTo = range.after;
  while (searchedTo < range.horizonEnd) {
    const chunkEnd = Math.min(searchedTo + SEARCH_CHUNK_MS, range.horizonEnd);
    const week = busyTime(slas, searchedTo, chunkEnd);
    if (week.truncated || busy.length + week.busy.length > FREE_WINDOW_LIMITS.maxBusyWindows) {
      const items = freeWindows(busy, { ...range, horizonEnd: searchedTo });
      return { items, searchedTo, truncated: true };
    }
    busy.push(...week.busy);
    searchedTo = chunkEnd;
    const found = freeWindows(busy, { ...range, horizonEnd: searchedTo });
    // A stretch still open at the week's end may run on: only closed ones are final before the end.
    const closed = found.filter((w) => w.freeUntil !== undefined);
    if (closed.length >= range.count)
      return { items: closed.slice(0, range.count), searchedTo, truncated: false };
  }
  return { items: freeWindows(busy, range), searchedTo, truncated: false };
}

const SEARCH_CHUNK_MS = 7 * DAY;

export interface FreeWindowQuery {
  /** ISO 8601 length of the window wanted (`PT3H`). */
  readonly duration: string;
  readonly count?: number | undefined;
  /** ISO 8601 span searched from `after` (default `P90D`, at most 366 days). */
  readonly horizon?: string | undefined;
  /** Earliest start (default: now). */
  readonly after?: string | undefined;
}

export interface FreeWindows {
  readonly duration: string;
  readonly after: string;
  readonly horizonEnd: string;
  /** The CIs the plan touches whose blackouts (and their dependents') were taken into account. */
  readonly ciIds: readonly string[];
  readonly items: FreeWindow[];
  /** Set when fewer than `count` windows were found: why, in a sentence. */
  readonly detail?: string;
  /** Some dependents or windows were beyond the bounds: a window proposed may not be free. */
  readonly truncated: boolean;
}

/**
 * The earliest free windows for a plan touching `ciIds`: `count` stretches of time in the horizon
 * free of every blackout on every CI it touches or impacts. 400 naming the field on a bad query.
 */
export async function nextFreeWindows(
  ciIds: readonly string[],
  query: FreeWindowQuery,
  now: Date,
  ports: Parameters<typeof exposureOf>[1],
): Promise<FreeWindows> {
  const errors: { path: string; message: string }[] = [];
  const durationMs = parseSpan(query.duration, FREE_WINDOW_LIMITS.maxHorizonDays);
  if (durationMs === undefined) {
    errors.push({
      path: 'duration',
      message: `must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (PT3H), at most ${FREE_WINDOW_LIMITS.maxHorizonDays} days`,
    });
  }
  const horizonText = query.horizon ?? `P${FREE_WINDOW_LIMITS.defaultHorizonDays}D`;
  const horizonMs = parseSpan(horizonText, FREE_WINDOW_LIMITS.maxHorizonDays);
  if (horizonMs === undefined) {
    errors.push({
      path: 'horizon',
      message: `must be an ISO 8601 duration (P90D) of at most ${FREE_WINDOW_LIMITS.maxHorizonDays} days`,
    });
  }
  const count = query.count ?? FREE_WINDOW_LIMITS.defaultCount;
  if (!Number.isInteger(count) || count < 1 || count > FREE_WINDOW_LIMITS.maxCount) {
    errors.push({ path: 'count', message: `must be an integer from 1 to ${FREE_WINDOW_LIMITS.maxCount}` });
  }
  const after = query.after === undefined ? now.getTime() : Date.parse(query.after);
  if (Number.isNaN(after)) errors.push({ path: 'after', message: 'must be an ISO 8601 date-time' });
  if (errors.length > 0) throw new ValidationError('Bad free-window query.', errors);
  const horizonEnd = after + (horizonMs as number);
  const exposure = await exposureOf(ciIds, ports);
  const search = searchFreeWindows(slasOf(exposure), {
    after,
    horizonEnd,
    durationMs: durationMs as number,
    count,
  });
  const { items } = search;
  const iso = (ms: number) => new Date(ms).toISOString();
  const span = { after: iso(after), horizonEnd: iso(horizonEnd) };
  const until = iso(search.searchedTo);
  const detail = search.truncated
    ? `The calendar is too dense to search past ${until}: ${items.length} window(s) of ${query.duration} found before that.`
    : items.length === 0
      ? `No window of ${query.duration} free of blackouts between ${span.after} and ${span.horizonEnd}.`
      : items.length < count
        ? `Only ${items.length} stretch(es) of time free of blackouts between ${span.after} and ${span.horizonEnd} hold a window of ${query.duration}; each item gives its earliest and latest start.`
        : undefined;
  return {
    duration: query.duration,
    ...span,
    ciIds: [...new Set(ciIds)].sort(),
    items,
    ...(detail !== undefined ? { detail } : {}),
    truncated: search.truncated || exposure.truncated,
  };
}

/** A conflicting window in a sentence, for a 409's detail. */
export const describeWindow = (w: BlackoutConflict): string =>
  `SLA "${w.slaName}" (${w.slaId}) blackout ${w.start} to ${w.end} (${w.reason}) on CI ${w.ciId}${
    w.path.length > 0 ? `, which depends on ${w.touchedCiId}` : ''
  }`;
