/**
 * Backing out a release on the in-memory fakes: where it is allowed, the procedures acknowledged
 * at their current versions, conflicts refused unless forced, the restores written and the release
 * in Backed Out — its execution signalled while it runs, recorded alone after Closure.
 */
import { describe, expect, it } from 'vitest';
import type { CiRestore, CiVersionChange, CurrentCi } from '../../../functions/domain/backout/plan.ts';
import type { BackoutPorts, Procedure } from '../../../functions/domain/backout/ports.ts';
import { backOutRelease } from '../../../functions/domain/backout/service.ts';
import { ConflictError, ForbiddenError, RuleViolationError } from '../../../functions/domain/errors.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, inMemoryPorts, stateMachineArnOf } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'] });

function release(over: Partial<Release> = {}): Release {
  return {
    id: 'rel_1',
    version: 9,
    title: 'Payroll 4.2',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    teamId: 'team_pay',
    workflow: {
      id: 'release-default',
      version: 1,
      stateMachineArn: `${stateMachineArnOf('release-default')}:1`,
      initialStage: 'Assessment',
    },
    stage: 'Audit',
    stageEntry: 4,
    status: 'active',
    plannedStart: '2026-12-01T20:00:00.000Z',
    plannedEnd: '2026-12-01T23:00:00.000Z',
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [],
    createdAt: T0,
    createdBy: 'rm',
    updatedAt: T0,
    updatedBy: 'rm',
    ...over,
  };
}

/** A CMDB holding what release rel_1 changed, recording the restores written. */
function world(
  options: { versions?: CiVersionChange[]; current?: CurrentCi[]; procedures?: Procedure[] } = {},
) {
  const base = inMemoryPorts();
  const restored: CiRestore[][] = [];
  const ports: BackoutPorts & { restored: CiRestore[][]; base: typeof base } = {
    base,
    restored,
    releases: base.releases,
    workflows: base.workflows,
    stageSignals: base.stageSignals,
    clock: base.clock,
    ids: base.ids,
    meter: base.meter,
    cmdb: {
      changesOf: async () => ({
        versions: options.versions ?? [
          { ciId: 'ci_app', number: 3, releaseId: 'rel_1', changes: { version: { from: '4.1', to: '4.2' } } },
        ],
        current: options.current ?? [{ id: 'ci_app', version: 3, attributes: { version: '4.2' } }],
      }),
      restore: async (restores) => {
        restored.push([...restores]);
        return restores.map((r) => ({ ciId: r.ciId, version: r.expectedVersion + 1 }));
      },
    },
    procedures: {
      backoutProcedures: async () =>
        options.procedures ?? [{ id: 'kb_1', version: 2, title: 'Roll back payroll' }],
    },
  };
  return ports;
}

const ack = [{ id: 'kb_1', version: 2 }];

