/**
 * Release metrics use cases: attributing an incident to a release, keeping the counters from what
 * the table says about a release (the metrics consumer's use case), reading the figures per period
 * and team, and recounting them from the releases' histories (the check that the counters are
 * right). Each receives its ports, so tests run them on in-memory fakes.
 */
import { type Access, type Actor, ANY_PROCESS, authorize } from '../actor.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { IdempotencyRequest } from '../ports.ts';
import type { Release } from '../release/release.ts';
import { mayChange } from '../workflow-run/service.ts';
import {
  type Counter,
  type CounterKey,
  counterId,
  countersFromFacts,
  countersOf,
  emptyCounter,
  type Figures,
  factChange,
  figuresOf,
} from './counters.ts';
import { enteredDeployStage, type ReleaseFact, releaseFact } from './fact.ts';
import { type Incident, type NewIncident, newIncident } from './incident.ts';
import { type Granularity, type Period, periodOf, periodsBetween } from './periods.ts';
import type { MetricsPorts } from './ports.ts';

export type { MetricsPorts, MetricsStore, StoredFact } from './ports.ts';

/**
 * Who may use the metrics (the routes declare these same objects): every process holder reads
 * them — they are figures about releases, which every process holder reads already. Release
 * managers attribute incidents to their own team's releases, change managers (who review changes
 * after the fact) to any release; administrators to any.
 */
export const metricsAccess = {
  attribute: { processes: ['release', 'change'] },
  read: ANY_PROCESS,
} as const satisfies Record<string, Access>;

/**
 * Bounds of `GET /metrics/releases`: at most this many periods per answer (3 years of months, 2 of
 * weeks), and the periods an answer covers when `from` is left out.
 */
export const METRICS_LIMITS = {
  maxPeriods: { month: 36, week: 104 },
  defaultPeriods: 12,
} as const satisfies {
  maxPeriods: Record<Granularity, number>;
  defaultPeriods: number;
};

/** How often a fact is read and applied again when a concurrent writer moved its counters on. */
const APPLY_ATTEMPTS = 5;

/** Every event of a release, oldest first (all pages of its history). */
async function historyOf(releaseId: string, ports: Pick<MetricsPorts, 'releases'>): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.releases.history(releaseId, { limit: 100, cursor });
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** A release's fact from what the table says: the release, its history, its workflow's deploy stage. */
async function factOf(
  release: Release,
  ports: Pick<MetricsPorts, 'releases' | 'workflows'>,
): Promise<ReleaseFact | undefined> {
  const [history, workflow] = await Promise.all([
    historyOf(release.id, ports),
    ports.workflows.definition(release.workflow),
  ]);
  return releaseFact(release, history, workflow.deployStage);
}

export interface AttributeIncidentInput extends NewIncident {}

/**
 * `POST /releases/{id}/incidents`: the incident is stored beside the release with its `Incident
 * Attributed` event. The release must have entered its deploy stage (422 `release-not-deployed`:
 * before, it changed nothing an incident could come from); the incident cannot have begun before
 * the release was created or after now (400 naming `occurredAt`); one reference once per release
 * (409 `incident-already-attributed`).
 */
export async function attributeIncident(
  releaseId: string,
  input: AttributeIncidentInput,
  actor: Actor,
  ports: MetricsPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ incident: Incident; replayed: boolean }> {
  authorize(actor, metricsAccess.attribute);
  const release = await ports.releases.get(releaseId);
  if (!release) throw new NotFoundError('Release', releaseId);
  if (!actor.admin && !actor.processes.has('change') && !mayChange(release, actor)) {
    throw new ForbiddenError(
      release.teamId === undefined
        ? `Release ${releaseId} belongs to no team: only change managers and administrators attribute incidents to it.`
        : `Only members of team ${release.teamId}, change managers and administrators attribute incidents to release ${releaseId}.`,
    );
  }
  const occurred = Date.parse(input.occurredAt);
  if (occurred > ports.clock.now().getTime()) {
    throw new ValidationError('An incident cannot be attributed before it happens.', [
      { path: 'occurredAt', message: 'must not be in the future' },
    ]);
  }
  if (occurred < Date.parse(release.createdAt)) {
    throw new ValidationError('A release cannot have caused an incident that began before it existed.', [
      { path: 'occurredAt', message: `must not be before the release was created (${release.createdAt})` },
    ]);
  }
  const [history, workflow] = await Promise.all([
    historyOf(releaseId, ports),
    ports.workflows.definition(release.workflow),
  ]);
  if (!enteredDeployStage(history, workflow.deployStage)) {
    throw new RuleViolationError(
      'release-not-deployed',
      `Release ${releaseId} has not entered its deploy stage${workflow.deployStage ? ` (${workflow.deployStage})` : ''}: it changed nothing in production that could cause an incident.`,
      { stage: release.stage, deployStage: workflow.deployStage ?? null },
    );
  }
  const { incident, event } = newIncident(release, input, actor, ports);
  let replayed: string | undefined;
  try {
    ({ replayed } = await ports.metrics.attribute(incident, event, idempotency));
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const existing = await ports.metrics.incident(releaseId, input.reference);
    if (!existing) throw error;
    throw new ConflictError(
      'incident-already-attributed',
      `Incident ${input.reference} is attributed to release ${releaseId} already (by ${existing.attributedBy} at ${existing.attributedAt}).`,
      {
        reference: input.reference,
        attributedAt: existing.attributedAt,
        attributedBy: existing.attributedBy,
      },
    );
  }
  if (replayed === undefined) return { incident, replayed: false };
  const first = await ports.metrics.incident(releaseId, replayed);
  if (!first) throw new NotFoundError('Incident', `${releaseId}/${replayed}`);
  return { incident: first, replayed: true };
}

