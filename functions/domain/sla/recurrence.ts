/**
 * Time for blackouts: IANA zones (through the runtime's `Intl`), ISO 8601 durations, RFC 5545
 * recurrence rules (checked here against the RFC's grammar, expanded by the `rrule` library) and
 * the conversion of local date-times to instants. Pure: no clock, no I/O.
 *
 * A recurring blackout is expanded in *floating* local time — `rrule` runs in UTC, which has no
 * daylight-saving changes, so "22:00 on the last Friday" stays 22:00 — and each local occurrence
 * is then placed in its zone (RFC 5545 §3.3.5: a local time that does not exist is read with the
 * offset before the gap; one that occurs twice is its first occurrence). docs/decisions.md.
 */
import { createContext, Script } from 'node:vm';
import * as rruleModule from 'rrule';

// rrule ships CommonJS for Node and ESM for bundlers: its classes are on the namespace (bundled)
// or on its default export (Node's CommonJS interop).
const rrule: typeof rruleModule =
  (rruleModule as { RRule?: unknown }).RRule !== undefined
    ? rruleModule
    : (rruleModule as unknown as { default: typeof rruleModule }).default;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone the runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of an instant in a zone, as milliseconds of a "floating" UTC date. */
function floatingOf(instant: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const ms = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
    ms,
  );
}

/** The zone's offset from UTC at an instant, in milliseconds (+1 h in Berlin in winter). */
function offsetAt(instant: number, zone: string): number {
  return floatingOf(instant, zone) - instant;
}

/**
 * The instant of a local date-time in a zone (given as the milliseconds of the same fields read
 * as UTC): the first of two in a repeated hour, the offset before the gap in a skipped one.
 */
export function instantOf(floating: number, zone: string): number {
  const before = offsetAt(floating - DAY, zone);
  const after = offsetAt(floating + DAY, zone);
  const valid = [floating - before, floating - after].filter((t) => floatingOf(t, zone) === floating);
  if (valid.length > 0) return Math.min(...valid);
  return floating - before;
}

/** An instant as local ISO 8601 with its offset in the zone: `2026-03-27T22:00:00+01:00`. */
export function localIso(instant: number, zone: string): string {
  const offset = Math.round(offsetAt(instant, zone) / MINUTE);
  const local = new Date(instant + offset * MINUTE).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A local date-time without offset (`2026-01-30T22:00` or with seconds) as floating milliseconds. */
export function parseLocalDateTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s;
  return same ? ms : undefined;
}

// ---------------------------------------------------------------------------------------------
// Durations

/** An ISO 8601 duration: weeks and days are nominal (local days), the time part exact. */
export interface Duration {
  readonly days: number;
  /** Hours, minutes and seconds, in milliseconds. */
  readonly exact: number;
}

/** The longest blackout a duration may describe. */
export const MAX_DURATION_DAYS = 31;

/**
 * Parses `PT6H`, `P1DT2H30M`, `P2W`: weeks, days, hours, minutes, seconds (years and months are
 * refused: their length depends on the date). Undefined when not such a duration, zero, or longer
 * than {@link MAX_DURATION_DAYS} days.
 */
export function parseDuration(text: string): Duration | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  const days = w * 7 + d;
  const exact = h * HOUR + mi * MINUTE + s * 1000;
  if (days === 0 && exact === 0) return undefined;
  if (days * DAY + exact > MAX_DURATION_DAYS * DAY) return undefined;
  return { days, exact };
}

/** The end of a blackout that starts at local `floating` in `zone` and lasts `duration`. */
export function endOf(startFloating: number, duration: Duration, zone: string): number {
  return instantOf(startFloating + duration.days * DAY, zone) + duration.exact;
}

// ---------------------------------------------------------------------------------------------
// Recurrence rules

const WEEKDAY = '(?:SU|MO|TU|WE|TH|FR|SA)';
const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY'] as const;

const intList = (min: number, max: number, signed: boolean) => (value: string) =>
  value.split(',').every((v) => {
    if (!/^[+-]?\d{1,3}$/.test(v)) return false;
    if (!signed && /^[+-]/.test(v)) return false;
    const n = Math.abs(Number(v));
    return n >= min && n <= max && (signed ? Number(v) !== 0 : true);
  });

const PARTS: Record<string, (value: string) => boolean> = {
  FREQ: (v) => (FREQS as readonly string[]).includes(v),
  UNTIL: (v) => /^\d{8}(T\d{6}Z?)?$/.test(v),
  COUNT: (v) => /^[1-9]\d{0,5}$/.test(v),
  INTERVAL: (v) => /^[1-9]\d{0,3}$/.test(v),
  BYSECOND: intList(0, 59, false),
  BYMINUTE: intList(0, 59, false),
  BYHOUR: intList(0, 23, false),
  BYDAY: (v) =>
    v.split(',').every((d) => new RegExp(`^(?:[+-]?(?:[1-9]|[1-4]\\d|5[0-3]))?${WEEKDAY}$`).test(d)),
  BYMONTHDAY: intList(1, 31, true),
  BYYEARDAY: intList(1, 366, true),
  BYWEEKNO: intList(1, 53, true),
  BYMONTH: intList(1, 12, false),
  BYSETPOS: intList(1, 366, true),
  WKST: (v) => new RegExp(`^${WEEKDAY}$`).test(v),
};

