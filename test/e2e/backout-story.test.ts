/**
 * The story of issue 11 over HTTP on the local cloud: CIs, a release with 3 tasks updating 5 CIs,
 * the tasks completed, the CMDB changed (history naming release and task), the back-out procedure
 * acknowledged, the back-out, every attribute back to its value before the release and the
 * history longer. Then the refusals (no acknowledgement, a stale one, a conflict) and 120 CI
 * updates backed out in one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import { type PlannedTask, releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release'], tech: ['deployment'] });
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
});

afterAll(async () => t?.stop());

const rm = () => t.api('rm');
const at = (id: string) => ({ params: { path: { id } } });

async function newCi(name: string, attributes: Record<string, unknown>) {
  return (
    await ok(rm().POST('/cis', { body: { type: 'application', name, attributes, relations: [] } }), 201)
  ).id;
}

async function move(id: string, to: string) {
  const current = await ok(rm().GET('/releases/{id}', at(id)));
  return ok(
    rm().POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: current.version } }),
    200,
  );
}

const backout = (id: string, body: components['schemas']['Backout']) =>
  rm().POST('/releases/{id}/backout', { ...at(id), body });

/** A release planning `tasks`, moved into Deployment with every task completed by the technician. */
async function deployed(tasks: Omit<PlannedTask, 'workGroupId'>[]) {
  const created = await ok(
    rm().POST('/releases', {
      body: releaseBody({ tasks: tasks.map((task) => ({ ...task, workGroupId: 'wg_deployment' })) }),
    }),
    201,
  );
  const id = created.id;
  for (const to of ['Development', 'Testing', 'Deployment']) await move(id, to);
  let ready: components['schemas']['ReleaseTask'][] = [];
  await eventually(async () => {
    ready = (await ok(rm().GET('/releases/{id}/tasks', at(id)))).items;
    expect(ready.every((x) => x.status === 'ready')).toBe(true);
  });
  const tech = t.api('tech');
  for (const task of ready) {
    // Once ready, a task has its version.
    const version = task.version as number;
    await ok(tech.POST('/tasks/{id}/start', { ...at(task.id), body: { expectedVersion: version } }), 200);
    await ok(
      tech.POST('/tasks/{id}/complete', { ...at(task.id), body: { expectedVersion: version + 1 } }),
      200,
    );
  }
  return id;
}

const attributesOf = async (ci: string) => (await ok(rm().GET('/cis/{id}', at(ci)))).attributes;
const historyOf = async (ci: string) =>
  (await ok(rm().GET('/cis/{id}/history', { params: { path: { id: ci }, query: { limit: 100 } } }))).items;

