/**
 * Release use cases. Each receives its ports, so tests run them on in-memory fakes. Moving a
 * release, its execution and its reconciliation are the workflow run's (`../workflow-run/`).
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { allowedTransitions, findStage } from '#workflows/transitions';
import { type Access, type Actor, ANY_PROCESS, authorize, processesOf } from '../actor.ts';
import { checkPlannedCis, type PendingCiUpdate, pendingCiUpdates } from '../ci/service.ts';
import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import { type DomainEvent, eventMeta } from '../events.ts';
import type { Clock, IdempotencyRequest, Page } from '../ports.ts';
import {
  type BlackoutConflict,
  conflictsIn,
  describeWindow,
  EXPOSURE_LIMITS,
  type FreeWindowQuery,
  type FreeWindows,
  nextFreeWindows,
} from '../sla/conflicts.ts';
import type { CiUpdateFailure } from '../task/task.ts';
import { approvalRules, evaluate, mayApprove } from '../team/policy.ts';
import { mayOverrideBlackout, TEAM_STALENESS_MS, type Team } from '../team/team.ts';
import type { ExecutionView } from '../workflow-run/ports.ts';
import {
  beginRun,
  executionOf,
  type GateFacts,
  type MoveRequest,
  mayChange,
  moveSubject,
  requireTeam,
} from '../workflow-run/service.ts';
import { enforcePolicies, policySubject } from './access-policy.ts';
import { type ReleaseBlackoutPorts, releaseExposure, touchedCis } from './blackouts.ts';
import { BlackoutOverridden, ReleaseApprovalRecorded } from './events.ts';
import type { ReleaseFilter, ReleasePorts, ReleaseTaskReader } from './ports.ts';
import {
  currentApprovals,
  type Deployment,
  type EditedTask,
  type NewRelease,
  newRelease,
  type PlannedTask,
  type Release,
  type ReleaseChanges,
  type TaskStatus,
  updateRelease,
} from './release.ts';

export type { ReleaseFilter, ReleasePorts, ReleaseStore, ReleaseTaskReader } from './ports.ts';

/**
 * A deployment task of a release as it stands: the plan, with the ready task's status and who
 * holds it once it is ready (`planned` before).
 */
export interface ReleaseTask extends Omit<PlannedTask, 'status'> {
  readonly status: TaskStatus;
  readonly assignee?: string;
  readonly version?: number;
  readonly notes?: string;
  readonly failureReason?: string;
  readonly ciUpdateFailures?: readonly CiUpdateFailure[];
  readonly updatedAt?: string;
  readonly updatedBy?: string;
}

/** A move a caller may make now, as `GET /releases/{id}` offers it. */
export interface OfferedMove {
  readonly to: string;
  readonly gates: readonly string[];
  /** Those of `gates` that do not hold now (the move would be refused until they do). */
  readonly unmetGates: readonly string[];
  readonly requiresReason: boolean;
  readonly terminal: boolean;
  /** An access policy asks approvals for this move that are not all there yet. */
  readonly approvals?: { readonly rule: string; readonly required: number; readonly have: number };
}

/**
 * Who may use the release use cases (the routes declare these same objects). Moving needs read
 * access here; which moves a caller may make is the workflow's (its transitions' processes).
 */
export const releaseAccess = {
  create: { processes: ['release'] },
  read: ANY_PROCESS,
  edit: { processes: ['release'] },
} as const satisfies Record<string, Access>;

export interface CreateReleaseInput extends NewRelease {
  workflowId?: string | undefined;
}

export async function createRelease(
  input: CreateReleaseInput,
  actor: Actor,
  ports: ReleasePorts,
  idempotency?: IdempotencyRequest,
): Promise<{ release: Release; replayed: boolean; blackouts?: ReleaseBlackouts }> {
  authorize(actor, releaseAccess.create);
  const team = await releaseTeamOf(input.teamId, actor, ports);
  const teamId = team?.id;
  // The team as read above: its policies may narrow who creates a release of this kind.
  enforcePolicies(team, policySubject(input), { action: 'create' }, actor);
  await checkPlannedTasks(input.tasks, ports);
  await checkPlannedCis(input.tasks, ports);
  const deployment = await linkedDeployment(input.changeIds, input.deployment, ports);
  const workflow = await ports.workflows.workflowFor('release', input.workflowId, teamId);
  const { release, event } = newRelease({ ...input, teamId, deployment }, workflow, actor, ports);
  const { subject, replayed } = await beginRun(
    'release',
    release,
    event,
    { runs: ports.releases },
    idempotency,
  );
  // A replayed Idempotency-Key committed nothing new.
  if (!replayed) ports.meter.count('ReleasesCreated');
  // The blackouts it meets, so that whoever plans it sees them at once — read after the commit (a
  // create is never refused for a blackout, only the deploy stage is), so a failed read must not
  // turn a stored release into an error a client would retry: the answer then goes without them.
  const blackouts = await blackoutsOf(subject, ports).catch(() => undefined);
  return { release: subject, replayed, ...(blackouts ? { blackouts } : {}) };
}

