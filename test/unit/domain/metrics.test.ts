/**
 * The parts release metrics are made of, on their own: periods (UTC months, ISO weeks across year
 * ends), the nearest-rank percentile, counters taking a fact out and in, a release's fact from
 * its history, the range of an answer, and attributing an incident (who, when, to what) on the
 * in-memory fakes. The seeded history with its hand-counted figures is
 * test/unit/events/record-release-metrics.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  RuleViolationError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import {
  countersFromFacts,
  emptyCounter,
  factChange,
  figuresOf,
  percentile,
} from '../../../functions/domain/metrics/counters.ts';
import { type ReleaseFact, releaseFact } from '../../../functions/domain/metrics/fact.ts';
import { periodOf, periodsBetween } from '../../../functions/domain/metrics/periods.ts';
import {
  attributeIncident,
  METRICS_LIMITS,
  metricsRange,
  refreshReleaseMetrics,
  releaseMetrics,
} from '../../../functions/domain/metrics/service.ts';
import { createRelease, moveRelease } from '../../../functions/domain/release/service.ts';
import type { Team } from '../../../functions/domain/team/team.ts';
import { actor, fixedClock, inMemoryPorts } from '../../support/fakes.ts';

describe('periods', () => {
  it.each([
    ['2026-11-10T22:00:00Z', '2026-W46', '2026-11-09T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', '2026-W53', '2026-12-28T00:00:00.000Z'],
    // 1 January 2027 is a Friday: still week 53 of 2026.
    ['2027-01-01T00:00:00Z', '2026-W53', '2026-12-28T00:00:00.000Z'],
    ['2027-01-04T00:00:00Z', '2027-W01', '2027-01-04T00:00:00.000Z'],
    // 3 January 2021 is a Sunday of week 53 of 2020; 30 December 2024 a Monday of week 1 of 2025.
    ['2021-01-03T12:00:00Z', '2020-W53', '2020-12-28T00:00:00.000Z'],
    ['2024-12-30T00:00:00Z', '2025-W01', '2024-12-30T00:00:00.000Z'],
    ['2025-12-29T00:00:00Z', '2026-W01', '2025-12-29T00:00:00.000Z'],
    // Sunday 23:59 is the last minute of its week; Monday 00:00 the first of the next.
    ['2026-11-15T23:59:00Z', '2026-W46', '2026-11-09T00:00:00.000Z'],
    ['2026-11-16T00:00:00Z', '2026-W47', '2026-11-16T00:00:00.000Z'],
  ])('%s is in ISO week %s, which starts %s (UTC)', (instant, key, start) => {
    const week = periodOf('week', instant);
    expect(week).toEqual({ key, start, end: new Date(Date.parse(start) + 7 * 86_400_000).toISOString() });
  });

  it('takes months in UTC, whatever the offset written', () => {
    expect(periodOf('month', '2026-12-01T00:30:00+01:00')).toEqual({
      key: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
    });
    expect(periodOf('month', '2026-12-31T23:59:59.999Z').end).toBe('2027-01-01T00:00:00.000Z');
  });

  it('lists every period from the one holding `from` to the one holding `to`, keys in text order', () => {
    const months = periodsBetween('month', '2026-11-15T00:00:00Z', '2027-02-01T00:00:00Z');
    expect(months.map((p) => p.key)).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    const weeks = periodsBetween('week', '2026-12-20T00:00:00Z', '2027-01-10T00:00:00Z');
    expect(weeks.map((p) => p.key)).toEqual(['2026-W51', '2026-W52', '2026-W53', '2027-W01']);
    expect([...weeks.map((p) => p.key)].sort()).toEqual(weeks.map((p) => p.key));
    expect(periodsBetween('week', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')).toHaveLength(1);
  });
});

describe('percentile (nearest rank)', () => {
  it('is a value that occurred: the smallest that p percent do not exceed', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 2], 50)).toBe(1);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(ten, 90)).toBe(9);
    expect(percentile([...ten, 11], 90)).toBe(10);
  });
});

const fact = (over: Partial<ReleaseFact> = {}): ReleaseFact => ({
  releaseId: 'rel_1',
  teamId: 'team_pay',
  deployedAt: '2026-11-10T22:00:00.000Z',
  month: '2026-11',
  week: '2026-W46',
  onTime: true,
  backedOut: false,
  incidents: 0,
  leadTimeMs: 3_600_000,
  ...over,
});

describe('counters', () => {
  it('take a changed fact out of its old counters and add it to its new ones, each counter once', () => {
    const before = fact();
    const after = fact({ backedOut: true, incidents: 2 });
    const [month, week] = factChange(undefined, before, emptyCounter);
    expect(month).toMatchObject({
      granularity: 'month',
      period: '2026-11',
      deployed: 1,
      onTime: 1,
      failed: 0,
    });
    expect(week).toMatchObject({ granularity: 'week', period: '2026-W46', deployed: 1 });
    const stored = new Map([month, week].map((c) => [`${c?.granularity}|${c?.period}`, c]));
    const changed = factChange(
      before,
      after,
      (k) => stored.get(`${k.granularity}|${k.period}`) ?? emptyCounter(k),
    );
    expect(changed).toHaveLength(2);
    expect(changed[0]).toMatchObject({
      deployed: 1,
      onTime: 1,
      backedOut: 1,
      withIncidents: 1,
      incidents: 2,
      failed: 1,
      leadTimes: { rel_1: 3_600_000 },
    });
  });

  it('move a fact whose period changed, leaving the old counter empty', () => {
    const [nov] = factChange(undefined, fact(), emptyCounter);
    const moved = fact({ deployedAt: '2026-12-01T00:00:00.000Z', month: '2026-12', week: '2026-W49' });
    const changed = factChange(fact(), moved, (k) => (k.period === '2026-11' && nov ? nov : emptyCounter(k)));
    expect(changed.map((c) => [c.period, c.deployed, Object.keys(c.leadTimes).length])).toEqual([
      ['2026-11', 0, 0],
      ['2026-W46', -1, 0],
      ['2026-12', 1, 1],
      ['2026-W49', 1, 1],
    ]);
  });

  it('give null rates and lead times when nothing was deployed', () => {
    expect(figuresOf([])).toEqual({
      deployed: 0,
      onTime: 0,
      backedOut: 0,
      withIncidents: 0,
      incidents: 0,
      failed: 0,
      changeFailureRate: null,
      onTimeRate: null,
      leadTime: { medianSeconds: null, p90Seconds: null },
    });
  });

  it('count a release backed out with incidents as one failure', () => {
    const counters = countersFromFacts([
      fact({ backedOut: true, incidents: 3 }),
      fact({ releaseId: 'rel_2', onTime: false, leadTimeMs: 7_200_000 }),
    ]).filter((c) => c.granularity === 'month');
    expect(figuresOf(counters)).toMatchObject({
      deployed: 2,
      failed: 1,
      incidents: 3,
      changeFailureRate: 0.5,
      onTimeRate: 0.5,
      leadTime: { medianSeconds: 3600, p90Seconds: 7200 },
    });
  });
});

describe('a release’s fact', () => {
  const release = {
    id: 'rel_1',
    teamId: 'team_pay',
    createdAt: '2026-11-01T00:00:00.000Z',
    status: 'active' as const,
    plannedStart: '2026-11-10T20:00:00.000Z',
    plannedEnd: '2026-11-10T23:00:00.000Z',
  };
  const move = (from: string, to: string, status: string, version: number, at: string): DomainEvent => ({
    id: `evt_${version}`,
    type: 'Release Stage Entered',
    occurredAt: at,
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { releaseId: 'rel_1', from, to, status, version },
  });

  it('is none without a deploy stage, before leaving it, or when it left it by a cancellation', () => {
    const entered = move('Testing', 'Deployment', 'active', 4, '2026-11-10T20:00:00Z');
    expect(releaseFact(release, [entered], undefined)).toBeUndefined();
    expect(releaseFact(release, [entered], 'Deployment')).toBeUndefined();
    const cancelled = move('Deployment', 'Cancelled', 'cancelled', 5, '2026-11-10T21:00:00Z');
    expect(
      releaseFact({ ...release, status: 'cancelled' }, [entered, cancelled], 'Deployment'),
    ).toBeUndefined();
  });

  it('takes the first move out of the deploy stage, in version order whatever the clocks said', () => {
    const history = [
      move('Audit', 'Deployment', 'active', 7, '2026-11-10T21:30:00Z'),
      move('Deployment', 'Audit', 'active', 8, '2026-11-10T21:40:00Z'),
      // The first move out, although its clock was later than the second's.
      move('Deployment', 'Audit', 'active', 5, '2026-11-10T22:00:00Z'),
    ];
    expect(releaseFact(release, history, 'Deployment')).toMatchObject({
      deployedAt: '2026-11-10T22:00:00.000Z',
      onTime: true,
      leadTimeMs: (9 * 24 + 22) * 3_600_000,
    });
  });

  it('is deployed but neither on time nor finished when backed out from the deploy stage', () => {
    const out = move('Deployment', 'Backed Out', 'backed-out', 5, '2026-11-10T21:00:00Z');
    expect(releaseFact({ ...release, status: 'backed-out' }, [out], 'Deployment')).toMatchObject({
      onTime: false,
      backedOut: true,
    });
  });

  it('counts each incident reference once, of any team', () => {
    const out = move('Deployment', 'Audit', 'active', 5, '2026-11-10T21:00:00Z');
    const incident = (reference: string): DomainEvent => ({
      ...out,
      id: `evt_${reference}`,
      type: 'Incident Attributed',
      data: { releaseId: 'rel_1', reference },
    });
    expect(
      releaseFact(release, [out, incident('A'), incident('B'), incident('A')], 'Deployment')?.incidents,
    ).toBe(2);
  });
});

describe('the range of an answer', () => {
  const now = new Date('2026-12-15T10:00:00Z');

  it('defaults to the last 12 months or weeks up to today', () => {
    expect(metricsRange({}, now)).toMatchObject({ groupBy: 'month', from: '2026-01-01', to: '2026-12-15' });
    expect(metricsRange({}, now).periods).toHaveLength(METRICS_LIMITS.defaultPeriods);
    const weeks = metricsRange({ groupBy: 'week' }, now);
    // 15 December 2026 is in week 51 (from Monday 14 December); 11 weeks before starts 28 September.
    expect([weeks.from, weeks.periods[0]?.key, weeks.periods.at(-1)?.key]).toEqual([
      '2026-09-28',
      '2026-W40',
      '2026-W51',
    ]);
    expect(metricsRange({ to: '2026-03-31' }, now).from).toBe('2025-04-01');
  });

  it('names the field of a bad day, a range that ends before it starts, or one too long (400)', () => {
    const fieldOf = (query: Parameters<typeof metricsRange>[0]) => {
      try {
        metricsRange(query, now);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).errors.map((e) => e.path);
      }
      return [];
    };
    expect(fieldOf({ from: '2026-02-30' })).toEqual(['from']);
    expect(fieldOf({ to: '2026-13-01' })).toEqual(['to']);
    expect(fieldOf({ from: 'yesterday' })).toEqual(['from']);
    expect(fieldOf({ from: '2026-12-02', to: '2026-12-01' })).toEqual(['to']);
    expect(fieldOf({ from: '2024-01-01', to: '2026-12-31' })).toEqual([]);
    expect(fieldOf({ from: '2023-12-31', to: '2026-12-31' })).toEqual(['from']);
    expect(fieldOf({ from: '2024-12-30', to: '2026-12-27', groupBy: 'week' })).toEqual([]);
    expect(fieldOf({ from: '2024-12-29', to: '2026-12-27', groupBy: 'week' })).toEqual(['from']);
  });
});

const team = (id: string, members: string[]): Team => ({
  id,
  name: id,
  kind: 'release',
  workGroups: [],
  members,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'root',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'root',
});

describe('attributing an incident', () => {
  const rm = actor('rm', ['release'], { teamIds: ['team_pay'] });
  const rm2 = actor('rm2', ['release'], { teamIds: ['team_hr'] });
  const cm = actor('cm', ['change']);
  const tech = actor('tech', ['deployment']);
  const admin = actor('admin', [], { admin: true });
  const input = {
    reference: 'INC0012345',
    severity: 'high' as const,
    occurredAt: '2026-11-26T09:00:00Z',
    summary: 'Down',
  };

  async function world(stages: string[] = ['Development', 'Testing', 'Deployment']) {
    const clock = fixedClock('2026-11-20T00:00:00.000Z');
    const ports = inMemoryPorts({ clock });
    ports.teams.seed(team('team_pay', ['rm']));
    ports.teams.seed(team('team_hr', ['rm2']));
    const { release } = await createRelease(
      {
        title: 'Payroll 4.2',
        releaseType: 'minor',
        packageType: 'delta',
        urgency: 'medium',
        businessPriority: 2,
        plannedStart: '2026-11-25T20:00:00Z',
        plannedEnd: '2026-11-25T23:00:00Z',
        changeIds: [],
        kbArticleIds: [],
        deployment: { managedByChange: false },
        tasks: [],
      },
      rm,
      ports,
    );
    let version = release.version;
    for (const to of stages) {
      version = (await moveRelease(release.id, { to, expectedVersion: version }, rm, ports)).release.version;
    }
    clock.advance(7 * 86_400_000);
    return { ports, id: release.id };
  }

  it('stores it beside the release with its event, in the release’s history', async () => {
    const { ports, id } = await world();
    const { incident, replayed } = await attributeIncident(id, input, rm, ports);
    expect(replayed).toBe(false);
    expect(incident).toEqual({
      releaseId: id,
      reference: 'INC0012345',
      severity: 'high',
      occurredAt: '2026-11-26T09:00:00.000Z',
      summary: 'Down',
      teamId: 'team_pay',
      version: 1,
      attributedAt: '2026-11-27T00:00:00.000Z',
      attributedBy: 'rm',
    });
    const history = (await ports.releases.history(id, { limit: 100 })).items;
    expect(history.at(-1)).toMatchObject({
      type: 'Incident Attributed',
      actor: 'rm',
      subject: { kind: 'release', id },
      data: { releaseId: id, reference: 'INC0012345', severity: 'high', teamId: 'team_pay' },
    });
  });

  it('is for the release’s team, change managers and administrators (403 for the others)', async () => {
    const { ports, id } = await world();
    await expect(attributeIncident(id, input, tech, ports)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attributeIncident(id, input, rm2, ports)).rejects.toBeInstanceOf(ForbiddenError);
    await attributeIncident(id, { ...input, reference: 'INC-CM' }, cm, ports);
    await attributeIncident(id, { ...input, reference: 'INC-ADMIN' }, admin, ports);
    expect(ports.metrics.incidents.size).toBe(2);
  });

  it('refuses a release that never entered its deploy stage (422)', async () => {
    const { ports, id } = await world(['Development']);
    const refused = await attributeIncident(id, input, rm, ports).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RuleViolationError);
    expect(refused).toMatchObject({ code: 'release-not-deployed', details: { deployStage: 'Deployment' } });
    expect(ports.metrics.count('attribute')).toBe(0);
  });

  it('refuses an incident in the future or before the release existed, naming occurredAt (400)', async () => {
    const { ports, id } = await world();
    for (const occurredAt of ['2026-11-27T00:00:01Z', '2026-11-19T23:59:59Z']) {
      const refused = await attributeIncident(id, { ...input, occurredAt }, rm, ports).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).errors.map((e) => e.path)).toEqual(['occurredAt']);
    }
  });

  it('attributes one reference once (409), and replays a retried request under its Idempotency-Key', async () => {
    const { ports, id } = await world();
    const key = { scope: 'rm', key: 'k1', fingerprint: 'f1' };
    const first = await attributeIncident(id, input, rm, ports, key);
    ports.clock.advance(60_000);
    const again = await attributeIncident(id, input, rm, ports, key);
    expect(again).toEqual({ incident: first.incident, replayed: true });
    const refused = await attributeIncident(id, input, rm, ports).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused).toMatchObject({ code: 'incident-already-attributed', details: { attributedBy: 'rm' } });
    expect(ports.table.events.filter((e) => e.type === 'Incident Attributed')).toHaveLength(1);
  });
});

describe('the consumer’s use case and the read', () => {
  it('finds nothing to count for a release that does not exist', async () => {
    const ports = inMemoryPorts();
    expect(await refreshReleaseMetrics('rel_nope', ports)).toBe('missing');
    expect(ports.metrics.count('applyFact')).toBe(0);
  });

  it('reads the counters of the range with one store call, filtered by team', async () => {
    const ports = inMemoryPorts({ clock: fixedClock('2026-12-15T00:00:00.000Z') });
    const report = await releaseMetrics({ team: 'team_pay' }, actor('tech', ['deployment']), ports);
    expect(ports.metrics.calls).toEqual([
      { method: 'countersIn', args: ['month', { from: '2026-01', to: '2026-12' }, 'team_pay'] },
    ]);
    expect(report.periods).toHaveLength(12);
    expect(report.total.deployed).toBe(0);
    await expect(releaseMetrics({}, actor('nobody', []), ports)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
