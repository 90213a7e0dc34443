/**
 * Deployment tasks end to end over HTTP on the local cloud (path a: not managed by change): the
 * tasks become ready exactly when the release enters its deploy stage, through the bus rule and
 * the create-deployment-tasks consumer, once however the trigger arrives; technicians of the
 * work group take, fail, retry and complete them; the release leaves its deploy stage only when
 * every task is done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { seedCi } from '../support/cis.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';
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
  const net = await t.call(
    'POST',
    '/teams',
    { name: 'Network', kind: 'deployment', workGroups: [{ name: 'Network engineers' }], members: ['netty'] },
    'admin',
  );
  expect(net.status).toBe(201);
  netGroup = (net.body.workGroups as { id: string }[])[0]?.id as string;
});

afterAll(async () => t?.stop());

const task = (title: string, over: Record<string, unknown> = {}) => ({
  title,
  workGroupId: 'wg_deployment',
  ciIds: ['ci_payroll'],
  ciUpdates: [{ ciId: 'ci_payroll', set: { version: '4.2.0' } }],
  ...over,
});

async function move(id: string, to: string, as = 'rm') {
  const current = await t.call('GET', `/releases/${id}`, undefined, as);
  return t.call(
    'POST',
    `/releases/${id}/transitions`,
    { to, expectedVersion: current.body.version },
    as,
    WAIT,
  );
}

async function readyEvents(id: string) {
  const history = await t.call('GET', `/releases/${id}/history?limit=100`);
  return (history.body.items as { type: string; data: Record<string, unknown> }[]).filter(
    (e) => e.type === 'Deployment Tasks Ready',
  );
}

type TaskView = { id: string; status: string; version: number; assignee?: string; title: string };
const tasksOf = async (id: string) => (await t.call('GET', `/releases/${id}/tasks`)).body.items as TaskView[];

describe('path (a): tasks become ready when the release enters its deploy stage', () => {
  let releaseId: string;

  it('keeps the tasks planned before the deploy stage, and nobody can queue them', async () => {
    const created = await t.call(
      'POST',
      '/releases',
      validRelease({ tasks: [task('Upgrade app nodes', { technicianId: 'tech' }), task('Smoke test')] }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    releaseId = created.body.id as string;
    for (const to of ['Development', 'Testing']) expect((await move(releaseId, to)).status).toBe(200);
    // Give the bus time to deliver the moves: none of them readies anything.
    await new Promise((r) => setTimeout(r, 300));
    expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['planned', 'planned']);
    const queue = await t.call('GET', '/tasks?group=wg_deployment', undefined, 'tech');
    expect(queue.body.items).toEqual([]);
    expect(await readyEvents(releaseId)).toEqual([]);
  });

  it('readies them once on entering Deployment, though the trigger races itself and is delivered again', async () => {
    const moved = await move(releaseId, 'Deployment');
    expect(moved.status).toBe(200);
    const version = moved.body.version;
    await eventually(async () => {
      expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['ready', 'ready']);
    });
    // The trigger once more, twice over, from the event the table committed.
    const committed = (await t.call('GET', `/releases/${releaseId}/history?limit=100`)).body.items as {
      id: string;
      type: string;
      occurredAt: string;
      actor: string;
      data: Record<string, unknown>;
    }[];
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
    expect((await t.call('GET', `/releases/${releaseId}`)).body.version).toBe(version);
    // The plan is fixed now.
    const late = await t.call('PATCH', `/releases/${releaseId}`, { tasks: [], expectedVersion: version });
    expect(late.status).toBe(422);
    expect(late.body.type).toBe('urn:release-desk:problem:tasks-already-ready');
  });

  it("shows the work group's queue to its technicians, and to nobody else (403)", async () => {
    const queue = await t.call('GET', '/tasks?group=wg_deployment&status=ready', undefined, 'tech2');
    expect(queue.status).toBe(200);
    expect((queue.body.items as TaskView[]).map((x) => x.title)).toEqual(['Upgrade app nodes', 'Smoke test']);
    expect((await t.call('GET', '/tasks?group=wg_deployment', undefined, 'netty')).status).toBe(403);
    expect((await t.call('GET', `/tasks?group=${netGroup}`, undefined, 'tech')).status).toBe(403);
    const mine = await t.call('GET', '/tasks?assignee=me', undefined, 'tech');
    expect((mine.body.items as TaskView[]).map((x) => x.title)).toEqual(['Upgrade app nodes']);
    // Outside a named group, only one's own groups' tasks.
    const theirs = await t.call('GET', `/tasks?release=${releaseId}`, undefined, 'netty');
    expect(theirs.body.items).toEqual([]);
  });

  it('refuses a technician outside the work group on every task action (403), changing nothing', async () => {
    const [upgrade] = await tasksOf(releaseId);
    const id = upgrade?.id as string;
    expect((await t.call('GET', `/tasks/${id}`, undefined, 'netty')).status).toBe(403);
    for (const [action, body] of [
      ['start', { expectedVersion: 1 }],
      ['complete', { expectedVersion: 1 }],
      ['fail', { expectedVersion: 1, reason: 'Not mine' }],
      ['retry', { expectedVersion: 1 }],
    ] as const) {
      const res = await t.call('POST', `/tasks/${id}/${action}`, body, 'netty');
      expect(res.status, action).toBe(403);
    }
    expect((await t.call('GET', `/tasks/${id}`, undefined, 'tech')).body).toMatchObject({
      status: 'ready',
      version: 1,
    });
  });

  it('a failed task keeps the release in Deployment (409 listing it); after retry and complete it moves on', async () => {
    const [upgrade, smoke] = (await tasksOf(releaseId)) as [TaskView, TaskView];
    const start = await t.call('POST', `/tasks/${upgrade.id}/start`, { expectedVersion: 1 }, 'tech');
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ status: 'in_progress', assignee: 'tech', version: 2 });
    // Someone else's task is not taken over; completing a ready task is not a move.
    expect((await t.call('POST', `/tasks/${upgrade.id}/start`, { expectedVersion: 2 }, 'tech2')).status).toBe(
      409,
    );
    expect(
      (await t.call('POST', `/tasks/${smoke.id}/complete`, { expectedVersion: 1 }, 'tech2')).status,
    ).toBe(422);
    const failed = await t.call(
      'POST',
      `/tasks/${upgrade.id}/fail`,
      { expectedVersion: 2, reason: 'Node 3 did not come back' },
      'tech',
    );
    expect(failed.body).toMatchObject({ status: 'failed', failureReason: 'Node 3 did not come back' });
    for (const [id, version] of [[smoke.id, 1]] as const) {
      await t.call('POST', `/tasks/${id}/start`, { expectedVersion: version }, 'tech2');
      await t.call(
        'POST',
        `/tasks/${id}/complete`,
        { expectedVersion: version + 1, notes: 'Green' },
        'tech2',
      );
    }

    const held = await move(releaseId, 'Audit');
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({
      type: 'urn:release-desk:problem:transition-gate-failed',
      gates: ['allDeploymentTasksDone'],
      allDeploymentTasksDone: { tasks: [{ id: upgrade.id, title: 'Upgrade app nodes', status: 'failed' }] },
    });
    expect((await t.call('GET', `/releases/${releaseId}`)).body).toMatchObject({
      stage: 'Deployment',
      allowedTransitions: expect.arrayContaining([
        expect.objectContaining({ to: 'Audit', unmetGates: ['allDeploymentTasksDone'] }),
      ]),
    });

    expect(
      (await t.call('POST', `/tasks/${upgrade.id}/retry`, { expectedVersion: 3 }, 'tech2')).body,
    ).toMatchObject({
      status: 'ready',
      assignee: 'tech',
      version: 4,
    });
    await t.call('POST', `/tasks/${upgrade.id}/start`, { expectedVersion: 4 }, 'tech');
    const done = await t.call(
      'POST',
      `/tasks/${upgrade.id}/complete`,
      { expectedVersion: 5, notes: 'On 4.2.0' },
      'tech',
    );
    expect(done.body).toMatchObject({ status: 'done', notes: 'On 4.2.0', version: 6 });
    expect((await tasksOf(releaseId)).map((x) => x.status)).toEqual(['done', 'done']);

    const audit = await move(releaseId, 'Audit');
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body).toMatchObject({ stage: 'Audit', execution: { inStep: true } });
    const history = await t.call('GET', `/tasks?release=${releaseId}`, undefined, 'tech');
    expect((history.body.items as TaskView[]).map((x) => x.status)).toEqual(['done', 'done']);
  });
});

describe('who may plan and work', () => {
  it('refuses a deployment-only user creating a release (403), and a task planned outside a deployment team (422)', async () => {
    const technician = await t.call('POST', '/releases', validRelease({ tasks: [task('X')] }), 'tech');
    expect(technician.status).toBe(403);
    const bad = await t.call(
      'POST',
      '/releases',
      validRelease({
        tasks: [task('X', { workGroupId: 'wg_release' }), task('Y', { technicianId: 'netty' })],
      }),
    );
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({
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
    const created = await t.call(
      'POST',
      '/releases',
      validRelease({ tasks: Array.from({ length: count }, (_, i) => task(`Node ${i + 1}`)) }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const to of ['Development', 'Testing']) await move(id, to);
    const started = Date.now();
    expect((await move(id, 'Deployment')).status).toBe(200);
    await eventually(async () => {
      const tasks = await tasksOf(id);
      expect(tasks.filter((x) => x.status === 'ready')).toHaveLength(count);
    });
    const elapsed = Date.now() - started;
    expect(await readyEvents(id)).toHaveLength(1);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.call(
        'GET',
        `/tasks?release=${id}&limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        undefined,
        'tech',
      );
      listed.push(...(page.body.items as TaskView[]).map((x) => x.id));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    expect(listed).toEqual((created.body.tasks as { id: string }[]).map((x) => x.id));
    console.info(`${count} tasks ready ${elapsed} ms after the move into Deployment`);
  });
});
