/**
 * Release metrics on a seeded history (issue 12, item 7), on the in-memory fakes: eight releases of
 * two teams and of no team, moved through their workflows at known instants, edited, backed out
 * (from the deploy stage, from Audit, after Closure) and with incidents attributed; their events
 * delivered to the record-release-metrics consumer as the bus delivers them — as they happen, then
 * all again, reordered, duplicated, racing each other and forged. The figures are computed by hand
 * below (each release's deployment instant, window and lead time are written out), and equal the
 * recount from the releases' histories whatever the deliveries were.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackoutPorts } from '../../../functions/domain/backout/ports.ts';
import { backOutRelease } from '../../../functions/domain/backout/service.ts';
import type { Figures } from '../../../functions/domain/metrics/counters.ts';
import {
  attributeIncident,
  type MetricsReport,
  recountReleaseMetrics,
  releaseMetrics,
  type TeamFigures,
} from '../../../functions/domain/metrics/service.ts';
import { createRelease, editRelease, moveRelease } from '../../../functions/domain/release/service.ts';
import type { Team } from '../../../functions/domain/team/team.ts';
import { createHandler, MalformedEventError } from '../../../functions/events/record-release-metrics.ts';
import type { LocalEvent } from '../../../infra/local/eventbridge/bus.ts';
import { rules } from '../../../infra/rules.ts';
import { deliver } from '../../support/event-contract.ts';
import { actor, fixedClock, inMemoryPorts } from '../../support/fakes.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

const rm = actor('rm', ['release'], { teamIds: ['team_pay'] });
const rm2 = actor('rm2', ['release'], { teamIds: ['team_hr'] });
const admin = actor('admin', [], { admin: true });
const cm = actor('cm', ['change']);

const team = (id: string, members: string[]): Team => ({
  id,
  name: id,
  kind: 'release',
  workGroups: [{ id: `wg_${id}`, name: id }],
  members,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'root',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'root',
});

const METRICS_RULE = rules.find((r) => r.target === 'record-release-metrics');
const CONSUMED = (METRICS_RULE?.eventPattern['detail-type'] ?? []) as string[];

/** The world: a clock set per step, the consumer, and every event delivered so far. */
function world() {
  const clock = fixedClock('2026-11-01T00:00:00.000Z');
  const ports = inMemoryPorts({ clock });
  ports.teams.seed(team('team_pay', ['rm']));
  ports.teams.seed(team('team_hr', ['rm2']));
  const handler = createHandler(() => ports);
  const at = (iso: string) => clock.advance(Date.parse(iso) - clock.now().getTime());
  // Back-outs read nothing from the CMDB here: these releases changed no CI.
  const backout: BackoutPorts = {
    ...ports,
    cmdb: { changesOf: async () => ({ versions: [], current: [] }), restore: async () => [] },
    procedures: { backoutProcedures: async () => [] },
  };
  let consumed = 0;
  /** The events committed since the last call that the rule routes to the consumer, as delivered. */
  const newEvents = async (): Promise<LocalEvent[]> => {
    const fresh = ports.table.events.slice(consumed);
    consumed = ports.table.events.length;
    return deliver(fresh.filter((e) => CONSUMED.includes(e.type)));
  };
  /** Every event the rule routes to the consumer, as delivered. */
  const allEvents = () => deliver(ports.table.events.filter((e) => CONSUMED.includes(e.type)));
  return { ports, clock, at, handler, backout, newEvents, allEvents };
}
type World = ReturnType<typeof world>;

async function newRelease(
  w: World,
  who: typeof rm,
  createdAt: string,
  window: [string, string],
  workflowId?: string,
): Promise<string> {
  w.at(createdAt);
  const { release } = await createRelease(
    {
      title: `Release created ${createdAt}`,
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'medium',
      businessPriority: 2,
      plannedStart: window[0],
      plannedEnd: window[1],
      changeIds: [],
      kbArticleIds: [],
      deployment: { managedByChange: false },
      tasks: [],
      ...(workflowId ? { workflowId } : {}),
    },
    who,
    w.ports,
  );
  return release.id;
}