/**
 * Why `text` is not an RFC 5545 RRULE value this service expands, or undefined when it is one:
 * `FREQ` (yearly to hourly) once, each part known, once, and in its range; not both `UNTIL` and
 * `COUNT`; no `DTSTART` (a blackout gives it as its local `start`). An `RRULE:` prefix is allowed.
 */
export function ruleProblem(text: string): string | undefined {
  const body = text.replace(/^RRULE:/i, '');
  if (body.length === 0) return 'is empty';
  const seen = new Set<string>();
  for (const part of body.split(';')) {
    const [name, value, ...rest] = part.split('=');
    const key = (name ?? '').toUpperCase();
    if (key === 'DTSTART')
      return 'must not hold DTSTART: give the local start of the first occurrence as `start`';
    const check = PARTS[key];
    if (!check) return `has an unknown part ${JSON.stringify(name)}`;
    if (value === undefined || rest.length > 0) return `has a malformed part ${JSON.stringify(part)}`;
    if (seen.has(key)) return `has ${key} more than once`;
    seen.add(key);
    if (!check(value.toUpperCase())) return `has an invalid ${key} (${value})`;
  }
  if (!seen.has('FREQ')) return `must have FREQ (one of ${FREQS.join(', ')})`;
  if (seen.has('UNTIL') && seen.has('COUNT')) return 'must not have both UNTIL and COUNT';
  return undefined;
}

/** A recurrence ready to expand: the rule from its local first start, in its zone. */
export interface Recurrence {
  readonly rule: string;
  /** The local date-time of the first occurrence (DTSTART), floating milliseconds. */
  readonly startFloating: number;
  readonly duration: Duration;
  readonly zone: string;
}

