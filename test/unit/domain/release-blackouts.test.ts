/**
 * Releases and RFCs meet the SLAs' blackouts, on the in-memory fakes: every conflicting window on
 * every CI touched or impacted (through dependency chains, 80 CIs at once, touching windows not
 * conflicting), the `noOpenBlackout` gate and its audited override for emergency releases, and
 * the earliest free windows checked against a minute-by-minute count done here independently.
 */
import { describe, expect, it } from 'vitest';
import { editChange, moveChange, recordChange } from '../../../functions/domain/change/service.ts';
import { ForbiddenError, GateFailedError, RuleViolationError } from '../../../functions/domain/errors.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import {
  type CreateReleaseInput,
  createRelease,
  editReleaseShowingTasks,
  getReleaseWithMoves,
  moveRelease,
  releaseNextWindows,
} from '../../../functions/domain/release/service.ts';
import { freeWindows, parseSpan } from '../../../functions/domain/sla/conflicts.ts';
import { createSla } from '../../../functions/domain/sla/service.ts';
import type { Blackout } from '../../../functions/domain/sla/sla.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, ciFixture, inMemoryPorts, stateMachineArnOf, teamFixture } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const team = teamFixture;

// rm may override for team_pay; dual is in the team but may not; admin manages SLAs.
const rm = actor('rm', ['release', 'deployment', 'change'], { teamIds: ['team_pay', 'team_dep'] });
const dual = actor('dual', ['release', 'deployment'], { teamIds: ['team_pay'] });
const admin = actor('root', [], { admin: true });

function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm', 'dual'], { blackoutOverriders: ['rm'] }));
  ports.teams.seed(
    team('team_dep', 'deployment', ['rm'], { workGroups: [{ id: 'wg_dep', name: 'Deployers' }] }),
  );
  ports.teams.seed(team('team_cab', 'cab', ['rm']));
  return ports;
}
type World = ReturnType<typeof world>;

const input = (ciIds: string[], over: Partial<CreateReleaseInput> = {}): CreateReleaseInput => ({
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  teamId: 'team_pay',
  plannedStart: '2026-12-01T20:00:00Z',
  plannedEnd: '2026-12-01T23:00:00Z',
  changeIds: [],
  kbArticleIds: [],
  deployment: { managedByChange: false },
  tasks: ciIds.length > 0 ? [{ title: 'Upgrade', workGroupId: 'wg_dep', ciIds, ciUpdates: [] }] : [],
  ...over,
});

const oneOff = (start: string, end: string, reason = 'Payroll run'): Blackout => ({ start, end, reason });

async function sla(w: World, ciIds: string[], blackouts: Blackout[], name = 'Payroll') {
  return (await createSla({ name, ciIds, blackouts }, admin, w)).sla;
}

/** cluster ← vm (part-of) ← app (runs-on) ← web (depends-on): changing the cluster impacts web. */
function chain(w: World) {
  w.cis.seed(ciFixture('ci_cluster'));
  w.cis.seed(ciFixture('ci_vm', { relations: [{ type: 'part-of', ciId: 'ci_cluster' }] }));
  w.cis.seed(ciFixture('ci_app', { relations: [{ type: 'runs-on', ciId: 'ci_vm' }] }));
  w.cis.seed(ciFixture('ci_web', { relations: [{ type: 'depends-on', ciId: 'ci_app' }] }));
}