describe('the CMDB story: deploy, update the CMDB, back out', () => {
  it('reverts every attribute 3 tasks changed on 5 CIs, after the procedure is acknowledged; history only grows', async () => {
    const cis = [
      await newCi('payroll-app', { version: '4.1.0', port: 8080 }),
      await newCi('payroll-db', { version: '15.2' }),
      await newCi('payroll-web', { version: '2.0', replicas: 2 }),
      await newCi('payroll-batch', { schedule: 'nightly' }),
      await newCi('payroll-queue', { partitions: 4 }),
    ];
    const [app, db, web, batch, queue] = cis as [string, string, string, string, string];
    const before = Object.fromEntries(await Promise.all(cis.map(async (ci) => [ci, await attributesOf(ci)])));
    const releaseId = await deployed([
      {
        title: 'App and DB',
        ciIds: [app, db],
        ciUpdates: [
          { ciId: app, set: { version: '4.2.0', port: 9090 } },
          { ciId: db, set: { version: '16.1' } },
        ],
      },
      { title: 'Web', ciIds: [web], ciUpdates: [{ ciId: web, set: { version: '2.1', replicas: null } }] },
      {
        title: 'Batch and queue',
        ciIds: [batch, queue],
        ciUpdates: [
          { ciId: batch, set: { schedule: 'hourly', owner: 'ops' } },
          { ciId: queue, set: { partitions: 8 } },
        ],
      },
    ]);
    // apply-ci-updates wrote each planned update once, naming the release and the task.
    await eventually(async () => expect(await attributesOf(app)).toEqual({ version: '4.2.0', port: 9090 }));
    await eventually(async () => expect(await attributesOf(queue)).toEqual({ partitions: 8 }));
    expect(await attributesOf(web)).toEqual({ version: '2.1' });
    expect(await attributesOf(batch)).toEqual({ schedule: 'hourly', owner: 'ops' });
    const appHistory = await historyOf(app);
    expect(appHistory[0]).toMatchObject({ version: 2, releaseId, taskId: expect.stringMatching(/^task_/) });
    // The planning view: each CI now, its last change naming the release, and a release planning
    // the same CI shows as a collision.
    const rival = await ok(
      rm().POST('/releases', {
        body: releaseBody({
          title: 'Payroll DB tuning',
          tasks: [
            {
              title: 'Tune',
              workGroupId: 'wg_deployment',
              ciIds: [db],
              ciUpdates: [{ ciId: db, set: { workMem: '64MB' } }],
            },
          ],
        }),
      }),
      201,
    );
    const planned = (await ok(rm().GET('/releases/{id}/cis', at(releaseId)), 200)).items;
    expect(planned.map((c) => c.ciId)).toEqual([...cis].sort());
    const dbView = planned.find((c) => c.ciId === db);
    expect(dbView).toMatchObject({
      ci: { version: 2 },
      plannedBy: [{ sets: ['version'] }],
      collisions: [{ releaseId: rival.id }],
    });
    expect(dbView?.recentChanges[0]).toMatchObject({ releaseId });
    expect(planned.find((c) => c.ciId === app)?.collisions).toEqual([]);
    const lengths = Object.fromEntries(
      await Promise.all(cis.map(async (ci) => [ci, (await historyOf(ci)).length])),
    );

    // The back-out procedure, linked to the release.
    const procedure = await ok(
      rm().POST('/kb', {
        body: {
          kind: 'backout-procedure',
          title: 'Back out payroll 4.2',
          body: 'Stop the batch, reinstall 4.1, restore the DB snapshot.',
          ciIds: [app],
          releaseIds: [releaseId],
        },
      }),
      201,
    );
    const article = { id: procedure.id, version: procedure.version };

    const none = await refused(
      backout(releaseId, { acknowledgedArticles: [], reason: 'Payslips wrong' }),
      422,
    );
    expect(none).toMatchObject({
      type: 'urn:release-desk:problem:backout-procedures-not-acknowledged',
      articles: [{ id: article.id, version: 1, acknowledgedVersion: null }],
    });
    // The procedure is revised: an acknowledgement of version 1 is stale now.
    await ok(
      rm().PATCH('/kb/{id}', {
        ...at(article.id),
        body: { body: 'Also clear the queue.', expectedVersion: 1 },
      }),
      200,
    );
    const stale = await refused(
      backout(releaseId, { acknowledgedArticles: [article], reason: 'Payslips wrong' }),
      422,
    );
    expect(stale).toMatchObject({ articles: [{ id: article.id, version: 2, acknowledgedVersion: 1 }] });
    for (const ci of cis) expect((await historyOf(ci)).length).toBe(lengths[ci]);

    const backedOut = await ok(
      backout(releaseId, {
        acknowledgedArticles: [{ id: article.id, version: 2 }],
        reason: 'Payslips wrong',
      }),
      200,
    );
    expect(backedOut).toMatchObject({ stage: 'Backed Out', status: 'backed-out' });
    expect(backedOut.versions).toHaveLength(5);
    for (const ci of cis) {
      expect(await attributesOf(ci)).toEqual(before[ci]);
      const history = await historyOf(ci);
      expect(history.length).toBe((lengths[ci] as number) + 1);
      expect(history[0]).toMatchObject({ backoutOf: releaseId });
    }
    // Its execution too: Backed Out.
    await eventually(async () => expect((await t.execution(releaseId)).state).toBe('Backed Out'));
    const trail = (
      await ok(
        rm().GET('/releases/{id}/history', { params: { path: { id: releaseId }, query: { limit: 100 } } }),
      )
    ).items;
    expect(trail.filter((e) => e.type === 'Release Backed Out')).toHaveLength(1);
    // Once.
    await refused(
      backout(releaseId, { acknowledgedArticles: [{ id: article.id, version: 2 }], reason: 'Twice' }),
      422,
    );
  });

  it('reports a CI something else changed since as a 409 conflict, restores with force', async () => {
    const ci = await newCi('ledger', { version: '1.0' });
    const releaseId = await deployed([
      { title: 'Ledger', ciIds: [ci], ciUpdates: [{ ciId: ci, set: { version: '1.1' } }] },
    ]);
    await eventually(async () => expect(await attributesOf(ci)).toEqual({ version: '1.1' }));
    const current = await ok(rm().GET('/cis/{id}', at(ci)));
    await ok(
      rm().PATCH('/cis/{id}', {
        ...at(ci),
        body: { set: { version: '1.1.1' }, expectedVersion: current.version, reason: 'Hotfix' },
      }),
      200,
    );
    const conflict = await refused(backout(releaseId, { acknowledgedArticles: [], reason: 'Broken' }), 409);
    expect(conflict).toMatchObject({
      type: 'urn:release-desk:problem:backout-conflicts',
      conflicts: [{ ciId: ci, attribute: 'version', releaseValue: '1.1', found: '1.1.1' }],
    });
    expect(await attributesOf(ci)).toEqual({ version: '1.1.1' });
    await ok(
      backout(releaseId, {
        acknowledgedArticles: [],
        reason: 'Broken',
        force: { reason: 'The hotfix goes with it' },
      }),
      200,
    );
    expect(await attributesOf(ci)).toEqual({ version: '1.0' });
  });

  it('backs out 120 CI updates in one call', async () => {
    const cis: string[] = [];
    for (let i = 0; i < 120; i++) cis.push(await newCi(`node-${i}`, { version: '1' }));
    const tasks = Array.from({ length: 4 }, (_, k) => {
      const mine = cis.slice(k * 30, k * 30 + 30);
      return {
        title: `Nodes ${k}`,
        ciIds: mine,
        ciUpdates: mine.map((ciId) => ({ ciId, set: { version: '2' } })),
      };
    });
    const releaseId = await deployed(tasks);
    await eventually(async () => {
      for (const ci of [cis[0], cis[59], cis[119]] as string[])
        expect(await attributesOf(ci)).toEqual({ version: '2' });
    }, 20_000);
    const out = await ok(backout(releaseId, { acknowledgedArticles: [], reason: 'Fleet rollback' }), 200);
    expect(out.versions).toHaveLength(120);
    for (const ci of [cis[0], cis[30], cis[119]] as string[])
      expect(await attributesOf(ci)).toEqual({ version: '1' });
  }, 120_000);
});
