/**
 * RFC use cases. Each receives its ports, so tests run them on in-memory fakes. Moving an RFC,
 * its execution and its reconciliation are the workflow run's (`../workflow-run/`), as for releases.
 */
import { DEFAULT_CHANGE_WORKFLOW_IDS } from '#workflows/defaults/index';
import type { WorkflowDefinition } from '#workflows/definition';
import { allowedTransitions } from '#workflows/transitions';
import { type Access, type Actor, ANY_PROCESS, authorize, processesOf } from '../actor.ts';
import { NotFoundError, RuleViolationError, VersionConflictError } from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { IdempotencyRequest, Page } from '../ports.ts';
import {
  type BlackoutConflict,
  blackoutConflicts,
  conflictsIn,
  describeWindow,
  exposureOf,
  type FreeWindowQuery,
  type FreeWindows,
  nextFreeWindows,
} from '../sla/conflicts.ts';
import { TEAM_STALENESS_MS, type Team } from '../team/team.ts';
import type { ExecutionView } from '../workflow-run/ports.ts';
import {
  beginRun,
  executionOf,
  type GateFacts,
  type MoveRequest,
  moveSubject,
} from '../workflow-run/service.ts';
import {
  awaitsApproval,
  type Change,
  type ChangeChanges,
  cabApproval,
  type Decision,
  type NewChange,
  newChange,
  recordVote,
  tally,
  updateChange,
} from './change.ts';
import type { ChangeFilter, ChangePorts } from './ports.ts';

export type { ChangeFilter, ChangePorts, ChangeStore } from './ports.ts';

/** The board RFCs are voted on by when they name none (created by the bootstrap). */
export const DEFAULT_CAB_TEAM_ID = 'team_cab';

/**
 * Who may use the RFC use cases (the routes declare these same objects). The `change` process
 * records, edits and (through its workflow's transitions) moves RFCs; reading is open to every
 * process holder; voting is for the members of the RFC's board, checked against the board.
 */
export const changeAccess = {
  record: { processes: ['change'] },
  read: ANY_PROCESS,
  edit: { processes: ['change'] },
  vote: ANY_PROCESS,
} as const satisfies Record<string, Access>;

/** A move a caller may make now, as `GET /changes/{id}` offers it. */
export interface OfferedChangeMove {
  readonly to: string;
  readonly gates: readonly string[];
  readonly unmetGates: readonly string[];
  readonly requiresReason: boolean;
  readonly terminal: boolean;
}

export interface RecordChangeInput extends Omit<NewChange, 'cabTeamId'> {
  workflowId?: string | undefined;
  cabTeamId?: string | undefined;
}

/** The board an RFC is voted on by: it must exist and be a change advisory board. */
async function boardOf(
  cabTeamId: string,
  ports: Pick<ChangePorts, 'teams'>,
  read: 'recent' | 'stored' = 'recent',
): Promise<Team> {
  const board =
    read === 'stored'
      ? await ports.teams.get(cabTeamId)
      : await ports.teams.get(cabTeamId, TEAM_STALENESS_MS);
  if (!board) {
    throw new RuleViolationError('unknown-cab-team', `Team ${cabTeamId} does not exist.`, { cabTeamId });
  }
  if (board.kind !== 'cab') {
    throw new RuleViolationError(
      'not-a-cab-team',
      `Team ${cabTeamId} is a ${board.kind} team, not a change advisory board.`,
      { cabTeamId },
    );
  }
  return board;
}

export async function recordChange(
  input: RecordChangeInput,
  actor: Actor,
  ports: ChangePorts,
  idempotency?: IdempotencyRequest,
): Promise<{ detail: ChangeDetail; replayed: boolean }> {
  authorize(actor, changeAccess.record);
  const { workflowId, cabTeamId, ...fields } = input;
  const board = await boardOf(cabTeamId ?? DEFAULT_CAB_TEAM_ID, ports);
  // The RFC's type picks its default workflow; a named one must be a published change workflow.
  const workflow = await ports.workflows.workflowFor(
    'change',
    workflowId ?? DEFAULT_CHANGE_WORKFLOW_IDS[input.type],
    undefined,
  );
  const definition = await ports.workflows.definition(workflow);
  const { change, event } = newChange({ ...fields, cabTeamId: board.id }, workflow, definition, actor, ports);
  const { subject, replayed } = await beginRun('change', change, event, { runs: ports.changes }, idempotency);
  return { detail: await detailOf(subject, actor, ports), replayed };
}

export async function getChange(
  id: string,
  actor: Actor,
  ports: Pick<ChangePorts, 'changes'>,
): Promise<Change> {
  authorize(actor, changeAccess.read);
  const change = await ports.changes.get(id);
  if (!change) throw new NotFoundError('RFC', id);
  return change;
}

/**
 * The facts an RFC's gates are checked against: its board's votes, and — when its workflow gates a
 * move on it — whether a blackout is in force on its CIs (or what depends on them) now or during
 * its planned window, as for a release.
 */
