/**
 * Release use cases. Each receives its ports, so tests run them on in-memory fakes. Moving a
 * release, its execution and its reconciliation are the workflow run's (`../workflow-run/`).
 */
import type { WorkflowDefinition } from '#workflows/definition';
import { allowedTransitions } from '#workflows/transitions';
import { type Access, type Actor, ANY_PROCESS, authorize, processesOf } from '../actor.ts';
import {
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { IdempotencyRequest, Page } from '../ports.ts';
import type { Team } from '../team/team.ts';
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
import type { ReleaseFilter, ReleasePorts } from './ports.ts';
import {
  type Deployment,
  type NewRelease,
  newRelease,
  type Release,
  type ReleaseChanges,
  updateRelease,
} from './release.ts';

export type { ReleaseFilter, ReleasePorts, ReleaseStore } from './ports.ts';

/** A move a caller may make now, as `GET /releases/{id}` offers it. */
export interface OfferedMove {
  readonly to: string;
  readonly gates: readonly string[];
  /** Those of `gates` that do not hold now (the move would be refused until they do). */
  readonly unmetGates: readonly string[];
  readonly requiresReason: boolean;
  readonly terminal: boolean;
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
): Promise<{ release: Release; replayed: boolean }> {
  authorize(actor, releaseAccess.create);
  if (input.tasks.length > 0) {
    // Until technicians' task queues exist nothing could action these tasks, and the release
    // would stop for good at the gate that waits for them: refuse them up front instead.
    throw new RuleViolationError(
      'deployment-tasks-unavailable',
      'Deployment tasks cannot be planned yet: technicians have no task queue to action them. Create the release with "tasks": [] (see README, "What exists today").',
      { field: 'tasks' },
    );
  }
  const teamId = await releaseTeamFor(input.teamId, actor, ports);
  const deployment = await linkedDeployment(input.changeIds, input.deployment, ports);
  const workflow = await ports.workflows.workflowFor('release', input.workflowId, teamId);
  const { release, event } = newRelease({ ...input, teamId, deployment }, workflow, actor, ports);
  const { subject, replayed } = await beginRun(
    'release',
    release,
    event,
    { runs: ports.releases, executions: ports.executions },
    idempotency,
  );
  return { release: subject, replayed };
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
  const workflow = await ports.workflows.definition(change.workflow);
  const states = workflow.stages.map((s) => s.name);
  const trigger = deployment.changeTriggerState;
  if (trigger === undefined || !states.includes(trigger)) {
    throw new RuleViolationError(
      'unknown-change-trigger-state',
      `${trigger === undefined ? 'No trigger state was given' : `"${trigger}" is not a state of RFC ${changeId}'s workflow`}; valid states: ${states.join(', ')}.`,
      { changeId, changeTriggerState: trigger ?? null, validStates: states },
    );
  }
  return { managedByChange: true, changeId, changeTriggerState: trigger };
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
  if (teamId !== undefined) {
    const team = await ports.teams.get(teamId);
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
    return teamId;
  }
  const teams = await Promise.all(actor.teamIds.map((id) => ports.teams.get(id)));
  const releaseTeams = teams.filter((t): t is Team => t?.kind === 'release' && t.members.includes(actor.id));
  if (releaseTeams.length === 1) return releaseTeams[0]?.id;
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
 * The facts the gates of a release's transitions are checked against, from the release itself,
 * with the tasks that are not done when some are (the 409 lists them).
 */
export function transitionFacts(release: Release): GateFacts {
  const open = release.tasks.filter((t) => t.status !== 'done');
  return {
    allDeploymentTasksDone: open.length === 0,
    // Blackout windows arrive with SLAs; until then no window is ever open.
    noOpenBlackout: true,
    ...(open.length > 0
      ? {
          why: {
            allDeploymentTasksDone: {
              detail: `${open.length} of ${release.tasks.length} deployment tasks are not done: ${open.map((t) => `${t.id} "${t.title}" (${t.status})`).join(', ')}.`,
              tasks: open.map((t) => ({ id: t.id, title: t.title, status: t.status })),
            },
          },
        }
      : {}),
  };
}

/**
 * The moves of its workflow the caller may make from the release's stage now: none once the
 * release is over or for a caller outside its team; each with the gates that do not hold yet.
 */
export function offeredMoves(release: Release, workflow: WorkflowDefinition, actor: Actor): OfferedMove[] {
  if (release.status !== 'active') return [];
  if (!mayChange(release, actor)) return [];
  const facts = transitionFacts(release);
  const processes = processesOf(actor);
  return allowedTransitions(workflow, release.stage, processes).map((t) => ({
    to: t.to,
    gates: t.gates,
    unmetGates: t.gates.filter((gate) => facts[gate] !== true),
    requiresReason: t.requiresReason,
    terminal: t.terminal,
  }));
}

/** A release with the moves its caller may make now. */
export async function getReleaseWithMoves(
  id: string,
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases' | 'workflows'>,
): Promise<{ release: Release; moves: OfferedMove[] }> {
  const release = await getRelease(id, actor, ports);
  const workflow = await ports.workflows.definition(release.workflow);
  return { release, moves: offeredMoves(release, workflow, actor) };
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
  const updated = updateRelease(current, changes, actor, ports);
  if (!updated) return current; // nothing to change: no new version, no event
  await ports.releases.save(updated.release, expectedVersion, [updated.event], current);
  return updated.release;
}

/**
 * Moves a release to another stage of its workflow: rules checked, the move committed with its
 * events, then the waiting execution signalled. `executionInStep` says whether the execution was
 * seen waiting in the new stage before answering.
 */
export async function moveRelease(
  id: string,
  request: MoveRequest,
  actor: Actor,
  ports: ReleasePorts,
): Promise<{ release: Release; executionInStep: boolean; moves: OfferedMove[] }> {
  const current = await getRelease(id, actor, ports);
  const workflow = await ports.workflows.definition(current.workflow);
  const { subject: release, executionInStep } = await moveSubject(
    'release',
    current,
    workflow,
    request,
    transitionFacts(current),
    actor,
    { ...ports, runs: ports.releases },
  );
  return { release, executionInStep, moves: offeredMoves(release, workflow, actor) };
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