/** Moves the release through `stages`, each at its instant. */
async function moves(w: World, id: string, who: typeof rm, stages: [string, string][], reason?: string) {
  for (const [to, instant] of stages) {
    w.at(instant);
    const current = await w.ports.releases.get(id);
    await moveRelease(id, { to, expectedVersion: current?.version ?? 0, reason }, who, w.ports);
  }
}

async function incident(w: World, id: string, reference: string, occurredAt: string, now: string, who = rm) {
  w.at(now);
  await attributeIncident(
    id,
    { reference, severity: 'high', occurredAt, summary: `Incident ${reference}` },
    who,
    w.ports,
  );
}

/** The figures of releases, from what was counted by hand; rates and lead times as given. */
function figures(
  counts: {
    deployed: number;
    onTime: number;
    backedOut: number;
    withIncidents: number;
    incidents: number;
    failed: number;
  },
  rates: { changeFailureRate: number | null; onTimeRate: number | null },
  leadTime: { medianSeconds: number | null; p90Seconds: number | null },
): Figures {
  return { ...counts, ...rates, leadTime };
}
const none = figures(
  { deployed: 0, onTime: 0, backedOut: 0, withIncidents: 0, incidents: 0, failed: 0 },
  { changeFailureRate: null, onTimeRate: null },
  { medianSeconds: null, p90Seconds: null },
);
const ofTeam = (teamId: string | null, f: Figures): TeamFigures => ({ teamId, ...f });

/**
 * The seeded history. Deployment = the first move out of Deployment that is not a cancellation;
 * lead time = creation → deployment; on time = onwards (not into Backed Out) inside the window
 * as it stood then.
 *
 * | release | team | created | window | deployed (left Deployment) | on time | backed out | incidents | lead time |
 * |---|---|---|---|---|---|---|---|---|
 * | r1 | pay | 11-02 09:00 | 11-10 20:00–23:00 | 11-10 22:00 → Audit (W46) | yes | after Closure (12-10) | 0 | 8d 13h |
 * | r2 | pay | 11-05 12:00 | 11-12 20:00–23:00 | 11-13 01:00 → Audit (W46) | no (after the end) | no | 1 (attributed 12-10) | 7d 13h |
 * | r3 | pay | 11-20 08:00 | 12-01 20:00–23:00, moved to 12-02 before, 12-03 after | 12-02 21:00 → Audit (W49) | yes (window of 12-02) | from Audit | 2 | 12d 13h |
 * | r4 | hr | 11-25 10:00 | 12-01 08:00–10:00 | 12-01 09:00 → Backed Out (W49) | no (backed out) | from Deployment | 0 | 5d 23h |
 * | r5 | hr | 11-26 10:00 | 12-03 08:00–10:00 | never: Deployment → Cancelled | – | – | 1 (not counted) | – |
 * | r6 | none | 11-28 00:00 | 12-07 00:00–06:00 | 12-07 05:59:59 → Closure, fast track (W50) | yes (a second before the end) | no | 0 | 9d 5h 59m 59s |
 * | r7 | pay | 12-01 00:00 | 12-20 10:00–12:00 | never: in Testing | – | – | – | – |
 * | r8 | pay | 11-30 00:00 | 12-14 10:00–12:00 | 12-14 12:00:00.000 → Audit (W51) | no (at the end: exclusive) | no | 0 | 14d 12h |
 */
