/**
 * Moving a subject (a release, an RFC) from one stage of its workflow to another: the workflow's
 * rules decide, the subject records the move, and the move's events say so. A move the execution
 * made on its own (a stage timeout) is recorded the same way, without the rules.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { checkTransition, type TransitionFacts } from '#workflows/transitions';
import type { Actor } from '../actor.ts';
import { ForbiddenError, RuleViolationError, VersionConflictError } from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
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
}

type Deps = { clock: Clock; ids: IdGenerator };

/**
 * Members of the subject's team (or administrators) change it. A subject without a team (an
 * administrator in no team created it) is the administrators' alone.
 */
export function mayChange(subject: Pick<RunSubject, 'teamId'>, actor: Actor): boolean {
  return actor.admin || (subject.teamId !== undefined && actor.teamIds.includes(subject.teamId));
}

export function requireTeam(kind: RunKind, subject: Pick<RunSubject, 'id' | 'teamId'>, actor: Actor): void {
  if (mayChange(subject, actor)) return;
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
  facts: TransitionFacts,
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
    processes: actor.admin ? ['change', 'release', 'deployment'] : [...actor.processes],
    facts,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  });
  if (!check.ok) {
    if (check.code === 'forbidden') throw new ForbiddenError(check.detail);
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
