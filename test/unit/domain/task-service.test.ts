/**
 * Deployment tasks on the in-memory fakes: making a release's tasks ready (once, on what the table
 * says, in one transaction or in chunks), the technicians' queue and moves, who may do what, and
 * the plan that can be edited until the tasks are ready.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import type { NewTask, Release } from '../../../functions/domain/release/release.ts';
import {
  createRelease,
  editRelease,
  moveRelease,
  releaseTasks,
} from '../../../functions/domain/release/service.ts';
import {
  completeDeploymentTask,
  failDeploymentTask,
  getTask,
  listTasks,
  readyDeploymentTasks,
  retryDeploymentTask,
  startDeploymentTask,
} from '../../../functions/domain/task/service.ts';
import type { Team, TeamKind } from '../../../functions/domain/team/team.ts';
import { actor, ciFixture, inMemoryPorts } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';

const team = (id: string, kind: TeamKind, members: string[], workGroups: string[]): Team => ({
  id,
  name: id,
  kind,
  workGroups: workGroups.map((wg) => ({ id: wg, name: wg })),
  members,
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
});

// A release manager; two technicians of the deployment team (work group wg_dep); a technician of
// another deployment team (wg_net); an administrator.
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'], workGroupIds: ['wg_build'] });
const tech = actor('tech', ['deployment'], { teamIds: ['team_dep'], workGroupIds: ['wg_dep'] });
const tech2 = actor('tech2', ['deployment'], { teamIds: ['team_dep'], workGroupIds: ['wg_dep'] });
const netty = actor('netty', ['deployment'], { teamIds: ['team_net'], workGroupIds: ['wg_net'] });
const admin = actor('root', [], { admin: true });

function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm'], ['wg_build']));
  ports.teams.seed(team('team_dep', 'deployment', ['tech', 'tech2'], ['wg_dep']));
  ports.teams.seed(team('team_net', 'deployment', ['netty'], ['wg_net']));
  ports.cis.seed(ciFixture('ci_app'));
  return ports;
}
type World = ReturnType<typeof world>;

const planned = (title: string, over: Partial<NewTask> = {}): NewTask => ({
  title,
  workGroupId: 'wg_dep',
  ciIds: ['ci_app'],
  ciUpdates: [{ ciId: 'ci_app', set: { version: '4.2.0' } }],
  ...over,
});

async function newRelease(ports: World, tasks: NewTask[], over: Record<string, unknown> = {}) {
  const { release } = await createRelease(
    {
      title: 'Payroll 4.2',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'medium',
      businessPriority: 2,
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      changeIds: [],
      kbArticleIds: [],
      deployment: { managedByChange: false },
      tasks,
      ...over,
    },
    rm,
    ports,
  );
  return release;
}

/** Moves the release through its default workflow up to Deployment (entry 3). */
async function toDeployment(ports: World, release: Release): Promise<Release> {
  let current = release;
  for (const to of ['Development', 'Testing', 'Deployment']) {
    current = (await moveRelease(current.id, { to, expectedVersion: current.version }, rm, ports)).release;
  }
  return current;
}

const readyEvents = (ports: World) => ports.table.events.filter((e) => e.type === 'Deployment Tasks Ready');

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

