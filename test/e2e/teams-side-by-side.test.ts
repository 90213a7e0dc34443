/**
 * Two release teams with different default workflows run releases side by side, each on its own
 * state machine, each guarded against the other team.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import { ok, refused, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({}, {});
  for (const id of ['ana', 'ben']) {
    await ok(t.api('admin').POST('/users', { body: { id, processes: ['release'] } }), 201);
  }
  const teams = [
    { name: 'Payroll releases', members: ['ana'], defaultWorkflowId: 'release-default' },
    { name: 'Web fast track', members: ['ben'], defaultWorkflowId: 'release-fast-track' },
  ];
  for (const team of teams) {
    await ok(
      t.api('admin').POST('/teams', {
        body: { kind: 'release', workGroups: [{ name: `${team.name} ops` }], ...team },
      }),
      201,
    );
  }
});
afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });

function move(id: string, to: string, version: number, as: string) {
  return t.api(as).POST('/releases/{id}/transitions', {
    ...at(id),
    body: { to, expectedVersion: version },
    headers: WAIT,
  });
}

describe('two teams, two workflows', () => {
  it('run their releases on their own workflows at the same time', async () => {
    const [a, b] = await Promise.all([
      ok(t.api('ana').POST('/releases', { body: releaseBody({ title: 'Payroll 5.0', tasks: [] }) }), 201),
      ok(t.api('ben').POST('/releases', { body: releaseBody({ title: 'Web 2.1', tasks: [] }) }), 201),
    ]);
    expect(a).toMatchObject({ workflow: { id: 'release-default' }, stage: 'Assessment' });
    expect(b).toMatchObject({ workflow: { id: 'release-fast-track' }, stage: 'Assessment' });
    const idA = a.id;
    const idB = b.id;

    // Each team's workflow decides: the fast track may skip to Deployment, the default may not.
    await refused(move(idA, 'Deployment', 1, 'ana'), 422);
    const [movedA, movedB] = await Promise.all([
      move(idA, 'Development', 1, 'ana'),
      move(idB, 'Deployment', 1, 'ben'),
    ]);
    expect(movedA.data).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    expect(movedB.data).toMatchObject({ stage: 'Deployment', execution: { inStep: true } });

    // A member of one team cannot move the other team's release.
    await refused(move(idB, 'Closure', 2, 'ana'), 403);

    const closedB = await ok(move(idB, 'Closure', 2, 'ben'));
    expect(closedB).toMatchObject({ stage: 'Closure', status: 'closed' });

    const [execA, execB] = await Promise.all([
      ok(t.api('ana').GET('/releases/{id}/execution', at(idA))),
      ok(t.api('ben').GET('/releases/{id}/execution', at(idB))),
    ]);
    expect(execA).toMatchObject({ status: 'RUNNING', currentState: 'Development' });
    expect(execB).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closure' });
    // Different state machines: the execution ARNs name different machines.
    expect(String(execA.executionArn)).not.toBe(String(execB.executionArn).replace(idB, idA));
  });
});
