/**
 * A stage with a timeout: when it runs out, the execution moves on by itself and the release
 * follows, with the move in its history as made by the system.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });
const publish = (body: components['schemas']['PublishWorkflow']) =>
  ok(t.api('admin').POST('/workflows', { body }), 201);
const createOn = (workflowId: string) =>
  ok(t.api().POST('/releases', { body: releaseBody({ tasks: [], workflowId }) }), 201);

const definition: components['schemas']['WorkflowDefinition'] = {
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
    const published = await publish({ id: 'triage-deadline', definition });
    const created = await createOn('triage-deadline');
    expect(created).toMatchObject({ stage: 'Triage', version: 1 });
    const id = created.id;
    const arn = published.stateMachineVersionArn as string;

    await eventually(async () => {
      const release = await ok(t.api().GET('/releases/{id}', at(id)));
      expect(release).toMatchObject({ stage: 'Escalated', version: 2, updatedBy: 'system:timeout' });
    }, 15_000);
    expect((await t.execution(id, arn)).state).toBe('Escalated');
    const history = await ok(t.api().GET('/releases/{id}/history', at(id)));
    expect(history.items).toContainEqual(
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
    await publish({
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
    });
    const { id } = await createOn('approval-or-lapse');
    await eventually(async () => {
      const release = await ok(t.api().GET('/releases/{id}', at(id)));
      expect(release).toMatchObject({ stage: 'Cancelled', status: 'cancelled', version: 2 });
    }, 15_000);
    const execution = await ok(t.api().GET('/releases/{id}/execution', at(id)));
    expect(execution).toMatchObject({ status: 'SUCCEEDED', currentState: 'Cancelled' });
    await refused(
      t.api().POST('/releases/{id}/transitions', { ...at(id), body: { to: 'Approved', expectedVersion: 2 } }),
      422,
    );
  }, 30_000);
});