async function seed(w: World, afterEachStep: () => Promise<void> = async () => {}) {
  const ids: Record<string, string> = {};
  const step = async (work: () => Promise<void>) => {
    await work();
    await afterEachStep();
  };
  const toDeployment = (day: string): [string, string][] => [
    ['Development', `${day}T09:00:00.000Z`],
    ['Testing', `${day}T10:00:00.000Z`],
  ];
  await step(async () => {
    ids.r1 = await newRelease(w, rm, '2026-11-02T09:00:00.000Z', [
      '2026-11-10T20:00:00Z',
      '2026-11-10T23:00:00Z',
    ]);
    await moves(w, ids.r1, rm, [...toDeployment('2026-11-09'), ['Deployment', '2026-11-10T20:30:00.000Z']]);
  });
  await step(async () => {
    ids.r2 = await newRelease(w, rm, '2026-11-05T12:00:00.000Z', [
      '2026-11-12T20:00:00Z',
      '2026-11-12T23:00:00Z',
    ]);
    await moves(w, ids.r2, rm, [...toDeployment('2026-11-11'), ['Deployment', '2026-11-12T20:00:00.000Z']]);
  });
  await step(() => moves(w, ids.r1 as string, rm, [['Audit', '2026-11-10T22:00:00.000Z']]));
  await step(() => moves(w, ids.r2 as string, rm, [['Audit', '2026-11-13T01:00:00.000Z']]));
  await step(() =>
    moves(w, ids.r1 as string, rm, [
      ['CMDB Update', '2026-11-11T09:00:00.000Z'],
      ['Closure', '2026-11-11T10:00:00.000Z'],
    ]),
  );
  await step(async () => {
    ids.r3 = await newRelease(w, rm, '2026-11-20T08:00:00.000Z', [
      '2026-12-01T20:00:00Z',
      '2026-12-01T23:00:00Z',
    ]);
    w.at('2026-11-21T08:00:00.000Z');
    await editRelease(
      ids.r3,
      { plannedStart: '2026-12-02T20:00:00Z', plannedEnd: '2026-12-02T23:00:00Z' },
      1,
      rm,
      w.ports,
    );
  });
  await step(async () => {
    ids.r4 = await newRelease(
      w,
      rm2,
      '2026-11-25T10:00:00.000Z',
      ['2026-12-01T08:00:00Z', '2026-12-01T10:00:00Z'],
      'release-fast-track',
    );
    ids.r5 = await newRelease(w, rm2, '2026-11-26T10:00:00.000Z', [
      '2026-12-03T08:00:00Z',
      '2026-12-03T10:00:00Z',
    ]);
    ids.r6 = await newRelease(
      w,
      admin,
      '2026-11-28T00:00:00.000Z',
      ['2026-12-07T00:00:00Z', '2026-12-07T06:00:00Z'],
      'release-fast-track',
    );
    ids.r8 = await newRelease(w, rm, '2026-11-30T00:00:00.000Z', [
      '2026-12-14T10:00:00Z',
      '2026-12-14T12:00:00Z',
    ]);
    ids.r7 = await newRelease(w, rm, '2026-12-01T00:00:00.000Z', [
      '2026-12-20T10:00:00Z',
      '2026-12-20T12:00:00Z',
    ]);
  });
  await step(() => moves(w, ids.r4 as string, rm2, [['Deployment', '2026-12-01T08:00:00.000Z']]));
  await step(() =>
    moves(w, ids.r4 as string, rm2, [['Backed Out', '2026-12-01T09:00:00.000Z']], 'Smoke test failed'),
  );
  await step(() =>
    moves(w, ids.r3 as string, rm, [
      ...toDeployment('2026-12-01'),
      ['Deployment', '2026-12-02T20:00:00.000Z'],
    ]),
  );
  await step(() => moves(w, ids.r3 as string, rm, [['Audit', '2026-12-02T21:00:00.000Z']]));
  await step(async () => {
    // Edited after its deployment: the window it was deployed in decides.
    w.at('2026-12-02T22:00:00.000Z');
    const r3 = await w.ports.releases.get(ids.r3 as string);
    await editRelease(
      ids.r3 as string,
      { plannedStart: '2026-12-03T20:00:00Z', plannedEnd: '2026-12-03T23:00:00Z' },
      r3?.version ?? 0,
      rm,
      w.ports,
    );
  });
  await step(() =>
    moves(w, ids.r5 as string, rm2, [
      ...toDeployment('2026-12-02'),
      ['Deployment', '2026-12-03T08:00:00.000Z'],
    ]),
  );
  await step(() =>
    incident(w, ids.r5 as string, 'INC-5', '2026-12-03T08:30:00Z', '2026-12-03T08:40:00.000Z', rm2),
  );
  await step(() =>
    moves(w, ids.r5 as string, rm2, [['Cancelled', '2026-12-03T09:00:00.000Z']], 'Vendor withdrew the patch'),
  );
  await step(() =>
    incident(w, ids.r3 as string, 'INC-31', '2026-12-03T07:00:00Z', '2026-12-04T09:00:00.000Z'),
  );
  // A change manager attributes the second one (any team's release).
  await step(() =>
    incident(w, ids.r3 as string, 'INC-32', '2026-12-04T07:00:00Z', '2026-12-04T10:00:00.000Z', cm),
  );
  await step(async () => {
    w.at('2026-12-05T09:00:00.000Z');
    await backOutRelease(
      ids.r3 as string,
      { acknowledgedArticles: [], reason: 'Payslips wrong' },
      rm,
      w.backout,
    );
  });
  await step(() => moves(w, ids.r6 as string, admin, [['Deployment', '2026-12-06T23:00:00.000Z']]));
  await step(() => moves(w, ids.r6 as string, admin, [['Closure', '2026-12-07T05:59:59.000Z']]));
  await step(() => moves(w, ids.r7 as string, rm, toDeployment('2026-12-08')));
  await step(() =>
    incident(w, ids.r2 as string, 'INC-2', '2026-11-14T06:00:00Z', '2026-12-10T08:00:00.000Z'),
  );
  await step(async () => {
    // Closed a month ago, backed out now: it still counts in November.
    w.at('2026-12-10T09:00:00.000Z');
    await backOutRelease(
      ids.r1 as string,
      { acknowledgedArticles: [], reason: 'Late regression' },
      rm,
      w.backout,
    );
  });
  await step(() =>
    moves(w, ids.r8 as string, rm, [
      ...toDeployment('2026-12-13'),
      ['Deployment', '2026-12-14T10:00:00.000Z'],
    ]),
  );
  await step(() => moves(w, ids.r8 as string, rm, [['Audit', '2026-12-14T12:00:00.000Z']]));
  w.at('2026-12-31T12:00:00.000Z');
  return ids;
}

