/**
 * The counters the metrics are read from: one per period (month or ISO week) and release team,
 * holding the sums of the facts of the releases deployed in that period — and, since a median and
 * a 90th percentile cannot be made from sums, each of those releases' lead time by release id.
 * A fact is added to its two counters (its month's and its week's) and, when it changes, taken
 * out again before its new self is added, so applying the same fact twice changes nothing.
 */
import type { ReleaseFact } from './fact.ts';
import type { Granularity } from './periods.ts';

/** Which counter: a period of a granularity, and a release team (`null`: releases of no team). */
export interface CounterKey {
  readonly granularity: Granularity;
  readonly period: string;
  readonly teamId: string | null;
}

/** The sums every counter holds (and every answer's figures are made of). */
export interface Sums {
  readonly deployed: number;
  readonly onTime: number;
  readonly backedOut: number;
  /** Releases with at least one incident attributed. */
  readonly withIncidents: number;
  /** Incidents attributed. */
  readonly incidents: number;
  /** Releases backed out or with an incident (each once). */
  readonly failed: number;
}

export interface Counter extends CounterKey, Sums {
  /** Lead time (ms, creation → deployment) of each release counted, by release id. */
  readonly leadTimes: Readonly<Record<string, number>>;
  /** 0 while it is not stored. */
  readonly version: number;
}

export const NO_SUMS: Sums = {
  deployed: 0,
  onTime: 0,
  backedOut: 0,
  withIncidents: 0,
  incidents: 0,
  failed: 0,
};

/** An empty counter, not stored yet. */
export function emptyCounter(key: CounterKey): Counter {
  return { ...key, ...NO_SUMS, leadTimes: {}, version: 0 };
}

export const counterId = (key: CounterKey) => `${key.granularity}|${key.period}|${key.teamId ?? ''}`;

/** The counters a fact is added to: its month's and its week's, for its team. */
export function countersOf(fact: ReleaseFact): CounterKey[] {
  return [
    { granularity: 'month', period: fact.month, teamId: fact.teamId },
    { granularity: 'week', period: fact.week, teamId: fact.teamId },
  ];
}

/** What one fact adds to the sums. */
function sumsOf(fact: ReleaseFact): Sums {
  const incident = fact.incidents > 0;
  return {
    deployed: 1,
    onTime: fact.onTime ? 1 : 0,
    backedOut: fact.backedOut ? 1 : 0,
    withIncidents: incident ? 1 : 0,
    incidents: fact.incidents,
    failed: fact.backedOut || incident ? 1 : 0,
  };
}

/** The counter with `fact` added (`sign` 1) or taken out (-1). */
export function withFact(counter: Counter, fact: ReleaseFact, sign: 1 | -1): Counter {
  const sums = sumsOf(fact);
  const leadTimes = { ...counter.leadTimes };
  if (sign === 1) leadTimes[fact.releaseId] = fact.leadTimeMs;
  else delete leadTimes[fact.releaseId];
  return {
    ...counter,
    deployed: counter.deployed + sign * sums.deployed,
    onTime: counter.onTime + sign * sums.onTime,
    backedOut: counter.backedOut + sign * sums.backedOut,
    withIncidents: counter.withIncidents + sign * sums.withIncidents,
    incidents: counter.incidents + sign * sums.incidents,
    failed: counter.failed + sign * sums.failed,
    leadTimes,
  };
}

/** A fact's change as counter changes: `before` taken out, `after` added; each counter once. */
export function factChange(
  before: ReleaseFact | undefined,
  after: ReleaseFact | undefined,
  read: (key: CounterKey) => Counter,
): Counter[] {
  const changed = new Map<string, Counter>();
  const at = (key: CounterKey) => changed.get(counterId(key)) ?? read(key);
  if (before)
    for (const key of countersOf(before)) changed.set(counterId(key), withFact(at(key), before, -1));
  if (after) for (const key of countersOf(after)) changed.set(counterId(key), withFact(at(key), after, 1));
  return [...changed.values()];
}

/** The figures an answer shows for a set of releases (a team's period, a period, a range). */
export interface Figures extends Sums {
  /** `failed / deployed`; null when nothing was deployed. */
  readonly changeFailureRate: number | null;
  /** `onTime / deployed`; null when nothing was deployed. */
  readonly onTimeRate: number | null;
  /** Creation → deployment, in seconds: nearest-rank median and 90th percentile; null when none. */
  readonly leadTime: { readonly medianSeconds: number | null; readonly p90Seconds: number | null };
}

/**
 * The nearest-rank percentile: the smallest lead time that `p` percent of them do not exceed
 * (always one that occurred; the median of 2 is the shorter one).
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The figures of counters taken together (several teams, several periods). */
export function figuresOf(counters: readonly Counter[]): Figures {
  const sum = (field: keyof Sums) => counters.reduce((total, c) => total + c[field], 0);
  const sums: Sums = {
    deployed: sum('deployed'),
    onTime: sum('onTime'),
    backedOut: sum('backedOut'),
    withIncidents: sum('withIncidents'),
    incidents: sum('incidents'),
    failed: sum('failed'),
  };
  const leadTimes = counters.flatMap((c) => Object.values(c.leadTimes)).sort((a, b) => a - b);
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return {
    ...sums,
    changeFailureRate: sums.deployed === 0 ? null : sums.failed / sums.deployed,
    onTimeRate: sums.deployed === 0 ? null : sums.onTime / sums.deployed,
    leadTime: {
      medianSeconds: seconds(percentile(leadTimes, 50)),
      p90Seconds: seconds(percentile(leadTimes, 90)),
    },
  };
}

/** Counters as they would stand with exactly these facts applied once each (the recount). */
export function countersFromFacts(facts: Iterable<ReleaseFact>): Counter[] {
  const counters = new Map<string, Counter>();
  for (const fact of facts) {
    for (const key of countersOf(fact)) {
      const id = counterId(key);
      counters.set(id, withFact(counters.get(id) ?? emptyCounter(key), fact, 1));
    }
  }
  return [...counters.values()];
}