/** Whether two facts say the same (whatever the order of their fields as read back). */
function sameFact(a: ReleaseFact | null, b: ReleaseFact | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    (Object.keys(b) as (keyof ReleaseFact)[]).every((k) => a[k] === b[k]) &&
    Object.keys(a).length === Object.keys(b).length
  );
}

/**
 * The metrics consumer's use case: the release's fact derived again from the table and, when it
 * differs from what the counters hold, applied — the old fact taken out of its counters, the new
 * one added, in one transaction with the fact, each item at the version read. A redelivered,
 * duplicated or reordered event derives the same fact and writes nothing; an event racing another
 * loses the transaction and derives again from what the winner left. Returns what it did.
 */
export async function refreshReleaseMetrics(
  releaseId: string,
  ports: Pick<MetricsPorts, 'metrics' | 'releases' | 'workflows'>,
): Promise<'missing' | 'unchanged' | 'applied'> {
  for (let attempt = 1; ; attempt++) {
    // The fact first: a table read after it is at least as new as what made it.
    const stored = await ports.metrics.fact(releaseId);
    const release = await ports.releases.get(releaseId);
    if (!release) return 'missing';
    const before = stored?.fact ?? null;
    const after = (await factOf(release, ports)) ?? null;
    if (sameFact(before, after)) return 'unchanged';
    const keys = new Map<string, CounterKey>();
    for (const key of [...(before ? countersOf(before) : []), ...(after ? countersOf(after) : [])]) {
      keys.set(counterId(key), key);
    }
    const current = new Map((await ports.metrics.counters([...keys.values()])).map((c) => [counterId(c), c]));
    const changed = factChange(before ?? undefined, after ?? undefined, (key) => {
      return current.get(counterId(key)) ?? emptyCounter(key);
    });
    try {
      await ports.metrics.applyFact(releaseId, after, stored?.version ?? 0, changed);
      return 'applied';
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= APPLY_ATTEMPTS) throw error;
    }
  }
}

export interface MetricsQuery {
  /** First day (UTC, `YYYY-MM-DD`) of the range; its period is the first one answered. */
  readonly from?: string | undefined;
  /** Last day (UTC, `YYYY-MM-DD`, inclusive); its period is the last one answered. Default: today. */
  readonly to?: string | undefined;
  readonly team?: string | undefined;
  readonly groupBy?: Granularity | undefined;
}

/** The figures of one team (`null`: releases of no team). */
export interface TeamFigures extends Figures {
  readonly teamId: string | null;
}

export interface PeriodFigures {
  readonly period: string;
  readonly start: string;
  readonly end: string;
  readonly teams: readonly TeamFigures[];
  readonly total: Figures;
}

export interface MetricsReport {
  readonly groupBy: Granularity;
  readonly from: string;
  readonly to: string;
  readonly teamId: string | null;
  /** Every period of the range, in order, with each team that deployed in it and their total. */
  readonly periods: readonly PeriodFigures[];
  /** The whole range, per team and in total. */
  readonly teams: readonly TeamFigures[];
  readonly total: Figures;
}

