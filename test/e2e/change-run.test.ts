/**
 * One workflow-run module for releases and RFCs (issue 9): a subject of kind `change` runs through
 * the default change workflow on the local cloud with nothing but the generic module — its store
 * (`ports.runs.change`), beginning its run, moving it, the record-stage task and the consumers (which
 * take `Change Recorded` and `Change State Changed` like the release's events), its execution view and
 * the reconciler. The RFC resource itself comes later; this is the machinery it will stand on.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../functions/domain/actor.ts';
import { ChangeRecorded } from '../../functions/domain/change/events.ts';
import { reconcileSubject } from '../../functions/domain/workflow-run/reconcile.ts';
import type { RunSubject } from '../../functions/domain/workflow-run/run.ts';
import { executionInput } from '../../functions/domain/workflow-run/run.ts';
import {
  beginRun,
  executionOf,
  moveSubject,
  transition,
} from '../../functions/domain/workflow-run/service.ts';
import { keys } from '../../functions/store/keys.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false });
});
afterAll(async () => t?.stop());

const changeManager: Actor = {
  id: 'cm',
  admin: false,
  processes: new Set(['change']),
  teamIds: ['team_cab'],
  workGroupIds: [],
};

/** A new RFC-shaped subject on the kind's default workflow, its run begun as the RFC resource will. */
async function recordChange(options: { startFromApi: boolean }): Promise<RunSubject> {
  const ports = t.cloud.ports;
  const workflow = await ports.workflows.workflowFor('change', undefined, undefined);
  const id = ports.ids.next('chg');
  const at = ports.clock.now().toISOString();
  // The RFC's own fields ride along (its store indexes them); the run uses only RunSubject's.
  const subject: RunSubject = {
    id,
    version: 1,
    teamId: 'team_cab',
    workflow,
    stage: workflow.initialStage,
    stageEntry: 0,
    status: 'active',
    updatedAt: at,
    updatedBy: changeManager.id,
    ...{
      title: 'A subject of kind change',
      type: 'normal',
      votingStates: ['Assessed'],
      approvals: [],
      cabTeamId: 'team_cab',
      createdAt: at,
      createdBy: changeManager.id,
    },
  };
  const created = ChangeRecorded.event(
    {
      changeId: id,
      title: 'A subject of kind change',
      type: 'normal',
      risk: 'low',
      priority: 3,
      state: workflow.initialStage,
      cabTeamId: 'team_cab',
      ciIds: [],
      workflow: { id: workflow.id, version: workflow.version },
      stateMachineArn: workflow.stateMachineArn,
      executionInput: executionInput('change', subject),
    },
    { id: ports.ids.next('evt'), at, actor: changeManager.id, subject: { kind: 'change', id } },
  );
  const { subject: stored, replayed } = await beginRun('change', subject, created, {
    runs: ports.runs.change,
  });
  expect(replayed).toBe(false);
  // The created event's consumer starts the execution; a caller may race it (the name is the id).
  if (options.startFromApi) await ports.executions.start('change', stored);
  return stored;
}

const stateOf = async (subject: RunSubject) =>
  (await t.execution(subject.id, subject.workflow.stateMachineArn)).state;

describe('a subject of kind change on the generic workflow run', () => {
  it('runs through the default change workflow: started from its Change Recorded, moved stage by stage to Closed', async () => {
    const ports = t.cloud.ports;
    let subject = await recordChange({ startFromApi: false });
    expect(subject.workflow).toMatchObject({ id: 'change-normal', initialStage: 'Recorded' });
    // The start-execution consumer started it from the relayed `Change Recorded`.
    await eventually(async () => expect(await stateOf(subject)).toBe('Recorded'));

    const definition = await ports.workflows.definition(subject.workflow);
    const runPorts = {
      runs: ports.runs.change,
      stageSignals: ports.stageSignals,
      clock: ports.clock,
      ids: ports.ids,
    };
    for (const to of ['Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed']) {
      const moved = await moveSubject(
        'change',
        subject,
        definition,
        { to, expectedVersion: subject.version, waitMs: 5_000 },
        { cabApproval: true },
        changeManager,
        runPorts,
      );
      expect(moved.executionInStep).toBe(true);
      subject = moved.subject;
      expect(await stateOf(subject)).toBe(to);
    }
    expect(subject).toMatchObject({ stage: 'Closed', stageEntry: 6, status: 'closed', version: 7 });

    const view = await executionOf('change', subject, ports.executionViewer);
    expect(view).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closed' });
    const history = await ports.runs.change.history(subject.id, { limit: 50 });
    expect(history.items.map((e) => e.type)).toEqual([
      'Change Recorded',
      ...Array(6).fill('Change State Changed'),
    ]);
    expect(history.items.every((e) => e.subject.kind === 'change' && e.subject.id === subject.id)).toBe(true);
    expect(history.items.at(-1)?.data).toMatchObject({
      changeId: subject.id,
      from: 'Reviewed',
      to: 'Closed',
      status: 'closed',
      signal: { to: 'Closed', entry: 6, actor: 'cm' },
    });

    // Every event reached its consumers and none failed; the run is over, so nothing to reconcile.
    await t.cloud.settle();
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
    expect(t.cloud.bus.deadLetters()).toEqual([]);
    const reconciled = await reconcileSubject('change', subject.id, { ...ports, runs: ports.runs.change });
    expect(reconciled).toMatchObject({ kind: 'change', id: subject.id, outcome: 'in-step' });
  });

  it('is kept with its execution by the reconciler: a move committed without its signal is resent', async () => {
    const ports = t.cloud.ports;
    const subject = await recordChange({ startFromApi: true });
    await eventually(async () => expect(await stateOf(subject)).toBe('Recorded'));
    // The process dies between committing the move and signalling the execution (and the
    // consumer's retry has not run yet): the stored RFC is one stage ahead of its execution.
    const definition = await ports.workflows.definition(subject.workflow);
    const { subject: ahead, events } = transition(
      'change',
      subject,
      definition,
      { to: 'Assessed', expectedVersion: 1 },
      {},
      changeManager,
      ports,
    );
    await ports.runs.change.save(ahead, 1, events);
    expect(
      (
        await ports.clients.db.send(
          new GetCommand({ TableName: ports.config.tableName, Key: keys.wait('change', subject.id) }),
        )
      ).Item,
    ).toMatchObject({ stage: 'Recorded', entry: 0 });

    const outcome = await reconcileSubject('change', subject.id, { ...ports, runs: ports.runs.change });
    expect(outcome).toMatchObject({ kind: 'change', id: subject.id, outcome: 'resend' });
    await eventually(async () => expect(await stateOf(subject)).toBe('Assessed'));
    expect(await reconcileSubject('change', subject.id, { ...ports, runs: ports.runs.change })).toMatchObject(
      {
        outcome: 'in-step',
      },
    );
  });
});
