/**
 * Keeping a release and its execution together (DESIGN §6, invariant 10). The reconciler compares
 * what the table records (stage, entry, status) with what the execution is really doing, and
 * repairs what it safely can: a missing execution is started, a signal that never landed is sent
 * again (the very signal the committed transition recorded), a stage timeout the release missed
 * is recorded, an execution that ended outside the API is recorded on the release. Anything else
 * is reported as a divergence for an operator, never guessed at.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { findStage } from '#workflows/transitions';
import { VersionConflictError } from './errors.ts';
import type { DomainEvent } from './events.ts';
import type { Clock, IdGenerator } from './ports.ts';
import type { ExecutionEnd, Release } from './release.ts';
import type { ExecutionStarter, ReleaseStore, WorkflowCatalog } from './release-service.ts';
import { recordExecutionMove, type StageSignal } from './release-transition.ts';

/** Who records what the reconciler found (an execution that ended outside the API). */
export const RECONCILER_ACTOR = 'system:reconciler';

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

/** What the reconciler does about one release. */
export type Reconciliation =
  | { readonly kind: 'in-step' }
  /** Running but between two stages (or the release is over and the execution too): look again later. */
  | { readonly kind: 'settling' }
  | { readonly kind: 'start' }
  /** The execution waits on an older entry: answer it with the transition recorded for `entry`. */
  | { readonly kind: 'resend'; readonly entry: number; readonly taskToken: string }
  /** The execution moved on by a stage timeout the release has not recorded. */
  | { readonly kind: 'follow'; readonly to: string; readonly entry: number; readonly terminal: boolean }
  /** The execution ended without the API moving the release there. */
  | { readonly kind: 'ended'; readonly end: ExecutionEnd }
  | { readonly kind: 'diverged'; readonly detail: string };

/**
 * Decides what to do about a release given its execution (undefined: none exists). Pure: the
 * same inputs always give the same answer, so every case is a table-driven test.
 */