describe('blackout conflicts while planning', () => {
  it('finds a conflict through a three-level dependency chain, with its path, on create and on reschedule', async () => {
    const w = world();
    chain(w);
    const s = await sla(w, ['ci_web'], [oneOff('2026-12-01T21:00:00Z', '2026-12-01T22:00:00Z')]);
    const { release, blackouts } = await createRelease(input(['ci_cluster']), rm, w);
    expect(blackouts?.truncated).toBe(false);
    expect(blackouts?.conflicts).toEqual([
      {
        slaId: s.id,
        slaName: 'Payroll',
        blackoutIndex: 0,
        reason: 'Payroll run',
        start: '2026-12-01T21:00:00.000Z',
        end: '2026-12-01T22:00:00.000Z',
        tz: 'UTC',
        localStart: '2026-12-01T21:00:00Z',
        localEnd: '2026-12-01T22:00:00Z',
        ciId: 'ci_web',
        touchedCiId: 'ci_cluster',
        path: [
          { ciId: 'ci_vm', relation: 'part-of' },
          { ciId: 'ci_app', relation: 'runs-on' },
          { ciId: 'ci_web', relation: 'depends-on' },
        ],
      },
    ]);
    // Rescheduled out of the window: no conflict; read back, the same.
    const moved = await editReleaseShowingTasks(
      release.id,
      { plannedStart: '2026-12-02T20:00:00Z', plannedEnd: '2026-12-02T23:00:00Z' },
      1,
      rm,
      w,
    );
    expect(moved.blackouts?.conflicts).toEqual([]);
    expect((await getReleaseWithMoves(release.id, rm, w)).blackouts?.conflicts).toEqual([]);
  });

  it('returns the conflicts of the new window when a release or an RFC is rescheduled into a blackout', async () => {
    const w = world();
    chain(w);
    const s = await sla(w, ['ci_web'], [oneOff('2026-12-02T21:00:00Z', '2026-12-02T22:00:00Z')]);
    // Planned on 1 December: clear. Rescheduled onto the evening of 2 December: the window shows.
    const { release, blackouts } = await createRelease(input(['ci_cluster']), rm, w);
    expect(blackouts?.conflicts).toEqual([]);
    const into = { plannedStart: '2026-12-02T20:00:00Z', plannedEnd: '2026-12-02T23:00:00Z' };
    const moved = await editReleaseShowingTasks(release.id, into, 1, rm, w);
    expect(moved.release.version).toBe(2);
    const expected = {
      slaId: s.id,
      start: '2026-12-02T21:00:00.000Z',
      end: '2026-12-02T22:00:00.000Z',
      ciId: 'ci_web',
      touchedCiId: 'ci_cluster',
      path: [
        { ciId: 'ci_vm', relation: 'part-of' },
        { ciId: 'ci_app', relation: 'runs-on' },
        { ciId: 'ci_web', relation: 'depends-on' },
      ],
    };
    expect(moved.blackouts.conflicts).toEqual([expect.objectContaining(expected)]);
    // The same for an RFC with a planned window, edited into the blackout.
    const { detail } = await recordChange(
      {
        title: 'Patch the cluster',
        type: 'normal',
        risk: 'low',
        impact: 'low',
        urgency: 'low',
        ciIds: ['ci_cluster'],
        cabTeamId: 'team_cab',
        plannedStart: '2026-12-01T20:00:00Z',
        plannedEnd: '2026-12-01T23:00:00Z',
      },
      rm,
      w,
    );
    expect(detail.blackouts?.items).toEqual([]);
    const edited = await editChange(detail.change.id, into, detail.change.version, rm, w);
    expect(edited.change.version).toBe(detail.change.version + 1);
    expect(edited.blackouts?.items).toEqual([expect.objectContaining(expected)]);
  });

  it('lists every one of 80 covered CIs, each with its path, not the first one', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_db'));
    const servers = Array.from({ length: 80 }, (_, i) => `ci_srv${String(i).padStart(2, '0')}`);
    for (const id of servers)
      w.cis.seed(ciFixture(id, { relations: [{ type: 'depends-on', ciId: 'ci_db' }] }));
    await sla(w, servers, [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z', 'Freeze')]);
    const { blackouts } = await createRelease(input(['ci_db']), rm, w);
    expect(blackouts?.conflicts).toHaveLength(80);
    expect(blackouts?.conflicts.map((c) => c.ciId)).toEqual(servers);
    for (const c of blackouts?.conflicts ?? []) {
      expect(c).toMatchObject({
        touchedCiId: 'ci_db',
        reason: 'Freeze',
        path: [{ ciId: c.ciId, relation: 'depends-on' }],
      });
    }
  });

  it('counts the CIs of the RFCs the release implements, and of its tasks', async () => {
    const w = world();
    chain(w);
    await sla(w, ['ci_app'], [oneOff('2026-12-01T21:00:00Z', '2026-12-01T22:00:00Z')]);
    const { detail } = await recordChange(
      {
        title: 'Patch the VM',
        type: 'normal',
        risk: 'low',
        impact: 'low',
        urgency: 'low',
        ciIds: ['ci_vm'],
        cabTeamId: 'team_cab',
        plannedStart: '2026-12-01T21:30:00Z',
        plannedEnd: '2026-12-01T23:30:00Z',
      },
      rm,
      w,
    );
    // The RFC's own answer shows its window's conflict.
    expect(detail.blackouts?.items.map((c) => [c.ciId, c.touchedCiId, c.path.length])).toEqual([
      ['ci_app', 'ci_vm', 1],
    ]);
    const { blackouts } = await createRelease(input([], { changeIds: [detail.change.id] }), rm, w);
    expect(blackouts?.conflicts.map((c) => [c.ciId, c.touchedCiId])).toEqual([['ci_app', 'ci_vm']]);
  });

  it('touching windows do not conflict; one second of overlap does', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await sla(
      w,
      ['ci_app'],
      [
        oneOff('2026-12-01T23:00:00Z', '2026-12-02T01:00:00Z'),
        oneOff('2026-12-01T18:00:00Z', '2026-12-01T20:00:00Z'),
      ],
    );
    const touching = await createRelease(input(['ci_app']), rm, w);
    expect(touching.blackouts?.conflicts).toEqual([]);
    const late = await createRelease(input(['ci_app'], { plannedEnd: '2026-12-01T23:00:01Z' }), rm, w);
    expect(late.blackouts?.conflicts.map((c) => c.start)).toEqual(['2026-12-01T23:00:00.000Z']);
    const early = await createRelease(input(['ci_app'], { plannedStart: '2026-12-01T19:59:59Z' }), rm, w);
    expect(early.blackouts?.conflicts.map((c) => c.end)).toEqual(['2026-12-01T20:00:00.000Z']);
  });

  it('finds a recurring window in its zone across a daylight-saving change', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    // Every last Friday 22:00 Berlin for 6 hours: 21:00Z in March (CET), 20:00Z in April (CEST).
    await sla(
      w,
      ['ci_app'],
      [
        {
          rrule: 'FREQ=MONTHLY;BYDAY=-1FR',
          start: '2026-01-30T22:00',
          duration: 'PT6H',
          tz: 'Europe/Berlin',
          reason: 'Month end',
        },
      ],
    );
    const hit = await createRelease(
      input(['ci_app'], { plannedStart: '2026-04-24T19:30:00Z', plannedEnd: '2026-04-24T20:30:00Z' }),
      rm,
      w,
    );
    expect(hit.blackouts?.conflicts.map((c) => [c.start, c.localStart])).toEqual([
      ['2026-04-24T20:00:00.000Z', '2026-04-24T22:00:00+02:00'],
    ]);
    const miss = await createRelease(
      input(['ci_app'], { plannedStart: '2026-03-27T20:00:00Z', plannedEnd: '2026-03-27T21:00:00Z' }),
      rm,
      w,
    );
    expect(miss.blackouts?.conflicts).toEqual([]);
  });
});