export async function changeFacts(
  change: Change,
  workflow: WorkflowDefinition,
  ports: Pick<ChangePorts, 'teams' | 'slas' | 'cis' | 'clock'>,
): Promise<GateFacts> {
  const blackoutGated = workflow.stages.some((st) =>
    st.transitions.some((t) => t.gates?.includes('noOpenBlackout') === true),
  );
  const [board, blackout] = await Promise.all([
    ports.teams.get(change.cabTeamId, TEAM_STALENESS_MS),
    blackoutGated ? blackoutFact(change, ports) : undefined,
  ]);
  const approval = board ? cabApproval(change, board) : undefined;
  const why = {
    ...(!board
      ? { cabApproval: { detail: `Its change advisory board ${change.cabTeamId} no longer exists.` } }
      : approval && !approval.holds
        ? { cabApproval: approval.why }
        : {}),
    ...(blackout?.why ? { noOpenBlackout: blackout.why } : {}),
  };
  return {
    cabApproval: approval?.holds === true,
    ...(blackout ? { noOpenBlackout: blackout.holds } : {}),
    ...(Object.keys(why).length > 0 ? { why } : {}),
  };
}

/** Whether no blackout applies to the RFC's CIs now or in its planned window, and why not. */
async function blackoutFact(
  change: Change,
  ports: Pick<ChangePorts, 'slas' | 'cis' | 'clock'>,
): Promise<{ holds: boolean; why?: { detail: string; windows: unknown[] } }> {
  const exposure = await exposureOf(change.ciIds, ports);
  const now = ports.clock.now().getTime();
  const windows = [
    { start: new Date(now).toISOString(), end: new Date(now + 1).toISOString() },
    ...(change.plannedStart !== undefined && change.plannedEnd !== undefined
      ? [{ start: change.plannedStart, end: change.plannedEnd }]
      : []),
  ].map((w) => conflictsIn(exposure, w));
  const blocking = windows.flatMap((w) => w.items);
  const truncated = exposure.truncated || windows.some((w) => w.truncated);
  if (blocking.length === 0 && !truncated) return { holds: true };
  const listed = blocking.slice(0, 5).map(describeWindow);
  return {
    holds: false,
    why: {
      detail:
        blocking.length > 0
          ? `${blocking.length} blackout window(s) in force now or during the planned window: ${listed.join('; ')}.`
          : 'Not every blackout could be checked: the walk through the CIs depending on its CIs, or a rule, was cut short.',
      windows: blocking
        .slice(0, 100)
        .map((w) => ({ slaId: w.slaId, start: w.start, end: w.end, ciId: w.ciId })),
    },
  };
}

function offeredMoves(
  change: Change,
  workflow: WorkflowDefinition,
  facts: GateFacts,
  actor: Actor,
): OfferedChangeMove[] {
  if (change.status !== 'active') return [];
  return allowedTransitions(workflow, change.stage, processesOf(actor)).map((t) => ({
    to: t.to,
    gates: t.gates,
    unmetGates: t.gates.filter((gate) => facts[gate] !== true),
    requiresReason: t.requiresReason,
    terminal: t.terminal,
  }));
}

/** Where an RFC's votes stand against what its board requires for its risk. */
export interface ApprovalStanding {
  readonly required: number;
  readonly approvals: number;
  readonly missing: number;
  readonly rejectedBy: readonly string[];
  readonly awaitingVotes: boolean;
}

/** What a single RFC is shown with: the releases that link it, its votes' standing, the caller's moves. */
export interface ChangeDetail {
  readonly change: Change;
  readonly releaseIds: readonly string[];
  readonly approval?: ApprovalStanding;
  readonly moves?: readonly OfferedChangeMove[];
  /** With a planned window: the blackout windows it shares time with, on every CI. */
  readonly blackouts?: { readonly items: readonly BlackoutConflict[]; readonly truncated: boolean };
}

async function detailOf(
  change: Change,
  actor: Actor,
  ports: Pick<ChangePorts, 'changes' | 'workflows' | 'teams' | 'slas' | 'cis' | 'clock'>,
) {
  const [workflow, releaseIds, board, conflicts] = await Promise.all([
    ports.workflows.definition(change.workflow),
    ports.changes.linkedReleases(change.id),
    ports.teams.get(change.cabTeamId, TEAM_STALENESS_MS),
    change.plannedStart !== undefined && change.plannedEnd !== undefined
      ? blackoutConflicts(change.ciIds, { start: change.plannedStart, end: change.plannedEnd }, ports)
      : undefined,
  ]);
  const facts = await changeFacts(change, workflow, ports);
  const standing = board ? tally(change, board) : undefined;
  return {
    change,
    releaseIds,
    ...(standing
      ? {
          approval: {
            required: standing.required,
            approvals: standing.approvers.length,
            missing: standing.missing,
            rejectedBy: standing.rejectedBy,
            awaitingVotes: awaitsApproval(change),
          },
        }
      : {}),
    moves: offeredMoves(change, workflow, facts, actor),
    ...(conflicts ? { blackouts: conflicts } : {}),
  };
}