export function reconcile(
  release: Pick<Release, 'stage' | 'stageEntry' | 'status'>,
  workflow: WorkflowDefinition,
  execution: ObservedExecution | undefined,
): Reconciliation {
  const active = release.status === 'active';
  if (!execution) {
    return active
      ? { kind: 'start' }
      : { kind: 'diverged', detail: `The release is ${release.status} but has no execution.` };
  }
  if (execution.status !== 'RUNNING') {
    if (!active) return { kind: 'in-step' };
    const state = execution.currentState;
    const exit = state !== undefined ? findStage(workflow, state) : undefined;
    if (execution.status === 'SUCCEEDED' && exit?.terminal && exit.name !== release.stage) {
      // It ended in an exit the release did not record. Only a stage timeout may take it there
      // without the API; anything else (a forged signal) is reported, never recorded as a timeout.
      if (findStage(workflow, release.stage)?.onTimeout === exit.name) {
        return { kind: 'follow', to: exit.name, entry: release.stageEntry + 1, terminal: true };
      }
      return {
        kind: 'diverged',
        detail: `The execution ended in "${exit.name}" although the release records "${release.stage}" and no timeout leads there.`,
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
  if (waiting.entry < release.stageEntry) {
    // A committed transition the execution never received (the signal was lost): send it again.
    return { kind: 'resend', entry: waiting.entry + 1, taskToken: waiting.taskToken };
  }
  if (waiting.entry === release.stageEntry) {
    if (waiting.stage === release.stage && active) return { kind: 'in-step' };
    return {
      kind: 'diverged',
      detail: `Entry ${waiting.entry}: the release records "${release.stage}" (${release.status}), the execution waits in "${waiting.stage}".`,
    };
  }
  // The execution is ahead: only a stage timeout moves it without the API.
  const left = findStage(workflow, release.stage);
  if (active && waiting.entry === release.stageEntry + 1 && left?.onTimeout === waiting.stage) {
    return { kind: 'follow', to: waiting.stage, entry: waiting.entry, terminal: false };
  }
  return {
    kind: 'diverged',
    detail: `The execution waits in "${waiting.stage}" (entry ${waiting.entry}) although the release records "${release.stage}" (entry ${release.stageEntry}) and no timeout leads there.`,
  };
}

/**
 * Records on the release that its execution ended outside the API: status `failed`, how it
 * ended, and a `Release Execution Ended` event in its history.
 */
export function recordExecutionEnd(
  release: Release,
  end: ExecutionEnd,
  deps: { clock: Clock; ids: IdGenerator },
): { release: Release; events: DomainEvent[] } {
  const now = deps.clock.now().toISOString();
  const next: Release = {
    ...release,
    status: 'failed',
    executionEnd: end,
    version: release.version + 1,
    updatedAt: now,
    updatedBy: RECONCILER_ACTOR,
  };
  return {
    release: next,
    events: [
      {
        id: deps.ids.next('evt'),
        type: 'Release Execution Ended',
        occurredAt: now,
        actor: RECONCILER_ACTOR,
        subject: { kind: 'release', id: release.id },
        data: {
          releaseId: release.id,
          version: next.version,
          stage: release.stage,
          status: 'failed',
          execution: {
            status: end.status,
            error: end.error ?? null,
            cause: end.cause ?? null,
          },
        },
      },
    ],
  };
}

/** The stage signal a committed transition recorded for `entry`, from the release's history. */
export function signalOf(event: DomainEvent, entry: number): StageSignal | undefined {
  if (event.type !== 'Release Stage Entered') return undefined;
  const data = event.data as { entry?: unknown; signal?: StageSignal };
  return data.entry === entry && data.signal ? data.signal : undefined;
}

/** Reads executions and answers their waiting tasks (the Step Functions adapter implements it). */
export interface ExecutionInspector {
  /** The execution named `name` of the state machine, or undefined when there is none. */
  inspect(stateMachineArn: string, name: string): Promise<ObservedExecution | undefined>;
  /** SendTaskSuccess with the signal; `already` when the token was answered before. */
  answer(taskToken: string, signal: StageSignal): Promise<'sent' | 'already'>;
}

export interface ReconcilePorts {
  readonly releases: Pick<ReleaseStore, 'get' | 'save' | 'history'>;
  readonly workflows: Pick<WorkflowCatalog, 'definition'>;
  readonly executions: ExecutionStarter;
  readonly inspector: ExecutionInspector;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What reconciling one release did. */
export interface ReconcileOutcome {
  readonly releaseId: string;
  readonly outcome: Reconciliation['kind'] | 'missing' | 'conflict';
  readonly detail?: string;
}

async function recordedSignal(
  ports: Pick<ReconcilePorts, 'releases'>,
  releaseId: string,
  entry: number,
): Promise<StageSignal | undefined> {
  let cursor: string | undefined;
  do {
    const page = await ports.releases.history(releaseId, { limit: 100, cursor });
    for (const event of page.items) {
      const signal = signalOf(event, entry);
      if (signal) return signal;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

/**
 * Compares one release with its execution and repairs or reports what differs. Safe to run any
 * number of times, concurrently with the API: every repair is either idempotent (start, a used
 * token is refused) or a versioned write that loses to a concurrent move.
 */
export async function reconcileRelease(id: string, ports: ReconcilePorts): Promise<ReconcileOutcome> {
  const release = await ports.releases.get(id);
  if (!release) return { releaseId: id, outcome: 'missing' };
  const workflow = await ports.workflows.definition(release.workflow);
  const execution = await ports.inspector.inspect(release.workflow.stateMachineArn, release.id);
  const decision = reconcile(release, workflow, execution);
  try {
    switch (decision.kind) {
      case 'start':
        await ports.executions.startRelease(release);
        break;
      case 'resend': {
        const signal = await recordedSignal(ports, release.id, decision.entry);
        if (!signal) {
          return {
            releaseId: id,
            outcome: 'diverged',
            detail: `No recorded transition for entry ${decision.entry}.`,
          };
        }
        await ports.inspector.answer(decision.taskToken, signal);
        break;
      }
      case 'follow': {
        const move = recordExecutionMove(release, decision, ports);
        if (move) await ports.releases.save(move.release, release.version, move.events);
        break;
      }
      case 'ended': {
        const ended = recordExecutionEnd(release, decision.end, ports);
        await ports.releases.save(ended.release, release.version, ended.events);
        break;
      }
      default:
        break;
    }
  } catch (error) {
    // The release moved meanwhile: the next pass looks again at its new state.
    if (error instanceof VersionConflictError) return { releaseId: id, outcome: 'conflict' };
    throw error;
  }
  return {
    releaseId: id,
    outcome: decision.kind,
    ...(decision.kind === 'diverged' ? { detail: decision.detail } : {}),
  };
}