/** A release stored in Testing, about to enter Deployment (whose transition has the gate). */
function inTesting(w: World, over: Partial<Release> = {}): Release {
  return w.releases.seed({
    id: 'rel_t',
    version: 5,
    title: 'Hotfix',
    releaseType: 'emergency',
    packageType: 'delta',
    urgency: 'high',
    businessPriority: 1,
    teamId: 'team_pay',
    workflow: {
      id: 'release-default',
      version: 1,
      stateMachineArn: `${stateMachineArnOf('release-default')}:1`,
      initialStage: 'Assessment',
    },
    stage: 'Testing',
    stageEntry: 2,
    status: 'active',
    plannedStart: '2026-12-01T20:00:00.000Z',
    plannedEnd: '2026-12-01T23:00:00.000Z',
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [
      {
        id: 'tsk_1',
        title: 'Patch',
        workGroupId: 'wg_dep',
        ciIds: ['ci_app'],
        ciUpdates: [],
        status: 'planned',
      },
    ],
    createdAt: T0,
    createdBy: 'rm',
    updatedAt: T0,
    updatedBy: 'rm',
    ...over,
  });
}

const toDeployment = { to: 'Deployment', expectedVersion: 5 };

describe('the noOpenBlackout gate', () => {
  it('refuses to enter the deploy stage while the planned window meets a blackout, naming the SLA and the window', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    const s = await sla(
      w,
      ['ci_app'],
      [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z', 'Year-end close')],
    );
    inTesting(w, { releaseType: 'minor' });
    const view = await getReleaseWithMoves('rel_t', rm, w);
    expect(view.moves.find((m) => m.to === 'Deployment')?.unmetGates).toEqual(['noOpenBlackout']);
    const error = await moveRelease('rel_t', toDeployment, rm, w).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateFailedError);
    const gate = error as GateFailedError;
    expect(gate.message).toContain(
      `SLA "Payroll" (${s.id}) blackout 2026-12-01T22:00:00.000Z to 2026-12-02T02:00:00.000Z`,
    );
    expect(gate.details).toMatchObject({
      gates: ['noOpenBlackout'],
      noOpenBlackout: {
        windows: [
          { slaId: s.id, start: '2026-12-01T22:00:00.000Z', end: '2026-12-02T02:00:00.000Z', ciId: 'ci_app' },
        ],
      },
    });
    expect((await w.releases.get('rel_t'))?.stage).toBe('Testing');
  });

  it('refuses while a blackout is in force now, even when the planned window is clear', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    // The clock stands at 2026-11-26T10:00Z.
    await sla(w, ['ci_app'], [oneOff('2026-11-26T09:00:00Z', '2026-11-26T10:00:01Z')]);
    inTesting(w, { releaseType: 'minor' });
    await expect(moveRelease('rel_t', toDeployment, rm, w)).rejects.toBeInstanceOf(GateFailedError);
    w.clock.advance(1000);
    const out = await moveRelease('rel_t', toDeployment, rm, w);
    expect(out.release.stage).toBe('Deployment');
  });

  it('lets a permitted member override for an emergency release: audited in history and evented', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    const s = await sla(
      w,
      ['ci_app'],
      [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z', 'Year-end close')],
    );
    inTesting(w);
    w.meter.reset();
    const out = await moveRelease(
      'rel_t',
      { ...toDeployment, override: { reason: '  Payroll is broken  ' } },
      rm,
      w,
    );
    expect(out.release).toMatchObject({ stage: 'Deployment', version: 6 });
    // The dashboard's counts: one move, one override.
    expect(w.meter.counted()).toEqual({ Transitions: 1, BlackoutOverrides: 1 });
    const history = w.table.eventsOf({ kind: 'release', id: 'rel_t' });
    expect(history.map((e) => e.type)).toEqual(['Release Stage Entered', 'Blackout Overridden']);
    expect(history[1]).toMatchObject({
      actor: 'rm',
      data: {
        releaseId: 'rel_t',
        version: 6,
        from: 'Testing',
        to: 'Deployment',
        reason: 'Payroll is broken',
        windows: [
          {
            slaId: s.id,
            slaName: 'Payroll',
            blackoutIndex: 0,
            reason: 'Year-end close',
            start: '2026-12-01T22:00:00.000Z',
            end: '2026-12-02T02:00:00.000Z',
            ciIds: ['ci_app'],
            ciCount: 1,
          },
        ],
        windowCount: 1,
      },
    });
  });

  it('refuses an override for a normal release and from a member the team does not allow', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await sla(w, ['ci_app'], [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z')]);
    inTesting(w, { releaseType: 'major' });
    const normal = await moveRelease(
      'rel_t',
      { ...toDeployment, override: { reason: 'Hurry' } },
      rm,
      w,
    ).catch((e: unknown) => e);
    expect(normal).toBeInstanceOf(RuleViolationError);
    expect((normal as RuleViolationError).code).toBe('override-not-emergency');
    w.releases.subjects.delete('rel_t');
    inTesting(w);
    await expect(
      moveRelease('rel_t', { ...toDeployment, override: { reason: 'Hurry' } }, dual, w),
    ).rejects.toBeInstanceOf(ForbiddenError);
    // Nothing was written by either refusal.
    expect(w.table.eventsOf({ kind: 'release', id: 'rel_t' })).toEqual([]);
    expect((await w.releases.get('rel_t'))?.stage).toBe('Testing');
  });

  it('ignores an override when no blackout is in the way: no event', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    inTesting(w);
    await moveRelease('rel_t', { ...toDeployment, override: { reason: 'Just in case' } }, dual, w);
    expect(w.table.eventsOf({ kind: 'release', id: 'rel_t' }).map((e) => e.type)).toEqual([
      'Release Stage Entered',
    ]);
  });
});

