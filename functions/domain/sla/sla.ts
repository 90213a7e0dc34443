/**
 * The SLA aggregate: a name, the CIs (or services, which are CIs) it covers, and its blackout
 * periods — one-off (`start`, `end`: instants) or recurring (an RFC 5545 `rrule` from a local
 * `start`, each occurrence lasting an ISO 8601 `duration`, in the IANA zone `tz`). And the pure
 * expansion of its blackouts into concrete windows (`windowsIn`).
 */
import type { Actor } from '../actor.ts';
import { type FieldError, ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import { SlaCreated, SlaUpdated } from './events.ts';
import {
  type Duration,
  isTimeZone,
  localIso,
  type Occurrence,
  occurrencesIn,
  occurrencesOfAll,
  parseDuration,
  parseLocalDateTime,
  RULE_PROBE_MS,
  ruleProblem,
} from './recurrence.ts';

/** A blackout at fixed instants. `tz` (default UTC) only says in which zone to show it. */
export interface OneOffBlackout {
  readonly start: string;
  readonly end: string;
  readonly reason: string;
  readonly tz?: string | undefined;
}

/** A recurring blackout: `start` is the local date-time (no offset) of the first occurrence in `tz`. */
export interface RecurringBlackout {
  readonly rrule: string;
  readonly start: string;
  readonly duration: string;
  readonly tz: string;
  readonly reason: string;
}

export type Blackout = OneOffBlackout | RecurringBlackout;

export const isRecurring = (b: Blackout): b is RecurringBlackout => 'rrule' in b && b.rrule !== undefined;

export interface Sla {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly ciIds: readonly string[];
  readonly blackouts: readonly Blackout[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface NewSla {
  name: string;
  ciIds: string[];
  blackouts: Blackout[];
}

export interface SlaChanges {
  name?: string | undefined;
  ciIds?: string[] | undefined;
  blackouts?: Blackout[] | undefined;
}

type Deps = { clock: Clock; ids: IdGenerator };

/** An instant with its offset (`2026-12-01T20:00:00Z`, `…+01:00`) as milliseconds, or undefined. */
function instant(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * What is wrong with one blackout, each by its field (`blackouts.<i>.rrule`, …): the contract
 * runs this too, so a request gets every problem at once as a 400.
 */
export function blackoutProblems(blackout: Blackout, index: number): FieldError[] {
  const at = (field: string) => `blackouts.${index}.${field}`;
  const errors: FieldError[] = [];
  if (blackout.tz !== undefined && !isTimeZone(blackout.tz)) {
    errors.push({ path: at('tz'), message: `is not an IANA time zone (${blackout.tz})` });
  }
  if (isRecurring(blackout)) {
    const problem = ruleProblem(blackout.rrule);
    if (problem) errors.push({ path: at('rrule'), message: `is not a valid RFC 5545 RRULE: it ${problem}` });
    if (parseLocalDateTime(blackout.start) === undefined) {
      errors.push({
        path: at('start'),
        message: 'must be the local date-time of the first occurrence, without offset (2026-01-30T22:00)',
      });
    }
    if (parseDuration(blackout.duration) === undefined) {
      errors.push({
        path: at('duration'),
        message:
          'must be a positive ISO 8601 duration of weeks, days, hours, minutes, seconds, at most 31 days (PT6H)',
      });
    }
    if (errors.length === 0) {
      const sparse = sparseRule(blackout);
      if (sparse) errors.push({ path: at('rrule'), message: sparse });
    }
    return errors;
  }
  const start = instant(blackout.start);
  const end = instant(blackout.end);
  if (start === undefined)
    errors.push({ path: at('start'), message: 'must be an ISO 8601 instant with offset' });
  if (end === undefined) errors.push({ path: at('end'), message: 'must be an ISO 8601 instant with offset' });
  if (start !== undefined && end !== undefined && end <= start) {
    errors.push({ path: at('end'), message: 'must be after start' });
  }
  return errors;
}

/** How far from its start a rule's first occurrence must be found. */
const FIRST_OCCURRENCE_YEARS = 10;

/**
 * Why a well-formed rule cannot be a blackout: it has no occurrence in its first ten years (its
 * parts match no date, or UNTIL comes before its start), or finding one takes `rrule` longer
 * than {@link RULE_PROBE_MS} — a rule that rare would stall every read of windows.
 */
function sparseRule(blackout: RecurringBlackout): string | undefined {
  const startFloating = parseLocalDateTime(blackout.start) as number;
  const from = startFloating - DAY;
  const found = occurrencesIn(
    {
      rule: blackout.rrule,
      startFloating,
      duration: parseDuration(blackout.duration) as Duration,
      zone: blackout.tz,
    },
    from,
    from + FIRST_OCCURRENCE_YEARS * 366 * DAY,
    1,
    RULE_PROBE_MS,
  );
  if (found.occurrences.length > 0) return undefined;
  return found.truncated
    ? `matches too rarely: no occurrence found within ${RULE_PROBE_MS} ms of expansion (check BYSETPOS, BYxxx and INTERVAL)`
    : `has no occurrence in the ${FIRST_OCCURRENCE_YEARS} years from its start (its parts match no date, or UNTIL is before start)`;
}

const DAY = 86_400_000;

function assertBlackouts(blackouts: readonly Blackout[]): void {
  const errors = blackouts.flatMap((b, i) => blackoutProblems(b, i));
  if (errors.length > 0) throw new ValidationError('Invalid blackout periods.', errors);
}

/** A blackout as stored: one-off instants normalised to UTC, the rule in upper case. */
function normalised(blackout: Blackout): Blackout {
  if (isRecurring(blackout)) {
    return {
      rrule: blackout.rrule.replace(/^RRULE:/i, '').toUpperCase(),
      start: blackout.start,
      duration: blackout.duration,
      tz: blackout.tz,
      reason: blackout.reason,
    };
  }
  return {
    start: new Date(instant(blackout.start) as number).toISOString(),
    end: new Date(instant(blackout.end) as number).toISOString(),
    reason: blackout.reason,
    ...(blackout.tz !== undefined ? { tz: blackout.tz } : {}),
  };
}

/** Records an SLA as its version 1, with its `SLA Created` event. */
export function newSla(input: NewSla, actor: Actor, deps: Deps): { sla: Sla; event: DomainEvent } {
  assertBlackouts(input.blackouts);
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next('sla');
  const sla: Sla = {
    id,
    version: 1,
    name: input.name,
    ciIds: [...input.ciIds],
    blackouts: input.blackouts.map(normalised),
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = SlaCreated.event(
    {
      slaId: id,
      version: 1,
      name: sla.name,
      ciIds: [...sla.ciIds],
      blackouts: sla.blackouts.map((b) => ({ ...b })),
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { sla, event };
}

/** The next version with the changes, and its `SLA Updated` event; undefined when nothing changes. */
export function reviseSla(
  sla: Sla,
  changes: SlaChanges,
  actor: Actor,
  deps: Deps,
): { sla: Sla; event: DomainEvent } | undefined {
  if (changes.blackouts !== undefined) assertBlackouts(changes.blackouts);
  const now = deps.clock.now().toISOString();
  const next: Sla = {
    ...sla,
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.ciIds !== undefined ? { ciIds: [...changes.ciIds] } : {}),
    ...(changes.blackouts !== undefined ? { blackouts: changes.blackouts.map(normalised) } : {}),
    version: sla.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const changed = fieldChanges(sla, next, ['name', 'ciIds', 'blackouts']);
  if (Object.keys(changed).length === 0) return undefined;
  const event = SlaUpdated.event(
    { slaId: sla.id, version: next.version, changed: JSON.parse(JSON.stringify(changed)) },
    eventMeta(deps.ids, now, actor.id, sla.id),
  );
  return { sla: next, event };
}

// ---------------------------------------------------------------------------------------------
// Windows

/** A time interval, half-open `[start, end)`, as ISO 8601 instants. */
export interface Interval {
  readonly start: string;
  readonly end: string;
}

/**
 * Whether two intervals share time. Half-open: windows that only touch (one ends when the other
 * starts) do not overlap; one second in common does.
 */
export function overlaps(a: Interval, b: Interval): boolean {
  return Date.parse(a.start) < Date.parse(b.end) && Date.parse(b.start) < Date.parse(a.end);
}

/** One concrete blackout window of an SLA. */
export interface BlackoutWindow extends Interval {
  readonly slaId: string;
  /** Which of the SLA's blackouts it comes from (its index). */
  readonly blackoutIndex: number;
  readonly reason: string;
  /** The zone it is shown in, and its start and end there (ISO 8601 with offset). */
  readonly tz: string;
  readonly localStart: string;
  readonly localEnd: string;
}

/** At most this many windows from one SLA in one expansion (then `truncated`). */
export const MAX_WINDOWS_PER_SLA = 2000;

/**
 * The SLA's blackout windows that share time with `[from, to)`, earliest first (then by blackout):
 * one-off ones as given, recurring ones expanded in their zone — exact across daylight-saving
 * changes (a 22:00 local window stays 22:00 local). At most `limit` (then `truncated`).
 */
export function windowsIn(
  sla: Pick<Sla, 'id' | 'blackouts'>,
  from: string,
  to: string,
  limit: number = MAX_WINDOWS_PER_SLA,
): { windows: BlackoutWindow[]; truncated: boolean } {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const windows: BlackoutWindow[] = [];
  let truncated = false;
  sla.blackouts.forEach((blackout, blackoutIndex) => {
    const tz = blackout.tz ?? 'UTC';
    const found = intervalsIn(blackout, fromMs, toMs, limit);
    truncated ||= found.truncated;
    for (const { start, end } of found.intervals) {
      windows.push({
        slaId: sla.id,
        blackoutIndex,
        reason: blackout.reason,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        tz,
        localStart: localIso(start, tz),
        localEnd: localIso(end, tz),
      });
    }
  });
  windows.sort((a, b) => a.start.localeCompare(b.start) || a.blackoutIndex - b.blackoutIndex);
  if (windows.length > limit) {
    windows.length = limit;
    truncated = true;
  }
  return { windows, truncated };
}

/**
 * One blackout's intervals (milliseconds) that share time with `[fromMs, toMs)`: a one-off one as
 * given, a recurring one expanded in its zone; at most `limit` (then `truncated`).
 */
export function intervalsIn(
  blackout: Blackout,
  fromMs: number,
  toMs: number,
  limit: number,
): { intervals: Occurrence[]; truncated: boolean } {
  if (!isRecurring(blackout)) {
    const start = Date.parse(blackout.start);
    const end = Date.parse(blackout.end);
    return { intervals: start < toMs && fromMs < end ? [{ start, end }] : [], truncated: false };
  }
  const found = occurrencesIn(ruleOf(blackout), fromMs, toMs, limit);
  return { intervals: found.occurrences, truncated: found.truncated };
}

/** A recurring blackout as the recurrence expander takes it (its fields already validated). */
function ruleOf(blackout: RecurringBlackout) {
  return {
    rule: blackout.rrule,
    startFloating: parseLocalDateTime(blackout.start) as number,
    duration: parseDuration(blackout.duration) as Duration,
    zone: blackout.tz,
  };
}

/**
 * {@link intervalsIn} of many blackouts over one range, in their order: the recurring ones
 * expanded together under one watchdog (`occurrencesOfAll`), with the same answer and the same
 * budget per rule as one by one.
 */
export function intervalsOfAll(
  blackouts: readonly Blackout[],
  fromMs: number,
  toMs: number,
  limit: number,
): { intervals: Occurrence[]; truncated: boolean }[] {
  const recurring = blackouts.filter(isRecurring);
  const expanded = occurrencesOfAll(recurring.map(ruleOf), fromMs, toMs, limit);
  let next = 0;
  return blackouts.map((blackout) => {
    if (!isRecurring(blackout)) return intervalsIn(blackout, fromMs, toMs, limit);
    const found = expanded[next++] as { occurrences: Occurrence[]; truncated: boolean };
    return { intervals: found.occurrences, truncated: found.truncated };
  });
}
