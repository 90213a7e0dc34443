/**
 * Keeping a subject (a release, an RFC) and its execution together (DESIGN §6, invariant 10). The
 * reconciler compares what the table records (stage, entry, status) with what the execution is really doing, and
 * repairs what it safely can: a missing execution is started, a signal that never landed is sent
 * again (the very signal the committed transition recorded), a stage timeout the subject missed
 * is recorded, an execution that ended outside the API is recorded on the subject. Anything else
 * is reported as a divergence for an operator, never guessed at.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { findStage } from '#workflows/transitions';
import { VersionConflictError } from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import { COMMITTED_MOVE } from './events.ts';
import type { ExecutionInspector, ExecutionStarter, RunStore, WorkflowDefinitions } from './ports.ts';
import {
  type ExecutionEnd,
  RECONCILER_ACTOR,
  type RunKind,
  type RunSubject,
  runEvent,
  type StageSignal,
  SUBJECT_KINDS,
} from './run.ts';
import { recordExecutionMove } from './service.ts';

/** What an execution is doing, as Step Functions reports it. */
export interface ObservedExecution {
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  /** The state it is in (running) or ended in. */
  readonly currentState?: string | undefined;
  /** The stage task it waits on now, with its token (running and waiting only). */
  readonly waiting?:
    | { readonly stage: string; readonly entry: number; readonly taskToken: string }
    | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
  readonly stopDate?: string | undefined;
}

/** What the reconciler does about one subject. */
export type Reconciliation =
  | { readonly kind: 'in-step' }
  /** Running but between two stages (or the subject is over and the execution too): look again later. */
  | { readonly kind: 'settling' }
  | { readonly kind: 'start' }
  /** The execution waits on an older entry: answer it with the transition recorded for `entry`. */
  | { readonly kind: 'resend'; readonly entry: number; readonly taskToken: string }
  /** The execution moved on by a stage timeout the subject has not recorded. */
  | { readonly kind: 'follow'; readonly to: string; readonly entry: number; readonly terminal: boolean }
  /** The execution ended without the API moving the subject there. */
  | { readonly kind: 'ended'; readonly end: ExecutionEnd }
  | { readonly kind: 'diverged'; readonly detail: string };

/**
 * Decides what to do about a subject given its execution (undefined: none exists). Pure: the
 * same inputs always give the same answer, so every case is a table-driven test.
 */
export function reconcile(
  subject: Pick<RunSubject, 'stage' | 'stageEntry' | 'status'>,
  workflow: WorkflowDefinition,
  execution: ObservedExecution | undefined,
): Reconciliation {
  const active = subject.status === 'active';
  if (!execution) {
    return active
      ? { kind: 'start' }
      : { kind: 'diverged', detail: `The subject is ${subject.status} but has no execution.` };
  }
  if (execution.status !== 'RUNNING') {
    if (!active) return { kind: 'in-step' };
    const state = execution.currentState;
    const exit = state !== undefined ? findStage(workflow, state) : undefined;
    if (execution.status === 'SUCCEEDED' && exit?.terminal && exit.name !== subject.stage) {
      // It ended in an exit the subject did not record. Only a stage timeout may take it there
      // without the API; anything else (a forged signal) is reported, never recorded as a timeout.
      if (findStage(workflow, subject.stage)?.onTimeout === exit.name) {
        return { kind: 'follow', to: exit.name, entry: subject.stageEntry + 1, terminal: true };
      }
      return {
        kind: 'diverged',
        detail: `The execution ended in "${exit.name}" although the subject records "${subject.stage}" and no timeout leads there.`,
      };
    }
    return {
      kind: 'ended',
      end: {
        status: execution.status,
        ...(execution.error ? { error: execution.error } : {}),
        ...(execution.cause ? { cause: execution.cause.slice(0, 2_000) } : {}),
        ...(execution.stopDate ? { at: execution.stopDate } : {}),
      },
    };
  }
  const waiting = execution.waiting;
  if (!waiting) return { kind: 'settling' };
  if (waiting.entry < subject.stageEntry) {
    // A committed transition the execution never received (the signal was lost): send it again.
    return { kind: 'resend', entry: waiting.entry + 1, taskToken: waiting.taskToken };
  }
  if (waiting.entry === subject.stageEntry) {
    if (waiting.stage === subject.stage && active) return { kind: 'in-step' };
    return {
      kind: 'diverged',
      detail: `Entry ${waiting.entry}: the subject records "${subject.stage}" (${subject.status}), the execution waits in "${waiting.stage}".`,
    };
  }
  // The execution is ahead: only a stage timeout moves it without the API.
  const left = findStage(workflow, subject.stage);
  if (active && waiting.entry === subject.stageEntry + 1 && left?.onTimeout === waiting.stage) {
    return { kind: 'follow', to: waiting.stage, entry: waiting.entry, terminal: false };
  }
  return {
    kind: 'diverged',
    detail: `The execution waits in "${waiting.stage}" (entry ${waiting.entry}) although the subject records "${subject.stage}" (entry ${subject.stageEntry}) and no timeout leads there.`,
  };
}