describe('the noOpenBlackout gate, at its edges', () => {
  it('ignores an override on a move without the gate, even inside a blackout', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await sla(w, ['ci_app'], [oneOff('2026-11-26T09:00:00Z', '2026-11-26T12:00:00Z')]);
    inTesting(w);
    const out = await moveRelease(
      'rel_t',
      { to: 'Development', expectedVersion: 5, reason: 'Rework', override: { reason: 'Not needed' } },
      rm,
      w,
    );
    expect(out.release.stage).toBe('Development');
    expect(w.table.eventsOf({ kind: 'release', id: 'rel_t' }).map((e) => e.type)).toEqual([
      'Release Stage Entered',
    ]);
  });

  it('refuses an outsider’s override as it refuses the outsider’s move, telling nothing of the team’s overriders', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await sla(w, ['ci_app'], [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z')]);
    inTesting(w);
    const outsider = actor('ops', ['release', 'deployment'], { teamIds: ['team_other'] });
    const error = await moveRelease(
      'rel_t',
      { ...toDeployment, override: { reason: 'Mine now' } },
      outsider,
      w,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).not.toMatch(/overrid/i);
    expect((error as Error).message).toMatch(/Only members of team team_pay/);
  });

  it('lists every CI a window applies through in the 409, and groups them in the override event', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_db'));
    for (const id of ['ci_a', 'ci_b'])
      w.cis.seed(ciFixture(id, { relations: [{ type: 'depends-on', ciId: 'ci_db' }] }));
    const s = await sla(w, ['ci_a', 'ci_b'], [oneOff('2026-12-01T22:00:00Z', '2026-12-02T02:00:00Z')]);
    inTesting(w, {
      tasks: [
        {
          id: 'tsk_1',
          title: 'Patch',
          workGroupId: 'wg_dep',
          ciIds: ['ci_db'],
          ciUpdates: [],
          status: 'planned',
        },
      ],
    });
    const error = (await moveRelease('rel_t', toDeployment, rm, w).catch(
      (e: unknown) => e,
    )) as GateFailedError;
    expect(error.details).toMatchObject({
      noOpenBlackout: { windowCount: 2, windows: [{ ciId: 'ci_a' }, { ciId: 'ci_b' }] },
    });
    await moveRelease('rel_t', { ...toDeployment, override: { reason: 'Outage' } }, rm, w);
    const overridden = w.table
      .eventsOf({ kind: 'release', id: 'rel_t' })
      .find((e) => e.type === 'Blackout Overridden');
    expect(overridden?.data).toMatchObject({
      windowCount: 1,
      windows: [{ slaId: s.id, ciIds: ['ci_a', 'ci_b'], ciCount: 2 }],
    });
  });

  it('holds a window that starts at this instant in force, not one that ends at it', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    // The clock stands at 2026-11-26T10:00Z.
    await sla(w, ['ci_app'], [oneOff('2026-11-26T08:00:00Z', '2026-11-26T10:00:00Z')]);
    inTesting(w, { releaseType: 'minor' });
    expect((await moveRelease('rel_t', toDeployment, rm, w)).release.stage).toBe('Deployment');
    const v = world();
    v.cis.seed(ciFixture('ci_app'));
    await sla(v, ['ci_app'], [oneOff('2026-11-26T10:00:00Z', '2026-11-26T10:00:01Z')]);
    inTesting(v, { releaseType: 'minor' });
    await expect(moveRelease('rel_t', toDeployment, rm, v)).rejects.toBeInstanceOf(GateFailedError);
  });

  it('does not hold when the dependents could not all be followed: unproven is not free', async () => {
    const w = world();
    // ci_0 ← ci_1 ← … ← ci_11: eleven relations deep, one more than the walk follows.
    w.cis.seed(ciFixture('ci_0'));
    for (let i = 1; i <= 11; i++) {
      w.cis.seed(ciFixture(`ci_${i}`, { relations: [{ type: 'depends-on', ciId: `ci_${i - 1}` }] }));
    }
    inTesting(w, {
      releaseType: 'minor',
      tasks: [
        {
          id: 'tsk_1',
          title: 'Patch',
          workGroupId: 'wg_dep',
          ciIds: ['ci_0'],
          ciUpdates: [],
          status: 'planned',
        },
      ],
    });
    const view = await getReleaseWithMoves('rel_t', rm, w);
    expect(view.blackouts.truncated).toBe(true);
    const error = (await moveRelease('rel_t', toDeployment, rm, w).catch(
      (e: unknown) => e,
    )) as GateFailedError;
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toMatch(/Not every blackout could be checked/);
  });
});