/** A range resolved: the days asked for (defaults filled in) and the periods that hold them. */
export interface MetricsRange {
  readonly groupBy: Granularity;
  readonly from: string;
  readonly to: string;
  readonly teamId: string | undefined;
  readonly periods: readonly Period[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day as its UTC midnight, or a 400 naming the field. */
function day(value: string, field: string): number {
  const match = DATE.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new ValidationError(`${field} is not a day.`, [
      { path: field, message: 'must be a calendar day, YYYY-MM-DD (UTC)' },
    ]);
  }
  return ms;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The range an answer covers: `to` defaults to today (UTC), `from` to the start of the period
 * `METRICS_LIMITS.defaultPeriods - 1` periods before `to`'s; `from` after `to`, or more periods
 * than `METRICS_LIMITS.maxPeriods`, is a 400 naming the field.
 */
export function metricsRange(query: MetricsQuery, now: Date): MetricsRange {
  const groupBy = query.groupBy ?? 'month';
  const to = query.to !== undefined ? day(query.to, 'to') : Date.parse(isoDay(now.getTime()));
  let from: number;
  if (query.from !== undefined) {
    from = day(query.from, 'from');
  } else {
    const last = Date.parse(periodOf(groupBy, to).start);
    const back = METRICS_LIMITS.defaultPeriods - 1;
    const d = new Date(last);
    from =
      groupBy === 'month'
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)
        : last - back * 7 * 86_400_000;
  }
  if (from > to) {
    throw new ValidationError('The range ends before it starts.', [
      { path: 'to', message: `must not be before from (${isoDay(from)})` },
    ]);
  }
  const periods = periodsBetween(groupBy, new Date(from).toISOString(), new Date(to).toISOString());
  const max = METRICS_LIMITS.maxPeriods[groupBy];
  if (periods.length > max) {
    throw new ValidationError(`The range spans ${periods.length} ${groupBy}s; at most ${max} are answered.`, [
      {
        path: query.from !== undefined ? 'from' : 'to',
        message: `must leave at most ${max} ${groupBy}s in the range`,
      },
    ]);
  }
  return { groupBy, from: isoDay(from), to: isoDay(to), teamId: query.team, periods };
}

const byTeam = (a: { teamId: string | null }, b: { teamId: string | null }) =>
  a.teamId === b.teamId ? 0 : a.teamId === null ? 1 : b.teamId === null ? -1 : a.teamId < b.teamId ? -1 : 1;

/**
 * The answer from the counters of a range: each period with its teams (those that deployed in
 * it) and its total, and the whole range per team and in total. Totals are made from the teams'
 * counters (sums added, lead times merged), never stored.
 */
export function reportOf(range: MetricsRange, counters: readonly Counter[]): MetricsReport {
  const inRange = counters.filter(
    (c) =>
      c.granularity === range.groupBy &&
      c.deployed > 0 &&
      (range.teamId === undefined || c.teamId === range.teamId) &&
      range.periods.some((p) => p.key === c.period),
  );
  const teamsOf = (list: readonly Counter[]): TeamFigures[] => {
    const grouped = new Map<string | null, Counter[]>();
    for (const c of list) grouped.set(c.teamId, [...(grouped.get(c.teamId) ?? []), c]);
    return [...grouped].map(([teamId, cs]) => ({ teamId, ...figuresOf(cs) })).sort(byTeam);
  };
  return {
    groupBy: range.groupBy,
    from: range.from,
    to: range.to,
    teamId: range.teamId ?? null,
    periods: range.periods.map((p) => {
      const of = inRange.filter((c) => c.period === p.key);
      return { period: p.key, start: p.start, end: p.end, teams: teamsOf(of), total: figuresOf(of) };
    }),
    teams: teamsOf(inRange),
    total: figuresOf(inRange),
  };
}

/**
 * `GET /metrics/releases`: the counters of the range's periods (one Query of their partition,
 * never a Scan), per period and team and in total.
 */
export async function releaseMetrics(
  query: MetricsQuery,
  actor: Actor,
  ports: Pick<MetricsPorts, 'metrics' | 'clock'>,
): Promise<MetricsReport> {
  authorize(actor, metricsAccess.read);
  const range = metricsRange(query, ports.clock.now());
  const first = range.periods[0] as Period;
  const last = range.periods.at(-1) as Period;
  const counters = await ports.metrics.countersIn(
    range.groupBy,
    { from: first.key, to: last.key },
    range.teamId,
  );
  return reportOf(range, counters);
}

/**
 * The same answer recounted from the releases' histories instead of the counters: every release
 * (the list of them all, a Query) with its fact derived from its history. What the counters must
 * equal once every event has been consumed — the check of the consumer, and an operator's tool
 * (it reads every release: not a request path).
 */
export async function recountReleaseMetrics(
  query: MetricsQuery,
  ports: Pick<MetricsPorts, 'releases' | 'workflows' | 'clock'>,
): Promise<MetricsReport> {
  const range = metricsRange(query, ports.clock.now());
  const facts: ReleaseFact[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.releases.list({}, { limit: 100, cursor });
    for (const release of page.items) {
      const fact = await factOf(release, ports);
      if (fact) facts.push(fact);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return reportOf(range, countersFromFacts(facts));
}
