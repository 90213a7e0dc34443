/**
 * Deployment tasks end to end over HTTP on the local cloud (path a: not managed by change): the
 * tasks become ready exactly when the release enters its deploy stage, through the bus rule and
 * the create-deployment-tasks consumer, once however the trigger arrives; technicians of the
 * work group take, fail, retry and complete them; the release leaves its deploy stage only when
 * every task is done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { operations } from '../../client/index.ts';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { type PlannedTask, releaseBody, taskBody } from '../support/api-bodies.ts';
import { seedCi } from '../support/cis.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;
/** Every invocation of the consumer, by the release it was about. */
const invocations: string[] = [];
let netGroup: string;

beforeAll(async () => {
  t = await startTestCloud(
    {
      schedules: false,
      // Every trigger reaches the consumer twice at once: two deliveries racing.
      wrapFunction: (name, fn) =>
        name === 'create-deployment-tasks'
          ? async (payload) => {
              invocations.push(String((payload as { resources?: string[] }).resources?.[0]));
              return Promise.all([fn(payload), fn(structuredClone(payload))]);
            }
          : fn,
    },
    { rm: ['release'], tech: ['deployment'], tech2: ['deployment'], netty: ['deployment'] },
  );
  await joinTeam(t.cloud.ports, ['tech', 'tech2'], 'team_deployment');
  // The CI the planned tasks update (planned tasks must name existing CIs).
  await seedCi(t.cloud.ports, 'ci_payroll');
  const net = await ok(
    t.api('admin').POST('/teams', {
      body: {
        name: 'Network',
        kind: 'deployment',
        workGroups: [{ name: 'Network engineers' }],
        members: ['netty'],
      },
    }),
    201,
  );
  netGroup = net.workGroups[0]?.id as string;
});

afterAll(async () => t?.stop());

const task = (title: string, over: Partial<PlannedTask> = {}) =>
  taskBody({ title, workGroupId: 'wg_deployment', ...over });
const at = (id: string) => ({ params: { path: { id } } });

async function move(id: string, to: string, as = 'rm') {
  const current = await ok(t.api(as).GET('/releases/{id}', at(id)));
  return t.api(as).POST('/releases/{id}/transitions', {
    ...at(id),
    body: { to, expectedVersion: current.version },
    headers: WAIT,
  });
}

const historyOf = async (id: string) =>
  (await ok(t.api().GET('/releases/{id}/history', { params: { path: { id }, query: { limit: 100 } } })))
    .items;
const readyEvents = async (id: string) =>
  (await historyOf(id)).filter((e) => e.type === 'Deployment Tasks Ready');

const tasksOf = async (id: string) => (await ok(t.api().GET('/releases/{id}/tasks', at(id)))).items;
const queue = (as: string, query: NonNullable<operations['listTasks']['parameters']['query']>) =>
  t.api(as).GET('/tasks', { params: { query } });

/** A technician's moves of a task, each from the version read. */
const taskMoves = (as: string) => {
  const api = t.api(as);
  return {
    start: (id: string, expectedVersion: number) =>
      api.POST('/tasks/{id}/start', { ...at(id), body: { expectedVersion } }),
    complete: (id: string, expectedVersion: number, notes?: string) =>
      api.POST('/tasks/{id}/complete', { ...at(id), body: { expectedVersion, ...(notes ? { notes } : {}) } }),
    fail: (id: string, expectedVersion: number, reason: string) =>
      api.POST('/tasks/{id}/fail', { ...at(id), body: { expectedVersion, reason } }),
    retry: (id: string, expectedVersion: number) =>
      api.POST('/tasks/{id}/retry', { ...at(id), body: { expectedVersion } }),
  };
};

