/**
 * The periods metrics are kept and read by, in UTC: calendar months (`2026-12`) and ISO 8601
 * weeks, which start on Monday and belong to the year of their Thursday (`2026-W53`, `2027-W01`).
 * Period keys sort as text in time order, which the counters' sort keys rely on.
 */

export const GRANULARITIES = ['month', 'week'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const DAY_MS = 86_400_000;

export interface Period {
  readonly key: string;
  /** Its first instant (inclusive), UTC. */
  readonly start: string;
  /** The first instant of the next period (exclusive), UTC. */
  readonly end: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Midnight (UTC) of the Monday of the ISO week holding `ms`. */
function mondayOf(ms: number): number {
  const day = new Date(ms).getUTCDay(); // 0 = Sunday
  const midnight = Math.floor(ms / DAY_MS) * DAY_MS;
  return midnight - ((day + 6) % 7) * DAY_MS;
}

/** The ISO week-numbering year and week of an instant. */
function isoWeek(ms: number): { year: number; week: number } {
  const monday = mondayOf(ms);
  // The week belongs to the year its Thursday is in; week 1 holds that year's 4 January.
  const year = new Date(monday + 3 * DAY_MS).getUTCFullYear();
  const firstMonday = mondayOf(Date.UTC(year, 0, 4));
  return { year, week: 1 + Math.round((monday - firstMonday) / (7 * DAY_MS)) };
}

/** The period of `granularity` that holds the instant. */
export function periodOf(granularity: Granularity, instant: string | number): Period {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (granularity === 'month') {
    const d = new Date(ms);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    return {
      key: `${pad(y, 4)}-${pad(m + 1)}`,
      start: new Date(Date.UTC(y, m, 1)).toISOString(),
      end: new Date(Date.UTC(y, m + 1, 1)).toISOString(),
    };
  }
  const monday = mondayOf(ms);
  const { year, week } = isoWeek(ms);
  return {
    key: `${pad(year, 4)}-W${pad(week)}`,
    start: new Date(monday).toISOString(),
    end: new Date(monday + 7 * DAY_MS).toISOString(),
  };
}

/** Every period of `granularity` from the one holding `from` to the one holding `to`, in order. */
export function periodsBetween(granularity: Granularity, from: string, to: string): Period[] {
  const last = periodOf(granularity, to).key;
  const out: Period[] = [];
  let period = periodOf(granularity, from);
  for (;;) {
    out.push(period);
    if (period.key >= last) return out;
    period = periodOf(granularity, period.end);
  }
}