describe('an RFC whose workflow gates a move on noOpenBlackout', () => {
  it('holds the move while a blackout applies to its CIs in its planned window, and lets it pass outside', async () => {
    const w = world();
    chain(w);
    await sla(w, ['ci_web'], [oneOff('2026-12-01T21:00:00Z', '2026-12-01T22:00:00Z')]);
    w.workflows.seed(
      'change-frozen',
      parseWorkflowDefinition({
        name: 'Change with a freeze',
        kind: 'change',
        initialStage: 'Recorded',
        stages: [
          { name: 'Recorded', transitions: [{ to: 'Implemented', gates: ['noOpenBlackout'] }] },
          { name: 'Implemented', terminal: true },
        ],
      }),
    );
    const record = async (plannedStart: string, plannedEnd: string) =>
      (
        await recordChange(
          {
            title: 'Patch the cluster',
            type: 'normal',
            risk: 'low',
            impact: 'low',
            urgency: 'low',
            ciIds: ['ci_cluster'],
            cabTeamId: 'team_cab',
            workflowId: 'change-frozen',
            plannedStart,
            plannedEnd,
          },
          rm,
          w,
        )
      ).detail.change;
    const frozen = await record('2026-12-01T21:30:00Z', '2026-12-01T23:00:00Z');
    const error = (await moveChange(frozen.id, { to: 'Implemented', expectedVersion: 1 }, rm, w).catch(
      (e: unknown) => e,
    )) as GateFailedError;
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toMatch(
      /blackout 2026-12-01T21:00:00.000Z to 2026-12-01T22:00:00.000Z .* on CI ci_web/,
    );
    const free = await record('2026-12-01T22:00:00Z', '2026-12-01T23:00:00Z');
    const moved = await moveChange(free.id, { to: 'Implemented', expectedVersion: 1 }, rm, w);
    expect(moved.detail.change.stage).toBe('Implemented');
  });
});

