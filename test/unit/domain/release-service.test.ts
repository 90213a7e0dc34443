/**
 * The release use cases on the in-memory fakes: who may do what, what is stored, which events
 * commit with it, and what the release's execution is told.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../functions/domain/actor.ts';
import {
  ForbiddenError,
  GateFailedError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import { newRelease, type PlannedTask, type Release } from '../../../functions/domain/release/release.ts';
import {
  type CreateReleaseInput,
  createRelease,
  editRelease,
  editReleaseShowingTasks,
  getRelease,
  getReleaseExecution,
  getReleaseWithMoves,
  listReleases,
  moveRelease,
  offeredMoves,
  releaseHistory,
  releaseTeamFor,
  transitionFacts,
} from '../../../functions/domain/release/service.ts';
import { readyTasks, type TaskStatus } from '../../../functions/domain/task/task.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, changeFixture, inMemoryPorts, stateMachineArnOf, teamFixture } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';

const team = teamFixture;

/** A release workflow whose moves list several processes, with timeouts and a Rejected exit. */
const sharedReview = parseWorkflowDefinition({
  name: 'Shared review',
  kind: 'release',
  initialStage: 'Review',
  stages: [
    {
      name: 'Review',
      timeoutSeconds: 3600,
      onTimeout: 'Rejected',
      transitions: [
        { to: 'Approved', processes: ['change', 'release'] },
        { to: 'Dropped', processes: ['change'], requiresReason: true },
        { to: 'Rejected', processes: ['release'] },
      ],
    },
    {
      name: 'Approved',
      timeoutSeconds: 60,
      onTimeout: 'Expired',
      transitions: [
        { to: 'Done', gates: ['allDeploymentTasksDone', 'noOpenBlackout'] },
        { to: 'Expired', processes: ['deployment'] },
      ],
    },
    { name: 'Done', terminal: true },
    { name: 'Expired', terminal: true },
    { name: 'Dropped', terminal: true },
    { name: 'Rejected', terminal: true },
  ],
});

// Release managers of one team (rm), of two (dual), of another with its own default workflow
// (ops); a technician and a CAB member of rm's team; an administrator in no team.
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay', 'team_dep'] });
const dual = actor('dual', ['release', 'deployment'], { teamIds: ['team_pay', 'team_ops'] });
const ops = actor('ops', ['release', 'deployment'], { teamIds: ['team_ops'] });
const tech = actor('tech', ['deployment'], { teamIds: ['team_pay', 'team_dep'] });
const cab = actor('cab', ['change'], { teamIds: ['team_pay'] });
const admin = actor('root', [], { admin: true });

function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(
    team('team_pay', 'release', ['rm', 'dual', 'tech', 'cab'], {
      workGroups: [{ id: 'wg_build', name: 'Build' }],
    }),
  );
  ports.teams.seed(team('team_ops', 'release', ['ops', 'dual'], { defaultWorkflowId: 'release-fast-track' }));
  ports.teams.seed(
    team('team_dep', 'deployment', ['rm', 'tech', 'depl'], {
      workGroups: [{ id: 'wg_dep', name: 'Deployers' }],
    }),
  );
  ports.workflows.seed('shared-review', sharedReview);
  ports.workflows.seed('change-only', defaultWorkflows['change-normal']);
  return ports;
}

const input = (over: Partial<CreateReleaseInput> = {}): CreateReleaseInput => ({
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
  tasks: [],
  ...over,
});

const key = (k: string, fingerprint = 'body-1') => ({ scope: 'rm', key: k, fingerprint });

async function created(ports: ReturnType<typeof world>, over: Partial<CreateReleaseInput> = {}, by = rm) {
  return (await createRelease(input(over), by, ports)).release;
}