/** What the counters should say for November and December 2026 by month, worked out by hand. */
const BY_MONTH = {
  groupBy: 'month',
  from: '2026-11-01',
  to: '2026-12-31',
  teamId: null,
  periods: [
    {
      period: '2026-11',
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      // r1 (on time, backed out later), r2 (late, one incident).
      teams: [
        ofTeam(
          'team_pay',
          figures(
            { deployed: 2, onTime: 1, backedOut: 1, withIncidents: 1, incidents: 1, failed: 2 },
            { changeFailureRate: 2 / 2, onTimeRate: 1 / 2 },
            // r2 7d13h, r1 8d13h: the median of two is the shorter (nearest rank 1), p90 rank 2.
            { medianSeconds: 7 * DAY + 13 * HOUR, p90Seconds: 8 * DAY + 13 * HOUR },
          ),
        ),
      ],
      total: figures(
        { deployed: 2, onTime: 1, backedOut: 1, withIncidents: 1, incidents: 1, failed: 2 },
        { changeFailureRate: 1, onTimeRate: 0.5 },
        { medianSeconds: 7 * DAY + 13 * HOUR, p90Seconds: 8 * DAY + 13 * HOUR },
      ),
    },
    {
      period: '2026-12',
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
      teams: [
        // r4: backed out from Deployment (deployed, failed, not on time).
        ofTeam(
          'team_hr',
          figures(
            { deployed: 1, onTime: 0, backedOut: 1, withIncidents: 0, incidents: 0, failed: 1 },
            { changeFailureRate: 1, onTimeRate: 0 },
            { medianSeconds: 5 * DAY + 23 * HOUR, p90Seconds: 5 * DAY + 23 * HOUR },
          ),
        ),
        // r3 (on time in its edited window, backed out, two incidents: one failure), r8 (at the end: late).
        ofTeam(
          'team_pay',
          figures(
            { deployed: 2, onTime: 1, backedOut: 1, withIncidents: 1, incidents: 2, failed: 1 },
            { changeFailureRate: 1 / 2, onTimeRate: 1 / 2 },
            { medianSeconds: 12 * DAY + 13 * HOUR, p90Seconds: 14 * DAY + 12 * HOUR },
          ),
        ),
        // r6: administrators' release of no team, a second before the end of its window.
        ofTeam(
          null,
          figures(
            { deployed: 1, onTime: 1, backedOut: 0, withIncidents: 0, incidents: 0, failed: 0 },
            { changeFailureRate: 0, onTimeRate: 1 },
            { medianSeconds: 9 * DAY + 5 * HOUR + 3599, p90Seconds: 9 * DAY + 5 * HOUR + 3599 },
          ),
        ),
      ],
      // Lead times in order: r4 5d23h, r6 9d5h59m59s, r3 12d13h, r8 14d12h → median rank 2, p90 rank 4.
      total: figures(
        { deployed: 4, onTime: 2, backedOut: 2, withIncidents: 1, incidents: 2, failed: 2 },
        { changeFailureRate: 2 / 4, onTimeRate: 2 / 4 },
        { medianSeconds: 9 * DAY + 5 * HOUR + 3599, p90Seconds: 14 * DAY + 12 * HOUR },
      ),
    },
  ],
  teams: [
    ofTeam(
      'team_hr',
      figures(
        { deployed: 1, onTime: 0, backedOut: 1, withIncidents: 0, incidents: 0, failed: 1 },
        { changeFailureRate: 1, onTimeRate: 0 },
        { medianSeconds: 5 * DAY + 23 * HOUR, p90Seconds: 5 * DAY + 23 * HOUR },
      ),
    ),
    // r1, r2, r3, r8: lead times 7d13h, 8d13h, 12d13h, 14d12h → median rank 2, p90 rank 4.
    ofTeam(
      'team_pay',
      figures(
        { deployed: 4, onTime: 2, backedOut: 2, withIncidents: 2, incidents: 3, failed: 3 },
        { changeFailureRate: 3 / 4, onTimeRate: 2 / 4 },
        { medianSeconds: 8 * DAY + 13 * HOUR, p90Seconds: 14 * DAY + 12 * HOUR },
      ),
    ),
    ofTeam(
      null,
      figures(
        { deployed: 1, onTime: 1, backedOut: 0, withIncidents: 0, incidents: 0, failed: 0 },
        { changeFailureRate: 0, onTimeRate: 1 },
        { medianSeconds: 9 * DAY + 5 * HOUR + 3599, p90Seconds: 9 * DAY + 5 * HOUR + 3599 },
      ),
    ),
  ],
  // Six deployed; failed r1, r2, r3, r4; lead times 5d23h, 7d13h, 8d13h, 9d5h59m59s, 12d13h, 14d12h →
  // median rank 3, p90 rank 6.
  total: figures(
    { deployed: 6, onTime: 3, backedOut: 3, withIncidents: 2, incidents: 3, failed: 4 },
    { changeFailureRate: 4 / 6, onTimeRate: 3 / 6 },
    { medianSeconds: 8 * DAY + 13 * HOUR, p90Seconds: 14 * DAY + 12 * HOUR },
  ),
} satisfies MetricsReport;

