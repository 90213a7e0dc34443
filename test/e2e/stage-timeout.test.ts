/**
 * A stage with a timeout: when it runs out, the execution moves on by itself and the release
 * follows, with the move in its history as made by the system.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => t?.stop());

const definition = {
  name: 'Triage with a deadline',
  kind: 'release',
  initialStage: 'Triage',
  stages: [
    {
      name: 'Triage',
      timeoutSeconds: 1,
      onTimeout: 'Escalated',
      transitions: [{ to: 'Build' }, { to: 'Escalated' }],
    },
    { name: 'Escalated', transitions: [{ to: 'Build' }, { to: 'Dropped', requiresReason: true }] },
    { name: 'Build', transitions: [{ to: 'Done' }] },
    { name: 'Done', terminal: true },
    { name: 'Dropped', terminal: true },
  ],
};

describe('stage timeouts', () => {
  it('move the release with its execution', async () => {
    const published = await t.call('POST', '/workflows', { id: 'triage-deadline', definition }, 'admin');
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const created = await t.call(
      'POST',
      '/releases',
      validRelease({ tasks: [], workflowId: 'triage-deadline' }),
    );
    expect(created.body).toMatchObject({ stage: 'Triage', version: 1 });
    const id = created.body.id as string;
    const arn = published.body.stateMachineVersionArn as string;

    await eventually(async () => {
      const release = await t.call('GET', `/releases/${id}`);
      expect(release.body).toMatchObject({ stage: 'Escalated', version: 2, updatedBy: 'system:timeout' });
    }, 15_000);
    expect((await t.execution(id, arn)).state).toBe('Escalated');
    const history = await t.call('GET', `/releases/${id}/history`);
    expect(history.body.items).toContainEqual(
      expect.objectContaining({
        type: 'Release Stage Entered',
        from: 'Triage',
        to: 'Escalated',
        actor: 'system:timeout',
      }),
    );

    // A manual move from where the timeout left it goes on as usual.
    const moved = await t.moveWaiting(id, 'Build', 2);
    expect(moved.body).toMatchObject({ stage: 'Build', execution: { inStep: true } });
    expect((await t.execution(id, arn)).state).toBe('Build');
  }, 30_000);

  it('record a timeout into an exit, which ends the release with its execution', async () => {
    const published = await t.call(
      'POST',
      '/workflows',
      {
        id: 'approval-or-lapse',
        definition: {
          name: 'Approve within a second',
          kind: 'release',
          initialStage: 'Awaiting approval',
          stages: [
            {
              name: 'Awaiting approval',
              timeoutSeconds: 1,
              onTimeout: 'Cancelled',
              transitions: [{ to: 'Approved' }, { to: 'Cancelled' }],
            },
            { name: 'Approved', terminal: true },
            { name: 'Cancelled', terminal: true },
          ],
        },
      },
      'admin',
    );
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const created = await t.call(
      'POST',
      '/releases',
      validRelease({ tasks: [], workflowId: 'approval-or-lapse' }),
    );
    const id = created.body.id as string;
    await eventually(async () => {
      const release = await t.call('GET', `/releases/${id}`);
      expect(release.body).toMatchObject({ stage: 'Cancelled', status: 'cancelled', version: 2 });
    }, 15_000);
    const execution = await t.call('GET', `/releases/${id}/execution`);
    expect(execution.body).toMatchObject({ status: 'SUCCEEDED', currentState: 'Cancelled' });
    const refused = await t.call('POST', `/releases/${id}/transitions`, {
      to: 'Approved',
      expectedVersion: 2,
    });
    expect(refused.status).toBe(422);
  }, 30_000);
});