describe('path (a): tasks become ready when the release enters its deploy stage', () => {
  let releaseId: string;

  it('keeps the tasks planned before the deploy stage, and nobody can queue them', async () => {
    const created = await ok(
      t.api().POST('/releases', {
        body: releaseBody({
          tasks: [task('Upgrade app nodes', { technicianId: 'tech' }), task('Smoke test')],
        }),
      }),
      201,
    );
    releaseId = created.id;
    for (const to of ['Development', 'Testing']) await ok(move(releaseId, to), 200);
    // Give the bus time to deliver the moves: none of them readies anything.
    await new Promise((r) => setTimeout(r, 300));
    expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['planned', 'planned']);
    expect((await ok(queue('tech', { group: 'wg_deployment' }))).items).toEqual([]);
    expect(await readyEvents(releaseId)).toEqual([]);
  });

  it('readies them once on entering Deployment, though the trigger races itself and is delivered again', async () => {
    const moved = await ok(move(releaseId, 'Deployment'), 200);
    const version = moved.version;
    await eventually(async () => {
      expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['ready', 'ready']);
    });
    // The trigger once more, twice over, from the event the table committed.
    const committed = await historyOf(releaseId);
    const entered = committed.findLast((e) => e.type === 'Release Stage Entered');
    const entry = {
      EventBusName: EVENT_BUS_NAME,
      Source: 'release-desk',
      DetailType: 'Release Stage Entered',
      Resources: [`release/${releaseId}`],
      Detail: JSON.stringify({
        id: entered?.id,
        occurredAt: entered?.occurredAt,
        actor: entered?.actor,
        subject: { kind: 'release', id: releaseId },
        data: entered?.data,
      }),
    };
    const seen: LocalEvent[] = [];
    const stop = t.cloud.bus.subscribe((e) => seen.push(e));
    expect((await t.cloud.bus.putEvents([entry, entry])).FailedEntryCount).toBe(0);
    await eventually(() => {
      expect(invocations.filter((r) => r === `release/${releaseId}`)).toHaveLength(3);
    });
    stop();
    await new Promise((r) => setTimeout(r, 200));
    // The two put here (the relay may still be publishing what the move committed, such as
    // Deployment Tasks Ready, meanwhile).
    expect(seen.filter((e) => (e.detail as { id?: string }).id === entered?.id)).toHaveLength(2);
    // Six deliveries in all, one Deployment Tasks Ready, two tasks; the release kept its version.
    expect(await readyEvents(releaseId)).toHaveLength(1);
    expect((await readyEvents(releaseId))[0]?.data).toMatchObject({
      releaseId,
      trigger: { kind: 'stage', entry: 3 },
    });
    const tasks = await tasksOf(releaseId);
    expect(tasks.map((x) => [x.status, x.version, x.assignee ?? null])).toEqual([
      ['ready', 1, 'tech'],
      ['ready', 1, null],
    ]);
    expect((await ok(t.api().GET('/releases/{id}', at(releaseId)))).version).toBe(version);
    // The plan is fixed now.
    const late = await refused(
      t.api().PATCH('/releases/{id}', { ...at(releaseId), body: { tasks: [], expectedVersion: version } }),
      422,
    );
    expect(late.type).toBe('urn:release-desk:problem:tasks-already-ready');
  });

  it("shows the work group's queue to its technicians, and to nobody else (403)", async () => {
    const ready = await ok(queue('tech2', { group: 'wg_deployment', status: 'ready' }), 200);
    expect(ready.items.map((x) => x.title)).toEqual(['Upgrade app nodes', 'Smoke test']);
    await refused(queue('netty', { group: 'wg_deployment' }), 403);
    await refused(queue('tech', { group: netGroup }), 403);
    const mine = await ok(queue('tech', { assignee: 'me' }));
    expect(mine.items.map((x) => x.title)).toEqual(['Upgrade app nodes']);
    // Outside a named group, only one's own groups' tasks.
    expect((await ok(queue('netty', { release: releaseId }))).items).toEqual([]);
  });

  it('refuses a technician outside the work group on every task action (403), changing nothing', async () => {
    const [upgrade] = await tasksOf(releaseId);
    const id = upgrade?.id as string;
    await refused(t.api('netty').GET('/tasks/{id}', at(id)), 403);
    const netty = taskMoves('netty');
    for (const [action, attempt] of [
      ['start', () => netty.start(id, 1)],
      ['complete', () => netty.complete(id, 1)],
      ['fail', () => netty.fail(id, 1, 'Not mine')],
      ['retry', () => netty.retry(id, 1)],
    ] as const) {
      expect((await attempt()).response.status, action).toBe(403);
    }
    expect(await ok(t.api('tech').GET('/tasks/{id}', at(id)))).toMatchObject({
      status: 'ready',
      version: 1,
    });
  });

  it('a failed task keeps the release in Deployment (409 listing it); after retry and complete it moves on', async () => {
    const [upgrade, smoke] = (await tasksOf(releaseId)).map((x) => ({ id: x.id })) as [
      { id: string },
      { id: string },
    ];
    const tech = taskMoves('tech');
    const tech2 = taskMoves('tech2');
    const start = await ok(tech.start(upgrade.id, 1), 200);
    expect(start).toMatchObject({ status: 'in_progress', assignee: 'tech', version: 2 });
    // Someone else's task is not taken over; completing a ready task is not a move.
    await refused(tech2.start(upgrade.id, 2), 409);
    await refused(tech2.complete(smoke.id, 1), 422);
    const failed = await ok(tech.fail(upgrade.id, 2, 'Node 3 did not come back'));
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'Node 3 did not come back' });
    await ok(tech2.start(smoke.id, 1));
    await ok(tech2.complete(smoke.id, 2, 'Green'));

    const held = await refused(move(releaseId, 'Audit'), 409);
    expect(held).toMatchObject({
      type: 'urn:release-desk:problem:transition-gate-failed',
      gates: ['allDeploymentTasksDone'],
      allDeploymentTasksDone: { tasks: [{ id: upgrade.id, title: 'Upgrade app nodes', status: 'failed' }] },
    });
    expect(await ok(t.api().GET('/releases/{id}', at(releaseId)))).toMatchObject({
      stage: 'Deployment',
      allowedTransitions: expect.arrayContaining([
        expect.objectContaining({ to: 'Audit', unmetGates: ['allDeploymentTasksDone'] }),
      ]),
    });

    expect(await ok(tech2.retry(upgrade.id, 3))).toMatchObject({
      status: 'ready',
      assignee: 'tech',
      version: 4,
    });
    await ok(tech.start(upgrade.id, 4));
    const done = await ok(tech.complete(upgrade.id, 5, 'On 4.2.0'));
    expect(done).toMatchObject({ status: 'done', notes: 'On 4.2.0', version: 6 });
    expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['done', 'done']);

    const audit = await ok(move(releaseId, 'Audit'), 200);
    expect(audit).toMatchObject({ stage: 'Audit', execution: { inStep: true } });
    const history = await ok(queue('tech', { release: releaseId }));
    expect(history.items.map((x) => x.status)).toEqual(['done', 'done']);
  });
});

