/**
 * The RFC (change) aggregate: its shape, its factory and the rules that guard its changes — its
 * edits before approval and the CAB's votes. Moving it through its change workflow is the workflow
 * run's (`../workflow-run/`): an RFC is a run subject of kind `change`, its `stage` is its state.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import type { Actor } from '../actor.ts';
import { ConflictError, ForbiddenError, RuleViolationError, ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import { plannedWindowProblem } from '../planned-window.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import { type ApprovalLevel, requiredApprovals, type Team } from '../team/team.ts';
import { executionInput, type RunSubject, type WorkflowRef } from '../workflow-run/run.ts';
import type { GateExplanation } from '../workflow-run/service.ts';
import {
  CHANGE_TYPES,
  ChangeApprovalRecorded,
  ChangeRecorded,
  ChangeUpdated,
  DECISIONS,
  LEVELS,
  RISKS,
} from './events.ts';

export { CHANGE_TYPES, DECISIONS, LEVELS, RISKS };
export type ChangeType = (typeof CHANGE_TYPES)[number];
export type Risk = (typeof RISKS)[number];
export type Level = (typeof LEVELS)[number];
export type Decision = (typeof DECISIONS)[number];

/** One member's vote: immutable once recorded. */
export interface Vote {
  readonly by: string;
  readonly decision: Decision;
  readonly comment: string;
  readonly at: string;
}

/** An RFC: a subject of a change workflow run with what change management records about it. */
export interface Change extends RunSubject {
  readonly title: string;
  readonly description?: string;
  readonly type: ChangeType;
  readonly risk: Risk;
  readonly impact: Level;
  readonly urgency: Level;
  /** 1 (highest) to 5, from impact and urgency. */
  readonly priority: number;
  readonly ciIds: readonly string[];
  readonly plannedStart?: string;
  readonly plannedEnd?: string;
  /** The change advisory board that votes on it. */
  readonly cabTeamId: string;
  /** The board's votes, in the order they were cast. */
  readonly approvals: readonly Vote[];
  /**
   * The states of its workflow version where it waits for the board's votes (a CAB-gated
   * transition leaves them): fixed for its lifetime, so the store can index the approval queue.
   */
  readonly votingStates: readonly string[];
  readonly createdAt: string;
  /** The requester (who recorded it): never one of its approvers. */
  readonly createdBy: string;
}

export interface NewChange {
  title: string;
  description?: string | undefined;
  type: ChangeType;
  risk: Risk;
  impact: Level;
  urgency: Level;
  ciIds: string[];
  plannedStart?: string | undefined;
  plannedEnd?: string | undefined;
  cabTeamId: string;
}

export interface ChangeChanges {
  title?: string | undefined;
  description?: string | undefined;
  risk?: Risk | undefined;
  impact?: Level | undefined;
  urgency?: Level | undefined;
  ciIds?: string[] | undefined;
  plannedStart?: string | undefined;
  plannedEnd?: string | undefined;
}

type Deps = { clock: Clock; ids: IdGenerator };

const RANK: Readonly<Record<Level, number>> = { high: 0, medium: 1, low: 2 };

/**
 * ITIL's priority matrix: impact and urgency each high, medium or low give 1 (both high) to 5
 * (both low); one step down on either scale is one step down in priority.
 */
export function priorityOf(impact: Level, urgency: Level): number {
  return 1 + RANK[impact] + RANK[urgency];
}

function assertWindow(plannedStart: string | undefined, plannedEnd: string | undefined): void {
  const problem = plannedStart && plannedEnd ? plannedWindowProblem(plannedStart, plannedEnd) : undefined;
  if (problem) {
    throw new ValidationError(
      Date.parse(plannedEnd as string) <= Date.parse(plannedStart as string)
        ? 'The planned window ends before it starts.'
        : 'The planned window is too long.',
      [problem],
    );
  }
}

const instant = (value: string | undefined) => (value ? new Date(value).toISOString() : undefined);