// ---------------------------------------------------------------------------------------------
// Free windows

const MIN = 60_000;

/** The independent answer: minute by minute, which minutes are free; then runs long enough. */
function byMinuteScan(
  busy: readonly { start: number; end: number }[],
  after: number,
  horizonEnd: number,
  durationMs: number,
  count: number,
): { start: string; freeUntil?: string }[] {
  const first = Math.ceil(after / MIN) * MIN;
  const minutes = Math.floor((horizonEnd - first) / MIN);
  const free = new Uint8Array(minutes).fill(1);
  for (const b of busy) {
    // A minute [m, m+1) is busy when it shares time with [start, end).
    const lo = Math.max(0, Math.floor((b.start - first) / MIN));
    const hi = Math.min(minutes, Math.ceil((b.end - first) / MIN));
    for (let m = lo; m < hi; m++) free[m] = 0;
  }
  const need = durationMs / MIN;
  const out: { start: string; freeUntil?: string }[] = [];
  let m = 0;
  while (m < minutes && out.length < count) {
    if (!free[m]) {
      m++;
      continue;
    }
    let end = m;
    while (end < minutes && free[end]) end++;
    if (end - m >= need) {
      out.push({
        start: new Date(first + m * MIN).toISOString(),
        ...(end < minutes ? { freeUntil: new Date(first + end * MIN).toISOString() } : {}),
      });
    }
    m = end;
  }
  return out;
}

/**
 * The instant of a local wall-clock time in an IANA zone, worked out with `Intl` alone (not the
 * recurrence code): the zone's offset at a first guess, then at the corrected instant.
 */
function zonedInstant(tz: string, y: number, mo: number, d: number, h: number, mi: number): number {
  const wall = Date.UTC(y, mo, d, h, mi);
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsetAt = (instant: number) => {
    const parts = format.formatToParts(instant);
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((x) => x.type === type)?.value);
    return (
      Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) -
      instant
    );
  };
  const guess = wall - offsetAt(wall);
  return wall - offsetAt(guess);
}

