/**
 * Moving a release from one stage of its workflow to another: the workflow's rules decide, the
 * release records the move, and the move's events say so.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { checkTransition, type TransitionFacts } from '#workflows/transitions';
import type { Actor } from './actor.ts';
import { ForbiddenError, RuleViolationError, VersionConflictError } from './errors.ts';
import type { DomainEvent } from './events.ts';
import type { Clock, IdGenerator } from './ports.ts';
import type { Release, ReleaseStatus } from './release.ts';

export interface TransitionRequest {
  readonly to: string;
  readonly expectedVersion: number;
  readonly reason?: string | undefined;
}

/** What the waiting stage's task token is answered with (the workflow execution contract). */
export interface StageSignal {
  readonly to: string;
  readonly entry: number;
  readonly actor: string;
  readonly reason?: string;
}

/** The status a terminal stage leaves a release in; any other exit counts as a normal closure. */
export function statusOfTerminal(stage: string): ReleaseStatus {
  const name = stage.toLowerCase();
  if (name === 'cancelled' || name === 'rejected') return 'cancelled';
  if (name === 'backed out') return 'backed-out';
  return 'closed';
}

/**
 * Members of the release's team (or administrators) change it. A release without a team (an
 * administrator in no release team created it) is the administrators' alone.
 */
export function mayChangeRelease(release: Pick<Release, 'teamId'>, actor: Actor): boolean {
  return actor.admin || (release.teamId !== undefined && actor.teamIds.includes(release.teamId));
}

export function requireReleaseTeam(release: Release, actor: Actor): void {
  if (mayChangeRelease(release, actor)) return;
  throw new ForbiddenError(
    release.teamId === undefined
      ? `Release ${release.id} belongs to no team: only administrators may change it.`
      : `Only members of team ${release.teamId} (or administrators) may change release ${release.id}.`,
  );
}

export function transitionRelease(
  release: Release,
  workflow: WorkflowDefinition,
  request: TransitionRequest,
  facts: TransitionFacts,
  actor: Actor,
  deps: { clock: Clock; ids: IdGenerator },
): { release: Release; events: DomainEvent[]; signal: StageSignal } {
  // Who may change it first: an outsider learns nothing, not even the current version.
  requireReleaseTeam(release, actor);
  if (release.version !== request.expectedVersion) {
    throw new VersionConflictError(
      `Release ${release.id} is at version ${release.version}, not ${request.expectedVersion}; read it again and retry.`,
      release.version,
    );
  }
  if (release.status !== 'active') {
    throw new RuleViolationError(
      'release-not-active',
      `Release ${release.id} is ${release.status}; it takes no more moves.`,
      { releaseStatus: release.status },
    );
  }
  const check = checkTransition(workflow, {
    from: release.stage,
    to: request.to,
    processes: actor.admin ? ['change', 'release', 'deployment'] : [...actor.processes],
    facts,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  });
  if (!check.ok) {
    if (check.code === 'forbidden') throw new ForbiddenError(check.detail);
    throw new RuleViolationError(`transition-${check.code}`, check.detail, {
      from: release.stage,
      to: request.to,
      ...(check.gates ? { gates: check.gates } : {}),
    });
  }
  const now = deps.clock.now().toISOString();
  const entry = release.stageEntry + 1;
  const status: ReleaseStatus = check.terminal ? statusOfTerminal(request.to) : 'active';
  const next: Release = {
    ...release,
    stage: request.to,
    stageEntry: entry,
    status,
    version: release.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const reason = request.reason?.trim() || undefined;
  const signal: StageSignal = { to: request.to, entry, actor: actor.id, ...(reason ? { reason } : {}) };
  const base = { occurredAt: now, actor: actor.id, subject: { kind: 'release', id: release.id } } as const;
  const events: DomainEvent[] = [
    {
      ...base,
      id: deps.ids.next('evt'),
      type: 'Release Stage Entered',
      data: {
        releaseId: release.id,
        from: release.stage,
        to: request.to,
        entry,
        version: next.version,
        reason: reason ?? null,
        status,
        deployStage: check.enteringDeployStage,
        stateMachineArn: release.workflow.stateMachineArn,
        signal,
      },
    },
  ];
  if (status === 'closed') {
    events.push({
      ...base,
      id: deps.ids.next('evt'),
      type: 'Release Closed',
      data: {
        releaseId: release.id,
        plannedStart: release.plannedStart,
        plannedEnd: release.plannedEnd,
        closedAt: now,
        teamId: release.teamId ?? null,
      },
    });
  }
  return { release: next, events, signal };
}

/** Who moves a release when its execution moved on its own (a stage timeout). */
export const EXECUTION_ACTOR = 'system:timeout';

/**
 * Records a move the execution made by itself — a stage whose timeout sent it on — so that the
 * release follows its execution. No workflow rule applies: the workflow's own definition chose it.
 * Returns undefined when the release already records that entry.
 */
export function recordExecutionMove(
  release: Release,
  move: { to: string; entry: number; terminal: boolean },
  deps: { clock: Clock; ids: IdGenerator },
): { release: Release; events: DomainEvent[] } | undefined {
  if (move.entry <= release.stageEntry) return undefined;
  const now = deps.clock.now().toISOString();
  const status: ReleaseStatus = move.terminal ? statusOfTerminal(move.to) : 'active';
  const reason = `Stage "${release.stage}" timed out.`;
  const next: Release = {
    ...release,
    stage: move.to,
    stageEntry: move.entry,
    status,
    version: release.version + 1,
    updatedAt: now,
    updatedBy: EXECUTION_ACTOR,
  };
  const signal: StageSignal = { to: move.to, entry: move.entry, actor: EXECUTION_ACTOR, reason };
  return {
    release: next,
    events: [
      {
        id: deps.ids.next('evt'),
        type: 'Release Stage Entered',
        occurredAt: now,
        actor: EXECUTION_ACTOR,
        subject: { kind: 'release', id: release.id },
        data: {
          releaseId: release.id,
          from: release.stage,
          to: move.to,
          entry: move.entry,
          version: next.version,
          reason,
          status,
          deployStage: false,
          stateMachineArn: release.workflow.stateMachineArn,
          signal,
        },
      },
      ...(status === 'closed'
        ? [
            {
              id: deps.ids.next('evt'),
              type: 'Release Closed' as const,
              occurredAt: now,
              actor: EXECUTION_ACTOR,
              subject: { kind: 'release' as const, id: release.id },
              data: {
                releaseId: release.id,
                plannedStart: release.plannedStart,
                plannedEnd: release.plannedEnd,
                closedAt: now,
                teamId: release.teamId ?? null,
              },
            },
          ]
        : []),
    ],
  };
}