/** Builds a new RFC in its workflow's initial state, with its `Change Recorded` event. */
export function newChange(
  input: NewChange,
  workflow: WorkflowRef,
  definition: WorkflowDefinition,
  actor: Actor,
  deps: Deps,
): { change: Change; event: DomainEvent } {
  assertWindow(input.plannedStart, input.plannedEnd);
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next('chg');
  const plannedStart = instant(input.plannedStart);
  const plannedEnd = instant(input.plannedEnd);
  const change: Change = {
    id,
    version: 1,
    title: input.title,
    ...(input.description ? { description: input.description } : {}),
    type: input.type,
    risk: input.risk,
    impact: input.impact,
    urgency: input.urgency,
    priority: priorityOf(input.impact, input.urgency),
    ciIds: [...input.ciIds],
    ...(plannedStart ? { plannedStart } : {}),
    ...(plannedEnd ? { plannedEnd } : {}),
    cabTeamId: input.cabTeamId,
    approvals: [],
    votingStates: votingStates(definition),
    workflow,
    stage: workflow.initialStage,
    stageEntry: 0,
    status: 'active',
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = ChangeRecorded.event(
    {
      changeId: id,
      title: change.title,
      type: change.type,
      risk: change.risk,
      priority: change.priority,
      state: change.stage,
      cabTeamId: change.cabTeamId,
      ciIds: [...change.ciIds],
      workflow: { id: workflow.id, version: workflow.version },
      stateMachineArn: workflow.stateMachineArn,
      executionInput: executionInput('change', change),
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { change, event };
}

/**
 * The states an RFC has been approved in: those a CAB-gated transition enters (or named
 * `Approved`) and every state reachable from them. Before any of them it is still being assessed.
 */
export function approvedStates(workflow: WorkflowDefinition): Set<string> {
  const approved = new Set<string>();
  const queue = workflow.stages.flatMap((s) => [
    ...(s.name === 'Approved' ? [s.name] : []),
    ...s.transitions.filter((t) => t.gates?.includes('cabApproval')).map((t) => t.to),
  ]);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (approved.has(name)) continue;
    approved.add(name);
    const stage = workflow.stages.find((s) => s.name === name);
    for (const t of stage?.transitions ?? []) queue.push(t.to);
  }
  return approved;
}

/** The states of a workflow that a CAB-gated transition leaves: where RFCs wait for votes. */
export function votingStates(workflow: WorkflowDefinition): string[] {
  return workflow.stages
    .filter((s) => s.transitions.some((t) => t.gates?.includes('cabApproval')))
    .map((s) => s.name);
}

/** Whether the RFC waits for the board's votes now. */
export function awaitsApproval(change: Pick<Change, 'stage' | 'status' | 'votingStates'>): boolean {
  return change.status === 'active' && change.votingStates.includes(change.stage);
}

/**
 * Applies an edit (until the RFC is approved); returns the new state and its event, or undefined
 * when the edit changes nothing (no new version, no event).
 */
export function updateChange(
  change: Change,
  changes: ChangeChanges,
  workflow: WorkflowDefinition,
  actor: Actor,
  deps: Deps,
): { change: Change; event: DomainEvent } | undefined {
  if (change.status !== 'active' || approvedStates(workflow).has(change.stage)) {
    throw new RuleViolationError(
      'change-not-editable',
      change.status === 'active'
        ? `RFC ${change.id} is ${change.stage}: it can be edited only until it is approved.`
        : `RFC ${change.id} is ${change.status} and can no longer be edited.`,
      { state: change.stage, changeStatus: change.status },
    );
  }
  if (changes.risk !== undefined && changes.risk !== change.risk && change.approvals.length > 0) {
    // The risk decides how many approvals it needs: the board voted on this one.
    throw new RuleViolationError(
      'change-has-votes',
      `RFC ${change.id} has ${change.approvals.length} CAB vote(s) on its ${change.risk} risk; its risk can no longer change.`,
      { risk: change.risk, votes: change.approvals.length },
    );
  }
  const plannedStart =
    changes.plannedStart !== undefined ? instant(changes.plannedStart) : change.plannedStart;
  const plannedEnd = changes.plannedEnd !== undefined ? instant(changes.plannedEnd) : change.plannedEnd;
  assertWindow(plannedStart, plannedEnd);
  const impact = changes.impact ?? change.impact;
  const urgency = changes.urgency ?? change.urgency;
  const { description: _d, plannedStart: _s, plannedEnd: _e, ...rest } = change;
  const description = changes.description !== undefined ? changes.description : change.description;
  const now = deps.clock.now().toISOString();
  const next: Change = {
    ...rest,
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(description ? { description } : {}),
    ...(changes.risk !== undefined ? { risk: changes.risk } : {}),
    impact,
    urgency,
    priority: priorityOf(impact, urgency),
    ...(changes.ciIds !== undefined ? { ciIds: [...changes.ciIds] } : {}),
    ...(plannedStart ? { plannedStart } : {}),
    ...(plannedEnd ? { plannedEnd } : {}),
    version: change.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const changed = fieldChanges(change, next, [
    'title',
    'description',
    'risk',
    'impact',
    'urgency',
    'priority',
    'ciIds',
    'plannedStart',
    'plannedEnd',
  ]);
  if (Object.keys(changed).length === 0) return undefined;
  const event = ChangeUpdated.event(
    { changeId: change.id, version: next.version, changed },
    eventMeta(deps.ids, now, actor.id, change.id),
  );
  return { change: next, event };
}

/** The approval level an RFC needs: its risk, or `emergency` for an emergency RFC. */
export function approvalLevel(change: Pick<Change, 'type' | 'risk'>): ApprovalLevel {
  return change.type === 'emergency' ? 'emergency' : change.risk;
}

/** Where an RFC's votes stand against what its board requires. */
export function tally(change: Pick<Change, 'approvals' | 'type' | 'risk'>, board: Team) {
  const approvers = change.approvals.filter((v) => v.decision === 'approve').map((v) => v.by);
  const rejectedBy = change.approvals.filter((v) => v.decision === 'reject').map((v) => v.by);
  const required = requiredApprovals(board, approvalLevel(change));
  return { approvers, rejectedBy, required, missing: Math.max(0, required - approvers.length) };
}

/**
 * The `cabApproval` fact: it holds when the board's approvals reach what the RFC's risk (or
 * emergency) requires and nobody rejected it; otherwise why not (how many are missing, who rejected).
 */
export function cabApproval(
  change: Pick<Change, 'approvals' | 'type' | 'risk'>,
  board: Team,
): { holds: true } | { holds: false; why: GateExplanation } {
  const { approvers, rejectedBy, required, missing } = tally(change, board);
  if (rejectedBy.length > 0) {
    return {
      holds: false,
      why: {
        detail: `The CAB rejected it: ${rejectedBy.join(', ')}.`,
        rejectedBy,
        approvals: approvers.length,
        required,
      },
    };
  }
  if (missing > 0) {
    return {
      holds: false,
      why: {
        detail: `It has ${approvers.length} of the ${required} CAB approvals it needs: ${missing} missing.`,
        approvals: approvers.length,
        required,
        missing,
      },
    };
  }
  return { holds: true };
}

/**
 * Records a board member's vote: only while the RFC waits for approval, one vote per member
 * (a second is 409), never the requester's approval of their own RFC (segregation of duties).
 */
export function recordVote(
  change: Change,
  vote: { decision: Decision; comment: string },
  board: Team,
  actor: Actor,
  deps: Deps,
): { change: Change; event: DomainEvent } {
  if (!board.members.includes(actor.id)) {
    throw new ForbiddenError(
      `Only members of the change advisory board ${board.id} may vote on RFC ${change.id}.`,
    );
  }
  if (vote.decision === 'approve' && change.createdBy === actor.id) {
    throw new ForbiddenError(
      `You requested RFC ${change.id}: someone else on the board must approve it (segregation of duties).`,
    );
  }
  if (!awaitsApproval(change)) {
    throw new RuleViolationError(
      'change-not-awaiting-approval',
      change.status !== 'active'
        ? `RFC ${change.id} is ${change.status}; it takes no more votes.`
        : `RFC ${change.id} is ${change.stage}, where no CAB approval is awaited.`,
      { state: change.stage, changeStatus: change.status },
    );
  }
  const previous = change.approvals.find((v) => v.by === actor.id);
  if (previous) {
    throw new ConflictError(
      'already-voted',
      `You voted on RFC ${change.id} already (${previous.decision}, ${previous.at}); votes cannot be changed.`,
      { vote: previous },
    );
  }
  const now = deps.clock.now().toISOString();
  const next: Change = {
    ...change,
    approvals: [
      ...change.approvals,
      { by: actor.id, decision: vote.decision, comment: vote.comment, at: now },
    ],
    version: change.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const { approvers, rejectedBy, required } = tally(next, board);
  const event = ChangeApprovalRecorded.event(
    {
      changeId: change.id,
      version: next.version,
      cabTeamId: board.id,
      decision: vote.decision,
      comment: vote.comment,
      approvals: approvers.length,
      required,
      rejectedBy,
      votedAt: now,
    },
    eventMeta(deps.ids, now, actor.id, change.id),
  );
  return { change: next, event };
}