/**
 * Checks a release's links to RFCs and resolves its deployment setting: every linked RFC exists
 * (422 listing those that do not); managed by change, the managing RFC defaults to the only linked
 * one (422 if several and none named), is linked, and the trigger state is a state of its workflow
 * (422 listing the valid states).
 */
export async function linkedDeployment(
  changeIds: readonly string[],
  deployment: {
    managedByChange: boolean;
    changeId?: string | undefined;
    changeTriggerState?: string | undefined;
  },
  ports: Pick<ReleasePorts, 'changes' | 'workflows'>,
): Promise<Deployment> {
  const linked = [...new Set(changeIds)];
  const found = await Promise.all(linked.map((id) => ports.changes.get(id)));
  const unknown = linked.filter((_, i) => found[i] === undefined);
  if (unknown.length > 0) {
    throw new RuleViolationError('unknown-changes', `No RFC has the id ${unknown.join(', ')}.`, {
      unknownChangeIds: unknown,
    });
  }
  if (!deployment.managedByChange) return { managedByChange: false };
  const changeId = deployment.changeId ?? (linked.length === 1 ? linked[0] : undefined);
  if (changeId === undefined) {
    throw new RuleViolationError(
      'managing-change-required',
      linked.length === 0
        ? 'A deployment managed by change needs an RFC: link it in changeIds.'
        : `The release links ${linked.length} RFCs: name the one that manages its deployment in deployment.changeId.`,
      { changeIds: linked },
    );
  }
  const change = found[linked.indexOf(changeId)];
  if (!change) {
    throw new RuleViolationError(
      'managing-change-not-linked',
      `RFC ${changeId} manages the deployment but is not one of the release's changeIds.`,
      { changeId, changeIds: linked },
    );
  }
  if (change.status !== 'active') {
    // Its state will not change again: the tasks would wait for good.
    throw new RuleViolationError(
      'managing-change-not-active',
      `RFC ${changeId} is ${change.status}; it can no longer manage a deployment.`,
      { changeId, changeStatus: change.status },
    );
  }
  const workflow = await ports.workflows.definition(change.workflow);
  // An exit ends the RFC: tasks readied by a cancellation or a rejection would serve nothing.
  const states = workflow.stages.filter((s) => !s.terminal).map((s) => s.name);
  const trigger = deployment.changeTriggerState;
  if (trigger === undefined || !states.includes(trigger)) {
    throw new RuleViolationError(
      'unknown-change-trigger-state',
      `${trigger === undefined ? 'No trigger state was given' : `"${trigger}" is not a state of RFC ${changeId}'s workflow that it can be in while active`}; valid states: ${states.join(', ')}.`,
      { changeId, changeTriggerState: trigger ?? null, validStates: states },
    );
  }
  const ahead = statesAhead(workflow, change.stage);
  if (!ahead.includes(trigger)) {
    // The move into it has happened (or cannot happen from here): the trigger would never come.
    throw new RuleViolationError(
      'change-trigger-unreachable',
      `RFC ${changeId} is ${change.stage} and will not enter "${trigger}" from there; states still ahead: ${ahead.join(', ') || 'none'}.`,
      { changeId, state: change.stage, changeTriggerState: trigger, statesAhead: ahead },
    );
  }
  return { managedByChange: true, changeId, changeTriggerState: trigger };
}

/** The states a subject can still enter from `from`, by one or more transitions, in workflow order. */
function statesAhead(workflow: WorkflowDefinition, from: string): string[] {
  const seen = new Set<string>();
  const queue = [...(workflow.stages.find((s) => s.name === from)?.transitions ?? []).map((t) => t.to)];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(workflow.stages.find((s) => s.name === name)?.transitions ?? []).map((t) => t.to));
  }
  return workflow.stages.map((s) => s.name).filter((name) => seen.has(name));
}

/**
 * The release team a new release belongs to: the one named (a release team the creator is a
 * member of, unless an administrator creates it), else the creator's only release team.
 */