describe('backOutRelease', () => {
  it('restores the prior values and moves a running release into Backed Out, signalling its execution', async () => {
    const ports = world();
    ports.base.releases.seed(release());
    const out = await backOutRelease(
      'rel_1',
      { acknowledgedArticles: ack, reason: 'Payslips wrong' },
      rm,
      ports,
    );
    expect(ports.restored).toEqual([[{ ciId: 'ci_app', expectedVersion: 3, set: { version: '4.1' } }]]);
    expect(out.versions).toEqual([{ ciId: 'ci_app', version: 4 }]);
    expect(out.release).toMatchObject({
      stage: 'Backed Out',
      status: 'backed-out',
      version: 10,
      stageEntry: 5,
    });
    expect(await ports.base.releases.get('rel_1')).toEqual(out.release);
    expect(ports.base.table.events.map((e) => e.type)).toEqual([
      'Release Stage Entered',
      'Release Backed Out',
    ]);
    expect(ports.base.table.events[1]?.data).toEqual({
      releaseId: 'rel_1',
      version: 10,
      reason: 'Payslips wrong',
      stageBefore: 'Audit',
      versions: [{ ciId: 'ci_app', version: 4 }],
      acknowledgedArticles: ack,
      forced: null,
      conflicts: [],
      executionEnded: false,
    });
    // The back-out's own signal, then the Release Stage Entered consumer's (already done).
    expect(ports.base.stepFunctions.count('signal')).toBe(2);
    expect(ports.base.meter.counted()).toEqual({ BackOuts: 1 });
  });

  it('records the back-out of a closed release without restarting its ended execution', async () => {
    const ports = world();
    ports.base.releases.seed(release({ stage: 'Closure', stageEntry: 6, status: 'closed' }));
    const out = await backOutRelease('rel_1', { acknowledgedArticles: ack, reason: 'Found late' }, rm, ports);
    expect(out.release).toMatchObject({
      stage: 'Backed Out',
      status: 'backed-out',
      version: 10,
      stageEntry: 6,
    });
    expect(ports.base.table.events.map((e) => e.type)).toEqual(['Release Backed Out']);
    expect(ports.base.table.events[0]?.data).toMatchObject({ stageBefore: 'Closure', executionEnded: true });
    expect(ports.base.stepFunctions.count('signal')).toBe(0);
    expect(ports.base.meter.counted()).toEqual({ BackOuts: 1 });
  });

  it('backs out a failed release (its execution ended outside the API) like a closed one', async () => {
    const ports = world();
    ports.base.releases.seed(release({ stage: 'Deployment', stageEntry: 3, status: 'failed' }));
    const out = await backOutRelease(
      'rel_1',
      { acknowledgedArticles: ack, reason: 'Task failed for good' },
      rm,
      ports,
    );
    expect(out.release).toMatchObject({ stage: 'Backed Out', status: 'backed-out' });
    expect(ports.base.table.events[0]?.data).toMatchObject({
      stageBefore: 'Deployment',
      executionEnded: true,
    });
    expect(ports.base.stepFunctions.count('signal')).toBe(0);
  });

  it('lists the restores an interrupted back-out wrote before, and writes only the rest', async () => {
    const ports = world({
      versions: [
        { ciId: 'ci_a', number: 2, releaseId: 'rel_1', changes: { v: { from: 1, to: 2 } } },
        { ciId: 'ci_a', number: 3, backoutOf: 'rel_1', changes: { v: { from: 2, to: 1 } } },
        { ciId: 'ci_b', number: 5, releaseId: 'rel_1', changes: { w: { from: { x: 1, y: 2 }, to: 'new' } } },
      ],
      current: [
        { id: 'ci_a', version: 3, attributes: { v: 1 } },
        { id: 'ci_b', version: 5, attributes: { w: 'new' } },
      ],
    });
    ports.base.releases.seed(release());
    const out = await backOutRelease('rel_1', { acknowledgedArticles: ack, reason: 'Again' }, rm, ports);
    expect(ports.restored).toEqual([[{ ciId: 'ci_b', expectedVersion: 5, set: { w: { x: 1, y: 2 } } }]]);
    expect(out.versions).toEqual([
      { ciId: 'ci_a', version: 3 },
      { ciId: 'ci_b', version: 6 },
    ]);
  });

  it('restores nothing when the workflow does not let the release into Backed Out from where it is', async () => {
    const ports = world();
    const ref = ports.base.workflows.seed(
      'no-backout-from-deploy',
      parseWorkflowDefinition({
        name: 'No back-out from deploy',
        kind: 'release',
        initialStage: 'Build',
        deployStage: 'Deploy',
        stages: [
          { name: 'Build', transitions: [{ to: 'Deploy' }, { to: 'Backed Out', requiresReason: true }] },
          { name: 'Deploy', transitions: [{ to: 'Done' }] },
          { name: 'Done', terminal: true },
          { name: 'Backed Out', terminal: true },
        ],
      }),
    );
    ports.base.releases.seed(release({ workflow: ref, stage: 'Deploy', stageEntry: 1 }));
    const error = await backOutRelease('rel_1', { acknowledgedArticles: ack, reason: 'x' }, rm, ports).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'transition-not-allowed' });
    expect(ports.restored).toEqual([]);
    expect(ports.base.table.events).toEqual([]);
  });

  it('refuses before the deploy stage, after a cancellation, and outside the release team', async () => {
    for (const over of [
      { stage: 'Testing', stageEntry: 2 },
      { stage: 'Cancelled', status: 'cancelled' as const },
      { stage: 'Backed Out', status: 'backed-out' as const },
    ]) {
      const ports = world();
      ports.base.releases.seed(release(over));
      const error = await backOutRelease(
        'rel_1',
        { acknowledgedArticles: ack, reason: 'x' },
        rm,
        ports,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuleViolationError);
      expect(error).toMatchObject({ code: 'backout-not-allowed' });
      expect(ports.restored).toEqual([]);
    }
    const ports = world();
    ports.base.releases.seed(release());
    const outsider = actor('rm2', ['release'], { teamIds: ['team_other'] });
    await expect(
      backOutRelease('rel_1', { acknowledgedArticles: ack, reason: 'x' }, outsider, ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      backOutRelease(
        'rel_1',
        { acknowledgedArticles: ack, reason: 'x' },
        actor('tech', ['deployment'], { teamIds: ['team_pay'] }),
        ports,
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('refuses without every procedure acknowledged at its current version, listing them', async () => {
    const ports = world({
      procedures: [
        { id: 'kb_1', version: 2, title: 'Roll back payroll' },
        { id: 'kb_2', version: 1, title: 'Restore DB' },
      ],
    });
    ports.base.releases.seed(release());
    const error = await backOutRelease(
      'rel_1',
      { acknowledgedArticles: [{ id: 'kb_1', version: 1 }], reason: 'x' },
      rm,
      ports,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'backout-procedures-not-acknowledged',
      details: {
        articles: [
          { id: 'kb_1', version: 2, title: 'Roll back payroll', acknowledgedVersion: 1 },
          { id: 'kb_2', version: 1, title: 'Restore DB', acknowledgedVersion: null },
        ],
      },
    });
    expect(ports.restored).toEqual([]);
    expect(ports.base.table.events).toEqual([]);
  });

  it('refuses a conflict with 409 listing it, and restores the release’s own attributes when forced', async () => {
    const options = {
      versions: [
        { ciId: 'ci_app', number: 3, releaseId: 'rel_1', changes: { version: { from: '4.1', to: '4.2' } } },
        { ciId: 'ci_app', number: 4, changes: { version: { from: '4.2', to: '4.3' } } },
      ],
      current: [{ id: 'ci_app', version: 4, attributes: { version: '4.3' } }],
    };
    const ports = world(options);
    ports.base.releases.seed(release());
    const error = await backOutRelease('rel_1', { acknowledgedArticles: ack, reason: 'x' }, rm, ports).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      code: 'backout-conflicts',
      details: { conflicts: [{ ciId: 'ci_app', attribute: 'version', releaseValue: '4.2', found: '4.3' }] },
    });
    expect(ports.restored).toEqual([]);
    const out = await backOutRelease(
      'rel_1',
      { acknowledgedArticles: ack, reason: 'x', force: { reason: 'Ops agreed' } },
      rm,
      ports,
    );
    expect(ports.restored).toEqual([[{ ciId: 'ci_app', expectedVersion: 4, set: { version: '4.1' } }]]);
    expect(ports.base.table.events.at(-1)?.data).toMatchObject({
      forced: 'Ops agreed',
      conflicts: [{ ciId: 'ci_app', attribute: 'version' }],
    });
    expect(out.release.status).toBe('backed-out');
  });
});