const reader = actor('tech', ['deployment']);
const monthQuery = { from: '2026-11-01', to: '2026-12-31', groupBy: 'month' } as const;

describe('metrics on a seeded history, delivered as it happens', () => {
  let w: World;
  let ids: Record<string, string>;
  let byMonth: MetricsReport;

  beforeAll(async () => {
    w = world();
    // Each step's events are delivered once it is done; a step's own events in reverse order.
    ids = await seed(w, async () => {
      for (const event of (await w.newEvents()).reverse()) await w.handler(event);
    });
    byMonth = await releaseMetrics(monthQuery, reader, w.ports);
  });

  it('answers per month what was counted by hand', () => {
    expect(byMonth).toEqual(BY_MONTH);
  });

  it('equals the recount from the releases’ histories', async () => {
    expect(await recountReleaseMetrics(monthQuery, w.ports)).toEqual(byMonth);
  });

  it('answers per ISO week: each release in the week of its deployment', async () => {
    const byWeek = await releaseMetrics({ ...monthQuery, groupBy: 'week' }, reader, w.ports);
    // 2026-11-01 is a Sunday (week 44); 2026-12-31 a Thursday (week 53 of 2026).
    expect(byWeek.periods.map((p) => p.period)).toEqual([
      '2026-W44',
      '2026-W45',
      '2026-W46',
      '2026-W47',
      '2026-W48',
      '2026-W49',
      '2026-W50',
      '2026-W51',
      '2026-W52',
      '2026-W53',
    ]);
    const deployed = Object.fromEntries(byWeek.periods.map((p) => [p.period, p.total.deployed]));
    expect(deployed).toEqual({
      '2026-W44': 0,
      '2026-W45': 0,
      '2026-W46': 2, // r1, r2
      '2026-W47': 0,
      '2026-W48': 0,
      '2026-W49': 2, // r3, r4
      '2026-W50': 1, // r6
      '2026-W51': 1, // r8
      '2026-W52': 0,
      '2026-W53': 0,
    });
    const w49 = byWeek.periods.find((p) => p.period === '2026-W49');
    expect(w49?.start).toBe('2026-11-30T00:00:00.000Z');
    expect(w49?.total).toEqual(
      figures(
        { deployed: 2, onTime: 1, backedOut: 2, withIncidents: 1, incidents: 2, failed: 2 },
        { changeFailureRate: 1, onTimeRate: 1 / 2 },
        { medianSeconds: 5 * DAY + 23 * HOUR, p90Seconds: 12 * DAY + 13 * HOUR },
      ),
    );
    expect(byWeek.periods.find((p) => p.period === '2026-W47')).toMatchObject({ teams: [], total: none });
    // The weeks add up to the months.
    expect(byWeek.total).toEqual(byMonth.total);
    expect(await recountReleaseMetrics({ ...monthQuery, groupBy: 'week' }, w.ports)).toEqual(byWeek);
  });

  it('answers for one team', async () => {
    const hr = await releaseMetrics({ ...monthQuery, team: 'team_hr' }, reader, w.ports);
    expect(hr.teamId).toBe('team_hr');
    const { teamId: _, ...hrFigures } = BY_MONTH.teams[0] as TeamFigures;
    expect(hr.teams).toEqual([BY_MONTH.teams[0]]);
    expect(hr.total).toEqual(hrFigures);
    expect(hr.periods.map((p) => p.total.deployed)).toEqual([0, 1]);
  });

  it('counts nothing for releases never deployed, even with an incident', async () => {
    const r5 = await w.ports.releases.get(ids.r5 as string);
    const r7 = await w.ports.releases.get(ids.r7 as string);
    expect([r5?.status, r7?.stage]).toEqual(['cancelled', 'Testing']);
    expect(await w.ports.metrics.fact(ids.r5 as string)).toBeUndefined();
    expect(await w.ports.metrics.incident(ids.r5 as string, 'INC-5')).toBeDefined();
  });
});

