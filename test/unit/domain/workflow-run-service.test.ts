/**
 * The workflow run's use cases on the in-memory fakes, for releases and for a subject of kind
 * `change`: beginning a run, moving a subject, following a stage timeout its execution took by
 * itself (into a human stage, or into an exit that closes it or not), and reading its execution.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError, VersionConflictError } from '../../../functions/domain/errors.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import { type RunSubject, runKindOfExecution } from '../../../functions/domain/workflow-run/run.ts';
import {
  beginRun,
  executionOf,
  followExecution,
  moveSubject,
  recordExecutionMove,
  transition,
} from '../../../functions/domain/workflow-run/service.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, FakeRunStore, fixedClock, inMemoryPorts, sequentialIds } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';

/** Review times out into Escalated (a human stage), Escalated into Expired (an exit that closes). */
const timeouts = parseWorkflowDefinition({
  name: 'Timeouts',
  kind: 'release',
  initialStage: 'Review',
  stages: [
    {
      name: 'Review',
      timeoutSeconds: 60,
      onTimeout: 'Escalated',
      transitions: [{ to: 'Escalated' }, { to: 'Waiting' }, { to: 'Rejected' }],
    },
    {
      name: 'Escalated',
      timeoutSeconds: 60,
      onTimeout: 'Expired',
      transitions: [{ to: 'Expired' }, { to: 'Rejected' }],
    },
    {
      name: 'Waiting',
      timeoutSeconds: 60,
      onTimeout: 'Rejected',
      transitions: [{ to: 'Rejected' }],
    },
    { name: 'Expired', terminal: true },
    { name: 'Rejected', terminal: true },
  ],
});

function world() {
  const ports = inMemoryPorts();
  const workflow = ports.workflows.seed('timeouts', timeouts);
  const release = (over: Partial<Release> = {}): Release =>
    ports.releases.seed({
      id: 'rel_1',
      version: 3,
      title: 'Payroll',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'low',
      businessPriority: 3,
      teamId: 'team_pay',
      workflow,
      stage: 'Review',
      stageEntry: 0,
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
    });
  const runPorts = { ...ports, runs: ports.releases };
  return { ports, runPorts, release };
}

