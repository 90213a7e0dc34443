/**
 * The workflow-run use cases every kind of subject shares: beginning its run (the subject stored,
 * its execution started), moving it (the move committed with its events, then its waiting
 * execution signalled), following a move its execution made by itself, and reading its execution.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { findStage, type TransitionFacts } from '#workflows/transitions';
import type { Actor } from '../actor.ts';
import { NotFoundError, VersionConflictError } from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { IdempotencyRequest } from '../ports.ts';
import type { ExecutionView, ExecutionViewer, RunPorts } from './ports.ts';
import { type RunKind, type RunSubject, SUBJECT_KINDS } from './run.ts';
import { type MoveRequest, recordExecutionMove, transition } from './transition.ts';

/**
 * Begins a subject's run: the new subject is committed with its created event, then its
 * execution started (best effort: the created event's consumer starts it too). An idempotent
 * replay returns the first subject and starts nothing.
 */
export async function beginRun<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  created: DomainEvent,
  ports: Pick<RunPorts<S>, 'runs' | 'executions'>,
  idempotency?: IdempotencyRequest,
): Promise<{ subject: S; replayed: boolean }> {
  const { replayed } = await ports.runs.create(subject, created, idempotency);
  if (replayed === undefined) {
    await ports.executions.start(kind, subject);
    return { subject, replayed: false };
  }
  const first = await ports.runs.get(replayed);
  if (!first) throw new NotFoundError(SUBJECT_KINDS[kind].noun, replayed);
  return { subject: first, replayed: true };
}

/**
 * Moves a subject to another stage of its workflow: rules checked, the move committed with its
 * events, then the waiting execution signalled. `executionInStep` says whether the execution was
 * seen waiting in the new stage before answering.
 */
export async function moveSubject<S extends RunSubject>(
  kind: RunKind,
  current: S,
  workflow: WorkflowDefinition,
  request: MoveRequest,
  facts: TransitionFacts,
  actor: Actor,
  ports: Pick<RunPorts<S>, 'runs' | 'stageSignals' | 'clock' | 'ids'>,
): Promise<{ subject: S; executionInStep: boolean }> {
  const { subject, events, signal } = transition(kind, current, workflow, request, facts, actor, ports);
  await ports.runs.save(subject, request.expectedVersion, events);
  const executionInStep = await ports.stageSignals.signal(kind, subject.id, signal, {
    terminal: subject.status !== 'active',
  });
  return { subject, executionInStep };
}

/** A stage an execution entered, as its record-stage task reports it. */
export interface EnteredStage {
  readonly stage: string;
  readonly entry: number;
  readonly terminal: boolean;
}

/**
 * The subject follows a move its execution made on its own — a stage timeout, which the API did
 * not make, so the subject does not know it yet. Only that: the move must be the next entry and
 * the stage left must time out into the stage entered. Anything else (an execution moved by a
 * forged signal, say) is a divergence for the reconciler to report, never recorded as if it were
 * the workflow's own choice. Returns what it did.
 */
export async function followExecution<S extends RunSubject>(
  kind: RunKind,
  id: string,
  entered: EnteredStage,
  ports: Pick<RunPorts<S>, 'runs' | 'workflows' | 'clock' | 'ids'>,
): Promise<'recorded' | 'known' | 'diverged' | 'missing'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const subject = await ports.runs.get(id);
    if (!subject) return 'missing';
    if (entered.entry <= subject.stageEntry) {
      // Recorded already — unless a manual move and a timeout raced for the same entry.
      return entered.entry === subject.stageEntry && subject.stage !== entered.stage ? 'diverged' : 'known';
    }
    const left = findStage(await ports.workflows.definition(subject.workflow), subject.stage);
    if (entered.entry !== subject.stageEntry + 1 || left?.onTimeout !== entered.stage) return 'diverged';
    const move = recordExecutionMove(
      kind,
      subject,
      { to: entered.stage, entry: entered.entry, terminal: entered.terminal },
      ports,
    );
    if (!move) return 'known';
    try {
      await ports.runs.save(move.subject, subject.version, move.events);
      return 'recorded';
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return 'diverged';
}

/** The subject's execution as operators see it. */
export async function executionOf(
  kind: RunKind,
  subject: Pick<RunSubject, 'id' | 'workflow'>,
  viewer: ExecutionViewer,
): Promise<ExecutionView> {
  const view = await viewer.describe(subject.workflow.stateMachineArn, subject.id);
  if (!view) throw new NotFoundError(`Execution of ${SUBJECT_KINDS[kind].noun.toLowerCase()}`, subject.id);
  return view;
}