/** One occurrence: its instants (milliseconds). */
export interface Occurrence {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------------------------------------
// A watchdog for `rrule`

/**
 * `rrule` checks UNTIL and its own end only when a period yields an occurrence: a rule whose parts
 * match nothing (`FREQ=HOURLY;BYSETPOS=2`: one time per hour, never a second) is iterated period
 * by period to the year 9999 — minutes of CPU for an hourly one. No option bounds that, so each
 * expansion runs under V8's own watchdog (`vm`'s `timeout` stops whatever runs, functions of
 * this context included): a rule is refused when it is recorded if it finds no occurrence in
 * time (`RULE_PROBE_MS`), and an expansion that overruns (`EXPANSION_MS`) keeps what it found
 * and says `truncated`. The result never depends on the watchdog otherwise.
 */
const watchdog = { context: createContext({ run: (): void => {} }), script: new Script('run()') };

/** At most this long to find a new rule's first occurrence when it is recorded. */
export const RULE_PROBE_MS = 500;
/** At most this long for one expansion of one rule when windows are read. */
export const EXPANSION_MS = 3_000;

/** Runs `work` for at most `ms`; false when it was stopped. */
function withinTime(work: () => void, ms: number): boolean {
  watchdog.context.run = work;
  try {
    watchdog.script.runInContext(watchdog.context, { timeout: ms });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return false;
    throw error;
  } finally {
    watchdog.context.run = () => {};
  }
}

/** Periods of a fixed length in floating time (no months or years, whose length varies). */
const FIXED_PERIODS: Readonly<Record<number, number>> = {
  [rrule.RRule.HOURLY]: HOUR,
  [rrule.RRule.DAILY]: DAY,
  [rrule.RRule.WEEKLY]: 7 * DAY,
};

/**
 * A DTSTART moved forward by whole periods to at least one period before `floatingFrom`, for a
 * rule without COUNT whose period has a fixed length (hourly, daily, weekly): such a rule repeats
 * exactly every INTERVAL periods from DTSTART (its BYxxx defaults — weekday, hour, minute — are
 * the same at every such step), so no occurrence from `floatingFrom` on changes, while `rrule`,
 * which iterates from DTSTART, is spared years of occurrences (an hourly rule begun in 2020 is
 * 50,000 of them by 2026). The period that holds the new DTSTART, where DTSTART cuts occurrences
 * off, ends before `floatingFrom`. Other rules are returned as they are: a monthly rule has 12
 * occurrences a year, and COUNT counts from the first.
 */
function fastForward(
  startFloating: number,
  options: { freq?: number; interval?: number; count?: number | null },
  floatingFrom: number,
): number {
  const period = options.freq !== undefined ? FIXED_PERIODS[options.freq] : undefined;
  if (period === undefined || (options.count !== undefined && options.count !== null)) return startFloating;
  const step = period * (options.interval ?? 1);
  const steps = Math.floor((floatingFrom - startFloating) / step) - 1;
  return steps > 0 ? startFloating + steps * step : startFloating;
}

/** One rule's expansion, ready to run under a watchdog: `run` collects into `occurrences`. */
interface Expansion {
  readonly run: () => void;
  readonly occurrences: Occurrence[];
  /** More than `limit` occurrences met the range. */
  readonly overLimit: () => boolean;
}

function expansion(recurrence: Recurrence, from: number, to: number, limit: number): Expansion {
  const { RRule } = rrule;
  const body = recurrence.rule.replace(/^RRULE:/i, '');
  const options = RRule.parseString(body);
  // UNTIL in UTC (`…Z`) is an instant; the floating expansion runs to 14 h past it and the
  // occurrences after the instant are dropped below. A date or local UNTIL is local already.
  const untilUtc = /UNTIL=\d{8}T\d{6}Z/i.test(body) ? options.until?.getTime() : undefined;
  if (untilUtc !== undefined) options.until = new Date(untilUtc + 14 * HOUR);
  // Local time is at most 14 h from UTC, and an occurrence starts at most its duration before `to`
  // ends it: search the floating range that wide, then keep the exact matches.
  const span = recurrence.duration.days * DAY + recurrence.duration.exact + DAY;
  const floatingFrom = new Date(from - span - 14 * HOUR);
  const floatingTo = new Date(to + 14 * HOUR);
  const dtstart = fastForward(recurrence.startFloating, options, floatingFrom.getTime());
  // `rrule` iterates until an occurrence passes the range: a rule whose BYxxx parts match nothing
  // (BYSETPOS=2 of one-element sets) would be iterated to the year 9999. Ending the rule with the
  // range bounds that, and changes no occurrence in it.
  const until = Math.min(options.until?.getTime() ?? Number.POSITIVE_INFINITY, floatingTo.getTime());
  const rule = new RRule({ ...options, until: new Date(until), dtstart: new Date(dtstart) });
  const occurrences: Occurrence[] = [];
  let truncated = false;
  return {
    run: () => {
      occurrences.length = 0;
      truncated = false;
      rule.between(floatingFrom, floatingTo, true, accept);
    },
    occurrences,
    overLimit: () => truncated,
  };

  function accept(date: Date): boolean {
    const startFloating = date.getTime();
    const start = instantOf(startFloating, recurrence.zone);
    if (untilUtc !== undefined && start > untilUtc) return false;
    const end = endOf(startFloating, recurrence.duration, recurrence.zone);
    if (end <= from) return true;
    if (start >= to) return false;
    if (occurrences.length >= limit) {
      truncated = true;
      return false;
    }
    occurrences.push({ start, end });
    return true;
  }
}

/**
 * The occurrences whose interval `[start, end)` meets `[from, to)` (half-open: one that ends
 * exactly at `from` is not in it), earliest first, at most `limit` (then `truncated`).
 */
export function occurrencesIn(
  recurrence: Recurrence,
  from: number,
  to: number,
  limit: number,
  budgetMs: number = EXPANSION_MS,
): { occurrences: Occurrence[]; truncated: boolean } {
  const one = expansion(recurrence, from, to, limit);
  const finished = withinTime(one.run, budgetMs);
  return { occurrences: one.occurrences, truncated: one.overLimit() || !finished };
}

/**
 * {@link occurrencesIn} of many rules over one range, as if each ran alone: the same occurrences,
 * and at least half the budget per rule. They run one after the other under one watchdog, because
 * arming the watchdog costs more than expanding a typical rule over a week (a 90-day search over
 * 500 rules armed it 6,500 times: 86% of its time). A rule the watchdog stopped before it had
 * half its budget (the others before it used the time) runs again alone with its whole budget.
 */
export function occurrencesOfAll(
  recurrences: readonly Recurrence[],
  from: number,
  to: number,
  limit: number,
  budgetMs: number = EXPANSION_MS,
): { occurrences: Occurrence[]; truncated: boolean }[] {
  const runs = recurrences.map((r) => expansion(r, from, to, limit));
  const finished = runs.map(() => false);
  let next = 0;
  while (next < runs.length) {
    let began = performance.now();
    const completed = withinTime(() => {
      for (; next < runs.length; next++) {
        began = performance.now();
        (runs[next] as Expansion).run();
        finished[next] = true;
      }
    }, budgetMs);
    if (completed) break;
    // Stopped in rule `next`: after at least half its budget, it is cut short (a rule that slow
    // is one of those the watchdog is for); stopped sooner, it runs again alone with its own.
    if (performance.now() - began < budgetMs / 2) {
      finished[next] = withinTime((runs[next] as Expansion).run, budgetMs);
    }
    next++;
  }
  return runs.map((r, i) => ({ occurrences: r.occurrences, truncated: r.overLimit() || !finished[i] }));
}
