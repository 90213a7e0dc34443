/**
 * The story of issue 11 over HTTP on the local cloud: CIs, a release with 3 tasks updating 5 CIs,
 * the tasks completed, the CMDB changed (history naming release and task), the back-out procedure
 * acknowledged, the back-out, every attribute back to its value before the release and the
 * history longer. Then the refusals (no acknowledgement, a stale one, a conflict) and 120 CI
 * updates backed out in one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release'], tech: ['deployment'] });
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
});

afterAll(async () => t?.stop());

const call = (method: string, path: string, body?: unknown, as = 'rm') => t.call(method, path, body, as);

async function newCi(name: string, attributes: Record<string, unknown>) {
  const created = await call('POST', '/cis', { type: 'application', name, attributes, relations: [] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function move(id: string, to: string) {
  const current = await call('GET', `/releases/${id}`);
  return call('POST', `/releases/${id}/transitions`, { to, expectedVersion: current.body.version });
}

/** A release planning `tasks`, moved into Deployment with every task completed by the technician. */
async function deployed(
  tasks: { title: string; ciIds: string[]; ciUpdates: { ciId: string; set: Record<string, unknown> }[] }[],
) {
  const created = await call(
    'POST',
    '/releases',
    validRelease({ tasks: tasks.map((task) => ({ ...task, workGroupId: 'wg_deployment' })) }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  for (const to of ['Development', 'Testing', 'Deployment']) expect((await move(id, to)).status).toBe(200);
  let ready: { id: string; version: number; status: string }[] = [];
  await eventually(async () => {
    ready = (await call('GET', `/releases/${id}/tasks`)).body.items as typeof ready;
    expect(ready.every((x) => x.status === 'ready')).toBe(true);
  });
  for (const task of ready) {
    expect(
      (await call('POST', `/tasks/${task.id}/start`, { expectedVersion: task.version }, 'tech')).status,
    ).toBe(200);
    const done = await call(
      'POST',
      `/tasks/${task.id}/complete`,
      { expectedVersion: task.version + 1 },
      'tech',
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
  }
  return id;
}

const attributesOf = async (ci: string) =>
  (await call('GET', `/cis/${ci}`)).body.attributes as Record<string, unknown>;
const historyOf = async (ci: string) =>
  (await call('GET', `/cis/${ci}/history?limit=100`)).body.items as {
    version: number;
    releaseId?: string;
    taskId?: string;
    backoutOf?: string;
  }[];

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
    const rival = await call(
      'POST',
      '/releases',
      validRelease({
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
    );
    expect(rival.status).toBe(201);
    const planning = await call('GET', `/releases/${releaseId}/cis`);
    expect(planning.status).toBe(200);
    const planned = planning.body.items as {
      ciId: string;
      ci: { version: number };
      recentChanges: { releaseId?: string }[];
      plannedBy: { sets: string[] }[];
      collisions: { releaseId: string }[];
    }[];
    expect(planned.map((c) => c.ciId)).toEqual([...cis].sort());
    const dbView = planned.find((c) => c.ciId === db);
    expect(dbView).toMatchObject({
      ci: { version: 2 },
      plannedBy: [{ sets: ['version'] }],
      collisions: [{ releaseId: rival.body.id }],
    });
    expect(dbView?.recentChanges[0]).toMatchObject({ releaseId });
    expect(planned.find((c) => c.ciId === app)?.collisions).toEqual([]);
    const lengths = Object.fromEntries(
      await Promise.all(cis.map(async (ci) => [ci, (await historyOf(ci)).length])),
    );

    // The back-out procedure, linked to the release.
    const procedure = await call('POST', '/kb', {
      kind: 'backout-procedure',
      title: 'Back out payroll 4.2',
      body: 'Stop the batch, reinstall 4.1, restore the DB snapshot.',
      ciIds: [app],
      releaseIds: [releaseId],
    });
    expect(procedure.status, JSON.stringify(procedure.body)).toBe(201);
    const article = { id: procedure.body.id as string, version: procedure.body.version as number };

    const none = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [],
      reason: 'Payslips wrong',
    });
    expect(none.status).toBe(422);
    expect(none.body).toMatchObject({
      type: 'urn:release-desk:problem:backout-procedures-not-acknowledged',
      articles: [{ id: article.id, version: 1, acknowledgedVersion: null }],
    });
    // The procedure is revised: an acknowledgement of version 1 is stale now.
    const revised = await call('PATCH', `/kb/${article.id}`, {
      body: 'Also clear the queue.',
      expectedVersion: 1,
    });
    expect(revised.status, JSON.stringify(revised.body)).toBe(200);
    const stale = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [article],
      reason: 'Payslips wrong',
    });
    expect(stale.status).toBe(422);
    expect(stale.body).toMatchObject({ articles: [{ id: article.id, version: 2, acknowledgedVersion: 1 }] });
    for (const ci of cis) expect((await historyOf(ci)).length).toBe(lengths[ci]);

    const backedOut = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [{ id: article.id, version: 2 }],
      reason: 'Payslips wrong',
    });
    expect(backedOut.status, JSON.stringify(backedOut.body)).toBe(200);
    expect(backedOut.body).toMatchObject({ stage: 'Backed Out', status: 'backed-out' });
    expect(backedOut.body.versions).toHaveLength(5);
    for (const ci of cis) {
      expect(await attributesOf(ci)).toEqual(before[ci]);
      const history = await historyOf(ci);
      expect(history.length).toBe((lengths[ci] as number) + 1);
      expect(history[0]).toMatchObject({ backoutOf: releaseId });
    }
    // Its execution too: Backed Out.
    await eventually(async () => expect((await t.execution(releaseId)).state).toBe('Backed Out'));
    const trail = (await call('GET', `/releases/${releaseId}/history?limit=100`)).body.items as {
      type: string;
    }[];
    expect(trail.filter((e) => e.type === 'Release Backed Out')).toHaveLength(1);
    // Once.
    const again = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [{ id: article.id, version: 2 }],
      reason: 'Twice',
    });
    expect(again.status).toBe(422);
  });

  it('reports a CI something else changed since as a 409 conflict, restores with force', async () => {
    const ci = await newCi('ledger', { version: '1.0' });
    const releaseId = await deployed([
      { title: 'Ledger', ciIds: [ci], ciUpdates: [{ ciId: ci, set: { version: '1.1' } }] },
    ]);
    await eventually(async () => expect(await attributesOf(ci)).toEqual({ version: '1.1' }));
    const current = await call('GET', `/cis/${ci}`);
    expect(
      (
        await call('PATCH', `/cis/${ci}`, {
          set: { version: '1.1.1' },
          expectedVersion: current.body.version,
          reason: 'Hotfix',
        })
      ).status,
    ).toBe(200);
    const conflict = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [],
      reason: 'Broken',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      type: 'urn:release-desk:problem:backout-conflicts',
      conflicts: [{ ciId: ci, attribute: 'version', releaseValue: '1.1', found: '1.1.1' }],
    });
    expect(await attributesOf(ci)).toEqual({ version: '1.1.1' });
    const forced = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [],
      reason: 'Broken',
      force: { reason: 'The hotfix goes with it' },
    });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
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
    const out = await call('POST', `/releases/${releaseId}/backout`, {
      acknowledgedArticles: [],
      reason: 'Fleet rollback',
    });
    expect(out.status, JSON.stringify(out.body).slice(0, 500)).toBe(200);
    expect(out.body.versions).toHaveLength(120);
    for (const ci of [cis[0], cis[30], cis[119]] as string[])
      expect(await attributesOf(ci)).toEqual({ version: '1' });
  }, 120_000);
});
