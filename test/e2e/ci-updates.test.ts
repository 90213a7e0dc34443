/**
 * Planned CI updates end to end over HTTP on the local cloud: CIs recorded through /cis, a release
 * planning updates to them, its tasks completed by a technician, and the apply-ci-updates
 * consumer — every delivery of `Deployment Task Completed` doubled into two racing invocations,
 * then the event put on the bus twice more — writing exactly one CI version per planned update,
 * naming release and task. An update that cannot be applied is shown on the task and lands in
 * the failed invocations with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { type PlannedTask, releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { partitionItems } from '../support/table.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;
/** Every invocation of the consumer, by the task it was about. */
const invocations: string[] = [];

beforeAll(async () => {
  t = await startTestCloud(
    {
      schedules: false,
      asyncInvoke: { retryDelaysMs: [20, 40] },
      // Every delivery reaches the consumer twice at once: two deliveries racing.
      wrapFunction: (name, fn) =>
        name === 'apply-ci-updates'
          ? async (payload) => {
              invocations.push(String((payload as { resources?: string[] }).resources?.[0]));
              const [a, b] = await Promise.allSettled([fn(payload), fn(structuredClone(payload))]);
              if (a.status === 'rejected') throw a.reason;
              if (b.status === 'rejected') throw b.reason;
              return a.value;
            }
          : fn,
    },
    { rm: ['release'], cm: ['change'], tech: ['deployment'] },
  );
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
});

afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });

const historyOf = async (ciId: string) =>
  (
    await ok(
      t.api('tech').GET('/cis/{id}/history', { params: { path: { id: ciId }, query: { limit: 100 } } }),
    )
  ).items;

const ci = (name: string, attributes: Record<string, unknown>, as = 'rm') =>
  ok(t.api(as).POST('/cis', { body: { type: 'application', name, attributes } }), 201);

async function move(id: string, to: string) {
  const current = await ok(t.api().GET('/releases/{id}', at(id)));
  await ok(
    t.api().POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: current.version } }),
    200,
  );
}

/** A release planning these tasks, moved into Deployment with its tasks ready. */
async function deploying(tasks: PlannedTask[]) {
  const created = await ok(t.api().POST('/releases', { body: releaseBody({ tasks }) }), 201);
  const id = created.id;
  for (const to of ['Development', 'Testing', 'Deployment']) await move(id, to);
  await eventually(async () => {
    const tasks = (await ok(t.api().GET('/releases/{id}/tasks', at(id)))).items;
    expect(tasks.every((x) => x.status === 'ready')).toBe(true);
  });
  return { id, tasks: created.tasks };
}

async function complete(taskId: string) {
  const tech = t.api('tech');
  await ok(tech.POST('/tasks/{id}/start', { ...at(taskId), body: { expectedVersion: 1 } }), 200);
  await ok(tech.POST('/tasks/{id}/complete', { ...at(taskId), body: { expectedVersion: 2 } }), 200);
}

