/**
 * The reconciler on the in-memory fakes, driven the way things go wrong: a move whose signal never
 * landed, a stage timeout the release missed (into a human stage or an exit), an execution that
 * ended outside the API, a write that lost to a concurrent one.
 */
import { describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../functions/domain/errors.ts';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { createRelease, moveRelease } from '../../../functions/domain/release/service.ts';
import type { Team } from '../../../functions/domain/team/team.ts';
import { reconcile, reconcileSubject, signalOf } from '../../../functions/domain/workflow-run/reconcile.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, inMemoryPorts } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'] });

const timeouts = parseWorkflowDefinition({
  name: 'Timeouts',
  kind: 'release',
  initialStage: 'Review',
  stages: [
    {
      name: 'Review',
      timeoutSeconds: 60,
      onTimeout: 'Escalated',
      transitions: [{ to: 'Escalated' }, { to: 'Expired' }, { to: 'Rejected', requiresReason: true }],
    },
    { name: 'Escalated', timeoutSeconds: 60, onTimeout: 'Expired', transitions: [{ to: 'Expired' }] },
    { name: 'Expired', terminal: true },
    { name: 'Rejected', terminal: true },
  ],
});

const team: Team = {
  id: 'team_pay',
  name: 'Payroll',
  kind: 'release',
  workGroups: [],
  members: ['rm'],
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
};

async function world(workflowId = 'release-default') {
  const ports = inMemoryPorts();
  ports.teams.seed(team);
  ports.workflows.seed('timeouts', timeouts);
  const { release } = await createRelease(
    {
      title: 'Payroll',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'low',
      businessPriority: 3,
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      changeIds: [],
      kbArticleIds: [],
      deployment: { managedByChange: false },
      tasks: [],
      workflowId,
    },
    rm,
    ports,
  );
  const reconcilePorts = { ...ports, runs: ports.releases };
  const reconcile = () => reconcileSubject('release', release.id, reconcilePorts);
  return { ports, release, reconcile };
}

describe('reconcileSubject on the fakes', () => {
  it('re-sends the signal of a move that never reached the execution, and then finds them in step', async () => {
    const { ports, release, reconcile } = await world();
    ports.stepFunctions.unreachable = true;
    await moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, rm, ports);
    ports.stepFunctions.unreachable = false;
    expect(await reconcile()).toEqual({ kind: 'release', id: release.id, outcome: 'resend' });
    expect(ports.stepFunctions.signals.at(-1)?.signal).toEqual({ to: 'Development', entry: 1, actor: 'rm' });
    expect(ports.stepFunctions.executions.get(release.id)?.waiting).toMatchObject({
      stage: 'Development',
      entry: 1,
    });
    expect(await reconcile()).toEqual({ kind: 'release', id: release.id, outcome: 'in-step' });
    expect(ports.releases.count('save')).toBe(1);
  });

  it('finds the signal to re-send beyond the first page of a long history', async () => {
    const { ports, release, reconcile } = await world();
    let version = 1;
    for (let i = 0; i < 50; i++) {
      await moveRelease(release.id, { to: 'Development', expectedVersion: version++ }, rm, ports);
      await moveRelease(
        release.id,
        { to: 'Assessment', expectedVersion: version++, reason: 'again' },
        rm,
        ports,
      );
    }
    ports.stepFunctions.unreachable = true;
    await moveRelease(release.id, { to: 'Development', expectedVersion: version }, rm, ports);
    ports.stepFunctions.unreachable = false;
    expect((await reconcile()).outcome).toBe('resend');
    expect(ports.stepFunctions.signals.at(-1)?.signal).toEqual({
      to: 'Development',
      entry: 101,
      actor: 'rm',
    });
    expect(ports.releases.count('history')).toBe(2);
  });

  it('reports a lost move it has no record of, and re-sends nothing', async () => {
    const { ports, release, reconcile } = await world();
    ports.stepFunctions.unreachable = true;
    await moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, rm, ports);
    ports.stepFunctions.unreachable = false;
    ports.table.events.splice(1); // the move's event is gone from the history
    expect(await reconcile()).toEqual({
      kind: 'release',
      id: release.id,
      outcome: 'diverged',
      detail: 'No recorded transition for entry 1.',
    });
    expect(ports.stepFunctions.count('answer')).toBe(0);
  });

  it('follows a stage timeout into a human stage, and into an exit that closes the release', async () => {
    const { ports, release, reconcile } = await world('timeouts');
    ports.stepFunctions.timeOut(release.id, 'Escalated');
    expect((await reconcile()).outcome).toBe('follow');
    expect(await ports.releases.get(release.id)).toMatchObject({
      stage: 'Escalated',
      stageEntry: 1,
      status: 'active',
      updatedBy: 'system:timeout',
    });
    ports.stepFunctions.timeOut(release.id, 'Expired', true);
    expect((await reconcile()).outcome).toBe('follow');
    expect((await ports.releases.get(release.id))?.status).toBe('closed');
    expect(ports.table.events.map((e) => e.type).slice(-2)).toEqual([
      'Release Stage Entered',
      'Release Closed',
    ]);
    expect(await reconcile()).toEqual({ kind: 'release', id: release.id, outcome: 'in-step' });
  });

  it('records an execution that ended outside the API, its cause cut to 2,000 characters', async () => {
    const { ports, release, reconcile } = await world();
    ports.clock.advance(30_000);
    ports.stepFunctions.stop(release.id, 'FAILED', 'States.TaskFailed', 'x'.repeat(3_000));
    expect(await reconcile()).toEqual({ kind: 'release', id: release.id, outcome: 'ended' });
    const stored = (await ports.releases.get(release.id)) as Release;
    expect(stored).toMatchObject({
      status: 'failed',
      version: 2,
      updatedBy: 'system:reconciler',
      executionEnd: { status: 'FAILED', error: 'States.TaskFailed', at: '2026-11-26T10:00:30.000Z' },
    });
    expect(stored.executionEnd?.cause).toHaveLength(2_000);
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'Release Execution Ended',
      actor: 'system:reconciler',
      data: { version: 2, stage: 'Assessment', status: 'failed', execution: { status: 'FAILED' } },
    });
  });

  it('starts a missing execution, and says when the release itself is missing', async () => {
    const { ports, release, reconcile } = await world();
    ports.stepFunctions.executions.delete(release.id);
    expect((await reconcile()).outcome).toBe('start');
    expect(ports.stepFunctions.executions.get(release.id)?.waiting).toMatchObject({ stage: 'Assessment' });
    expect(await reconcileSubject('release', 'rel_nope', { ...ports, runs: ports.releases })).toEqual({
      kind: 'release',
      id: 'rel_nope',
      outcome: 'missing',
    });
  });

  it('answers a write that lost to a concurrent move with conflict, and lets other failures through', async () => {
    const { ports, release, reconcile } = await world();
    ports.stepFunctions.stop(release.id, 'ABORTED');
    ports.releases.save = async () => {
      throw new VersionConflictError('moved meanwhile');
    };
    expect(await reconcile()).toEqual({ kind: 'release', id: release.id, outcome: 'conflict' });
    ports.releases.save = async () => {
      throw new Error('table gone');
    };
    await expect(reconcile()).rejects.toThrow('table gone');
  });
});

