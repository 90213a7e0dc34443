/**
 * A release walked through every stage of the default workflow over HTTP on the local cloud, with
 * the typed client; after each step its recorded stage equals the execution's current state read
 * with @aws-sdk/client-sfn.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});

afterAll(async () => t?.stop());

const api = () => t.api();
const at = (id: string) => ({ params: { path: { id } } });
const move = (id: string, body: { to: string; expectedVersion: number; reason?: string }) =>
  api().POST('/releases/{id}/transitions', { ...at(id), body });

async function executionState(releaseId: string) {
  const { state } = await t.execution(releaseId);
  const arn = executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, releaseId);
  const described = await t.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  return { state, status: described.status };
}

describe('the default release workflow', () => {
  it('answers a create and a move once committed; the consumers start and move the execution just after', async () => {
    const { id } = await ok(api().POST('/releases', { body: releaseBody() }), 201);
    // Started by the Release Created consumer, not by the request.
    await eventually(async () => expect((await executionState(id)).state).toBe('Assessment'));
    const moved = await move(id, { to: 'Development', expectedVersion: 1 });
    expect(moved.response.status).toBe(200);
    expect(moved.data).toMatchObject({ stage: 'Development', execution: { inStep: false } });
    expect(moved.response.headers.get('preference-applied')).toBeNull();
    expect(moved.response.headers.get('etag')).toBe('"2"');
    // Signalled by the Release Stage Entered consumer.
    await eventually(async () => expect((await executionState(id)).state).toBe('Development'));
    // Asked to wait, the answer comes once the execution is there, and says it waited.
    const waited = await api().POST('/releases/{id}/transitions', {
      params: { path: { id }, header: { Prefer: 'wait=4' } },
      body: { to: 'Testing', expectedVersion: 2 },
    });
    expect(waited.data).toMatchObject({ stage: 'Testing', execution: { inStep: true } });
    expect(waited.response.headers.get('preference-applied')).toBe('wait=4');
    expect((await executionState(id)).state).toBe('Testing');
  });

  it('walks Assessment → … → Closure with the execution in step after every transition', async () => {
    const created = await ok(api().POST('/releases', { body: releaseBody() }), 201);
    const id = created.id;
    let version = created.version;

    const stages = ['Development', 'Testing', 'Deployment', 'Audit', 'CMDB Update', 'Closure'];
    for (const to of stages) {
      const moved = await ok(
        api().POST('/releases/{id}/transitions', {
          ...at(id),
          body: { to, expectedVersion: version },
          headers: WAIT,
        }),
        200,
      );
      expect(moved).toMatchObject({ stage: to, execution: { inStep: true } });
      version = moved.version;
      const recorded = await ok(api().GET('/releases/{id}', at(id)));
      const execution = await executionState(id);
      expect(execution.state).toBe(recorded.stage);
    }
    const final = await ok(api().GET('/releases/{id}', at(id)));
    expect(final).toMatchObject({ stage: 'Closure', status: 'closed' });
    expect((await executionState(id)).status).toBe('SUCCEEDED');

    const view = await ok(api().GET('/releases/{id}/execution', at(id)));
    expect(view).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closure' });

    const history = await ok(
      api().GET('/releases/{id}/history', { params: { path: { id }, query: { limit: 100 } } }),
    );
    const moves = history.items.filter((e) => e.type === 'Release Stage Entered');
    expect(moves.map((m) => `${m.from}→${m.to}`)).toEqual([
      'Assessment→Development',
      'Development→Testing',
      'Testing→Deployment',
      'Deployment→Audit',
      'Audit→CMDB Update',
      'CMDB Update→Closure',
    ]);
    expect(moves.every((m) => m.actor === 'rm')).toBe(true);
  });

  it('refuses illegal moves with 422 problem+json and changes nothing', async () => {
    const { id } = await ok(api().POST('/releases', { body: releaseBody() }), 201);
    const skip = await refused(move(id, { to: 'Closure', expectedVersion: 1 }), 422);
    expect(skip).toMatchObject({ status: 422, from: 'Assessment', to: 'Closure' });
    await refused(move(id, { to: 'Nowhere', expectedVersion: 1 }), 422);
    await refused(move(id, { to: 'Cancelled', expectedVersion: 1 }), 422);
    await refused(move(id, { to: 'Development', expectedVersion: 7 }), 409);
    const after = await ok(api().GET('/releases/{id}', at(id)));
    expect(after).toMatchObject({ stage: 'Assessment', version: 1 });
    const cancelled = await ok(
      move(id, { to: 'Cancelled', expectedVersion: 1, reason: 'Superseded by 4.3' }),
    );
    expect(cancelled).toMatchObject({ stage: 'Cancelled', status: 'cancelled' });
    await eventually(async () => expect((await executionState(id)).state).toBe('Cancelled'));
  });
});