/**
 * Records on the subject that its execution ended outside the API: status `failed`, how it
 * ended, and an `<ended>` event (e.g. `Release Execution Ended`) in its history.
 */
export function recordExecutionEnd<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  end: ExecutionEnd,
  deps: { clock: Clock; ids: IdGenerator },
): { subject: S; events: DomainEvent[] } {
  const now = deps.clock.now().toISOString();
  const next: S = {
    ...subject,
    status: 'failed',
    executionEnd: end,
    version: subject.version + 1,
    updatedAt: now,
    updatedBy: RECONCILER_ACTOR,
  };
  return {
    subject: next,
    events: [
      runEvent(
        kind,
        'ended',
        subject.id,
        {
          version: next.version,
          stage: subject.stage,
          status: 'failed',
          execution: { status: end.status, error: end.error ?? null, cause: end.cause ?? null },
        },
        { id: deps.ids.next('evt'), at: now, actor: RECONCILER_ACTOR },
      ),
    ],
  };
}

/** The stage signal a committed transition recorded for `entry`, from the release's history. */
export function signalOf(kind: RunKind, event: DomainEvent, entry: number): StageSignal | undefined {
  if (event.type !== SUBJECT_KINDS[kind].events.entered.type) return undefined;
  const data = COMMITTED_MOVE.pick({ entry: true, signal: true }).safeParse(event.data);
  return data.success && data.data.entry === entry ? data.data.signal : undefined;
}

export interface ReconcilePorts<S extends RunSubject = RunSubject> {
  readonly runs: Pick<RunStore<S>, 'get' | 'save' | 'history'>;
  readonly workflows: WorkflowDefinitions;
  readonly executions: ExecutionStarter;
  readonly inspector: ExecutionInspector;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What reconciling one release did. */
export interface ReconcileOutcome {
  readonly kind: RunKind;
  readonly id: string;
  readonly outcome: Reconciliation['kind'] | 'missing' | 'conflict';
  readonly detail?: string;
}

async function recordedSignal(
  kind: RunKind,
  ports: Pick<ReconcilePorts, 'runs'>,
  id: string,
  entry: number,
): Promise<StageSignal | undefined> {
  let cursor: string | undefined;
  do {
    const page = await ports.runs.history(id, { limit: 100, cursor });
    for (const event of page.items) {
      const signal = signalOf(kind, event, entry);
      if (signal) return signal;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

/**
 * Compares one subject with its execution and repairs or reports what differs. Safe to run any
 * number of times, concurrently with the API: every repair is either idempotent (start, a used
 * token is refused) or a versioned write that loses to a concurrent move.
 */
export async function reconcileSubject<S extends RunSubject>(
  kind: RunKind,
  id: string,
  ports: ReconcilePorts<S>,
): Promise<ReconcileOutcome> {
  const subject = await ports.runs.get(id);
  if (!subject) return { kind, id, outcome: 'missing' };
  const workflow = await ports.workflows.definition(subject.workflow);
  const execution = await ports.inspector.inspect(subject.workflow.stateMachineArn, subject.id);
  const decision = reconcile(subject, workflow, execution);
  try {
    switch (decision.kind) {
      case 'start':
        await ports.executions.start(kind, subject);
        break;
      case 'resend': {
        const signal = await recordedSignal(kind, ports, subject.id, decision.entry);
        if (!signal)
          return {
            kind,
            id,
            outcome: 'diverged',
            detail: `No recorded transition for entry ${decision.entry}.`,
          };
        await ports.inspector.answer(decision.taskToken, signal);
        break;
      }
      case 'follow': {
        const move = recordExecutionMove(kind, subject, decision, ports);
        if (move) await ports.runs.save(move.subject, subject.version, move.events);
        break;
      }
      case 'ended': {
        const ended = recordExecutionEnd(kind, subject, decision.end, ports);
        await ports.runs.save(ended.subject, subject.version, ended.events);
        break;
      }
      default:
        break;
    }
  } catch (error) {
    // It moved meanwhile: the next pass looks again at its new state.
    if (error instanceof VersionConflictError) return { kind, id, outcome: 'conflict' };
    throw error;
  }
  return {
    kind,
    id,
    outcome: decision.kind,
    ...(decision.kind === 'diverged' ? { detail: decision.detail } : {}),
  };
}