describe('who may plan and work', () => {
  it('refuses a deployment-only user creating a release (403), and a task planned outside a deployment team (422)', async () => {
    await refused(t.api('tech').POST('/releases', { body: releaseBody({ tasks: [task('X')] }) }), 403);
    const bad = await refused(
      t.api().POST('/releases', {
        body: releaseBody({
          tasks: [task('X', { workGroupId: 'wg_release' }), task('Y', { technicianId: 'netty' })],
        }),
      }),
      422,
    );
    expect(bad).toMatchObject({
      type: 'urn:release-desk:problem:invalid-deployment-tasks',
      errors: [
        {
          path: 'tasks.0.workGroupId',
          message: 'belongs to release team team_release, not to a deployment team',
        },
        { path: 'tasks.1.technicianId', message: 'is not a member of deployment team team_deployment' },
      ],
    });
  });
});

describe('many tasks', () => {
  // 150 tasks: more than one transaction holds (97 beside the mark and the event), readied in
  // chunks by two racing deliveries of the trigger (every invocation here is doubled).
  it.each([60, 150])('creates the %i tasks of one release once', async (count) => {
    const created = await ok(
      t.api().POST('/releases', {
        body: releaseBody({ tasks: Array.from({ length: count }, (_, i) => task(`Node ${i + 1}`)) }),
      }),
      201,
    );
    const id = created.id;
    for (const to of ['Development', 'Testing']) await move(id, to);
    const started = Date.now();
    await ok(move(id, 'Deployment'), 200);
    await eventually(async () => {
      const tasks = await tasksOf(id);
      expect(tasks.filter((x) => x.status === 'ready')).toHaveLength(count);
    });
    const elapsed = Date.now() - started;
    expect(await readyEvents(id)).toHaveLength(1);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(queue('tech', { release: id, limit: 25, ...(cursor ? { cursor } : {}) }));
      listed.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual(created.tasks.map((x) => x.id));
    console.info(`${count} tasks ready ${elapsed} ms after the move into Deployment`);
  });
});
