/**
 * The workflow run's moves and use cases, for every kind of subject (a release, an RFC): moving it
 * from one stage of its workflow to another (the workflow's rules decide, the subject records the
 * move, the move's events say so, then its waiting execution is signalled), recording a move the
 * execution made on its own (a stage timeout) without the rules, beginning its run (the subject
 * stored, its execution started) and reading its execution.
 */
import type { Gate, WorkflowDefinition } from '#workflows/definition';
import { checkTransition, findStage, type TransitionFacts } from '#workflows/transitions';
import { type Actor, processesOf } from '../actor.ts';
import {
  ForbiddenError,
  GateFailedError,
  NotFoundError,
  RuleViolationError,
  VersionConflictError,
} from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdGenerator } from '../ports.ts';
import type { ExecutionView, ExecutionViewer, RunPorts } from './ports.ts';
import {
  EXECUTION_ACTOR,
  type RunKind,
  type RunStatus,
  type RunSubject,
  runEvent,
  type StageSignal,
  SUBJECT_KINDS,
  statusOfTerminal,
} from './run.ts';

/**
 * A caller's request to move a subject, against the version it read (the workflow's own check of
 * a move is `TransitionRequest` in workflows/transitions.ts).
 */
export interface MoveRequest {
  readonly to: string;
  readonly expectedVersion: number;
  readonly reason?: string | undefined;
  /**
   * How long the answer may wait for the execution to reach the new stage (the caller's
   * `Prefer: wait`). Without it the move answers once committed, and the `<entered>` event's
   * consumer signals the execution — it does anyway, so nothing depends on the answer waiting.
   */
  readonly waitMs?: number | undefined;
}

type Deps = { clock: Clock; ids: IdGenerator };

/** Why a gate does not hold, for the caller: a sentence and the facts behind it. */
export interface GateExplanation {
  readonly detail: string;
  readonly [fact: string]: unknown;
}

/**
 * The facts a subject's gates are checked against, with, for a gate that does not hold, why not
 * (tasks not done, approvals missing): the 409 names them.
 */
export interface GateFacts extends TransitionFacts {
  readonly why?: { readonly [G in Gate]?: GateExplanation };
}

/**
 * Members of the subject's team (or administrators) change it. A subject without a team (an
 * administrator in no team created it) is the administrators' alone.
 */
export function mayChange(subject: Pick<RunSubject, 'teamId'>, actor: Actor): boolean {
  return actor.admin || (subject.teamId !== undefined && actor.teamIds.includes(subject.teamId));
}

export function requireTeam(kind: RunKind, subject: Pick<RunSubject, 'id' | 'teamId'>, actor: Actor): void {
  // A subject no team owns is changed by whoever holds its transitions' processes (checked next).
  if (SUBJECT_KINDS[kind].changedBy === 'process' || mayChange(subject, actor)) return;
  throw new ForbiddenError(
    subject.teamId === undefined
      ? `${SUBJECT_KINDS[kind].noun} ${subject.id} belongs to no team: only administrators may change it.`
      : `Only members of team ${subject.teamId} (or administrators) may change ${kind} ${subject.id}.`,
  );
}

/** A subject that is over (closed, cancelled, backed out, failed) takes no more moves. */
export function requireActive(kind: RunKind, subject: Pick<RunSubject, 'id' | 'status'>): void {
  if (subject.status !== 'active') {
    throw new RuleViolationError(
      `${kind}-not-active`,
      `${SUBJECT_KINDS[kind].noun} ${subject.id} is ${subject.status}; it takes no more moves.`,
      { [`${kind}Status`]: subject.status },
    );
  }
}

/**
 * The subject in its new stage and the events of the move: `<entered>` always, plus the kind's
 * closing events when the move closes it normally.
 */
function moved<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  move: { to: string; entry: number; terminal: boolean; reason: string | undefined; deployStage: boolean },
  actor: string,
  deps: Deps,
): { subject: S; events: DomainEvent[]; signal: StageSignal } {
  const spec = SUBJECT_KINDS[kind];
  const now = deps.clock.now().toISOString();
  const status: RunStatus = move.terminal ? statusOfTerminal(move.to) : 'active';
  const next: S = {
    ...subject,
    stage: move.to,
    stageEntry: move.entry,
    status,
    version: subject.version + 1,
    updatedAt: now,
    updatedBy: actor,
  };
  const signal: StageSignal = {
    to: move.to,
    entry: move.entry,
    actor,
    ...(move.reason ? { reason: move.reason } : {}),
  };
  const meta = () => ({ id: deps.ids.next('evt'), at: now, actor });
  const events = [
    runEvent(
      kind,
      'entered',
      subject.id,
      {
        from: subject.stage,
        to: move.to,
        entry: move.entry,
        version: next.version,
        reason: move.reason ?? null,
        status,
        deployStage: move.deployStage,
        stateMachineArn: subject.workflow.stateMachineArn,
        signal,
      },
      meta(),
    ),
    ...(status === 'closed'
      ? (spec.closedEvents?.(subject, () => ({ ...meta(), subject: { kind, id: subject.id } })) ?? [])
      : []),
  ];
  return { subject: next, events, signal };
}