describe('planned CI updates', () => {
  it('refuses a plan naming CIs that do not exist (422 listing them)', async () => {
    const app = await ci('known-app', {});
    const problem = await refused(
      t.api().POST('/releases', {
        body: releaseBody({
          tasks: [
            {
              title: 'Upgrade',
              workGroupId: 'wg_deployment',
              ciIds: [app.id, 'ci_ghost', 'ci_phantom'],
              ciUpdates: [{ ciId: 'ci_phantom', set: { version: '1' } }],
            },
          ],
        }),
      }),
      422,
    );
    expect(problem).toMatchObject({
      type: 'urn:release-desk:problem:unknown-cis',
      unknownCiIds: ['ci_ghost', 'ci_phantom'],
    });
  });

  it('applies each update once, though Deployment Task Completed races itself and is delivered again', async () => {
    const app = await ci('payroll-app', { version: '4.1.0' });
    const db = await ci('payroll-db', { schema: 41 }, 'cm');
    const { id: releaseId, tasks } = await deploying([
      {
        title: 'Upgrade app and schema',
        workGroupId: 'wg_deployment',
        ciIds: [app.id, db.id],
        ciUpdates: [
          { ciId: app.id, set: { version: '4.2.0' } },
          { ciId: db.id, set: { schema: 42 } },
          { ciId: app.id, set: { patched: true } },
        ],
      },
    ]);
    const taskId = tasks[0]?.id as string;
    await complete(taskId);
    await eventually(async () => {
      expect((await historyOf(app.id)).map((v) => v.version)).toEqual([3, 2, 1]);
      expect((await historyOf(db.id)).map((v) => v.version)).toEqual([2, 1]);
    });

    // The event once more, twice over, as the table committed it.
    const committed = (await partitionItems(t.cloud.ports, `TASK#${taskId}`)).find(
      (i) => i.type === 'Deployment Task Completed',
    ) as Record<string, unknown>;
    const entry = {
      EventBusName: EVENT_BUS_NAME,
      Source: 'release-desk',
      DetailType: 'Deployment Task Completed',
      Resources: [`task/${taskId}`],
      Detail: JSON.stringify({
        id: committed.id,
        occurredAt: committed.occurredAt,
        actor: committed.actor,
        subject: committed.subject,
        data: committed.data,
      }),
    };
    expect((await t.cloud.bus.putEvents([entry, entry])).FailedEntryCount).toBe(0);
    await eventually(() => {
      expect(invocations.filter((r) => r === `task/${taskId}`)).toHaveLength(3);
    });
    await t.cloud.settle();

    // Six invocations in all: still exactly one version per planned update.
    const appHistory = await historyOf(app.id);
    expect(appHistory.map((v) => [v.version, v.releaseId, v.taskId, v.actor, v.changes])).toEqual([
      [
        3,
        releaseId,
        taskId,
        'system:apply-ci-updates',
        { attributes: { patched: { from: null, to: true } } },
      ],
      [
        2,
        releaseId,
        taskId,
        'system:apply-ci-updates',
        { attributes: { version: { from: '4.1.0', to: '4.2.0' } } },
      ],
      [1, undefined, undefined, 'rm', expect.any(Object)],
    ]);
    expect((await historyOf(db.id)).map((v) => v.version)).toEqual([2, 1]);
    expect(await ok(t.api().GET('/cis/{id}', at(app.id)))).toMatchObject({
      version: 3,
      attributes: { version: '4.2.0', patched: true },
    });
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
  });

  it('shows an update it cannot apply on the task and sends the invocation to the failed invocations with why', async () => {
    const kept = await ci('kept-app', { version: '1.0' });
    const gone = await ci('retiring-app', { version: '1.0' });
    const { id: releaseId, tasks } = await deploying([
      {
        title: 'Upgrade both',
        workGroupId: 'wg_deployment',
        ciIds: [kept.id, gone.id],
        ciUpdates: [
          { ciId: kept.id, set: { version: '2.0' } },
          { ciId: gone.id, set: { version: '2.0' } },
        ],
      },
    ]);
    const taskId = tasks[0]?.id as string;
    // Retired after the plan was made.
    await ok(
      t.api().PATCH('/cis/{id}', {
        ...at(gone.id),
        body: { status: 'retired', expectedVersion: 1, reason: 'Decommissioned' },
      }),
      200,
    );
    const failedBefore = t.cloud.bus.failedInvocations().length;
    await complete(taskId);
    await eventually(() => {
      expect(t.cloud.bus.failedInvocations().length).toBeGreaterThan(failedBefore);
    });
    const failed = t.cloud.bus.failedInvocations().at(-1);
    expect(JSON.stringify(failed)).toContain(`CI ${gone.id} is retired`);
    const task = await ok(t.api('tech').GET('/tasks/{id}', at(taskId)));
    expect(task.ciUpdateFailures).toEqual([
      { index: 1, ciId: gone.id, reason: `CI ${gone.id} is retired`, at: expect.any(String) },
    ]);
    const listed = (await ok(t.api().GET('/releases/{id}/tasks', at(releaseId)))).items;
    expect(listed[0]?.ciUpdateFailures).toHaveLength(1);
    // The update that could be applied was applied, once.
    expect((await historyOf(kept.id)).map((v) => v.version)).toEqual([2, 1]);
    expect((await historyOf(gone.id)).map((v) => v.version)).toEqual([2, 1]);
  });
});