/** A release stored as it stands in a stage, with tasks (which the API cannot plan yet). */
function stored(ports: ReturnType<typeof world>, over: Partial<Release>): Release {
  const workflow = {
    id: 'release-default',
    version: 1,
    stateMachineArn: `${stateMachineArnOf('release-default')}:1`,
    initialStage: 'Assessment',
  };
  return ports.releases.seed({
    id: 'rel_seeded',
    version: 7,
    title: 'Seeded',
    releaseType: 'major',
    packageType: 'full',
    urgency: 'high',
    businessPriority: 1,
    teamId: 'team_pay',
    workflow,
    stage: 'Deployment',
    stageEntry: 3,
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
}

const task = (id: string): PlannedTask => ({
  id,
  title: id,
  workGroupId: 'wg_dep',
  ciIds: [],
  ciUpdates: [],
  status: 'planned',
});

/**
 * A release stored in its deploy stage whose tasks are ready, each task item in the status given
 * (as the create-deployment-tasks consumer and the technicians would have left them).
 */
function withLiveTasks(
  ports: ReturnType<typeof world>,
  over: Partial<Release>,
  statuses: Readonly<Record<string, TaskStatus>>,
): Release {
  const release = stored(ports, { ...over, tasks: Object.keys(statuses).map(task) });
  const { tasks, readiness } = readyTasks(release, { kind: 'stage', entry: 3 }, ports);
  ports.table.tasksReady.set(release.id, readiness);
  for (const t of tasks) ports.tasks.tasks.set(t.id, { ...t, status: statuses[t.id] as TaskStatus });
  return release;
}

const live = (statuses: Readonly<Record<string, TaskStatus | 'planned'>>) =>
  Object.entries(statuses).map(([id, status]) => ({ id, title: id, status }));

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

describe('createRelease', () => {
  it("stores the release in its team's workflow, commits Release Created with it and starts its execution", async () => {
    const ports = world();
    const { release, replayed } = await createRelease(input(), rm, ports);
    expect(replayed).toBe(false);
    expect(release).toMatchObject({
      id: 'rel_0001',
      version: 1,
      teamId: 'team_pay',
      stage: 'Assessment',
      stageEntry: 0,
      status: 'active',
      workflow: { id: 'release-default', version: 1, initialStage: 'Assessment' },
      createdBy: 'rm',
    });
    expect(await ports.releases.get(release.id)).toEqual(release);
    expect(ports.table.events).toEqual([
      expect.objectContaining({
        type: 'Release Created',
        actor: 'rm',
        subject: { kind: 'release', id: release.id },
        data: expect.objectContaining({ releaseId: release.id, teamId: 'team_pay', stage: 'Assessment' }),
      }),
    ]);
    expect(ports.stepFunctions.count('start')).toBe(1);
    expect(ports.stepFunctions.executions.get(release.id)).toMatchObject({
      stateMachineArn: release.workflow.stateMachineArn,
      status: 'RUNNING',
      waiting: { stage: 'Assessment', entry: 0 },
    });
  });

  it('keeps what was planned, and publishes it in Release Created', async () => {
    const ports = world();
    ports.changes.seed(changeFixture({ id: 'chg_1' }));
    const { release } = await createRelease(
      input({
        description: 'Tax tables 2027',
        changeIds: ['chg_1'],
        kbArticleIds: ['kb_1'],
        deployment: { managedByChange: true, changeTriggerState: 'Implementing' },
      }),
      rm,
      ports,
    );
    expect(release).toMatchObject({
      description: 'Tax tables 2027',
      changeIds: ['chg_1'],
      kbArticleIds: ['kb_1'],
      // The only linked RFC manages the deployment.
      deployment: { managedByChange: true, changeId: 'chg_1', changeTriggerState: 'Implementing' },
      tasks: [],
    });
    const arn = `${stateMachineArnOf('release-default')}:1`;
    expect(ports.table.events).toEqual([
      {
        id: 'evt_0002',
        type: 'Release Created',
        occurredAt: T0,
        actor: 'rm',
        subject: { kind: 'release', id: 'rel_0001' },
        data: {
          releaseId: 'rel_0001',
          title: 'Payroll 4.2',
          releaseType: 'minor',
          packageType: 'delta',
          teamId: 'team_pay',
          stage: 'Assessment',
          plannedStart: '2026-12-01T20:00:00.000Z',
          plannedEnd: '2026-12-01T23:00:00.000Z',
          workflow: { id: 'release-default', version: 1 },
          stateMachineArn: arn,
          executionInput: {
            subject: { kind: 'release', id: 'rel_0001' },
            signal: { to: 'Assessment', entry: 0 },
          },
        },
      },
    ]);
  });

  it("runs the team's default workflow unless one is named, and refuses an unknown one or a change workflow", async () => {
    const ports = world();
    expect((await created(ports, {}, ops)).workflow.id).toBe('release-fast-track');
    const named = await created(ports, { workflowId: 'shared-review' }, ops);
    expect(named).toMatchObject({ workflow: { id: 'shared-review' }, stage: 'Review' });
    await expect(created(ports, { workflowId: 'nope' })).rejects.toMatchObject({
      code: 'unknown-workflow',
      details: { workflowId: 'nope' },
    });
    await expect(created(ports, { workflowId: 'change-only' })).rejects.toMatchObject({
      code: 'workflow-not-release',
    });
    expect(ports.releases.subjects.size).toBe(2);
    expect(ports.stepFunctions.executions.size).toBe(2);
  });

  it("plans deployment tasks of deployment teams' work groups, checked in one look-up", async () => {
    const ports = world();
    const before = ports.teams.calls.length;
    const release = await created(ports, {
      tasks: [
        { title: 'Upgrade app nodes', workGroupId: 'wg_dep', technicianId: 'tech', ciIds: [], ciUpdates: [] },
        { title: 'Smoke test', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] },
      ],
    });
    expect(release.tasks).toEqual([
      expect.objectContaining({ title: 'Upgrade app nodes', technicianId: 'tech', status: 'planned' }),
      expect.objectContaining({ title: 'Smoke test', status: 'planned' }),
    ]);
    expect(release.tasks[0]?.id).toMatch(/^task_/);
    // rm's two teams are read for the release team, then one look-up for the whole plan's work
    // groups, then the release team's default workflow.
    expect(ports.teams.calls.slice(before).map((c) => c.method)).toEqual([
      'get',
      'get',
      'workGroupTeams',
      'get',
    ]);
    expect(ports.teams.calls.find((c) => c.method === 'workGroupTeams')?.args).toEqual([['wg_dep']]);
  });

  it("refuses tasks whose work group is unknown or not a deployment team's, or whose technician is not of that team, naming each, and stores nothing", async () => {
    const ports = world();
    const error = await refusal(
      createRelease(
        input({
          tasks: [
            { title: 'Fine', workGroupId: 'wg_dep', technicianId: 'depl', ciIds: [], ciUpdates: [] },
            { title: 'Nowhere', workGroupId: 'wg_nope', ciIds: [], ciUpdates: [] },
            { title: 'Builders', workGroupId: 'wg_build', ciIds: [], ciUpdates: [] },
            { title: 'Stranger', workGroupId: 'wg_dep', technicianId: 'ops', ciIds: [], ciUpdates: [] },
          ],
        }),
        rm,
        ports,
      ),
    );
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({
      code: 'invalid-deployment-tasks',
      details: {
        errors: [
          { path: 'tasks.1.workGroupId', message: 'is not a work group (wg_nope)' },
          {
            path: 'tasks.2.workGroupId',
            message: 'belongs to release team team_pay, not to a deployment team',
          },
          { path: 'tasks.3.technicianId', message: 'is not a member of deployment team team_dep' },
        ],
      },
    });
    expect(ports.releases.count('create')).toBe(0);
    expect(ports.table.events).toEqual([]);
  });

  it('refuses a planned window that ends when or before it starts', async () => {
    const ports = world();
    for (const plannedEnd of ['2026-12-01T19:00:00Z', '2026-12-01T21:00:00+01:00']) {
      const error = await refusal(createRelease(input({ plannedEnd }), rm, ports));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([
        { path: 'plannedEnd', message: 'must be later than plannedStart' },
      ]);
    }
    expect(ports.releases.subjects.size).toBe(0);
  });

  it('is for release managers and administrators: a technician or a CAB member is refused', async () => {
    const ports = world();
    for (const caller of [tech, cab]) {
      const error = await refusal(createRelease(input(), caller, ports));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe('This action needs the release process.');
    }
    expect(ports.teams.count('get')).toBe(0);
    // An administrator in no team creates a teamless release, which only administrators change.
    const { release } = await createRelease(input(), admin, ports);
    expect(release.teamId).toBeUndefined();
    expect(ports.table.events[0]?.data).toMatchObject({ teamId: null });
  });

  it('replays a repeated Idempotency-Key: the first release, no second execution; another body is refused', async () => {
    const ports = world();
    const first = await createRelease(input(), rm, ports, key('k1'));
    const again = await createRelease(input(), rm, ports, key('k1'));
    expect(again).toEqual({ release: first.release, replayed: true, blackouts: first.blackouts });
    expect(ports.releases.subjects.size).toBe(1);
    expect(ports.table.events.map((e) => e.type)).toEqual(['Release Created']);
    expect(ports.stepFunctions.count('start')).toBe(1);
    await expect(
      createRelease(input({ title: 'Other' }), rm, ports, key('k1', 'body-2')),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ports.releases.subjects.size).toBe(1);
    // Counted once: the replay and the refusal committed nothing.
    expect(ports.meter.counted()).toEqual({ ReleasesCreated: 1 });
    // Another key is another request.
    expect((await createRelease(input(), rm, ports, key('k2'))).replayed).toBe(false);
    expect(ports.stepFunctions.count('start')).toBe(2);
    expect(ports.meter.counted()).toEqual({ ReleasesCreated: 2 });
  });
});

describe('newRelease: the tasks a release will plan once technicians have queues', () => {
  it('gives each task an id and the planned status, keeping its optional fields', () => {
    const ports = world();
    const { release } = newRelease(
      input({
        tasks: [
          {
            title: 'Upgrade',
            description: 'Run the installer',
            workGroupId: 'wg_dep',
            technicianId: 'tech',
            ciIds: ['ci_1'],
            ciUpdates: [{ ciId: 'ci_1', set: { version: '4.2' } }],
          },
          { title: 'Smoke test', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] },
        ],
      }),
      { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' },
      rm,
      ports,
    );
    expect(release.tasks).toEqual([
      {
        id: 'task_0002',
        title: 'Upgrade',
        description: 'Run the installer',
        workGroupId: 'wg_dep',
        technicianId: 'tech',
        ciIds: ['ci_1'],
        ciUpdates: [{ ciId: 'ci_1', set: { version: '4.2' } }],
        status: 'planned',
      },
      {
        id: 'task_0003',
        title: 'Smoke test',
        workGroupId: 'wg_dep',
        ciIds: [],
        ciUpdates: [],
        status: 'planned',
      },
    ]);
  });
});

describe('releaseTeamFor: the team a new release belongs to', () => {
  it('takes a named release team the caller is a member of', async () => {
    const ports = world();
    expect(await releaseTeamFor('team_ops', dual, ports)).toBe('team_ops');
    expect((await created(ports, { teamId: 'team_ops' }, dual)).teamId).toBe('team_ops');
  });

  it('refuses a named team that is unknown, a deployment team, or not the caller’s', async () => {
    const ports = world();
    const unknown = await refusal(releaseTeamFor('team_nope', rm, ports));
    expect(unknown).toMatchObject({
      code: 'unknown-team',
      message: 'Team team_nope does not exist.',
      details: { teamId: 'team_nope' },
    });
    const deployment = await refusal(releaseTeamFor('team_dep', rm, ports));
    expect(deployment).toBeInstanceOf(RuleViolationError);
    expect(deployment).toMatchObject({
      code: 'not-a-release-team',
      message: 'Team team_dep is a deployment team, not a release team.',
      details: { teamId: 'team_dep' },
    });
    const foreign = await refusal(releaseTeamFor('team_ops', rm, ports));
    expect(foreign).toBeInstanceOf(ForbiddenError);
    expect(foreign.message).toBe('Only members of team team_ops may create its releases.');
    // Through the use case: nothing stored, no execution.
    await expect(created(ports, { teamId: 'team_ops' })).rejects.toBeInstanceOf(ForbiddenError);
    expect([ports.releases.subjects.size, ports.stepFunctions.executions.size]).toEqual([0, 0]);
  });

  it('lets an administrator name any release team, but not a deployment team', async () => {
    const ports = world();
    expect(await releaseTeamFor('team_ops', admin, ports)).toBe('team_ops');
    await expect(releaseTeamFor('team_dep', admin, ports)).rejects.toMatchObject({
      code: 'not-a-release-team',
    });
  });

  it("defaults to the caller's only release team, whatever other teams it is in", async () => {
    const ports = world();
    expect(await releaseTeamFor(undefined, rm, ports)).toBe('team_pay');
    // A team the caller's projection names but whose members no longer include it does not count.
    const stale = actor('rm', ['release'], { teamIds: ['team_ops', 'team_pay', 'team_gone'] });
    expect(await releaseTeamFor(undefined, stale, ports)).toBe('team_pay');
    // An administrator in one release team gets it too.
    expect(await releaseTeamFor(undefined, { ...dual, teamIds: ['team_ops'], admin: true }, ports)).toBe(
      'team_ops',
    );
  });

  it('asks a caller in no release team to be added to one, and a caller in two to choose', async () => {
    const ports = world();
    const none = await refusal(
      releaseTeamFor(undefined, actor('depl', ['release'], { teamIds: ['team_dep'] }), ports),
    );
    expect(none).toBeInstanceOf(ValidationError);
    expect(none.message).toBe('You belong to no release team: ask an administrator to add you to one.');
    expect((none as ValidationError).errors).toEqual([
      { path: 'teamId', message: 'no release team to default to' },
    ]);
    const two = await refusal(releaseTeamFor(undefined, dual, ports));
    expect(two).toBeInstanceOf(ValidationError);
    expect(two.message).toBe('You belong to several release teams: say which one with teamId.');
    expect((two as ValidationError).errors).toEqual([
      { path: 'teamId', message: 'is required (one of team_pay, team_ops)' },
    ]);
    const adminOfTwo = await refusal(releaseTeamFor(undefined, { ...dual, admin: true }, ports));
    expect(adminOfTwo).toBeInstanceOf(ValidationError);
    await expect(createRelease(input(), dual, ports)).rejects.toBeInstanceOf(ValidationError);
    expect(ports.releases.subjects.size).toBe(0);
  });
});

describe('reading releases', () => {
  it('shows a release to any process holder, and to nobody without one', async () => {
    const ports = world();
    const release = await created(ports);
    for (const reader of [rm, tech, cab, admin, ops]) {
      expect(await getRelease(release.id, reader, ports)).toEqual(release);
    }
    const nobody = actor('nobody', []);
    const error = await refusal(getRelease(release.id, nobody, ports));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('This action needs the change or release or deployment process.');
    await expect(listReleases({}, { limit: 10 }, nobody, ports)).rejects.toThrow(
      'This action needs the change or release or deployment process.',
    );
    await expect(releaseHistory(release.id, { limit: 10 }, nobody, ports)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(getReleaseExecution(release.id, nobody, ports)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('answers 404 naming a release that does not exist', async () => {
    const ports = world();
    const error = await refusal(getRelease('rel_nope', rm, ports));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Release rel_nope was not found.');
    await expect(releaseHistory('rel_nope', { limit: 10 }, rm, ports)).rejects.toBeInstanceOf(NotFoundError);
    expect(ports.releases.count('history')).toBe(0);
  });

  it('lists releases with the filter and page asked for, newest first', async () => {
    const ports = world();
    const a = await created(ports);
    ports.clock.advance(1000);
    const b = await created(ports, { teamId: 'team_ops' }, dual);
    ports.clock.advance(1000);
    const c = await created(ports);
    const first = await listReleases({}, { limit: 2 }, tech, ports);
    expect(first.items.map((r) => r.id)).toEqual([c.id, b.id]);
    const second = await listReleases({}, { limit: 2, cursor: first.nextCursor }, tech, ports);
    expect(second).toEqual({ items: [a] });
    expect((await listReleases({ teamId: 'team_ops' }, { limit: 10 }, cab, ports)).items).toEqual([b]);
    expect(ports.releases.calls.at(-1)).toEqual({
      method: 'list',
      args: [{ teamId: 'team_ops' }, { limit: 10 }],
    });
  });

  it('shows the execution of a release, and 404 until it has one', async () => {
    const ports = world();
    const release = await created(ports);
    expect(await getReleaseExecution(release.id, cab, ports)).toMatchObject({
      status: 'RUNNING',
      currentState: 'Assessment',
    });
    const orphan = stored(ports, { id: 'rel_orphan' });
    const error = await refusal(getReleaseExecution(orphan.id, rm, ports));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Execution of release rel_orphan was not found.');
  });

  it('pages the history of a release oldest first', async () => {
    const ports = world();
    const release = await created(ports);
    await moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, rm, ports);
    await moveRelease(release.id, { to: 'Testing', expectedVersion: 2 }, rm, ports);
    // A stale version commits nothing and counts nothing.
    await refusal(moveRelease(release.id, { to: 'Deployment', expectedVersion: 2 }, rm, ports));
    expect(ports.meter.counted()).toEqual({ ReleasesCreated: 1, Transitions: 2 });
    const first = await releaseHistory(release.id, { limit: 2 }, tech, ports);
    expect(first.items.map((e) => e.type)).toEqual(['Release Created', 'Release Stage Entered']);
    const rest = await releaseHistory(release.id, { limit: 2, cursor: first.nextCursor }, tech, ports);
    expect(rest.items.map((e) => e.data.to)).toEqual(['Testing']);
    expect(rest.nextCursor).toBeUndefined();
  });
});

describe('offered moves', () => {
  it('offers the moves of the stage a caller may make, with the gates that do not hold yet', async () => {
    const ports = world();
    const release = await created(ports);
    const { moves } = await getReleaseWithMoves(release.id, rm, ports);
    expect(moves).toEqual([
      { to: 'Development', gates: [], unmetGates: [], requiresReason: false, terminal: false },
      { to: 'Cancelled', gates: [], unmetGates: [], requiresReason: true, terminal: true },
    ]);
    const deploying = withLiveTasks(ports, {}, { t1: 'done', t2: 'in_progress' });
    expect((await getReleaseWithMoves(deploying.id, rm, ports)).moves[0]).toEqual({
      to: 'Audit',
      gates: ['allDeploymentTasksDone'],
      unmetGates: ['allDeploymentTasksDone'],
      requiresReason: false,
      terminal: false,
    });
    const done = live({ t1: 'done', t2: 'done' });
    expect(offeredMoves(deploying, done, defaultWorkflows['release-default'], rm)[0]?.unmetGates).toEqual([]);
  });

  it('offers nothing to a caller outside the team, and nothing once the release is over', async () => {
    const ports = world();
    const release = await created(ports);
    expect((await getReleaseWithMoves(release.id, ops, ports)).moves).toEqual([]);
    const def = defaultWorkflows['release-default'];
    for (const status of ['closed', 'cancelled', 'backed-out', 'failed'] as const) {
      expect(offeredMoves({ ...release, status }, [], def, rm)).toEqual([]);
    }
    // A teamless release is the administrators' alone.
    const teamless = { ...release, teamId: undefined } as Release;
    expect(offeredMoves(teamless, [], def, rm)).toEqual([]);
    expect(offeredMoves(teamless, [], def, admin).map((m) => m.to)).toEqual(['Development', 'Cancelled']);
  });

  it('offers a move listing several processes to a caller holding one of them, and only those', async () => {
    const ports = world();
    const release = await created(ports, { workflowId: 'shared-review' });
    const movesOf = async (caller: Actor) =>
      (await getReleaseWithMoves(release.id, caller, ports)).moves.map((m) => m.to);
    expect(await movesOf(cab)).toEqual(['Approved', 'Dropped']);
    expect(await movesOf(rm)).toEqual(['Approved', 'Rejected']);
    expect(await movesOf(tech)).toEqual([]);
    expect(await movesOf({ ...admin, teamIds: [] })).toEqual(['Approved', 'Dropped', 'Rejected']);
  });

  it('holds the CMDB Update gate until every planned CI update is applied, listing the pending ones', async () => {
    const facts = transitionFacts(live({ a: 'done' }), [
      { taskId: 'a', index: 0, ciId: 'ci_app' },
      { taskId: 'a', index: 1, ciId: 'ci_db', reason: 'CI ci_db is retired' },
    ]);
    expect(facts.allCiUpdatesApplied).toBe(false);
    expect(facts.why?.allCiUpdatesApplied).toEqual({
      detail:
        '2 planned CI update(s) not applied yet: ci_app (task a #0), ci_db (task a #1: CI ci_db is retired).',
      pending: [
        { taskId: 'a', index: 0, ciId: 'ci_app' },
        { taskId: 'a', index: 1, ciId: 'ci_db', reason: 'CI ci_db is retired' },
      ],
    });
    const ports = world();
    const release = stored(ports, {
      id: 'rel_cmdb',
      stage: 'CMDB Update',
      stageEntry: 5,
      tasks: [{ ...task('t1'), ciIds: ['ci_app'], ciUpdates: [{ ciId: 'ci_app', set: { v: 2 } }] }],
    });
    const error = await refusal(moveRelease(release.id, { to: 'Closure', expectedVersion: 7 }, rm, ports));
    expect(error).toMatchObject({
      code: 'transition-gate-failed',
      details: {
        gates: ['allCiUpdatesApplied'],
        allCiUpdatesApplied: { pending: [{ taskId: 't1', index: 0, ciId: 'ci_app' }] },
      },
    });
  });

  it('judges the tasks-done gate by every task as it stands being done, and no blackout as always clear', () => {
    expect(transitionFacts([])).toEqual({
      allDeploymentTasksDone: true,
      allCiUpdatesApplied: true,
      noOpenBlackout: true,
    });
    expect(transitionFacts(live({ a: 'done', b: 'failed' })).allDeploymentTasksDone).toBe(false);
    // Planned tasks that are not ready yet are not done either.
    expect(transitionFacts(live({ a: 'planned' })).allDeploymentTasksDone).toBe(false);
    expect(transitionFacts(live({ a: 'done', b: 'done' })).allDeploymentTasksDone).toBe(true);
  });
});

describe('editRelease', () => {
  it('stores the edit as the next version with its Release Updated event', async () => {
    const ports = world();
    const release = await created(ports);
    ports.clock.advance(60_000);
    const edited = await editRelease(
      release.id,
      { title: 'Payroll 4.2.1', plannedEnd: '2026-12-02T01:00:00+01:00' },
      1,
      rm,
      ports,
    );
    expect(edited).toMatchObject({
      version: 2,
      title: 'Payroll 4.2.1',
      plannedEnd: '2026-12-02T00:00:00.000Z',
      updatedAt: '2026-11-26T10:01:00.000Z',
      updatedBy: 'rm',
    });
    expect(await ports.releases.get(release.id)).toEqual(edited);
    expect(ports.table.events.at(-1)).toMatchObject({
      id: 'evt_0003',
      type: 'Release Updated',
      occurredAt: '2026-11-26T10:01:00.000Z',
      actor: 'rm',
      subject: { kind: 'release', id: release.id },
      data: {
        releaseId: release.id,
        version: 2,
        changed: {
          title: { from: 'Payroll 4.2', to: 'Payroll 4.2.1' },
          plannedEnd: { from: '2026-12-01T23:00:00.000Z', to: '2026-12-02T00:00:00.000Z' },
        },
      },
    });
  });

  it('changes only the fields a PATCH names, and reports only those', async () => {
    const ports = world();
    const release = await created(ports, { description: 'First cut' });
    expect(release.description).toBe('First cut');
    const moved = await editRelease(release.id, { plannedStart: '2026-12-01T19:00:00Z' }, 1, rm, ports);
    expect(moved).toEqual({
      ...release,
      plannedStart: '2026-12-01T19:00:00.000Z',
      version: 2,
      updatedAt: T0,
    });
    expect(ports.table.events.at(-1)?.data).toEqual({
      releaseId: release.id,
      version: 2,
      changed: { plannedStart: { from: '2026-12-01T20:00:00.000Z', to: '2026-12-01T19:00:00.000Z' } },
    });
    const described = await editRelease(release.id, { description: 'Second cut' }, 2, rm, ports);
    expect(described).toMatchObject({ title: 'Payroll 4.2', description: 'Second cut', version: 3 });
    expect(ports.table.events.at(-1)?.data).toEqual({
      releaseId: release.id,
      version: 3,
      changed: { description: { from: 'First cut', to: 'Second cut' } },
    });
  });

  it('answers an edit with the tasks as they stand (planned until they are ready)', async () => {
    const ports = world();
    const release = stored(ports, {
      id: 'rel_planned',
      stage: 'Development',
      tasks: [task('t1'), task('t2')],
    });
    const out = await editReleaseShowingTasks(release.id, { title: 'Renamed' }, 7, rm, ports);
    expect(out.release).toMatchObject({ title: 'Renamed', version: 8 });
    expect(out.tasks.map((t) => [t.id, t.status])).toEqual([
      ['t1', 'planned'],
      ['t2', 'planned'],
    ]);
  });

  it('writes nothing for a PATCH that changes nothing', async () => {
    const ports = world();
    const release = await created(ports);
    const same = await editRelease(
      release.id,
      { title: release.title, plannedStart: '2026-12-01T21:00:00+01:00' },
      1,
      rm,
      ports,
    );
    expect(same).toEqual(release);
    expect(ports.releases.count('save')).toBe(0);
    expect(ports.table.events).toHaveLength(1);
  });

  it('refuses a PATCH that makes the release end before it starts, and stores nothing', async () => {
    const ports = world();
    const release = await created(ports);
    for (const changes of [
      { plannedStart: '2026-12-02T00:00:00Z' },
      { plannedEnd: '2026-12-01T20:00:00Z' },
      { plannedStart: '2026-12-03T00:00:00Z', plannedEnd: '2026-12-02T00:00:00Z' },
    ]) {
      const error = await refusal(editRelease(release.id, changes, 1, rm, ports));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toBe('The planned window ends before it starts.');
    }
    expect(await ports.releases.get(release.id)).toEqual(release);
    expect(ports.releases.count('save')).toBe(0);
  });

  it('refuses to edit a closed or cancelled release', async () => {
    const ports = world();
    for (const status of ['closed', 'cancelled'] as const) {
      const over = stored(ports, {
        id: `rel_${status}`,
        status,
        stage: status === 'closed' ? 'Closure' : 'Cancelled',
      });
      const error = await refusal(editRelease(over.id, { title: 'Late' }, over.version, rm, ports));
      expect(error).toBeInstanceOf(RuleViolationError);
      expect(error).toMatchObject({
        code: 'release-not-active',
        message: `Release rel_${status} is ${status} and can no longer be edited.`,
      });
    }
    expect(ports.releases.count('save')).toBe(0);
  });

  it('answers a stale version with 409 and the current version', async () => {
    const ports = world();
    const release = await created(ports);
    await editRelease(release.id, { title: 'v2' }, 1, rm, ports);
    const error = await refusal(editRelease(release.id, { title: 'v3' }, 1, rm, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({
      currentVersion: 2,
      message: `Release ${release.id} is at version 2, not 1; read it again and retry.`,
    });
    expect((await ports.releases.get(release.id))?.title).toBe('v2');
  });

  it("is for the release's team (with the release process) and administrators", async () => {
    const ports = world();
    const release = await created(ports);
    const asTech = await refusal(editRelease(release.id, { title: 'x' }, 1, tech, ports));
    expect(asTech.message).toBe('This action needs the release process.');
    const outsider = await refusal(editRelease(release.id, { title: 'x' }, 1, ops, ports));
    expect(outsider).toBeInstanceOf(ForbiddenError);
    expect(outsider.message).toBe(
      `Only members of team team_pay (or administrators) may change release ${release.id}.`,
    );
    // An outsider learns nothing, not even that its version is stale.
    await expect(editRelease(release.id, { title: 'x' }, 9, ops, ports)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(editRelease('rel_nope', { title: 'x' }, 1, rm, ports)).rejects.toBeInstanceOf(NotFoundError);
    expect(ports.releases.count('save')).toBe(0);
    expect((await editRelease(release.id, { title: 'By admin' }, 1, admin, ports)).updatedBy).toBe('root');
    const teamless = (await createRelease(input(), admin, ports)).release;
    const error = await refusal(editRelease(teamless.id, { title: 'x' }, 1, rm, ports));
    expect(error.message).toBe(
      `Release ${teamless.id} belongs to no team: only administrators may change it.`,
    );
  });
});

describe('linking RFCs and change-managed deployment', () => {
  const managed = (changeId?: string, state = 'Approved') => ({
    managedByChange: true,
    ...(changeId ? { changeId } : {}),
    changeTriggerState: state,
  });

  it('lists every unknown RFC, and needs the managing one named among several', async () => {
    const ports = world();
    ports.changes.seed(changeFixture({ id: 'chg_a' }));
    ports.changes.seed(changeFixture({ id: 'chg_b' }));
    expect(
      await refusal(createRelease(input({ changeIds: ['chg_a', 'chg_x', 'chg_y'] }), rm, ports)),
    ).toMatchObject({
      code: 'unknown-changes',
      message: 'No RFC has the id chg_x, chg_y.',
      details: { unknownChangeIds: ['chg_x', 'chg_y'] },
    });
    expect(
      await refusal(
        createRelease(input({ changeIds: ['chg_a', 'chg_b'], deployment: managed() }), rm, ports),
      ),
    ).toMatchObject({ code: 'managing-change-required', details: { changeIds: ['chg_a', 'chg_b'] } });
    expect(
      await refusal(createRelease(input({ changeIds: ['chg_a'], deployment: managed('chg_b') }), rm, ports)),
    ).toMatchObject({ code: 'managing-change-not-linked' });
    const { release } = await createRelease(
      input({ changeIds: ['chg_a', 'chg_b'], deployment: managed('chg_b') }),
      rm,
      ports,
    );
    expect(release.deployment).toEqual({
      managedByChange: true,
      changeId: 'chg_b',
      changeTriggerState: 'Approved',
    });
    expect(ports.table.events.filter((e) => e.type === 'Release Created')).toHaveLength(1);
  });

  it('refuses a trigger that can never come: an RFC that is over, an exit, a state already passed', async () => {
    const ports = world();
    ports.changes.seed(changeFixture({ id: 'chg_done', status: 'closed', stage: 'Closed' }));
    ports.changes.seed(changeFixture({ id: 'chg_late', stage: 'Implementing', stageEntry: 4 }));
    ports.changes.seed(changeFixture({ id: 'chg_new' }));
    expect(
      await refusal(createRelease(input({ changeIds: ['chg_done'], deployment: managed() }), rm, ports)),
    ).toMatchObject({
      code: 'managing-change-not-active',
      message: 'RFC chg_done is closed; it can no longer manage a deployment.',
    });
    expect(
      await refusal(
        createRelease(
          input({ changeIds: ['chg_new'], deployment: managed(undefined, 'Cancelled') }),
          rm,
          ports,
        ),
      ),
    ).toMatchObject({
      code: 'unknown-change-trigger-state',
      details: { validStates: ['Recorded', 'Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed'] },
    });
    expect(
      await refusal(createRelease(input({ changeIds: ['chg_late'], deployment: managed() }), rm, ports)),
    ).toMatchObject({
      code: 'change-trigger-unreachable',
      details: {
        state: 'Implementing',
        changeTriggerState: 'Approved',
        statesAhead: ['Implementing', 'Reviewed', 'Closed'],
      },
    });
    // Implementing is ahead of itself (a review can send it back): a later entry still comes.
    const { release } = await createRelease(
      input({ changeIds: ['chg_late'], deployment: managed(undefined, 'Implementing') }),
      rm,
      ports,
    );
    expect(release.deployment.changeTriggerState).toBe('Implementing');
    expect(ports.table.events.filter((e) => e.type === 'Release Created')).toHaveLength(1);
  });

  it('relinks by PATCH until the tasks are ready, and never leaves tasks waiting for a deploy stage already entered', async () => {
    const ports = world();
    ports.changes.seed(changeFixture({ id: 'chg_a' }));
    const early = stored(ports, {
      id: 'rel_early',
      stage: 'Development',
      stageEntry: 1,
      changeIds: ['chg_a'],
      deployment: managed('chg_a'),
    });
    const unmanaged = await editRelease(early.id, { deployment: { managedByChange: false } }, 7, rm, ports);
    expect(unmanaged.deployment).toEqual({ managedByChange: false });
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      changed: { deployment: { from: managed('chg_a'), to: { managedByChange: false } } },
    });
    const deploying = stored(ports, {
      id: 'rel_deploying',
      stage: 'Deployment',
      stageEntry: 3,
      changeIds: ['chg_a'],
      deployment: managed('chg_a'),
    });
    const events = ports.table.events.length;
    expect(
      await refusal(editRelease(deploying.id, { deployment: { managedByChange: false } }, 7, rm, ports)),
    ).toMatchObject({
      code: 'deploy-stage-passed',
      details: { field: 'deployment', stage: 'Deployment', deployStage: 'Deployment' },
    });
    expect(ports.table.events.length).toBe(events);
    expect((await ports.releases.get(deploying.id))?.deployment).toEqual(managed('chg_a'));
  });
});

describe('moveRelease', () => {
  it('commits the move with Release Stage Entered, answers at once with the next moves; its consumer signals the execution', async () => {
    const ports = world();
    const release = await created(ports);
    ports.clock.advance(5_000);
    const out = await moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, rm, ports);
    expect(out.release).toMatchObject({
      stage: 'Development',
      stageEntry: 1,
      version: 2,
      status: 'active',
      updatedBy: 'rm',
      updatedAt: '2026-11-26T10:00:05.000Z',
    });
    expect(out.executionInStep).toBe(false);
    expect(out.moves.map((m) => m.to)).toEqual(['Testing', 'Assessment', 'Cancelled']);
    expect(await ports.releases.get(release.id)).toEqual(out.release);
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'Release Stage Entered',
      data: { from: 'Assessment', to: 'Development', entry: 1, version: 2, reason: null, status: 'active' },
    });
    expect(ports.stepFunctions.signals).toEqual([
      { kind: 'release', id: release.id, signal: { to: 'Development', entry: 1, actor: 'rm' } },
    ]);
    // The one signal is the consumer's (the API's own would carry how long it waits).
    expect(ports.stepFunctions.calls.at(-1)?.args.at(-1)).toEqual({ terminal: false });
  });

  it('asked to wait (Prefer: wait), signals the execution itself and answers in step', async () => {
    const ports = world();
    const release = await created(ports);
    const out = await moveRelease(
      release.id,
      { to: 'Development', expectedVersion: 1, waitMs: 3_000 },
      rm,
      ports,
    );
    expect(out.executionInStep).toBe(true);
    const signals = ports.stepFunctions.calls.filter((c) => c.method === 'signal').map((c) => c.args.at(-1));
    // The consumer's (delivered at once by the fakes), then the API's, which finds it there.
    expect(signals).toEqual([{ terminal: false }, { terminal: false, timeoutMs: 3_000 }]);
    expect(ports.stepFunctions.signals).toHaveLength(1);
  });

  it('keeps a committed move when the execution cannot be signalled (its consumer retries)', async () => {
    const ports = world();
    const release = await created(ports);
    ports.stepFunctions.unreachable = true;
    const out = await moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, rm, ports);
    expect(out.executionInStep).toBe(false);
    expect((await ports.releases.get(release.id))?.stage).toBe('Development');
  });

  it('passes the tasks-done gate when every live task is done, and refuses it otherwise', async () => {
    const ports = world();
    const pending = withLiveTasks(ports, { id: 'rel_pending' }, { t1: 'done', t2: 'ready' });
    const error = await refusal(moveRelease(pending.id, { to: 'Audit', expectedVersion: 7 }, rm, ports));
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error).toMatchObject({
      code: 'transition-gate-failed',
      details: {
        from: 'Deployment',
        to: 'Audit',
        gates: ['allDeploymentTasksDone'],
        allDeploymentTasksDone: { tasks: [{ id: 't2', title: expect.any(String), status: 'ready' }] },
      },
    });
    expect(error.message).toContain('1 of 2 deployment tasks are not done: t2');
    const done = withLiveTasks(ports, { id: 'rel_done' }, { t3: 'done', t4: 'done' });
    const out = await moveRelease(done.id, { to: 'Audit', expectedVersion: 7 }, rm, ports);
    expect(out.release).toMatchObject({ stage: 'Audit', stageEntry: 4, version: 8 });
    // Planned tasks not ready yet hold the gate too; an exit stays allowed.
    const planned = stored(ports, { id: 'rel_planned', tasks: [task('t5')] });
    const held = await refusal(moveRelease(planned.id, { to: 'Audit', expectedVersion: 7 }, rm, ports));
    expect(held).toMatchObject({
      details: { allDeploymentTasksDone: { tasks: [{ id: 't5', title: 't5', status: 'planned' }] } },
    });
    const backedOut = await moveRelease(
      planned.id,
      { to: 'Backed Out', expectedVersion: 7, reason: 'Vendor patch withdrawn' },
      rm,
      ports,
    );
    expect(backedOut.release.status).toBe('backed-out');
  });

  it('closes a release at its normal exit with Release Closed, and offers no more moves', async () => {
    const ports = world();
    const release = stored(ports, { stage: 'CMDB Update', stageEntry: 5 });
    ports.clock.advance(60_000);
    const out = await moveRelease(release.id, { to: 'Closure', expectedVersion: 7 }, rm, ports);
    expect(out.release.status).toBe('closed');
    expect(out.moves).toEqual([]);
    expect(ports.table.events.map((e) => [e.type, e.data])).toEqual([
      ['Release Stage Entered', expect.objectContaining({ to: 'Closure', status: 'closed' })],
      [
        'Release Closed',
        {
          releaseId: release.id,
          plannedStart: release.plannedStart,
          plannedEnd: release.plannedEnd,
          closedAt: '2026-11-26T10:01:00.000Z',
          teamId: 'team_pay',
        },
      ],
    ]);
    expect(
      ports.stepFunctions.calls
        .filter((c) => c.method === 'signal')
        .at(-1)
        ?.args.at(-1),
    ).toEqual({
      terminal: true,
    });
  });

  it('cancels, backs out or rejects a release without Release Closed', async () => {
    const ports = world();
    const cancelled = stored(ports, { id: 'rel_c', stage: 'Audit' });
    const out = await moveRelease(
      cancelled.id,
      { to: 'Cancelled', expectedVersion: 7, reason: '  Vendor withdrew  ' },
      rm,
      ports,
    );
    expect(out.release.status).toBe('cancelled');
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      reason: 'Vendor withdrew',
      signal: { to: 'Cancelled', entry: 4, actor: 'rm', reason: 'Vendor withdrew' },
    });
    const backedOut = stored(ports, { id: 'rel_b', stage: 'Audit' });
    await moveRelease(
      backedOut.id,
      { to: 'Backed Out', expectedVersion: 7, reason: 'Broke payroll' },
      rm,
      ports,
    );
    expect((await ports.releases.get('rel_b'))?.status).toBe('backed-out');
    const review = await created(ports, { workflowId: 'shared-review' });
    const rejected = await moveRelease(review.id, { to: 'Rejected', expectedVersion: 1 }, rm, ports);
    expect(rejected.release.status).toBe('cancelled');
    expect(ports.table.events.map((e) => e.type)).not.toContain('Release Closed');
    // Any other exit is a normal closure.
    const dropped = await created(ports, { workflowId: 'shared-review' });
    await moveRelease(dropped.id, { to: 'Dropped', expectedVersion: 1, reason: 'Duplicate' }, cab, ports);
    expect(ports.table.events.map((e) => e.type).at(-1)).toBe('Release Closed');
  });

  it('accepts a move listing several processes from a caller holding one, and refuses one holding none', async () => {
    const ports = world();
    const release = await created(ports, { workflowId: 'shared-review' });
    const error = await refusal(moveRelease(release.id, { to: 'Approved', expectedVersion: 1 }, tech, ports));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('Moving from "Review" to "Approved" needs the "change" or "release" process.');
    await expect(
      moveRelease(release.id, { to: 'Rejected', expectedVersion: 1 }, cab, ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const out = await moveRelease(release.id, { to: 'Approved', expectedVersion: 1 }, cab, ports);
    expect(out.release).toMatchObject({ stage: 'Approved', updatedBy: 'cab' });
    // Approved's moves are the release process's (the kind's default): none for the CAB member.
    expect(out.moves).toEqual([]);
    expect(offeredMoves(out.release, [], sharedReview, rm)).toEqual([
      {
        to: 'Done',
        gates: ['allDeploymentTasksDone', 'noOpenBlackout'],
        unmetGates: [],
        requiresReason: false,
        terminal: true,
      },
      { to: 'Expired', gates: [], unmetGates: [], requiresReason: false, terminal: true },
    ]);
    // A technician of the team may let it expire; an administrator may make every move.
    expect(offeredMoves(out.release, [], sharedReview, tech).map((m) => m.to)).toEqual(['Expired']);
    expect(offeredMoves(out.release, [], sharedReview, admin).map((m) => m.to)).toEqual(['Done', 'Expired']);
  });

  it('refuses a stale version, a closed release and an outsider, and signals nothing', async () => {
    const ports = world();
    const release = await created(ports);
    await expect(
      moveRelease(release.id, { to: 'Development', expectedVersion: 2 }, rm, ports),
    ).rejects.toMatchObject({ name: 'VersionConflictError', currentVersion: 1 });
    await expect(
      moveRelease(release.id, { to: 'Development', expectedVersion: 1 }, ops, ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const closed = stored(ports, { id: 'rel_closed', stage: 'Closure', status: 'closed' });
    await expect(
      moveRelease(closed.id, { to: 'Cancelled', expectedVersion: 7, reason: 'x' }, rm, ports),
    ).rejects.toMatchObject({
      code: 'release-not-active',
      message: 'Release rel_closed is closed; it takes no more moves.',
      details: { releaseStatus: 'closed' },
    });
    await expect(
      moveRelease('rel_nope', { to: 'Development', expectedVersion: 1 }, rm, ports),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(ports.releases.count('save')).toBe(0);
    expect(ports.stepFunctions.count('signal')).toBe(0);
  });
});