/**
 * A requested move, checked against the subject's version, team and status and against its
 * workflow (allowed moves, processes, reasons, gates); the subject in its new stage, the events to
 * commit with it, and the signal its waiting execution is answered with.
 */
export function transition<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  workflow: WorkflowDefinition,
  request: MoveRequest,
  facts: GateFacts,
  actor: Actor,
  deps: Deps,
): { subject: S; events: DomainEvent[]; signal: StageSignal } {
  // Who may change it first: an outsider learns nothing, not even the current version.
  requireTeam(kind, subject, actor);
  if (subject.version !== request.expectedVersion) {
    throw new VersionConflictError(
      `${SUBJECT_KINDS[kind].noun} ${subject.id} is at version ${subject.version}, not ${request.expectedVersion}; read it again and retry.`,
      subject.version,
    );
  }
  requireActive(kind, subject);
  const check = checkTransition(workflow, {
    from: subject.stage,
    to: request.to,
    processes: processesOf(actor),
    facts,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  });
  if (!check.ok) {
    if (check.code === 'forbidden') throw new ForbiddenError(check.detail);
    if (check.code === 'gate-failed') throw gateFailed(subject.stage, request.to, check, facts);
    throw new RuleViolationError(`transition-${check.code}`, check.detail, {
      from: subject.stage,
      to: request.to,
      ...(check.gates ? { gates: check.gates } : {}),
    });
  }
  return moved(
    kind,
    subject,
    {
      to: request.to,
      entry: subject.stageEntry + 1,
      terminal: check.terminal,
      reason: request.reason?.trim() || undefined,
      deployStage: check.enteringDeployStage,
    },
    actor.id,
    deps,
  );
}

/** The 409 of a move whose gates do not hold: every failing gate, each with why when known. */
function gateFailed(
  from: string,
  to: string,
  check: { detail: string; gates?: readonly Gate[] | undefined },
  facts: GateFacts,
): GateFailedError {
  const gates = check.gates ?? [];
  const reasons = gates.flatMap((gate) => {
    const why = facts.why?.[gate];
    return why ? [[gate, why] as const] : [];
  });
  const detail = [check.detail, ...reasons.map(([, why]) => why.detail)].join(' ');
  return new GateFailedError(detail, { from, to, gates, ...Object.fromEntries(reasons) });
}

/**
 * Records a move the execution made by itself — a stage whose timeout sent it on — so that the
 * subject follows its execution. No workflow rule applies: the workflow's own definition chose it.
 * Undefined when the subject already records that entry.
 */
export function recordExecutionMove<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  move: { to: string; entry: number; terminal: boolean },
  deps: Deps,
): { subject: S; events: DomainEvent[] } | undefined {
  if (move.entry <= subject.stageEntry) return undefined;
  const { subject: next, events } = moved(
    kind,
    subject,
    { ...move, reason: `Stage "${subject.stage}" timed out.`, deployStage: false },
    EXECUTION_ACTOR,
    deps,
  );
  return { subject: next, events };
}

/**
 * Begins a subject's run: the new subject is committed with its created event, whose consumer
 * starts its execution (functions/events/start-execution.ts) — the only starter, so the answer
 * does not wait for Step Functions (docs/performance.md). An idempotent replay returns the first
 * subject.
 */
export async function beginRun<S extends RunSubject>(
  kind: RunKind,
  subject: S,
  created: DomainEvent,
  ports: Pick<RunPorts<S>, 'runs'>,
  idempotency?: IdempotencyRequest,
): Promise<{ subject: S; replayed: boolean }> {
  const { replayed } = await ports.runs.create(subject, created, idempotency);
  if (replayed === undefined) return { subject, replayed: false };
  const first = await ports.runs.get(replayed);
  if (!first) throw new NotFoundError(SUBJECT_KINDS[kind].noun, replayed);
  return { subject: first, replayed: true };
}

/**
 * Moves a subject to another stage of its workflow: rules checked, the move committed with its
 * events (and those `also` builds from the moved subject); with `waitMs`, the waiting execution
 * signalled and awaited. `executionInStep` says whether the execution was seen waiting in the new
 * stage before answering (always false without `waitMs`: the consumer signals it just after).
 */
export async function moveSubject<S extends RunSubject>(
  kind: RunKind,
  current: S,
  workflow: WorkflowDefinition,
  request: MoveRequest,
  facts: GateFacts,
  actor: Actor,
  ports: Pick<RunPorts<S>, 'runs' | 'stageSignals' | 'clock' | 'ids'>,
  also?: (moved: S) => DomainEvent[],
): Promise<{ subject: S; executionInStep: boolean }> {
  const { subject, events, signal } = transition(kind, current, workflow, request, facts, actor, ports);
  // Events the subject's kind adds to the move (an override), committed in the same transaction.
  await ports.runs.save(subject, request.expectedVersion, [...events, ...(also?.(subject) ?? [])]);
  const executionInStep =
    request.waitMs !== undefined && request.waitMs > 0
      ? await ports.stageSignals.signal(kind, subject.id, signal, {
          terminal: subject.status !== 'active',
          timeoutMs: request.waitMs,
        })
      : false;
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