/** An RFC as `GET /changes/{id}` shows it. */
export async function getChangeDetail(
  id: string,
  actor: Actor,
  ports: Pick<ChangePorts, 'changes' | 'workflows' | 'teams' | 'slas' | 'cis' | 'clock'>,
): Promise<ChangeDetail> {
  return detailOf(await getChange(id, actor, ports), actor, ports);
}

export interface ChangeListFilter extends ChangeFilter {
  /** `me` (or the caller's own id): the caller's approval queue. */
  readonly awaitingApprovalBy?: string | undefined;
}

export async function listChanges(
  filter: ChangeListFilter,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<ChangePorts, 'changes' | 'teams'>,
): Promise<Page<Change>> {
  authorize(actor, changeAccess.read);
  const { awaitingApprovalBy, ...rest } = filter;
  if (awaitingApprovalBy === undefined) return ports.changes.list(rest, page);
  // A queue is its owner's: the boards come from the caller's own memberships.
  const voter = awaitingApprovalBy === 'me' ? actor.id : awaitingApprovalBy;
  if (voter !== actor.id) {
    throw new RuleViolationError(
      'approval-queue-not-yours',
      'Only your own approval queue can be listed: use awaitingApprovalBy=me.',
      { awaitingApprovalBy },
    );
  }
  const teams = await Promise.all(actor.teamIds.map((t) => ports.teams.get(t, TEAM_STALENESS_MS)));
  const boardIds = teams
    .filter((t): t is Team => t?.kind === 'cab' && t.members.includes(voter))
    .map((t) => t.id);
  if (boardIds.length === 0) return { items: [] };
  const queue = await ports.changes.awaitingVote({ voterId: voter, boardIds }, page);
  // Narrowed further by the other filters, within the page.
  return {
    ...queue,
    items: queue.items.filter(
      (c) =>
        (rest.state === undefined || c.stage === rest.state) &&
        (rest.type === undefined || c.type === rest.type),
    ),
  };
}

export async function editChange(
  id: string,
  changes: ChangeChanges,
  expectedVersion: number,
  actor: Actor,
  ports: ChangePorts,
): Promise<ChangeDetail> {
  authorize(actor, changeAccess.edit);
  const current = await getChange(id, actor, ports);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `RFC ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const workflow = await ports.workflows.definition(current.workflow);
  const updated = updateChange(current, changes, workflow, actor, ports);
  if (!updated) return detailOf(current, actor, ports); // nothing changed: no new version, no event
  await ports.changes.save(updated.change, expectedVersion, [updated.event]);
  return detailOf(updated.change, actor, ports);
}

/** Moves an RFC to another state of its change workflow (the workflow run's rules and guarantees). */
export async function moveChange(
  id: string,
  request: MoveRequest,
  actor: Actor,
  ports: ChangePorts,
): Promise<{ detail: ChangeDetail; executionInStep: boolean }> {
  const current = await getChange(id, actor, ports);
  const workflow = await ports.workflows.definition(current.workflow);
  const facts = await changeFacts(current, workflow, ports);
  const { subject: change, executionInStep } = await moveSubject(
    'change',
    current,
    workflow,
    request,
    facts,
    actor,
    { ...ports, runs: ports.changes },
  );
  ports.meter.count('Transitions');
  return { detail: await detailOf(change, actor, ports), executionInStep };
}

/**
 * A board member's vote on an RFC awaiting approval. Votes of different members made at the same
 * time are all kept: a vote that loses the optimistic lock to another is re-applied on the new
 * version (a member's own second vote is still refused).
 */
export async function voteOnChange(
  id: string,
  vote: { decision: Decision; comment: string },
  actor: Actor,
  ports: ChangePorts,
): Promise<ChangeDetail> {
  authorize(actor, changeAccess.vote);
  for (let attempt = 0; ; attempt++) {
    const current = await getChange(id, actor, ports);
    // As stored: a member removed from the board a moment ago must not vote.
    const board = await boardOf(current.cabTeamId, ports, 'stored');
    const { change, event } = recordVote(current, vote, board, actor, ports);
    try {
      await ports.changes.save(change, current.version, [event]);
      ports.meter.count('Approvals');
      return detailOf(change, actor, ports);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 4) throw error;
    }
  }
}

export async function getChangeExecution(
  id: string,
  actor: Actor,
  ports: ChangePorts,
): Promise<ExecutionView> {
  return executionOf('change', await getChange(id, actor, ports), ports.executionViewer);
}

export async function changeHistory(
  id: string,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<ChangePorts, 'changes'>,
): Promise<Page<DomainEvent>> {
  await getChange(id, actor, ports);
  return ports.changes.history(id, page);
}

/**
 * `GET /changes/{id}/next-windows`: the earliest windows free of every blackout on every CI the
 * RFC names or that depends on one.
 */
export async function changeNextWindows(
  id: string,
  query: FreeWindowQuery,
  actor: Actor,
  ports: Pick<ChangePorts, 'changes' | 'slas' | 'cis' | 'clock'>,
): Promise<FreeWindows> {
  const change = await getChange(id, actor, ports);
  return nextFreeWindows(change.ciIds, query, ports.clock.now(), ports);
}