describe('followExecution: a stage timeout the execution took by itself', () => {
  it('records a timeout into a human stage as a move by system:timeout, without Release Closed', async () => {
    const { ports, runPorts, release } = world();
    release();
    ports.clock.advance(60_000);
    const outcome = await followExecution(
      'release',
      'rel_1',
      { stage: 'Escalated', entry: 1, terminal: false },
      runPorts,
    );
    expect(outcome).toBe('recorded');
    expect(await ports.releases.get('rel_1')).toMatchObject({
      stage: 'Escalated',
      stageEntry: 1,
      status: 'active',
      version: 4,
      updatedBy: 'system:timeout',
      updatedAt: '2026-11-26T10:01:00.000Z',
    });
    expect(ports.table.events).toEqual([
      expect.objectContaining({
        type: 'Release Stage Entered',
        actor: 'system:timeout',
        occurredAt: '2026-11-26T10:01:00.000Z',
        data: expect.objectContaining({
          from: 'Review',
          to: 'Escalated',
          entry: 1,
          version: 4,
          reason: 'Stage "Review" timed out.',
          status: 'active',
          deployStage: false,
          signal: { to: 'Escalated', entry: 1, actor: 'system:timeout', reason: 'Stage "Review" timed out.' },
        }),
      }),
    ]);
  });

  it('closes the release with Release Closed when the timeout leads into a closing exit', async () => {
    const { ports, runPorts, release } = world();
    release({ stage: 'Escalated', stageEntry: 1 });
    expect(
      await followExecution('release', 'rel_1', { stage: 'Expired', entry: 2, terminal: true }, runPorts),
    ).toBe('recorded');
    expect((await ports.releases.get('rel_1'))?.status).toBe('closed');
    expect(ports.table.events.map((e) => [e.type, e.actor])).toEqual([
      ['Release Stage Entered', 'system:timeout'],
      ['Release Closed', 'system:timeout'],
    ]);
    expect(ports.table.events[1]?.data).toEqual({
      releaseId: 'rel_1',
      plannedStart: '2026-12-01T20:00:00.000Z',
      plannedEnd: '2026-12-01T23:00:00.000Z',
      closedAt: T0,
      teamId: 'team_pay',
    });
  });

  it('emits no Release Closed when the timeout leads into Rejected (the release is cancelled)', async () => {
    const { ports, runPorts, release } = world();
    release({ stage: 'Waiting', stageEntry: 1 });
    expect(
      await followExecution('release', 'rel_1', { stage: 'Rejected', entry: 2, terminal: true }, runPorts),
    ).toBe('recorded');
    expect((await ports.releases.get('rel_1'))?.status).toBe('cancelled');
    expect(ports.table.events.map((e) => e.type)).toEqual(['Release Stage Entered']);
  });

  it('knows an entry recorded already, and reports a race or a move no timeout explains', async () => {
    const { ports, runPorts, release } = world();
    release({ stage: 'Escalated', stageEntry: 1 });
    const follow = (stage: string, entry: number) =>
      followExecution('release', 'rel_1', { stage, entry, terminal: false }, runPorts);
    expect(await follow('Escalated', 1)).toBe('known');
    expect(await follow('Review', 0)).toBe('known');
    // A manual move and a timeout raced for the same entry.
    expect(await follow('Rejected', 1)).toBe('diverged');
    // Not the next entry, or a stage the one left does not time out into.
    expect(await follow('Expired', 3)).toBe('diverged');
    expect(await follow('Rejected', 2)).toBe('diverged');
    expect(
      await followExecution('release', 'rel_nope', { stage: 'Expired', entry: 1, terminal: true }, runPorts),
    ).toBe('missing');
    expect(ports.releases.count('save')).toBe(0);
  });

  it('retries after a concurrent write, and reports what it still cannot record after three tries', async () => {
    const { ports, runPorts, release } = world();
    release();
    const save = ports.releases.save.bind(ports.releases);
    let raced = false;
    ports.releases.save = async (subject, expectedVersion, events) => {
      if (!raced) {
        raced = true; // an edit lands between the read and the write
        const current = (await ports.releases.get('rel_1')) as Release;
        await save({ ...current, title: 'Edited', version: current.version + 1 }, current.version, []);
      }
      return save(subject, expectedVersion, events);
    };
    expect(
      await followExecution('release', 'rel_1', { stage: 'Escalated', entry: 1, terminal: false }, runPorts),
    ).toBe('recorded');
    expect(await ports.releases.get('rel_1')).toMatchObject({
      title: 'Edited',
      stage: 'Escalated',
      version: 5,
    });

    const stuck = world();
    stuck.release();
    stuck.ports.releases.save = async () => {
      throw new VersionConflictError('moved');
    };
    expect(
      await followExecution(
        'release',
        'rel_1',
        { stage: 'Escalated', entry: 1, terminal: false },
        stuck.runPorts,
      ),
    ).toBe('diverged');
    expect(stuck.ports.releases.count('get')).toBe(3);

    const broken = world();
    broken.release();
    broken.ports.releases.save = async () => {
      throw new Error('table gone');
    };
    await expect(
      followExecution('release', 'rel_1', { stage: 'Escalated', entry: 1, terminal: false }, broken.runPorts),
    ).rejects.toThrow('table gone');
    expect(broken.ports.releases.count('get')).toBe(1);
  });
});

