/**
 * Two release teams with different default workflows run releases side by side, each on its own
 * state machine, each guarded against the other team.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validRelease } from '../support/http-events.ts';
import { startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({}, {});
  for (const id of ['ana', 'ben']) {
    const user = await t.call('POST', '/users', { id, processes: ['release'] }, 'admin');
    expect(user.status, JSON.stringify(user.body)).toBe(201);
  }
  const teams = [
    { name: 'Payroll releases', members: ['ana'], defaultWorkflowId: 'release-default' },
    { name: 'Web fast track', members: ['ben'], defaultWorkflowId: 'release-fast-track' },
  ];
  for (const team of teams) {
    const res = await t.call(
      'POST',
      '/teams',
      { kind: 'release', workGroups: [{ name: `${team.name} ops` }], ...team },
      'admin',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});
afterAll(async () => t?.stop());

async function move(id: string, to: string, version: number, as: string) {
  return t.call('POST', `/releases/${id}/transitions`, { to, expectedVersion: version }, as, WAIT);
}

describe('two teams, two workflows', () => {
  it('run their releases on their own workflows at the same time', async () => {
    const [a, b] = await Promise.all([
      t.call('POST', '/releases', validRelease({ title: 'Payroll 5.0', tasks: [] }), 'ana'),
      t.call('POST', '/releases', validRelease({ title: 'Web 2.1', tasks: [] }), 'ben'),
    ]);
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(a.body).toMatchObject({ workflow: { id: 'release-default' }, stage: 'Assessment' });
    expect(b.body).toMatchObject({ workflow: { id: 'release-fast-track' }, stage: 'Assessment' });
    const idA = a.body.id as string;
    const idB = b.body.id as string;

    // Each team's workflow decides: the fast track may skip to Deployment, the default may not.
    expect((await move(idA, 'Deployment', 1, 'ana')).status).toBe(422);
    const [movedA, movedB] = await Promise.all([
      move(idA, 'Development', 1, 'ana'),
      move(idB, 'Deployment', 1, 'ben'),
    ]);
    expect(movedA.body).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    expect(movedB.body).toMatchObject({ stage: 'Deployment', execution: { inStep: true } });

    // A member of one team cannot move the other team's release.
    expect((await move(idB, 'Closure', 2, 'ana')).status).toBe(403);

    const closedB = await move(idB, 'Closure', 2, 'ben');
    expect(closedB.body).toMatchObject({ stage: 'Closure', status: 'closed' });

    const [execA, execB] = await Promise.all([
      t.call('GET', `/releases/${idA}/execution`, undefined, 'ana'),
      t.call('GET', `/releases/${idB}/execution`, undefined, 'ben'),
    ]);
    expect(execA.body).toMatchObject({ status: 'RUNNING', currentState: 'Development' });
    expect(execB.body).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closure' });
    // Different state machines: the execution ARNs name different machines.
    expect(String(execA.body.executionArn)).not.toBe(String(execB.body.executionArn).replace(idB, idA));
  });
});
