/**
 * The reconciler's decisions, case by case (pure), and its use case on in-memory fakes.
 */
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import type { ExecutionInspector } from '../../../functions/domain/workflow-run/ports.ts';
import {
  type ObservedExecution,
  reconcile,
  reconcileSubject,
} from '../../../functions/domain/workflow-run/reconcile.ts';
import type { StageSignal } from '../../../functions/domain/workflow-run/run.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { fixedClock, sequentialIds } from '../../support/fakes.ts';

const releaseWorkflow = defaultWorkflows['release-default'];
const timeouts = parseWorkflowDefinition({
  name: 'Timeouts',
  kind: 'release',
  initialStage: 'Review',
  stages: [
    {
      name: 'Review',
      timeoutSeconds: 60,
      onTimeout: 'Escalated',
      transitions: [{ to: 'Escalated' }, { to: 'Done' }],
    },
    {
      name: 'Escalated',
      timeoutSeconds: 60,
      onTimeout: 'Done',
      transitions: [{ to: 'Done' }, { to: 'Dropped' }],
    },
    { name: 'Dropped', terminal: true },
    { name: 'Done', terminal: true },
  ],
});

const at = (stage: string, stageEntry: number, status: Release['status'] = 'active') => ({
  stage,
  stageEntry,
  status,
});
const waiting = (stage: string, entry: number): ObservedExecution => ({
  status: 'RUNNING',
  currentState: stage,
  waiting: { stage, entry, taskToken: `tok-${entry}` },
});