describe('reconcile: what it says about a subject and its execution', () => {
  const at = (stage: string, stageEntry: number, status: Release['status'] = 'active') => ({
    stage,
    stageEntry,
    status,
  });

  it('names what diverged, in words an operator reads', () => {
    expect(reconcile(at('Closure', 7, 'closed'), timeouts, undefined)).toEqual({
      kind: 'diverged',
      detail: 'The subject is closed but has no execution.',
    });
    expect(reconcile(at('Review', 0), timeouts, { status: 'SUCCEEDED', currentState: 'Rejected' })).toEqual({
      kind: 'diverged',
      detail:
        'The execution ended in "Rejected" although the subject records "Review" and no timeout leads there.',
    });
    expect(
      reconcile(at('Review', 0), timeouts, {
        status: 'RUNNING',
        waiting: { stage: 'Expired', entry: 1, taskToken: 't' },
      }),
    ).toEqual({
      kind: 'diverged',
      detail:
        'The execution waits in "Expired" (entry 1) although the subject records "Review" (entry 0) and no timeout leads there.',
    });
  });

  it('follows only a succeeded execution into an exit; any other end is recorded as it ended', () => {
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT'] as const) {
      expect(reconcile(at('Escalated', 1), timeouts, { status, currentState: 'Expired' })).toEqual({
        kind: 'ended',
        end: { status },
      });
    }
    expect(reconcile(at('Review', 0), timeouts, { status: 'SUCCEEDED' })).toEqual({
      kind: 'ended',
      end: { status: 'SUCCEEDED' },
    });
    expect(
      reconcile(at('Review', 0), timeouts, { status: 'SUCCEEDED', currentState: 'Route from Review' }),
    ).toEqual({
      kind: 'ended',
      end: { status: 'SUCCEEDED' },
    });
  });

  it('reports, without failing, a subject in a stage its workflow does not have', () => {
    expect(reconcile(at('Gone', 0), timeouts, { status: 'SUCCEEDED', currentState: 'Expired' }).kind).toBe(
      'diverged',
    );
    expect(
      reconcile(at('Gone', 0), timeouts, {
        status: 'RUNNING',
        waiting: { stage: 'Escalated', entry: 1, taskToken: 't' },
      }).kind,
    ).toBe('diverged');
  });
});

describe('signalOf: the signal a committed move recorded', () => {
  const moved = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent => ({
    id: 'evt_1',
    type,
    occurredAt: T0,
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data,
  });
  const data = {
    releaseId: 'rel_1',
    from: 'Assessment',
    to: 'Development',
    entry: 1,
    version: 2,
    reason: null,
    status: 'active',
    deployStage: false,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-release-default:1',
    signal: { to: 'Development', entry: 1, actor: 'rm' },
  };

  it('reads it from the move of that entry, and from nothing else', () => {
    expect(signalOf('release', moved('Release Stage Entered', data), 1)).toEqual({
      to: 'Development',
      entry: 1,
      actor: 'rm',
    });
    expect(signalOf('release', moved('Release Stage Entered', data), 2)).toBeUndefined();
    expect(signalOf('release', moved('Release Updated', data), 1)).toBeUndefined();
    expect(signalOf('change', moved('Release Stage Entered', data), 1)).toBeUndefined();
    expect(
      signalOf('release', moved('Release Stage Entered', { ...data, signal: 'forged' }), 1),
    ).toBeUndefined();
  });
});