describe('a subject of kind change, through the generic module alone', () => {
  const changeWorkflow = {
    id: 'change-normal',
    version: 1,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-change-normal:1',
    initialStage: 'Recorded',
  };
  const cab = actor('cab', ['change'], { teamIds: ['team_cab'] });

  function changeWorld() {
    const ports = inMemoryPorts();
    const runs = new FakeRunStore<RunSubject>('change', ports.table);
    const subject: RunSubject = {
      id: 'chg_1',
      version: 1,
      teamId: 'team_cab',
      workflow: changeWorkflow,
      stage: 'Recorded',
      stageEntry: 0,
      status: 'active',
      updatedAt: T0,
      updatedBy: 'cab',
    };
    const created = {
      id: 'evt_created',
      type: 'Change Recorded' as const,
      occurredAt: T0,
      actor: 'cab',
      subject: { kind: 'change' as const, id: 'chg_1' },
      data: { changeId: 'chg_1' },
    };
    return { ports, runs, subject, created, runPorts: { ...ports, runs } };
  }

  it('begins its run once: stored with its created event, left to its consumer to start; a replay writes nothing', async () => {
    const { ports, runs, subject, created } = changeWorld();
    const idempotency = { scope: 'cab', key: 'k', fingerprint: 'f' };
    const first = await beginRun('change', subject, created, { runs }, idempotency);
    expect(first).toEqual({ subject, replayed: false });
    expect(runs.subjects.get('chg_1')).toEqual(subject);
    // The answer does not wait for Step Functions: the created event's consumer starts it.
    expect(ports.stepFunctions.count('start')).toBe(0);
    const again = await beginRun(
      'change',
      { ...subject, id: 'chg_2' },
      { ...created, id: 'evt_2' },
      { runs },
      idempotency,
    );
    expect(again).toEqual({ subject, replayed: true });
    expect(runs.subjects.has('chg_2')).toBe(false);
    runs.subjects.delete('chg_1');
    const error = await beginRun(
      'change',
      { ...subject, id: 'chg_3' },
      { ...created, id: 'evt_3' },
      { runs },
      idempotency,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('Change chg_1 was not found.');
  });

  it('moves through its change workflow to Closed with Change State Changed and no closing event of a release', async () => {
    const { ports, runs, subject, created, runPorts } = changeWorld();
    await beginRun('change', subject, created, { runs });
    // What the created event's consumer does (this bare store delivers no events).
    await ports.stepFunctions.start('change', subject);
    let current = subject;
    const path = ['Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed'];
    for (const to of path) {
      const out = await moveSubject(
        'change',
        current,
        defaultWorkflows['change-normal'],
        { to, expectedVersion: current.version, waitMs: 1_000 },
        { cabApproval: true },
        cab,
        runPorts,
      );
      expect(out.executionInStep).toBe(true);
      current = out.subject;
    }
    expect(current).toMatchObject({ stage: 'Closed', stageEntry: 6, status: 'closed', version: 7 });
    expect(await runs.get('chg_1')).toEqual(current);
    const types = ports.table.eventsOf({ kind: 'change', id: 'chg_1' }).map((e) => e.type);
    expect(types).toEqual(['Change Recorded', ...path.map(() => 'Change State Changed')]);
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      changeId: 'chg_1',
      to: 'Closed',
      status: 'closed',
    });
    expect(ports.stepFunctions.executions.get('chg_1')?.status).toBe('SUCCEEDED');
  });

  it('shows its execution, and 404 naming it before there is one', async () => {
    const { ports, subject } = changeWorld();
    const missing = await executionOf('change', subject, ports.stepFunctions).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('Execution of change chg_1 was not found.');
    await ports.stepFunctions.start('change', subject);
    expect(await executionOf('change', subject, ports.stepFunctions)).toMatchObject({
      status: 'RUNNING',
      currentState: 'Recorded',
    });
  });
});

describe('the workflow run’s rules, one by one', () => {
  it('reports, without failing, a timeout out of a stage its workflow does not have', async () => {
    const { ports, runPorts, release } = world();
    release({ stage: 'Gone' });
    expect(
      await followExecution('release', 'rel_1', { stage: 'Escalated', entry: 1, terminal: false }, runPorts),
    ).toBe('diverged');
    expect(ports.releases.count('save')).toBe(0);
  });

  it('records no execution move for an entry the subject already has', () => {
    const { release } = world();
    const subject = release({ stage: 'Escalated', stageEntry: 1 });
    const deps = { clock: fixedClock(), ids: sequentialIds() };
    expect(
      recordExecutionMove('release', subject, { to: 'Escalated', entry: 1, terminal: false }, deps),
    ).toBeUndefined();
    expect(
      recordExecutionMove('release', subject, { to: 'Review', entry: 0, terminal: false }, deps),
    ).toBeUndefined();
    expect(
      recordExecutionMove('release', subject, { to: 'Expired', entry: 2, terminal: true }, deps)?.subject,
    ).toMatchObject({ stage: 'Expired', stageEntry: 2, status: 'closed' });
  });

  it('lets an administrator make a move whatever processes it lists, and names the version a stale move missed', () => {
    const { release } = world();
    const subject = release({ teamId: undefined });
    const admin = actor('root', [], { admin: true });
    const deps = { clock: fixedClock(), ids: sequentialIds() };
    const onlyBy = (process: 'change' | 'deployment') =>
      parseWorkflowDefinition({
        name: 'One process',
        kind: 'release',
        initialStage: 'Review',
        stages: [
          { name: 'Review', transitions: [{ to: 'Done', processes: [process] }] },
          { name: 'Done', terminal: true },
        ],
      });
    for (const process of ['change', 'deployment'] as const) {
      expect(
        transition('release', subject, onlyBy(process), { to: 'Done', expectedVersion: 3 }, {}, admin, deps)
          .subject.stage,
      ).toBe('Done');
    }
    expect(() =>
      transition('release', subject, onlyBy('change'), { to: 'Done', expectedVersion: 2 }, {}, admin, deps),
    ).toThrow('Release rel_1 is at version 3, not 2; read it again and retry.');
  });

  it('tells the kind of subject an execution runs from its name', () => {
    expect(runKindOfExecution('rel_01JD0000000000000000000001')).toBe('release');
    expect(runKindOfExecution('chg_01JD0000000000000000000001')).toBe('change');
    expect(runKindOfExecution('release-desk-rel_1')).toBeUndefined();
    expect(runKindOfExecution('other')).toBeUndefined();
  });
});