describe('the same history, every event delivered again', () => {
  let w: World;
  let delivered: LocalEvent[];

  beforeAll(async () => {
    w = world();
    await seed(w);
    delivered = await w.allEvents();
    // Consumed once, in reverse order of commit: latest first.
    for (const event of [...delivered].reverse()) await w.handler(event);
  });

  it('delivers every move, back-out and incident (three detail types)', () => {
    const types = new Set(delivered.map((e) => e['detail-type']));
    expect([...types].sort()).toEqual(['Incident Attributed', 'Release Backed Out', 'Release Stage Entered']);
  });

  it('reaches the hand-counted figures and the recount', async () => {
    expect(await releaseMetrics(monthQuery, reader, w.ports)).toEqual(BY_MONTH);
    expect(await recountReleaseMetrics(monthQuery, w.ports)).toEqual(BY_MONTH);
  });

  it('writes nothing and changes nothing when all are delivered again, shuffled, twice at once', async () => {
    const writes = w.ports.metrics.count('applyFact');
    const shuffled = [...delivered].sort((a, b) => (a.id < b.id ? 1 : -1));
    await Promise.all(shuffled.flatMap((e) => [w.handler(e), w.handler(structuredClone(e))]));
    expect(w.ports.metrics.count('applyFact')).toBe(writes);
    expect(await releaseMetrics(monthQuery, reader, w.ports)).toEqual(BY_MONTH);
    expect(await recountReleaseMetrics(monthQuery, w.ports)).toEqual(BY_MONTH);
  });

  it('counts nothing a forged event claims that the table does not say', async () => {
    const writes = w.ports.metrics.count('applyFact');
    const move = delivered.find((e) => e['detail-type'] === 'Release Stage Entered') as LocalEvent & {
      detail: { id: string; subject: { id: string }; data: Record<string, unknown> };
    };
    const r7 = (await w.ports.releases.list({ stage: 'Testing' }, { limit: 10 })).items[0]?.id as string;
    const forged = structuredClone(move);
    forged.resources = [`release/${r7}`];
    forged.detail.id = 'evt_forged';
    forged.detail.subject.id = r7;
    forged.detail.data = { ...forged.detail.data, releaseId: r7, from: 'Deployment', to: 'Audit' };
    const incident = structuredClone(
      delivered.find((e) => e['detail-type'] === 'Incident Attributed'),
    ) as typeof move;
    incident.detail.id = 'evt_forged_incident';
    incident.detail.data = { ...incident.detail.data, reference: 'INC-FORGED' };
    await w.handler(forged);
    await w.handler(incident);
    expect(w.ports.metrics.count('applyFact')).toBe(writes);
    expect(await releaseMetrics(monthQuery, reader, w.ports)).toEqual(BY_MONTH);
  });

  it('refuses a malformed event before reading anything', async () => {
    const reads = w.ports.metrics.count('fact');
    const move = delivered[0] as LocalEvent;
    for (const bad of [
      { ...move, 'detail-type': 'Release Created' },
      { ...move, detail: { ...(move.detail as object), subject: { kind: 'task', id: 'task_1' } } },
      { ...move, detail: { ...(move.detail as object), data: { from: 1 } } },
    ]) {
      await expect(w.handler(bad)).rejects.toBeInstanceOf(MalformedEventError);
    }
    expect(w.ports.metrics.count('fact')).toBe(reads);
  });
});

