/**
 * Path (b) end to end over HTTP on the local cloud: a release whose deployment is managed by an
 * RFC with trigger state `Approved`. Its tasks are not ready before the RFC is approved, become
 * ready when it is (the `Change State Changed` rule, the RFC's links, the release deciding on what
 * the table says), and are not readied again when the release enters its deploy stage; the
 * trigger delivered again readies nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_NAME } from '../../infra/rules.ts';
import { seedCi } from '../support/cis.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
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
  const board = await t.call('GET', '/teams/team_cab', undefined, 'admin');
  const joined = await t.call(
    'PATCH',
    '/teams/team_cab',
    { members: ['admin', 'carol', 'dave'], expectedVersion: board.body.version },
    'admin',
  );
  expect(joined.status).toBe(200);
});

afterAll(async () => t?.stop());

const task = (title: string) => ({
  title,
  workGroupId: 'wg_deployment',
  ciIds: ['ci_payroll'],
  ciUpdates: [{ ciId: 'ci_payroll', set: { version: '4.2.0' } }],
});

async function move(path: string, to: string, as: string) {
  const current = await t.call('GET', path, undefined, as);
  return t.call('POST', `${path}/transitions`, { to, expectedVersion: current.body.version }, as);
}

const statuses = async (releaseId: string) =>
  ((await t.call('GET', `/releases/${releaseId}/tasks`)).body.items as { status: string }[]).map(
    (x) => x.status,
  );

async function readyEvents(releaseId: string) {
  const history = await t.call('GET', `/releases/${releaseId}/history?limit=100`);
  return (history.body.items as { type: string }[]).filter((e) => e.type === 'Deployment Tasks Ready');
}

describe('path (b): deployment managed by change, trigger Approved', () => {
  it('readies the tasks when the RFC is approved, not before, and not again in the deploy stage', async () => {
    const rfc = await t.call(
      'POST',
      '/changes',
      { title: 'Payroll 4.2 rollout', type: 'normal', risk: 'low', impact: 'medium', urgency: 'medium' },
      'cm',
    );
    expect(rfc.status).toBe(201);
    const changeId = rfc.body.id as string;
    const created = await t.call(
      'POST',
      '/releases',
      validRelease({
        changeIds: [changeId],
        deployment: { managedByChange: true, changeTriggerState: 'Approved' },
        tasks: [task('Upgrade app nodes'), task('Smoke test')],
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const releaseId = created.body.id as string;
    expect(created.body.deployment).toMatchObject({
      managedByChange: true,
      changeId,
      changeTriggerState: 'Approved',
      waitingFor: { changeId, state: 'Approved' },
    });

    // The RFC is assessed: its move reaches the consumer, which readies nothing.
    expect((await move(`/changes/${changeId}`, 'Assessed', 'cm')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statuses(releaseId)).toEqual(['planned', 'planned']);
    expect(await readyEvents(releaseId)).toEqual([]);

    // Approved by the board (low risk: one approval): the tasks become ready.
    expect(
      (
        await t.call(
          'POST',
          `/changes/${changeId}/approvals`,
          { decision: 'approve', comment: 'ok' },
          'carol',
        )
      ).status,
    ).toBe(201);
    const approved = await move(`/changes/${changeId}`, 'Approved', 'cm');
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await eventually(async () => expect(await statuses(releaseId)).toEqual(['ready', 'ready']));
    expect(await readyEvents(releaseId)).toHaveLength(1);
    const queue = await t.call('GET', '/tasks?group=wg_deployment', undefined, 'tech');
    expect(
      (queue.body.items as { releaseId: string }[]).filter((x) => x.releaseId === releaseId),
    ).toHaveLength(2);
    expect((await t.call('GET', `/releases/${releaseId}`)).body.deployment).not.toHaveProperty('waitingFor');

    // The RFC's move delivered again, twice at once: nothing is readied twice.
    const history = (await t.call('GET', `/changes/${changeId}/history?limit=100`, undefined, 'cm')).body
      .items as {
      id: string;
      type: string;
      occurredAt: string;
      actor: string;
      data: Record<string, unknown>;
    }[];
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
      expect((await move(`/releases/${releaseId}`, to, 'rm')).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await readyEvents(releaseId)).toHaveLength(1);
    expect(await statuses(releaseId)).toEqual(['ready', 'ready']);
    // Still waiting for the technicians: the gate lists both tasks.
    const gate = await move(`/releases/${releaseId}`, 'Audit', 'rm');
    expect(gate.status).toBe(409);
    expect(gate.body).toMatchObject({ gates: ['allDeploymentTasksDone'] });
  });

  it('leaves the tasks of a release managed by another RFC, or waiting for another state, alone', async () => {
    const record = async () =>
      (
        await t.call(
          'POST',
          '/changes',
          { title: 'RFC', type: 'standard', risk: 'low', impact: 'low', urgency: 'low' },
          'cm',
        )
      ).body.id as string;
    const [first, second] = [await record(), await record()];
    const release = await t.call(
      'POST',
      '/releases',
      validRelease({
        changeIds: [first, second],
        deployment: { managedByChange: true, changeId: second, changeTriggerState: 'Implementing' },
        tasks: [task('Only once')],
      }),
    );
    expect(release.status, JSON.stringify(release.body)).toBe(201);
    const releaseId = release.body.id as string;
    // The first RFC (linked, not managing) reaches Implementing; the second only Approved.
    for (const to of ['Approved', 'Implementing'])
      expect((await move(`/changes/${first}`, to, 'cm')).status).toBe(200);
    expect((await move(`/changes/${second}`, 'Approved', 'cm')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statuses(releaseId)).toEqual(['planned']);
    // The managing RFC reaches the trigger state.
    expect((await move(`/changes/${second}`, 'Implementing', 'cm')).status).toBe(200);
    await eventually(async () => expect(await statuses(releaseId)).toEqual(['ready']));
  });
});