describe('reconcile: what to do about a release and its execution', () => {
  it.each([
    ['in step', at('Development', 1), waiting('Development', 1), { kind: 'in-step' }],
    ['no execution for an active release: start it', at('Assessment', 0), undefined, { kind: 'start' }],
    [
      'a lost signal: the execution waits on an older entry',
      at('Testing', 2),
      waiting('Development', 1),
      { kind: 'resend', entry: 2, taskToken: 'tok-1' },
    ],
    [
      'two lost signals: the oldest is sent first',
      at('Testing', 2),
      waiting('Assessment', 0),
      { kind: 'resend', entry: 1, taskToken: 'tok-0' },
    ],
    [
      'running between two stages: look again later',
      at('Development', 1),
      { status: 'RUNNING', currentState: 'Route from Assessment' } satisfies ObservedExecution,
      { kind: 'settling' },
    ],
    [
      'stopped by an operator while active: record it',
      at('Testing', 2),
      {
        status: 'ABORTED',
        currentState: 'Testing',
        stopDate: '2026-11-26T10:00:00.000Z',
      } satisfies ObservedExecution,
      { kind: 'ended', end: { status: 'ABORTED', at: '2026-11-26T10:00:00.000Z' } },
    ],
    [
      'failed with an error: record it with the error',
      at('Testing', 2),
      {
        status: 'FAILED',
        currentState: 'Workflow Failed',
        error: 'States.TaskFailed',
        cause: 'boom',
      } satisfies ObservedExecution,
      { kind: 'ended', end: { status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' } },
    ],
    [
      'the release is over and so is the execution',
      at('Closure', 7, 'closed'),
      { status: 'SUCCEEDED', currentState: 'Closure' } satisfies ObservedExecution,
      { kind: 'in-step' },
    ],
    [
      'the release closed but its execution still waits for the last signal',
      at('Closure', 7, 'closed'),
      waiting('CMDB Update', 6),
      { kind: 'resend', entry: 7, taskToken: 'tok-6' },
    ],
    [
      'same entry, other stage: a divergence to report',
      at('Development', 1),
      waiting('Cancelled', 1),
      { kind: 'diverged' },
    ],
    [
      'ahead without a timeout leading there (a forged signal): report, do not follow',
      at('Development', 1),
      waiting('Testing', 2),
      { kind: 'diverged' },
    ],
    [
      'a release over with no execution at all: report',
      at('Closure', 7, 'closed'),
      undefined,
      { kind: 'diverged' },
    ],
  ] as const)('%s', (_name, release, execution, expected) => {
    expect(reconcile(release, releaseWorkflow, execution)).toMatchObject(expected);
  });

  it('follows a stage timeout the release missed, and only the next entry', () => {
    expect(reconcile(at('Review', 0), timeouts, waiting('Escalated', 1))).toEqual({
      kind: 'follow',
      to: 'Escalated',
      entry: 1,
      terminal: false,
    });
    expect(reconcile(at('Review', 0), timeouts, waiting('Escalated', 2)).kind).toBe('diverged');
  });

  it('follows an execution that timed out into an exit the release did not record', () => {
    expect(reconcile(at('Escalated', 1), timeouts, { status: 'SUCCEEDED', currentState: 'Done' })).toEqual({
      kind: 'follow',
      to: 'Done',
      entry: 2,
      terminal: true,
    });
  });

  it('reports, never follows, an execution that ended in an exit no timeout leads to (a forged signal)', () => {
    expect(
      reconcile(at('Escalated', 1), timeouts, { status: 'SUCCEEDED', currentState: 'Dropped' }).kind,
    ).toBe('diverged');
    expect(reconcile(at('Review', 0), timeouts, { status: 'SUCCEEDED', currentState: 'Done' }).kind).toBe(
      'diverged',
    );
    expect(
      reconcile(at('Assessment', 0), releaseWorkflow, { status: 'SUCCEEDED', currentState: 'Cancelled' })
        .kind,
    ).toBe('diverged');
  });
});

describe('reconcileSubject on fakes (a release)', () => {
  const base: Release = {
    id: 'rel_1',
    version: 3,
    title: 't',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'low',
    businessPriority: 3,
    teamId: 'team_release',
    workflow: { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' },
    stage: 'Testing',
    stageEntry: 2,
    status: 'active',
    plannedStart: '2026-12-01T20:00:00.000Z',
    plannedEnd: '2026-12-01T23:00:00.000Z',
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [],
    createdAt: 't',
    createdBy: 'rm',
    updatedAt: 't',
    updatedBy: 'rm',
  };
  const stageEntered = (entry: number, to: string): DomainEvent => ({
    id: `evt_${entry}`,
    type: 'Release Stage Entered',
    occurredAt: 't',
    actor: 'rm',
    subject: { kind: 'release', id: 'rel_1' },
    data: { entry, to, signal: { to, entry, actor: 'rm' } },
  });

  function fakes(execution: ObservedExecution | undefined) {
    let stored: Release = base;
    const saved: { release: Release; events: DomainEvent[] }[] = [];
    const answered: { token: string; signal: StageSignal }[] = [];
    const started: string[] = [];
    const history = [stageEntered(1, 'Development'), stageEntered(2, 'Testing')];
    const inspector: ExecutionInspector = {
      inspect: async () => execution,
      answer: async (token, signal) => {
        answered.push({ token, signal });
        return 'sent';
      },
    };
    const ports = {
      runs: {
        get: async () => stored,
        save: async (release: Release, _v: number, events: readonly DomainEvent[]) => {
          stored = release;
          saved.push({ release, events: [...events] });
        },
        history: async () => ({ items: history }),
      },
      workflows: { definition: async () => releaseWorkflow },
      executions: { start: async (_kind: string, r: { id: string }) => void started.push(r.id) },
      inspector,
      clock: fixedClock(),
      ids: sequentialIds(),
    };
    return { ports, saved, answered, started };
  }

  it('re-sends exactly the signal the committed transition recorded', async () => {
    const f = fakes(waiting('Development', 1));
    expect(await reconcileSubject('release', 'rel_1', f.ports)).toEqual({
      kind: 'release',
      id: 'rel_1',
      outcome: 'resend',
    });
    expect(f.answered).toEqual([{ token: 'tok-1', signal: { to: 'Testing', entry: 2, actor: 'rm' } }]);
    expect(f.saved).toEqual([]);
  });

  it('records an execution that ended outside the API: status failed, one event, history grows', async () => {
    const f = fakes({ status: 'ABORTED', currentState: 'Testing', stopDate: '2026-11-26T09:00:00.000Z' });
    expect((await reconcileSubject('release', 'rel_1', f.ports)).outcome).toBe('ended');
    expect(f.saved).toHaveLength(1);
    expect(f.saved[0]?.release).toMatchObject({
      status: 'failed',
      version: 4,
      stage: 'Testing',
      executionEnd: { status: 'ABORTED', at: '2026-11-26T09:00:00.000Z' },
      updatedBy: 'system:reconciler',
    });
    expect(f.saved[0]?.events.map((e) => [e.type, e.data])).toEqual([
      [
        'Release Execution Ended',
        {
          releaseId: 'rel_1',
          version: 4,
          stage: 'Testing',
          status: 'failed',
          execution: { status: 'ABORTED', error: null, cause: null },
        },
      ],
    ]);
  });

  it('starts a missing execution, and changes nothing for a release in step', async () => {
    const missing = fakes(undefined);
    expect((await reconcileSubject('release', 'rel_1', missing.ports)).outcome).toBe('start');
    expect(missing.started).toEqual(['rel_1']);
    const fine = fakes(waiting('Testing', 2));
    expect((await reconcileSubject('release', 'rel_1', fine.ports)).outcome).toBe('in-step');
    expect([fine.saved, fine.answered, fine.started]).toEqual([[], [], []]);
  });

  it('reports a divergence with its detail and repairs nothing', async () => {
    const f = fakes(waiting('Cancelled', 2));
    const outcome = await reconcileSubject('release', 'rel_1', f.ports);
    expect(outcome).toMatchObject({ outcome: 'diverged', detail: expect.stringContaining('Cancelled') });
    expect([f.saved, f.answered]).toEqual([[], []]);
  });
});