describe('readyDeploymentTasks', () => {
  it('readies nothing before the deploy stage, then every planned task once it is entered, in 3 store calls', async () => {
    const ports = world();
    const release = await newRelease(ports, [
      planned('Upgrade app nodes', { technicianId: 'tech' }),
      planned('Smoke test'),
    ]);
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 0 }, ports)).toBe('not-due');
    const deploying = await toDeployment(ports, release);
    expect(ports.tasks.tasks.size).toBe(0);

    const reads = {
      releases: ports.releases.count('get'),
      workflows: ports.workflows.count('definition'),
      tasks: ports.tasks.calls.length,
    };
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports)).toBe('readied');
    expect(ports.releases.count('get') - reads.releases).toBe(1);
    expect(ports.workflows.count('definition') - reads.workflows).toBe(1);
    expect(ports.tasks.calls.slice(reads.tasks).map((c) => c.method)).toEqual(['ready']);
    // The mark, the release check, the event and two tasks: one transaction.
    expect(ports.tasks.readyTransactions).toEqual([5]);

    const [first, second] = release.tasks;
    expect(await ports.tasks.get(first?.id as string)).toMatchObject({
      id: first?.id,
      releaseId: release.id,
      position: 0,
      status: 'ready',
      version: 1,
      technicianId: 'tech',
      assignee: 'tech',
      ciUpdates: [{ ciId: 'ci_app', set: { version: '4.2.0' } }],
      createdBy: 'system:create-deployment-tasks',
    });
    expect((await ports.tasks.get(second?.id as string))?.assignee).toBeUndefined();
    expect(readyEvents(ports)).toEqual([
      expect.objectContaining({
        subject: { kind: 'release', id: release.id },
        actor: 'system:create-deployment-tasks',
        data: {
          releaseId: release.id,
          trigger: { kind: 'stage', entry: 3, changeId: null, state: null },
          tasks: [
            {
              id: first?.id,
              title: 'Upgrade app nodes',
              workGroupId: 'wg_dep',
              technicianId: 'tech',
              ciIds: ['ci_app'],
            },
            {
              id: second?.id,
              title: 'Smoke test',
              workGroupId: 'wg_dep',
              technicianId: null,
              ciIds: ['ci_app'],
            },
          ],
        },
      }),
    ]);
    // The release keeps its version: its manager's next move is based on what they read.
    expect((await ports.releases.get(release.id))?.version).toBe(deploying.version);
  });

  it('creates nothing twice when the trigger is delivered again, and never overwrites a started task', async () => {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, [planned('Upgrade')]));
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports)).toBe('readied');
    const taskId = release.tasks[0]?.id as string;
    await startDeploymentTask(taskId, 1, tech, ports);
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports)).toBe('already');
    expect(readyEvents(ports)).toHaveLength(1);
    expect(await ports.tasks.get(taskId)).toMatchObject({
      status: 'in_progress',
      version: 2,
      assignee: 'tech',
    });
  });

  it('readies the tasks once when two triggers race, with one Deployment Tasks Ready', async () => {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, [planned('A'), planned('B')]));
    const outcomes = await Promise.all([
      readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports),
      readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports),
    ]);
    expect(outcomes.sort()).toEqual(['already', 'readied']);
    expect(readyEvents(ports)).toHaveLength(1);
    expect(ports.tasks.tasks.size).toBe(2);
  });

  it('creates 60 tasks of one release once, in one transaction; 150 in a first of 100 items and one of 53', async () => {
    const ports = world();
    const sixty = await toDeployment(
      ports,
      await newRelease(
        ports,
        Array.from({ length: 60 }, (_, i) => planned(`Node ${i + 1}`)),
      ),
    );
    await Promise.all([
      readyDeploymentTasks(sixty.id, { kind: 'stage', entry: 3 }, ports),
      readyDeploymentTasks(sixty.id, { kind: 'stage', entry: 3 }, ports),
    ]);
    expect(await readyDeploymentTasks(sixty.id, { kind: 'stage', entry: 3 }, ports)).toBe('already');
    expect(ports.tasks.readyTransactions).toEqual([63]);
    const ready = await ports.tasks.ofRelease(sixty.id);
    expect(ready.map((t) => t.id)).toEqual(sixty.tasks.map((t) => t.id));
    expect(readyEvents(ports)).toHaveLength(1);
    expect(readyEvents(ports)[0]?.data.tasks).toHaveLength(60);

    const many = await toDeployment(
      ports,
      await newRelease(
        ports,
        Array.from({ length: 150 }, (_, i) => planned(`Step ${i + 1}`)),
      ),
    );
    ports.tasks.readyTransactions.length = 0;
    expect(await readyDeploymentTasks(many.id, { kind: 'stage', entry: 3 }, ports)).toBe('readied');
    expect(ports.tasks.readyTransactions).toEqual([100, 53]);
    expect(await ports.tasks.ofRelease(many.id)).toHaveLength(150);
  });

  it('acts only on what the table says: a forged entry, a release that left its deploy stage or is over, an unknown release', async () => {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, [planned('A')]));
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 9 }, ports)).toBe('not-due');
    expect(await readyDeploymentTasks('rel_nope', { kind: 'stage', entry: 3 }, ports)).toBe('missing');
    // A change trigger for a release its RFC does not manage.
    expect(
      await readyDeploymentTasks(release.id, { kind: 'change', changeId: 'chg_1', state: 'Approved' }, ports),
    ).toBe('not-due');
    const cancelled = await toDeployment(ports, await newRelease(ports, [planned('B')]));
    await moveRelease(
      cancelled.id,
      { to: 'Cancelled', expectedVersion: cancelled.version, reason: 'Dropped' },
      rm,
      ports,
    );
    expect(await readyDeploymentTasks(cancelled.id, { kind: 'stage', entry: 3 }, ports)).toBe('not-due');
    expect(readyEvents(ports)).toEqual([]);
    expect(ports.tasks.count('ready')).toBe(0);
  });

  it('readies a change-managed release on its RFC reaching the trigger state, never on its deploy stage', async () => {
    const ports = world();
    const release = await newRelease(ports, [planned('A')]);
    // As linkedDeployment records it on the release (functions/domain/release/service.ts).
    const managed = ports.releases.seed({
      ...(await toDeployment(ports, release)),
      deployment: {
        managedByChange: true,
        changeTriggerState: 'Approved',
        changeId: 'chg_1',
      } as Release['deployment'],
    });
    expect(await readyDeploymentTasks(managed.id, { kind: 'stage', entry: 3 }, ports)).toBe('not-due');
    expect(
      await readyDeploymentTasks(managed.id, { kind: 'change', changeId: 'chg_2', state: 'Approved' }, ports),
    ).toBe('not-due');
    expect(
      await readyDeploymentTasks(managed.id, { kind: 'change', changeId: 'chg_1', state: 'Assessed' }, ports),
    ).toBe('not-due');
    expect(
      await readyDeploymentTasks(managed.id, { kind: 'change', changeId: 'chg_1', state: 'Approved' }, ports),
    ).toBe('readied');
    expect(readyEvents(ports)[0]?.data.trigger).toEqual({
      kind: 'change',
      entry: null,
      changeId: 'chg_1',
      state: 'Approved',
    });
  });

  it('readies the plan as edited when an edit wins the race with the readying', async () => {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, [planned('Old plan')]));
    let edited = false;
    const racing = {
      ...ports,
      releases: {
        get: async (id: string) => {
          const read = await ports.releases.get(id);
          if (!edited) {
            edited = true;
            await editRelease(id, { tasks: [planned('New plan')] }, release.version, rm, ports);
          }
          return read;
        },
        standing: (id: string) => ports.releases.standing(id),
      },
    };
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, racing)).toBe('readied');
    expect((await ports.tasks.ofRelease(release.id)).map((t) => t.title)).toEqual(['New plan']);
    expect(ports.tasks.count('ready')).toBe(2);
  });
});