export async function releaseTeamFor(
  teamId: string | undefined,
  actor: Actor,
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<string | undefined> {
  return (await releaseTeamOf(teamId, actor, ports))?.id;
}

/** {@link releaseTeamFor}, answering with the team itself (read once). */
async function releaseTeamOf(
  teamId: string | undefined,
  actor: Actor,
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<Team | undefined> {
  if (teamId !== undefined) {
    const team = await ports.teams.get(teamId, TEAM_STALENESS_MS);
    if (!team) throw new RuleViolationError('unknown-team', `Team ${teamId} does not exist.`, { teamId });
    if (team.kind !== 'release') {
      throw new RuleViolationError(
        'not-a-release-team',
        `Team ${teamId} is a ${team.kind} team, not a release team.`,
        {
          teamId,
        },
      );
    }
    if (!actor.admin && !team.members.includes(actor.id)) {
      throw new ForbiddenError(`Only members of team ${teamId} may create its releases.`);
    }
    return team;
  }
  const teams = await Promise.all(actor.teamIds.map((id) => ports.teams.get(id, TEAM_STALENESS_MS)));
  const releaseTeams = teams.filter((t): t is Team => t?.kind === 'release' && t.members.includes(actor.id));
  if (releaseTeams.length === 1) return releaseTeams[0];
  if (releaseTeams.length === 0 && actor.admin) return undefined;
  throw new ValidationError(
    releaseTeams.length === 0
      ? 'You belong to no release team: ask an administrator to add you to one.'
      : 'You belong to several release teams: say which one with teamId.',
    [
      {
        path: 'teamId',
        message:
          releaseTeams.length === 0
            ? 'no release team to default to'
            : `is required (one of ${releaseTeams.map((t) => t.id).join(', ')})`,
      },
    ],
  );
}

/**
 * A plan of deployment tasks is actionable: each work group exists and belongs to a deployment
 * team, and a named technician is a member of that team (422 naming every bad field otherwise).
 */
export async function checkPlannedTasks(
  tasks: readonly EditedTask[],
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<void> {
  if (tasks.length === 0) return;
  const teams = await ports.teams.workGroupTeams([...new Set(tasks.map((t) => t.workGroupId))]);
  const errors: FieldError[] = [];
  tasks.forEach((task, i) => {
    const team = teams.get(task.workGroupId);
    if (!team) {
      errors.push({ path: `tasks.${i}.workGroupId`, message: `is not a work group (${task.workGroupId})` });
    } else if (team.kind !== 'deployment') {
      errors.push({
        path: `tasks.${i}.workGroupId`,
        message: `belongs to ${team.kind} team ${team.id}, not to a deployment team`,
      });
    } else if (task.technicianId !== undefined && !team.members.includes(task.technicianId)) {
      errors.push({
        path: `tasks.${i}.technicianId`,
        message: `is not a member of deployment team ${team.id}`,
      });
    }
  });
  if (errors.length > 0) {
    throw new RuleViolationError(
      'invalid-deployment-tasks',
      `Deployment tasks need a work group of a deployment team, and a technician from that team: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
      { errors },
    );
  }
}

/** What a release's planned deployment tasks wait for before they become ready. */
export type WaitingFor =
  | { readonly trigger: 'change'; readonly changeId: string; readonly state: string }
  | { readonly trigger: 'deploy-stage'; readonly stage?: string };

/**
 * What the release's tasks wait for: its managing RFC reaching the trigger state, or the release
 * entering its workflow's deploy stage (`deployStage`, when the caller read the workflow).
 * Undefined once they are ready, or when none are planned.
 */
export function waitingFor(
  release: Pick<Release, 'deployment'>,
  tasks: readonly Pick<ReleaseTask, 'status'>[],
  deployStage?: string,
): WaitingFor | undefined {
  if (tasks.length === 0 || tasks.some((t) => t.status !== 'planned')) return undefined;
  const { managedByChange, changeId, changeTriggerState } = release.deployment;
  if (managedByChange && changeId !== undefined && changeTriggerState !== undefined) {
    return { trigger: 'change', changeId, state: changeTriggerState };
  }
  return { trigger: 'deploy-stage', ...(deployStage !== undefined ? { stage: deployStage } : {}) };
}

/** The release's tasks as they stand: its plan, with each ready task's status (one Query, if any). */
export async function tasksOf(release: Release, ports: { tasks: ReleaseTaskReader }): Promise<ReleaseTask[]> {
  if (release.tasks.length === 0) return [];
  const ready = new Map((await ports.tasks.ofRelease(release.id)).map((t) => [t.id, t]));
  return release.tasks.map((planned): ReleaseTask => {
    const task = ready.get(planned.id);
    if (!task) return planned;
    return {
      ...planned,
      status: task.status,
      ...(task.assignee !== undefined ? { assignee: task.assignee } : {}),
      version: task.version,
      ...(task.notes !== undefined ? { notes: task.notes } : {}),
      ...(task.failureReason !== undefined ? { failureReason: task.failureReason } : {}),
      ...(task.ciUpdateFailures !== undefined ? { ciUpdateFailures: task.ciUpdateFailures } : {}),
      updatedAt: task.updatedAt,
      updatedBy: task.updatedBy,
    };
  });
}

export async function getRelease(
  id: string,
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases'>,
): Promise<Release> {
  authorize(actor, releaseAccess.read);
  const release = await ports.releases.get(id);
  if (!release) throw new NotFoundError('Release', id);
  return release;
}

/**
 * The facts the gates of a release's transitions are checked against, from its tasks as they
 * stand ({@link tasksOf}), with the tasks that are not done when some are (the 409 lists them).
 */
export function transitionFacts(
  tasks: readonly Pick<ReleaseTask, 'id' | 'title' | 'status'>[],
  pending: readonly PendingCiUpdate[] = [],
  blackouts: ReleaseBlackouts = NO_BLACKOUTS,
): GateFacts {
  const open = tasks.filter((t) => t.status !== 'done');
  const blocking = blockingWindows(blackouts);
  const why = {
    ...(open.length > 0
      ? {
          allDeploymentTasksDone: {
            detail: `${open.length} of ${tasks.length} deployment tasks are not done: ${open.map((t) => `${t.id} "${t.title}" (${t.status})`).join(', ')}.`,
            tasks: open.map((t) => ({ id: t.id, title: t.title, status: t.status })),
          },
        }
      : {}),
    ...(pending.length > 0
      ? {
          allCiUpdatesApplied: {
            detail: `${pending.length} planned CI update(s) not applied yet: ${pending.map((u) => `${u.ciId} (task ${u.taskId} #${u.index}${u.reason ? `: ${u.reason}` : ''})`).join(', ')}.`,
            pending: pending.map((u) => ({ ...u })),
          },
        }
      : {}),
    ...(blocking.length > 0
      ? {
          noOpenBlackout: {
            detail: `${blocking.length} blackout window(s) in force now or during the planned window: ${blocking
              .slice(0, 5)
              .map(describeWindow)
              .join('; ')}${blocking.length > 5 ? `; and ${blocking.length - 5} more` : ''}.`,
            windows: blocking.slice(0, MAX_LISTED_WINDOWS).map(windowFact),
            windowCount: blocking.length,
          },
        }
      : blackouts.truncated
        ? {
            noOpenBlackout: {
              detail: `Not every blackout could be checked: more CIs depend on the release's CIs than the ${EXPOSURE_LIMITS.maxCis} (${EXPOSURE_LIMITS.maxDepth} relations deep) followed, or a rule's expansion was cut short. An emergency release may override.`,
              windows: [],
              windowCount: 0,
            },
          }
        : {}),
  };
  return {
    allDeploymentTasksDone: open.length === 0,
    allCiUpdatesApplied: pending.length === 0,
    // Unproven is not free: a walk or an expansion cut short does not open the deploy stage.
    noOpenBlackout: blocking.length === 0 && !blackouts.truncated,
    ...(Object.keys(why).length > 0 ? { why } : {}),
  };
}

/** The blackouts a release meets: over its planned window, and in force now. */
export interface ReleaseBlackouts {
  /** The windows its planned window shares time with, on every CI (its `blackoutConflicts`). */
  readonly conflicts: readonly BlackoutConflict[];
  /** More than listed: a bound was reached. */
  readonly truncated: boolean;
  /** The windows in force at this instant, on every CI. */
  readonly inForce: readonly BlackoutConflict[];
}

const NO_BLACKOUTS: ReleaseBlackouts = { conflicts: [], truncated: false, inForce: [] };

/** At most this many windows in a 409 and in a `Blackout Overridden` (then counted). */
const MAX_LISTED_WINDOWS = 100;

/**
 * Reads the blackouts a release meets: the SLAs applying to what it touches (read once), expanded
 * over its planned window and at this instant. Nothing touched: the RFC reads only.
 */
export async function blackoutsOf(
  release: Release,
  ports: ReleaseBlackoutPorts & { clock: Clock },
): Promise<ReleaseBlackouts> {
  const exposure = await releaseExposure(release, ports);
  if (exposure.exposures.length === 0) return { ...NO_BLACKOUTS, truncated: exposure.truncated };
  const now = ports.clock.now().getTime();
  const planned = conflictsIn(exposure, { start: release.plannedStart, end: release.plannedEnd });
  const current = conflictsIn(exposure, {
    start: new Date(now).toISOString(),
    end: new Date(now + 1).toISOString(),
  });
  return {
    conflicts: planned.items,
    truncated: planned.truncated || current.truncated,
    inForce: current.items,
  };
}

/** The windows that close the deploy stage: in force now or over the planned window, each once. */
export function blockingWindows(blackouts: ReleaseBlackouts): BlackoutConflict[] {
  const seen = new Set<string>();
  return [...blackouts.inForce, ...blackouts.conflicts].filter((w) => {
    const key = `${w.slaId}#${w.blackoutIndex}#${w.start}#${w.ciId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const windowFact = (w: BlackoutConflict) => ({
  slaId: w.slaId,
  slaName: w.slaName,
  blackoutIndex: w.blackoutIndex,
  reason: w.reason,
  start: w.start,
  end: w.end,
  ciId: w.ciId,
  touchedCiId: w.touchedCiId,
  path: w.path.map((p) => ({ ...p })),
});

/**
 * The moves of its workflow the caller may make from the release's stage now: none once the
 * release is over or for a caller outside its team; each with the gates that do not hold yet.
 */
export function offeredMoves(
  release: Release,
  tasks: readonly Pick<ReleaseTask, 'id' | 'title' | 'status'>[],
  workflow: WorkflowDefinition,
  actor: Actor,
  pending: readonly PendingCiUpdate[] = [],
  blackouts: ReleaseBlackouts = NO_BLACKOUTS,
  team?: Pick<Team, 'policies' | 'members'>,
): OfferedMove[] {
  if (release.status !== 'active') return [];
  if (!mayChange(release, actor)) return [];
  const facts = transitionFacts(tasks, pending, blackouts);
  const processes = processesOf(actor);
  return allowedTransitions(workflow, release.stage, processes).flatMap((t) => {
    // The team's access policies: a move a rule refuses the caller is not offered; one still
    // lacking approvals is, with what it lacks.
    const decisions = (
      t.to === workflow.deployStage ? (['move', 'deploy'] as const) : (['move'] as const)
    ).map((action) =>
      evaluate(
        team?.policies,
        release,
        { action, from: release.stage, to: t.to },
        actor,
        currentApprovals(release),
        team?.members,
      ),
    );
    if (decisions.some((d) => d.outcome === 'deny')) return [];
    const wanting = decisions.find((d) => d.outcome === 'needsApprovals');
    return [
      {
        to: t.to,
        gates: t.gates,
        unmetGates: t.gates.filter((gate) => facts[gate] !== true),
        requiresReason: t.requiresReason,
        terminal: t.terminal,
        ...(wanting?.outcome === 'needsApprovals'
          ? { approvals: { rule: wanting.ruleId, required: wanting.n, have: wanting.have } }
          : {}),
      },
    ];
  });
}

/** A release with its tasks as they stand and the moves its caller may make now. */
export async function getReleaseWithMoves(
  id: string,
  actor: Actor,
  ports: Pick<
    ReleasePorts,
    'releases' | 'workflows' | 'tasks' | 'cis' | 'changes' | 'slas' | 'clock' | 'teams'
  >,
): Promise<{
  release: Release;
  tasks: ReleaseTask[];
  moves: OfferedMove[];
  blackouts: ReleaseBlackouts;
  deployStage?: string;
}> {
  const release = await getRelease(id, actor, ports);
  const [workflow, tasks, blackouts, team] = await Promise.all([
    ports.workflows.definition(release.workflow),
    tasksOf(release, ports),
    blackoutsOf(release, ports),
    policiesOf(release, actor, ports),
  ]);
  const pending = await pendingCiUpdates(release, tasks, ports);
  return {
    release,
    tasks,
    blackouts,
    moves: offeredMoves(release, tasks, workflow, actor, pending, blackouts, team),
    ...(workflow.deployStage !== undefined ? { deployStage: workflow.deployStage } : {}),
  };
}

/**
 * The release team, when its policies can change what the caller is offered: only for an active
 * release the caller may move (nothing is offered otherwise), so nobody else costs a read.
 */
async function policiesOf(
  release: Release,
  actor: Actor,
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<Team | undefined> {
  if (release.teamId === undefined || release.status !== 'active' || !mayChange(release, actor))
    return undefined;
  return ports.teams.get(release.teamId, TEAM_STALENESS_MS);
}

/** `PATCH /releases/{id}`: the edit, answered with the tasks as they stand and the blackouts it meets. */
export async function editReleaseShowingTasks(
  id: string,
  edit: ReleaseEdit,
  expectedVersion: number,
  actor: Actor,
  ports: ReleasePorts,
): Promise<{ release: Release; tasks: ReleaseTask[]; blackouts: ReleaseBlackouts }> {
  const release = await editRelease(id, edit, expectedVersion, actor, ports);
  const [tasks, blackouts] = await Promise.all([tasksOf(release, ports), blackoutsOf(release, ports)]);
  return { release, tasks, blackouts };
}

/** `GET /releases/{id}/tasks`: its deployment tasks as they stand, in plan order. */
export async function releaseTasks(
  id: string,
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases' | 'tasks'>,
): Promise<ReleaseTask[]> {
  return tasksOf(await getRelease(id, actor, ports), ports);
}

export async function listReleases(
  filter: ReleaseFilter,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases'>,
): Promise<Page<Release>> {
  authorize(actor, releaseAccess.read);
  return ports.releases.list(filter, page);
}

/** An edit as the caller asks for it: the deployment setting unresolved. */
export interface ReleaseEdit extends Omit<ReleaseChanges, 'deployment'> {
  deployment?:
    | { managedByChange: boolean; changeId?: string | undefined; changeTriggerState?: string | undefined }
    | undefined;
}

export async function editRelease(
  id: string,
  edit: ReleaseEdit,
  expectedVersion: number,
  actor: Actor,
  ports: ReleasePorts,
): Promise<Release> {
  authorize(actor, releaseAccess.edit);
  const current = await getRelease(id, actor, ports);
  // Editing follows the rule moving does: the release's team (or an administrator).
  requireTeam('release', current, actor);
  if (current.teamId !== undefined) {
    enforcePolicies(
      await ports.teams.get(current.teamId, TEAM_STALENESS_MS),
      current,
      { action: 'plan' },
      actor,
      current,
    );
  }
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `Release ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  if (current.status !== 'active') {
    throw new RuleViolationError(
      'release-not-active',
      `Release ${id} is ${current.status} and can no longer be edited.`,
    );
  }
  const relinked = edit.changeIds !== undefined || edit.deployment !== undefined;
  if (edit.tasks !== undefined) {
    await checkPlanEditable(current, edit.tasks, ports);
  } else if (relinked && (await ports.tasks.readiness(current.id))) {
    throw new RuleViolationError(
      'tasks-already-ready',
      `The deployment tasks of release ${id} are ready already; its RFCs and deployment setting can no longer change.`,
      { field: edit.changeIds !== undefined ? 'changeIds' : 'deployment' },
    );
  }
  const changes: ReleaseChanges = {
    ...edit,
    // A new link or setting is checked whole: the RFCs it names and the trigger of the managing one.
    deployment: relinked
      ? await linkedDeployment(
          edit.changeIds ?? current.changeIds,
          edit.deployment ?? current.deployment,
          ports,
        )
      : undefined,
  };
  if (changes.deployment && !changes.deployment.managedByChange && current.deployment.managedByChange) {
    // Entering the deploy stage is what readies unmanaged tasks: once in it or past it, that
    // move has been made and would not come again.
    const workflow = await ports.workflows.definition(current.workflow);
    if (
      workflow.deployStage !== undefined &&
      !statesAhead(workflow, current.stage).includes(workflow.deployStage)
    ) {
      throw new RuleViolationError(
        'deploy-stage-passed',
        `Release ${id} is ${current.stage} and will not enter its deploy stage "${workflow.deployStage}" again: its tasks can no longer wait for it. Keep the deployment managed by change.`,
        { field: 'deployment', stage: current.stage, deployStage: workflow.deployStage },
      );
    }
  }
  const updated = updateRelease(current, changes, actor, ports);
  if (!updated) return current; // nothing to change: no new version, no event
  const changed = updated.event.data.changed as object;
  if (['tasks', 'changeIds', 'deployment'].some((field) => field in changed)) {
    // Committed only while the tasks are still not ready: the readying never misses an edit of
    // what it reads (the plan, and which RFC state triggers it).
    await ports.releases.savePlan(updated.release, expectedVersion, [updated.event], current);
  } else {
    await ports.releases.save(updated.release, expectedVersion, [updated.event], current);
  }
  return updated.release;
}

/**
 * The plan can change until the tasks are ready (422 after), into one whose kept ids are the
 * release's own planned tasks, each once, and whose work groups and technicians hold.
 */
async function checkPlanEditable(
  release: Release,
  tasks: readonly EditedTask[],
  ports: Pick<ReleasePorts, 'tasks' | 'teams' | 'cis'>,
): Promise<void> {
  if (await ports.tasks.readiness(release.id)) {
    throw new RuleViolationError(
      'tasks-already-ready',
      `The deployment tasks of release ${release.id} are ready already; they can no longer be planned again.`,
      { field: 'tasks' },
    );
  }
  const planned = new Set(release.tasks.map((t) => t.id));
  const errors: FieldError[] = [];
  tasks.forEach((task, i) => {
    if (task.id === undefined) return;
    if (!planned.has(task.id)) {
      errors.push({ path: `tasks.${i}.id`, message: `is not a task of release ${release.id}` });
    } else if (tasks.findIndex((t) => t.id === task.id) !== i) {
      errors.push({ path: `tasks.${i}.id`, message: 'repeats the id of another task' });
    }
  });
  if (errors.length > 0) {
    throw new RuleViolationError(
      'invalid-deployment-tasks',
      'A task id names a task planned on this release, once; leave it out for a new task.',
      { errors },
    );
  }
  await checkPlannedTasks(tasks, ports);
  await checkPlannedCis(tasks, ports);
}

/** A move of a release; `override` (emergency releases) lifts a blackout, with a reason. */
export interface ReleaseMoveRequest extends MoveRequest {
  readonly override?: { readonly reason: string } | undefined;
}

/**
 * Moves a release to another stage of its workflow: rules checked, the move committed with its
 * events, then the waiting execution signalled. `executionInStep` says whether the execution was
 * seen waiting in the new stage before answering. The blackouts are read only when the move, or
 * a move out of the stage it enters, is gated by `noOpenBlackout`; an accepted `override` commits
 * `Blackout Overridden` with the move.
 */

export async function moveRelease(
  id: string,
  request: ReleaseMoveRequest,
  actor: Actor,
  ports: ReleasePorts,
): Promise<{
  release: Release;
  tasks: ReleaseTask[];
  executionInStep: boolean;
  moves: OfferedMove[];
  deployStage?: string;
}> {
  const current = await getRelease(id, actor, ports);
  const [workflow, tasks] = await Promise.all([
    ports.workflows.definition(current.workflow),
    tasksOf(current, ports),
  ]);
  const team = await enforceMovePolicies(current, workflow, request.to, actor, ports);
  const gatedMove = (from: string, to?: string) =>
    findStage(workflow, from)?.transitions?.some(
      (t) => (to === undefined || t.to === to) && t.gates?.includes('noOpenBlackout') === true,
    ) === true;
  const gated = gatedMove(current.stage, request.to);
  const [pending, blackouts] = await Promise.all([
    pendingCiUpdates(current, tasks, ports),
    gated || gatedMove(request.to) ? blackoutsOf(current, ports) : NO_BLACKOUTS,
  ]);
  const facts = transitionFacts(tasks, pending, blackouts);
  const override =
    request.override !== undefined && gated && facts.noOpenBlackout === false
      ? await acceptOverride(current, request.override, actor, ports)
      : undefined;
  const overridden = override !== undefined ? blockingWindows(blackouts) : [];
  const { subject: release, executionInStep } = await moveSubject(
    'release',
    current,
    workflow,
    request,
    override !== undefined ? withoutBlackoutGate(facts) : facts,
    actor,
    { ...ports, runs: ports.releases },
    (moved) =>
      override === undefined
        ? []
        : [
            BlackoutOverridden.event(
              {
                releaseId: moved.id,
                version: moved.version,
                from: current.stage,
                to: moved.stage,
                reason: override,
                ...overriddenWindows(overridden),
              },
              eventMeta(ports.ids, moved.updatedAt, actor.id, moved.id),
            ),
          ],
  );
  ports.meter.count('Transitions');
  if (override !== undefined) ports.meter.count('BlackoutOverrides');
  return {
    release,
    tasks,
    executionInStep,
    moves: offeredMoves(release, tasks, workflow, actor, pending, blackouts, team),
    ...(workflow.deployStage !== undefined ? { deployStage: workflow.deployStage } : {}),
  };
}

/**
 * A move of an active release, by a member of its team, is checked against its team's policies:
 * as `move`, and also as `deploy` when it enters the deploy stage. Other refusals (team, version,
 * status) come first, from the move itself, so an outsider learns nothing from a rule.
 */
async function enforceMovePolicies(
  release: Release,
  workflow: WorkflowDefinition,
  to: string,
  actor: Actor,
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<Team | undefined> {
  if (release.teamId === undefined || release.status !== 'active') return undefined;
  requireTeam('release', release, actor);
  const team = await ports.teams.get(release.teamId, TEAM_STALENESS_MS);
  if (!team?.policies?.length) return team;
  const request = { from: release.stage, to };
  enforcePolicies(team, release, { action: 'move', ...request }, actor, release);
  if (workflow.deployStage !== undefined && to === workflow.deployStage) {
    enforcePolicies(team, release, { action: 'deploy', ...request }, actor, release);
  }
  // Returned for the moves offered after this one (read once).
  return team;
}

/** `POST /releases/{id}/approvals`: what an approval asks for. */
export interface ApprovalRequest {
  readonly to: string;
  readonly comment?: string | undefined;
}

/**
 * Records an approval of a pending move of a release (one per user per move; they reset when the
 * release moves). Only a move that some rule of its team asks approvals for can be approved (422
 * `no-approval-required` otherwise), only by a user a rule accepts as approver (403 naming the
 * rules), and only once (409 `already-approved`).
 */
export async function approveReleaseMove(
  id: string,
  request: ApprovalRequest,
  actor: Actor,
  ports: ReleasePorts,
): Promise<Release> {
  const current = await getRelease(id, actor, ports);
  if (current.status !== 'active') {
    throw new RuleViolationError(
      'release-not-active',
      `Release ${id} is ${current.status}; it moves no more.`,
    );
  }
  const workflow = await ports.workflows.definition(current.workflow);
  const transitions = findStage(workflow, current.stage)?.transitions ?? [];
  if (!transitions.some((t) => t.to === request.to)) {
    throw new RuleViolationError(
      'transition-not-allowed',
      `Release ${id} is ${current.stage}; it cannot move to "${request.to}" from there, so there is nothing to approve.`,
      { from: current.stage, to: request.to, allowed: transitions.map((t) => t.to) },
    );
  }
  const team =
    current.teamId !== undefined ? await ports.teams.get(current.teamId, TEAM_STALENESS_MS) : undefined;
  const move = {
    from: current.stage,
    to: request.to,
    deploying: workflow.deployStage !== undefined && request.to === workflow.deployStage,
  };
  const rules = approvalRules(team?.policies, current, move);
  if (rules.length === 0) {
    throw new RuleViolationError(
      'no-approval-required',
      `No access rule of release ${id}'s team asks approvals for the move from "${current.stage}" to "${request.to}".`,
      { from: current.stage, to: request.to },
    );
  }
  if (!mayApprove(team?.policies, current, move, actor, team?.members ?? []).allowed) {
    throw new ForbiddenError(
      `You are not an approver of the move to "${request.to}" under rule(s) ${rules.map((r) => `"${r.id}"`).join(', ')}.`,
      { rule: rules[0]?.id, rules: rules.map((r) => r.id) },
    );
  }
  const valid = currentApprovals(current);
  if (valid.some((a) => a.to === request.to && a.by === actor.id)) {
    throw new ConflictError(
      'already-approved',
      `${actor.id} has approved the move of release ${id} to "${request.to}" already.`,
      { to: request.to, by: actor.id },
    );
  }
  const now = ports.clock.now().toISOString();
  const comment = request.comment?.trim() || undefined;
  // Approvals of earlier stage entries count no more: they are dropped as the release is written.
  const approvals = [
    ...valid,
    {
      to: request.to,
      by: actor.id,
      at: now,
      ...(comment !== undefined ? { comment } : {}),
      stageEntry: current.stageEntry,
      workGroupIds: [...actor.workGroupIds],
    },
  ];
  const next: Release = {
    ...current,
    approvals,
    version: current.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = ReleaseApprovalRecorded.event(
    {
      releaseId: id,
      version: next.version,
      from: current.stage,
      to: request.to,
      comment: comment ?? null,
      ruleIds: rules.map((r) => r.id),
      approvers: [...new Set(approvals.filter((a) => a.to === request.to).map((a) => a.by))],
    },
    eventMeta(ports.ids, now, actor.id, id),
  );
  await ports.releases.save(next, current.version, [event], current);
  ports.meter.count('Approvals');
  return next;
}

/**
 * The windows of a `Blackout Overridden`, one per window with the CIs it covers (an SLA over 80
 * servers is one window, not 80), at most {@link MAX_LISTED_WINDOWS} of them and 50 CIs each, so
 * that the event stays far below DynamoDB's 400 KB item whatever the blast radius.
 */
function overriddenWindows(windows: readonly BlackoutConflict[]) {
  const grouped = new Map<string, { window: BlackoutConflict; ciIds: string[] }>();
  for (const w of windows) {
    const key = `${w.slaId}#${w.blackoutIndex}#${w.start}`;
    const group = grouped.get(key) ?? { window: w, ciIds: [] };
    if (!group.ciIds.includes(w.ciId)) group.ciIds.push(w.ciId);
    grouped.set(key, group);
  }
  const all = [...grouped.values()];
  return {
    windows: all.slice(0, MAX_LISTED_WINDOWS).map(({ window: w, ciIds }) => ({
      slaId: w.slaId,
      slaName: w.slaName,
      blackoutIndex: w.blackoutIndex,
      reason: w.reason,
      start: w.start,
      end: w.end,
      ciIds: ciIds.slice(0, 50),
      ciCount: ciIds.length,
    })),
    windowCount: all.length,
  };
}

/**
 * An override of a blackout is accepted from a member of the release's team whom the team lets
 * override (its `blackoutOverriders`), for an emergency release only, with a reason: 403 for
 * anyone else, 422 `override-not-emergency` for another kind of release. Returns the reason.
 */
async function acceptOverride(
  release: Release,
  override: { readonly reason: string },
  actor: Actor,
  ports: Pick<ReleasePorts, 'teams'>,
): Promise<string> {
  // An outsider learns nothing about the release from its refusal (the move's own check says so).
  requireTeam('release', release, actor);
  // Read as stored, not as kept for a few seconds: an overrider just removed must not override.
  const team = release.teamId !== undefined ? await ports.teams.get(release.teamId) : undefined;
  if (!team || !mayOverrideBlackout(team, actor.id)) {
    throw new ForbiddenError(
      team
        ? `Team ${team.id} does not let ${actor.id} override a blackout: only its blackoutOverriders may.`
        : `Release ${release.id} belongs to no team, so nobody may override a blackout for it.`,
    );
  }
  if (release.releaseType !== 'emergency') {
    throw new RuleViolationError(
      'override-not-emergency',
      `Only an emergency release may override a blackout; release ${release.id} is a ${release.releaseType} release.`,
      { field: 'override' },
    );
  }
  const reason = override.reason.trim();
  if (reason.length === 0) {
    throw new ValidationError('An override needs a reason.', [
      { path: 'override.reason', message: 'must not be blank' },
    ]);
  }
  return reason;
}

/** The facts with the blackout gate holding: an accepted override lifts it. */
function withoutBlackoutGate(facts: GateFacts): GateFacts {
  const { noOpenBlackout: _w, ...why } = facts.why ?? {};
  const { why: _all, ...rest } = facts;
  return { ...rest, noOpenBlackout: true, ...(Object.keys(why).length > 0 ? { why } : {}) };
}

export async function getReleaseExecution(
  id: string,
  actor: Actor,
  ports: ReleasePorts,
): Promise<ExecutionView> {
  return executionOf('release', await getRelease(id, actor, ports), ports.executionViewer);
}

export async function releaseHistory(
  id: string,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases'>,
): Promise<Page<DomainEvent>> {
  await getRelease(id, actor, ports);
  return ports.releases.history(id, page);
}

/**
 * `GET /releases/{id}/next-windows`: the earliest windows free of every blackout on every CI the
 * release touches or impacts.
 */
export async function releaseNextWindows(
  id: string,
  query: FreeWindowQuery,
  actor: Actor,
  ports: ReleaseBlackoutPorts & Pick<ReleasePorts, 'releases' | 'clock'>,
): Promise<FreeWindows> {
  const release = await getRelease(id, actor, ports);
  return nextFreeWindows(await touchedCis(release, ports), query, ports.clock.now(), ports);
}
