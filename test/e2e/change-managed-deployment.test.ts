/**
 * Path (b) end to end over HTTP on the local cloud: a release whose deployment is managed by an
 * RFC with trigger state `Approved`. Its tasks are not ready before the RFC is approved, become
 * ready when it is (the `Change State Changed` rule, the RFC's links, the release deciding on what
 * the table says), and are not readied again when the release enters its deploy stage; the
 * trigger delivered again readies nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { releaseBody, taskBody } from '../support/api-bodies.ts';
import { seedCi } from '../support/cis.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud(
    { schedules: false },
    { rm: ['release'], cm: ['change'], carol: ['change'], dave: ['change'], tech: ['deployment'] },
  );
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  // The CI the planned tasks update (planned tasks must name existing CIs).
  await seedCi(t.cloud.ports, 'ci_payroll');
  const admin = t.api('admin');
  const board = await ok(admin.GET('/teams/{id}', at('team_cab')));
  await ok(
    admin.PATCH('/teams/{id}', {
      ...at('team_cab'),
      body: { members: ['admin', 'carol', 'dave'], expectedVersion: board.version },
    }),
    200,
  );
});

afterAll(async () => t?.stop());

function at(id: string) {
  return { params: { path: { id } } };
}

const task = (title: string) => taskBody({ title, workGroupId: 'wg_deployment' });

async function moveChange(id: string, to: string, as = 'cm') {
  const current = await ok(t.api(as).GET('/changes/{id}', at(id)));
  return t
    .api(as)
    .POST('/changes/{id}/transitions', { ...at(id), body: { to, expectedVersion: current.version } });
}

async function moveRelease(id: string, to: string, as = 'rm') {
  const current = await ok(t.api(as).GET('/releases/{id}', at(id)));
  return t
    .api(as)
    .POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: current.version } });
}

const statuses = async (releaseId: string) =>
  (await ok(t.api().GET('/releases/{id}/tasks', at(releaseId)))).items.map((x) => x.status);

async function readyEvents(releaseId: string) {
  const history = await ok(
    t.api().GET('/releases/{id}/history', { params: { path: { id: releaseId }, query: { limit: 100 } } }),
  );
  return history.items.filter((e) => e.type === 'Deployment Tasks Ready');
}

describe('path (b): deployment managed by change, trigger Approved', () => {
  it('readies the tasks when the RFC is approved, not before, and not again in the deploy stage', async () => {
    const rfc = await ok(
      t.api('cm').POST('/changes', {
        body: {
          title: 'Payroll 4.2 rollout',
          type: 'normal',
          risk: 'low',
          impact: 'medium',
          urgency: 'medium',
        },
      }),
      201,
    );
    const changeId = rfc.id;
    const created = await ok(
      t.api().POST('/releases', {
        body: releaseBody({
          changeIds: [changeId],
          deployment: { managedByChange: true, changeTriggerState: 'Approved' },
          tasks: [task('Upgrade app nodes'), task('Smoke test')],
        }),
      }),
      201,
    );
    const releaseId = created.id;
    expect(created.deployment).toMatchObject({
      managedByChange: true,
      changeId,
      changeTriggerState: 'Approved',
      waitingFor: { changeId, state: 'Approved' },
    });

    // The RFC is assessed: its move reaches the consumer, which readies nothing.
    await ok(moveChange(changeId, 'Assessed'), 200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statuses(releaseId)).toEqual(['planned', 'planned']);
    expect(await readyEvents(releaseId)).toEqual([]);

    // Approved by the board (low risk: one approval): the tasks become ready.
    await ok(
      t
        .api('carol')
        .POST('/changes/{id}/approvals', { ...at(changeId), body: { decision: 'approve', comment: 'ok' } }),
      201,
    );
    await ok(moveChange(changeId, 'Approved'), 200);
    await eventually(async () => expect(await statuses(releaseId)).toEqual(['ready', 'ready']));
    expect(await readyEvents(releaseId)).toHaveLength(1);
    const queue = await ok(t.api('tech').GET('/tasks', { params: { query: { group: 'wg_deployment' } } }));
    expect(queue.items.filter((x) => x.releaseId === releaseId)).toHaveLength(2);
    expect((await ok(t.api().GET('/releases/{id}', at(releaseId)))).deployment).not.toHaveProperty(
      'waitingFor',
    );

    // The RFC's move delivered again, twice at once: nothing is readied twice.
    const history = (
      await ok(
        t
          .api('cm')
          .GET('/changes/{id}/history', { params: { path: { id: changeId }, query: { limit: 100 } } }),
      )
    ).items;
    const entered = history.findLast((e) => e.type === 'Change State Changed');
    const entry = {
      EventBusName: EVENT_BUS_NAME,
      Source: 'release-desk',
      DetailType: 'Change State Changed',
      Resources: [`change/${changeId}`],
      Detail: JSON.stringify({
        id: entered?.id,
        occurredAt: entered?.occurredAt,
        actor: entered?.actor,
        subject: { kind: 'change', id: changeId },
        data: entered?.data,
      }),
    };
    const put = await t.cloud.bus.putEvents([entry, entry]);
    expect(put.FailedEntryCount).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await readyEvents(releaseId)).toHaveLength(1);

    // Entering the deploy stage does not ready them again.
    for (const to of ['Development', 'Testing', 'Deployment']) {
      await ok(moveRelease(releaseId, to), 200);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await readyEvents(releaseId)).toHaveLength(1);
    expect(await statuses(releaseId)).toEqual(['ready', 'ready']);
    // Still waiting for the technicians: the gate lists both tasks.
    const gate = await refused(moveRelease(releaseId, 'Audit'), 409);
    expect(gate).toMatchObject({ gates: ['allDeploymentTasksDone'] });
  });

  it('leaves the tasks of a release managed by another RFC, or waiting for another state, alone', async () => {
    const record = async () =>
      (
        await ok(
          t.api('cm').POST('/changes', {
            body: { title: 'RFC', type: 'standard', risk: 'low', impact: 'low', urgency: 'low' },
          }),
          201,
        )
      ).id;
    const [first, second] = [await record(), await record()];
    const release = await ok(
      t.api().POST('/releases', {
        body: releaseBody({
          changeIds: [first, second],
          deployment: { managedByChange: true, changeId: second, changeTriggerState: 'Implementing' },
          tasks: [task('Only once')],
        }),
      }),
      201,
    );
    const releaseId = release.id;
    // The first RFC (linked, not managing) reaches Implementing; the second only Approved.
    for (const to of ['Approved', 'Implementing']) await ok(moveChange(first, to), 200);
    await ok(moveChange(second, 'Approved'), 200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statuses(releaseId)).toEqual(['planned']);
    // The managing RFC reaches the trigger state.
    await ok(moveChange(second, 'Implementing'), 200);
    await eventually(async () => expect(await statuses(releaseId)).toEqual(['ready']));
  });
});
