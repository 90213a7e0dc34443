/**
 * The default workflows follow the deployment: a deployed change of a default machine reaches new
 * releases (as the next version), while publishing a default workflow through the API never
 * touches the machine the stack owns.
 */
import { DescribeStateMachineCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SfnWorkflowPublisher } from '../../functions/adapters/sfn/workflow-publisher.ts';
import { StoredWorkflowCatalog } from '../../functions/adapters/workflow-catalog.ts';
import { createPorts } from '../../functions/app/ports.ts';
import { DynamoWorkflowStore } from '../../functions/store/workflow-repository.ts';
import { compileWorkflow } from '../../workflows/compile.ts';
import { defaultWorkflows } from '../../workflows/defaults/index.ts';
import type { WorkflowDefinition } from '../../workflows/definition.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { ok, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

/** The ports of a process whose code holds `definition` as the fast track (a new deployment's). */
function catalogOfNewCode(definition: WorkflowDefinition) {
  const ports = createPorts(t.cloud.ports.config);
  const workflows = new StoredWorkflowCatalog({
    store: new DynamoWorkflowStore(ports.clients.db, t.cloud.tableName),
    adopter: ports.workflowPublisher as SfnWorkflowPublisher,
    clock: ports.clock,
    ids: ports.ids,
    teamDefaultWorkflow: async () => undefined,
    defaultStateMachines: t.cloud.ports.config.defaultWorkflowStateMachines,
    defaultDefinitions: { 'release-fast-track': definition },
  });
  return { ...ports, workflows, workflowStore: workflows.store };
}
beforeAll(async () => {
  t = await startTestCloud({ schedules: false });
});
afterAll(async () => t?.stop());

describe('default workflows', () => {
  it('adopt a newly deployed revision of their machine as the next version, once per process', async () => {
    const fastTrack = () =>
      ok(t.api().GET('/workflows/{id}', { params: { path: { id: 'release-fast-track' } } }));
    expect(await fastTrack()).toMatchObject({ latestVersion: 1 });
    const arn = t.cloud.ports.config.defaultWorkflowStateMachines['release-fast-track'] as string;
    // A deploy that changed the fast track: the stack updates its machine.
    const changed = { ...defaultWorkflows['release-fast-track'], description: 'Deployed again, changed.' };
    const definition = JSON.stringify(
      compileWorkflow(changed, {
        recordStageFunctionArn: t.cloud.ports.config.recordStageFunctionArn as string,
      }),
    );
    await t.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition }));
    // The running process keeps what it checked.
    expect(await fastTrack()).toMatchObject({ latestVersion: 1 });
    // A new process of the OLD code (mid-deployment) does not pair its definition with the new ASL…
    const old = createPorts(t.cloud.ports.config);
    expect((await old.workflows.workflowFor('release', 'release-fast-track', undefined)).version).toBe(1);
    // …one of the new code (the deployment's) adopts it as the next version, once.
    const fresh = catalogOfNewCode(changed);
    const ref = await fresh.workflows.workflowFor('release', 'release-fast-track', undefined);
    expect(ref.version).toBe(2);
    expect(ref.stateMachineArn).toMatch(new RegExp(`^${arn}:\\d+$`));
    expect((await fresh.workflowStore.get('release-fast-track'))?.description).toBe(
      'Deployed again, changed.',
    );
    const again = catalogOfNewCode(changed);
    expect((await again.workflows.workflowFor('release', 'release-fast-track', undefined)).version).toBe(2);
    for (const p of [old, fresh, again]) p.clients.sfn.destroy();
  });

  it('published through the API get a machine of the API’s own; the stack’s machine stays as deployed', async () => {
    const arn = t.cloud.ports.config.defaultWorkflowStateMachines['release-default'] as string;
    const deployed = await t.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const create = () => ok(t.api().POST('/releases', { body: releaseBody() }), 201);
    const release = await create();
    expect(release.workflow).toEqual({ id: 'release-default', version: 1 });
    const definition = { ...defaultWorkflows['release-default'], description: 'Our own take' };
    const published = await ok(
      t.api('admin').POST('/workflows', { body: { id: 'release-default', definition } }),
      200,
    );
    expect(published).toMatchObject({
      latestVersion: 2,
      stateMachineArn: expect.stringMatching(/:stateMachine:release-desk-release-default$/),
    });
    const after = await t.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(after.revisionId).toBe(deployed.revisionId);
    expect(after.definition).toBe(deployed.definition);
    // New releases run on version 2; the earlier one keeps version 1 and still moves.
    expect((await create()).workflow).toEqual({ id: 'release-default', version: 2 });
    const moved = await ok(
      t.api().POST('/releases/{id}/transitions', {
        params: { path: { id: release.id } },
        body: { to: 'Development', expectedVersion: 1 },
        headers: WAIT,
      }),
    );
    expect(moved).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    // And a new process does not take the stack's machine back over the administrator's version.
    const fresh = createPorts(t.cloud.ports.config);
    expect((await fresh.workflows.workflowFor('release', 'release-default', undefined)).version).toBe(2);
    fresh.clients.sfn.destroy();
  });
});