describe('technicians', () => {
  async function readyWorld(
    tasks: NewTask[] = [planned('Upgrade'), planned('Network', { workGroupId: 'wg_net' })],
  ) {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, tasks));
    await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports);
    return { ports, release, ids: release.tasks.map((t) => t.id) };
  }

  it('start takes a ready task, complete carries its CI updates, fail says why, retry puts it back', async () => {
    const { ports, release, ids } = await readyWorld();
    const id = ids[0] as string;
    ports.meter.reset();
    const before = { tasks: ports.tasks.calls.length, releases: ports.releases.calls.length };
    const started = await startDeploymentTask(id, 1, tech, ports);
    expect(started).toMatchObject({ status: 'in_progress', assignee: 'tech', version: 2, updatedBy: 'tech' });
    // A move: the task, its release's standing (still running? never its plan) and one write with its event.
    expect(ports.tasks.calls.slice(before.tasks).map((c) => c.method)).toEqual(['get', 'save']);
    expect(ports.releases.calls.slice(before.releases).map((c) => c.method)).toEqual(['standing']);
    const failed = await failDeploymentTask(id, 'Node 3 did not come back', 2, tech, ports);
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'Node 3 did not come back', version: 3 });
    const retried = await retryDeploymentTask(id, 3, tech2, ports);
    expect(retried).toMatchObject({ status: 'ready', assignee: 'tech', version: 4 });
    await startDeploymentTask(id, 4, tech, ports);
    const done = await completeDeploymentTask(id, 'All nodes on 4.2.0', 5, tech, ports);
    expect(done).toMatchObject({ status: 'done', notes: 'All nodes on 4.2.0', version: 6 });
    // Starts and retries are not counted; each completion and failure once.
    expect(ports.meter.counted()).toEqual({ TasksFailed: 1, TasksCompleted: 1 });
    expect(ports.table.eventsOf({ kind: 'task', id }).map((e) => [e.type, e.actor])).toEqual([
      ['Deployment Task Started', 'tech'],
      ['Deployment Task Failed', 'tech'],
      ['Deployment Task Retried', 'tech2'],
      ['Deployment Task Started', 'tech'],
      ['Deployment Task Completed', 'tech'],
    ]);
    expect(ports.table.eventsOf({ kind: 'task', id }).at(-1)?.data).toEqual({
      taskId: id,
      releaseId: release.id,
      workGroupId: 'wg_dep',
      assignee: 'tech',
      version: 6,
      notes: 'All nodes on 4.2.0',
      ciIds: ['ci_app'],
      ciUpdates: [{ ciId: 'ci_app', set: { version: '4.2.0' } }],
    });
    expect((await releaseTasks(release.id, netty, ports))[0]).toMatchObject({
      id,
      status: 'done',
      version: 6,
    });
  });

  it('refuses a technician outside the work group on every action and read (403), changing nothing', async () => {
    const { ports, ids } = await readyWorld();
    const id = ids[0] as string;
    for (const attempt of [
      () => getTask(id, netty, ports),
      () => startDeploymentTask(id, 1, netty, ports),
      () => completeDeploymentTask(id, undefined, 1, netty, ports),
      () => failDeploymentTask(id, 'no', 1, netty, ports),
      () => retryDeploymentTask(id, 1, netty, ports),
      () => listTasks({ workGroupId: 'wg_dep' }, { limit: 10 }, netty, ports),
      // A release manager outside the work group neither.
      () => startDeploymentTask(id, 1, rm, ports),
    ]) {
      const error = await refusal(attempt());
      expect(error).toBeInstanceOf(ForbiddenError);
    }
    // A change manager holds no deployment process at all.
    await expect(
      getTask(id, actor('cm', ['change'], { workGroupIds: ['wg_dep'] }), ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(ports.tasks.count('save')).toBe(0);
    expect(await ports.tasks.get(id)).toMatchObject({ status: 'ready', version: 1 });
    // An administrator may act on any task.
    expect(await startDeploymentTask(id, 1, admin, ports)).toMatchObject({ assignee: 'root' });
  });

  it('refuses illegal moves (422), a task another technician holds (409), a stale version (409), an unknown task (404)', async () => {
    const { ports, ids } = await readyWorld([planned('A'), planned('B', { technicianId: 'tech2' })]);
    const [a, b] = ids as [string, string];
    const illegal = await refusal(completeDeploymentTask(a, undefined, 1, tech, ports));
    expect(illegal).toBeInstanceOf(RuleViolationError);
    expect(illegal).toMatchObject({
      code: 'task-transition-not-allowed',
      details: { from: 'ready', to: 'done' },
    });
    expect(await refusal(retryDeploymentTask(a, 1, tech, ports))).toBeInstanceOf(RuleViolationError);
    await startDeploymentTask(a, 1, tech, ports);
    const held = await refusal(startDeploymentTask(a, 2, tech2, ports));
    expect(held).toBeInstanceOf(ConflictError);
    expect(held).toMatchObject({ code: 'task-held', details: { assignee: 'tech' } });
    expect(await refusal(completeDeploymentTask(a, undefined, 2, tech2, ports))).toBeInstanceOf(
      ConflictError,
    );
    // Planned for tech2: nobody else takes it.
    expect(await refusal(startDeploymentTask(b, 1, tech, ports))).toMatchObject({ code: 'task-held' });
    const stale = await refusal(completeDeploymentTask(a, undefined, 1, tech, ports));
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ currentVersion: 2 });
    expect(await refusal(getTask('task_nope', tech, ports))).toBeInstanceOf(NotFoundError);
  });

  it('refuses moves once the release is over', async () => {
    const { ports, release, ids } = await readyWorld();
    const current = await ports.releases.get(release.id);
    await moveRelease(
      release.id,
      { to: 'Backed Out', expectedVersion: current?.version as number, reason: 'Rolled back' },
      rm,
      ports,
    );
    const error = await refusal(startDeploymentTask(ids[0] as string, 1, tech, ports));
    expect(error).toMatchObject({ code: 'release-not-active', details: { releaseStatus: 'backed-out' } });
  });

  it("lists a work group's queue for its members, one's own tasks, and a release's tasks within one's groups", async () => {
    const { ports, release, ids } = await readyWorld();
    const [a, b] = ids as [string, string];
    await startDeploymentTask(a, 1, tech, ports);
    const queue = await listTasks({ workGroupId: 'wg_dep', status: 'ready' }, { limit: 10 }, tech2, ports);
    expect(queue.items).toEqual([]);
    const mine = await listTasks({ assignee: 'me' }, { limit: 10 }, tech, ports);
    expect(mine.items.map((t) => t.id)).toEqual([a]);
    expect(ports.tasks.calls.at(-1)?.args[0]).toEqual({
      workGroupId: undefined,
      status: undefined,
      assignee: 'tech',
      releaseId: undefined,
      withinWorkGroups: ['wg_dep'],
    });
    expect(
      (await listTasks({ releaseId: release.id }, { limit: 10 }, netty, ports)).items.map((t) => t.id),
    ).toEqual([b]);
    expect((await listTasks({ releaseId: release.id }, { limit: 10 }, admin, ports)).items).toHaveLength(2);
    expect(await refusal(listTasks({}, { limit: 10 }, tech, ports))).toBeInstanceOf(ValidationError);
    // No work group, nothing to see (and nothing read).
    const calls = ports.tasks.calls.length;
    expect(
      (await listTasks({ releaseId: release.id }, { limit: 10 }, actor('lone', ['deployment']), ports)).items,
    ).toEqual([]);
    expect(ports.tasks.calls.length).toBe(calls);
  });
});

