/**
 * A release walked through every stage of the default workflow over HTTP on the local cloud; after
 * each step its recorded stage equals the execution's current state read with @aws-sdk/client-sfn.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});

afterAll(async () => t?.stop());

const call = (method: string, path: string, body?: unknown) => t.call(method, path, body);

async function executionState(releaseId: string) {
  const { state } = await t.execution(releaseId);
  const arn = executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, releaseId);
  const described = await t.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  return { state, status: described.status };
}

describe('the default release workflow', () => {
  it('answers a create and a move once committed; the consumers start and move the execution just after', async () => {
    const created = await call('POST', '/releases', validRelease({ tasks: [] }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Started by the Release Created consumer, not by the request.
    await eventually(async () => expect((await executionState(id)).state).toBe('Assessment'));
    const moved = await t.call('POST', `/releases/${id}/transitions`, {
      to: 'Development',
      expectedVersion: 1,
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ stage: 'Development', execution: { inStep: false } });
    expect(moved.headers['preference-applied']).toBeUndefined();
    expect(moved.headers.etag).toBe('"2"');
    // Signalled by the Release Stage Entered consumer.
    await eventually(async () => expect((await executionState(id)).state).toBe('Development'));
    // Asked to wait, the answer comes once the execution is there, and says it waited.
    const waited = await t.call(
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Testing', expectedVersion: 2 },
      'rm',
      { prefer: 'wait=4' },
    );
    expect(waited.body).toMatchObject({ stage: 'Testing', execution: { inStep: true } });
    expect(waited.headers['preference-applied']).toBe('wait=4');
    expect((await executionState(id)).state).toBe('Testing');
  });

  it('walks Assessment → … → Closure with the execution in step after every transition', async () => {
    const created = await call('POST', '/releases', validRelease({ tasks: [] }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    let version = created.body.version as number;

    const stages = ['Development', 'Testing', 'Deployment', 'Audit', 'CMDB Update', 'Closure'];
    for (const to of stages) {
      const moved = await t.call(
        'POST',
        `/releases/${id}/transitions`,
        { to, expectedVersion: version },
        'rm',
        WAIT,
      );
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(moved.body).toMatchObject({ stage: to, execution: { inStep: true } });
      version = moved.body.version as number;
      const recorded = await call('GET', `/releases/${id}`);
      const execution = await executionState(id);
      expect(execution.state).toBe(recorded.body.stage);
    }
    const final = await call('GET', `/releases/${id}`);
    expect(final.body).toMatchObject({ stage: 'Closure', status: 'closed' });
    expect((await executionState(id)).status).toBe('SUCCEEDED');

    const view = await call('GET', `/releases/${id}/execution`);
    expect(view.body).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closure' });

    const history = await call('GET', `/releases/${id}/history?limit=100`);
    const moves = (
      history.body.items as { type: string; from?: string; to?: string; actor: string }[]
    ).filter((e) => e.type === 'Release Stage Entered');
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
    const created = await call('POST', '/releases', validRelease({ tasks: [] }));
    const id = created.body.id as string;
    const skip = await call('POST', `/releases/${id}/transitions`, { to: 'Closure', expectedVersion: 1 });
    expect(skip.status).toBe(422);
    expect(skip.body).toMatchObject({ status: 422, from: 'Assessment', to: 'Closure' });
    const unknown = await call('POST', `/releases/${id}/transitions`, { to: 'Nowhere', expectedVersion: 1 });
    expect(unknown.status).toBe(422);
    const noReason = await call('POST', `/releases/${id}/transitions`, {
      to: 'Cancelled',
      expectedVersion: 1,
    });
    expect(noReason.status).toBe(422);
    const stale = await call('POST', `/releases/${id}/transitions`, {
      to: 'Development',
      expectedVersion: 7,
    });
    expect(stale.status).toBe(409);
    const after = await call('GET', `/releases/${id}`);
    expect(after.body).toMatchObject({ stage: 'Assessment', version: 1 });
    const cancelled = await call('POST', `/releases/${id}/transitions`, {
      to: 'Cancelled',
      expectedVersion: 1,
      reason: 'Superseded by 4.3',
    });
    expect(cancelled.body).toMatchObject({ stage: 'Cancelled', status: 'cancelled' });
    await eventually(async () => expect((await executionState(id)).state).toBe('Cancelled'));
  });
});