describe('the next free windows', () => {
  it('match a minute-by-minute count on a dense calendar of hundreds of recurring rules', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_db'));
    const apps = Array.from({ length: 12 }, (_, i) => `ci_app${i}`);
    for (const id of apps) w.cis.seed(ciFixture(id, { relations: [{ type: 'depends-on', ciId: 'ci_db' }] }));
    // 300 weekly rules in office hours at minutes that are not round, in three zones, over 12 SLAs:
    // what stays free is a few night hours (UTC), where the three zones' office hours leave a gap.
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
    const days = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
    // Each rule's parts, kept to expand it below without the code under test.
    const rules: { weekday: number; hour: number; minute: number; seconds: number; tz: string }[] = [];
    for (let s = 0; s < 12; s++) {
      const blackouts: Blackout[] = Array.from({ length: 25 }, (_, i) => {
        const n = s * 25 + i;
        const hour = 8 + ((n * 7) % 10);
        const minute = (n * 13) % 60;
        const tz = zones[n % 3] as string;
        rules.push({
          weekday: (n % 7) + 1,
          hour,
          minute,
          seconds: (10 + (n % 4) * 10) * 60 + ((n * 17) % 60),
          tz,
        });
        return {
          rrule: `FREQ=WEEKLY;BYDAY=${days[n % 7]}`,
          start: `2026-01-0${(n % 7) + 1}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
          duration: `PT${10 + (n % 4) * 10}M${(n * 17) % 60}S`,
          tz,
          reason: `rule ${n}`,
        };
      });
      await sla(w, [apps[s] as string], blackouts, `SLA ${s}`);
    }
    const { release } = await createRelease(input(['ci_db']), rm, w);
    const after = '2026-12-01T00:00:30Z';
    const started = performance.now();
    const found = await releaseNextWindows(
      release.id,
      { duration: 'PT3H', count: 8, horizon: 'P30D', after },
      rm,
      w,
    );
    const elapsed = performance.now() - started;
    expect(found.truncated).toBe(false);
    expect(found.items).toHaveLength(8);
    // The busy time, expanded here without the code under test (every day from a week before the
    // range: its weekday, the local time in its zone by Intl), then counted minute by minute.
    const busy = rules.flatMap((r) =>
      Array.from({ length: 40 }, (_, d) => Date.UTC(2026, 10, 24 + d))
        .filter((day) => new Date(day).getUTCDay() === r.weekday % 7)
        .map((day) => {
          const date = new Date(day);
          const start = zonedInstant(
            r.tz,
            date.getUTCFullYear(),
            date.getUTCMonth(),
            date.getUTCDate(),
            r.hour,
            r.minute,
          );
          return { start, end: start + r.seconds * 1000 };
        }),
    );
    // And the code's own expansion of the SLAs says the same.
    const { windowsIn } = await import('../../../functions/domain/sla/sla.ts');
    const expanded = [...w.slas.slas.values()].flatMap((s) =>
      windowsIn(s, after, '2026-12-31T00:00:30Z', 100_000).windows.map((x) => [x.start, x.end].join('/')),
    );
    const inRange = busy
      .filter((b) => b.end > Date.parse(after) && b.start < Date.parse('2026-12-31T00:00:30Z'))
      .map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()].join('/'));
    expect(inRange.length).toBeGreaterThan(1000);
    expect([...expanded].sort()).toEqual([...inRange].sort());
    const expected = byMinuteScan(
      busy,
      Date.parse(after),
      Date.parse('2026-12-31T00:00:30Z'),
      3 * 3_600_000,
      8,
    );
    expect(
      found.items.map((i) => ({ start: i.start, ...(i.freeUntil ? { freeUntil: i.freeUntil } : {}) })),
    ).toEqual(expected);
    for (const i of found.items) expect(Date.parse(i.end) - Date.parse(i.start)).toBe(3 * 3_600_000);
    // Interval maths: far below what a scan of 43,200 minutes × 300 rules would take.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('stops a search on a calendar too dense to expand, saying where, instead of proposing busy time', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    // 50 hourly rules, each 50 minutes of every hour: no 3-hour window anywhere, 8,784 windows a
    // rule over 366 days — more than a search expands.
    await sla(
      w,
      ['ci_app'],
      Array.from({ length: 50 }, (_, i) => ({
        rrule: 'FREQ=HOURLY',
        start: `2026-01-01T00:${String(i % 10).padStart(2, '0')}`,
        duration: 'PT50M',
        tz: 'Europe/Berlin',
        reason: `rule ${i}`,
      })),
    );
    const { release } = await createRelease(input(['ci_app']), rm, w);
    const started = performance.now();
    const found = await releaseNextWindows(release.id, { duration: 'PT3H', horizon: 'P366D' }, rm, w);
    expect(found.items).toEqual([]);
    expect(found.truncated).toBe(true);
    expect(found.detail).toMatch(/^The calendar is too dense to search past \d{4}-/);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('says so when no window is free within the horizon', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await sla(
      w,
      ['ci_app'],
      [{ rrule: 'FREQ=DAILY', start: '2026-01-01T00:00', duration: 'PT22H', tz: 'UTC', reason: 'Busy' }],
    );
    const { release } = await createRelease(input(['ci_app']), rm, w);
    const found = await releaseNextWindows(
      release.id,
      { duration: 'PT3H', horizon: 'P7D', after: '2026-12-01T00:00:00Z' },
      rm,
      w,
    );
    expect(found.items).toEqual([]);
    expect(found.detail).toBe(
      'No window of PT3H free of blackouts between 2026-12-01T00:00:00.000Z and 2026-12-08T00:00:00.000Z.',
    );
    // Two hours a day are free: a 2-hour window fits each day, starting at 22:00.
    const short = await releaseNextWindows(
      release.id,
      { duration: 'PT2H', count: 2, horizon: 'P7D', after: '2026-12-01T00:00:00Z' },
      rm,
      w,
    );
    expect(short.items).toEqual([
      {
        start: '2026-12-01T22:00:00.000Z',
        end: '2026-12-02T00:00:00.000Z',
        latestStart: '2026-12-01T22:00:00.000Z',
        freeUntil: '2026-12-02T00:00:00.000Z',
      },
      {
        start: '2026-12-02T22:00:00.000Z',
        end: '2026-12-03T00:00:00.000Z',
        latestStart: '2026-12-02T22:00:00.000Z',
        freeUntil: '2026-12-03T00:00:00.000Z',
      },
    ]);
  });

  it('starts on whole minutes, refuses bad queries naming the field, and is free to the horizon without blackouts', async () => {
    expect(
      freeWindows([{ start: Date.parse('2026-12-01T01:00:00Z'), end: Date.parse('2026-12-01T02:00:20Z') }], {
        after: Date.parse('2026-12-01T00:00:00Z'),
        horizonEnd: Date.parse('2026-12-02T00:00:00Z'),
        durationMs: 3_600_000,
        count: 5,
      }),
    ).toEqual([
      {
        start: '2026-12-01T00:00:00.000Z',
        end: '2026-12-01T01:00:00.000Z',
        latestStart: '2026-12-01T00:00:00.000Z',
        freeUntil: '2026-12-01T01:00:00.000Z',
      },
      // 02:00:20 rounds up to 02:01, the first whole minute free.
      {
        start: '2026-12-01T02:01:00.000Z',
        end: '2026-12-01T03:01:00.000Z',
        latestStart: '2026-12-01T23:00:00.000Z',
      },
    ]);
    // A window inside another keeps the time busy until the outer one ends; the latest start is
    // the last whole minute that still ends in time.
    expect(
      freeWindows(
        [
          { start: Date.parse('2026-12-01T00:00:00Z'), end: Date.parse('2026-12-01T10:00:00Z') },
          { start: Date.parse('2026-12-01T02:00:00Z'), end: Date.parse('2026-12-01T03:00:00Z') },
          { start: Date.parse('2026-12-01T12:00:30Z'), end: Date.parse('2026-12-01T13:00:00Z') },
        ],
        {
          after: Date.parse('2026-12-01T00:00:00Z'),
          horizonEnd: Date.parse('2026-12-01T14:00:00Z'),
          durationMs: 3_600_000,
          count: 5,
        },
      ),
    ).toEqual([
      {
        start: '2026-12-01T10:00:00.000Z',
        end: '2026-12-01T11:00:00.000Z',
        latestStart: '2026-12-01T11:00:00.000Z',
        freeUntil: '2026-12-01T12:00:30.000Z',
      },
      {
        start: '2026-12-01T13:00:00.000Z',
        end: '2026-12-01T14:00:00.000Z',
        latestStart: '2026-12-01T13:00:00.000Z',
      },
    ]);
    expect(parseSpan('P90D', 366)).toBe(90 * 86_400_000);
    expect(parseSpan('PT0S', 366)).toBeUndefined();
    expect(parseSpan('P1Y', 366)).toBeUndefined();
    expect(parseSpan('P367D', 366)).toBeUndefined();
    const w = world();
    const { release } = await createRelease(input([]), rm, w);
    await expect(
      releaseNextWindows(release.id, { duration: 'three hours', horizon: 'P2Y', count: 0 }, rm, w),
    ).rejects.toMatchObject({
      errors: [
        { path: 'duration', message: expect.any(String) },
        { path: 'horizon', message: expect.any(String) },
        { path: 'count', message: expect.any(String) },
      ],
    });
    const open = await releaseNextWindows(release.id, { duration: 'PT3H', horizon: 'P1D' }, rm, w);
    // The clock stands at 2026-11-26T10:00Z; nothing is touched, so everything is free.
    expect(open.items).toEqual([
      {
        start: '2026-11-26T10:00:00.000Z',
        end: '2026-11-26T13:00:00.000Z',
        latestStart: '2026-11-27T07:00:00.000Z',
      },
    ]);
    expect(open.detail).toMatch(/^Only 1 stretch\(es\) of time free of blackouts/);
  });
});