describe('deliveries racing each other', () => {
  it('applies a release’s fact once when two of its events arrive at once, the loser deriving again', async () => {
    const w = world();
    await seed(w);
    const delivered = await w.allEvents();
    // The first two events of each release, at once, release by release.
    const byRelease = new Map<string, LocalEvent[]>();
    for (const e of delivered) {
      const id = (e.resources as string[])[0] as string;
      byRelease.set(id, [...(byRelease.get(id) ?? []), e]);
    }
    await Promise.all([...byRelease.values()].flatMap((events) => events.slice(-2).map((e) => w.handler(e))));
    expect(await releaseMetrics(monthQuery, reader, w.ports)).toEqual(BY_MONTH);
    // One write per deployed release (six); the racing loser wrote nothing.
    expect(w.ports.metrics.count('applyFact')).toBeGreaterThan(6);
    expect([...w.ports.metrics.facts.values()].filter((f) => f.fact !== null)).toHaveLength(6);
    expect([...w.ports.metrics.facts.values()].every((f) => f.version === 1)).toBe(true);
  });
});

describe('the rule', () => {
  it('routes exactly the consumer’s detail types to it', () => {
    expect(METRICS_RULE?.eventPattern).toEqual({
      source: ['release-desk'],
      'detail-type': ['Release Stage Entered', 'Release Backed Out', 'Incident Attributed'],
    });
  });
});