describe('the plan of a release', () => {
  it('is editable until the tasks are ready: Release Updated says changed.tasks, kept ids stay', async () => {
    const ports = world();
    const release = await newRelease(ports, [planned('Upgrade')]);
    const kept = release.tasks[0]?.id as string;
    const edited = await editRelease(
      release.id,
      { tasks: [{ ...planned('Upgrade, renamed'), id: kept }, planned('Verify', { workGroupId: 'wg_net' })] },
      1,
      rm,
      ports,
    );
    expect(edited.version).toBe(2);
    expect(edited.tasks.map((t) => [t.id === kept, t.title])).toEqual([
      [true, 'Upgrade, renamed'],
      [false, 'Verify'],
    ]);
    expect(ports.releases.count('savePlan')).toBe(1);
    const event = ports.table.events.at(-1);
    expect(event?.type).toBe('Release Updated');
    expect(Object.keys(event?.data.changed as object)).toEqual(['tasks']);
    // The same plan again changes nothing.
    await editRelease(
      release.id,
      { tasks: edited.tasks.map((t) => ({ ...t, ciIds: [...t.ciIds], ciUpdates: [...t.ciUpdates] })) },
      2,
      rm,
      ports,
    );
    expect(ports.releases.count('savePlan')).toBe(1);
  });

  it('refuses an unknown kept id, a bad work group or technician, and any edit once the tasks are ready', async () => {
    const ports = world();
    const release = await newRelease(ports, [planned('Upgrade')]);
    const bad = await refusal(
      editRelease(
        release.id,
        { tasks: [{ ...planned('X'), id: 'task_other' }, planned('Y', { technicianId: 'netty' })] },
        1,
        rm,
        ports,
      ),
    );
    expect(bad).toMatchObject({
      code: 'invalid-deployment-tasks',
      details: { errors: [{ path: 'tasks.0.id', message: `is not a task of release ${release.id}` }] },
    });
    const stranger = await refusal(
      editRelease(release.id, { tasks: [planned('Y', { technicianId: 'netty' })] }, 1, rm, ports),
    );
    expect(stranger).toMatchObject({
      details: {
        errors: [{ path: 'tasks.0.technicianId', message: 'is not a member of deployment team team_dep' }],
      },
    });
    const deploying = await toDeployment(ports, release);
    await readyDeploymentTasks(release.id, { kind: 'stage', entry: 3 }, ports);
    const late = await refusal(editRelease(release.id, { tasks: [] }, deploying.version, rm, ports));
    expect(late).toMatchObject({ code: 'tasks-already-ready', details: { field: 'tasks' } });
    // Other fields stay editable.
    expect(
      (await editRelease(release.id, { title: 'Payroll 4.2.1' }, deploying.version, rm, ports)).title,
    ).toBe('Payroll 4.2.1');
  });

  it('refuses a plan edit that races the readying (409): the plan made ready is the plan stored', async () => {
    const ports = world();
    const release = await toDeployment(ports, await newRelease(ports, [planned('Upgrade')]));
    const readiness = ports.tasks.readiness.bind(ports.tasks);
    // The tasks become ready between the edit's check and its commit.
    ports.tasks.readiness = async (id) => {
      const found = await readiness(id);
      await readyDeploymentTasks(id, { kind: 'stage', entry: 3 }, ports);
      return found;
    };
    const error = await refusal(editRelease(release.id, { tasks: [] }, release.version, rm, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((await ports.releases.get(release.id))?.tasks).toHaveLength(1);
  });
});
