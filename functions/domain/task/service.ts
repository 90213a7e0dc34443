/**
 * Deployment-task use cases: making a release's planned tasks ready (the create-deployment-tasks
 * consumer's, on what the table says), and the technicians' queue and moves. Each receives its
 * ports, so tests run them on in-memory fakes.
 */

import { type Access, type Actor, authorize } from '../actor.ts';
import { ChangeStateChanged } from '../change/events.ts';
import {
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { Page } from '../ports.ts';
import { enforcePolicies } from '../release/access-policy.ts';
import type { Release } from '../release/release.ts';
import { TEAM_STALENESS_MS } from '../team/team.ts';
import type { ChangeTriggerPorts, TaskFilter, TaskPorts } from './ports.ts';
import {
  completeTask,
  failTask,
  type ReadyTrigger,
  readyTasks,
  retryTask,
  startTask,
  type Task,
} from './task.ts';

export type { ChangeTriggerPorts, TaskFilter, TaskPorts, TaskStore } from './ports.ts';

/**
 * Who may use the task use cases (the routes declare these same objects): technicians, i.e.
 * holders of `deployment` (release managers hold it too). Which tasks is the work group's rule:
 * members of a task's work group (and administrators) read and act on it.
 */
export const taskAccess = {
  read: { processes: ['deployment'] },
  act: { processes: ['deployment'] },
} as const satisfies Record<string, Access>;

/** Attempts at readying when a concurrent change of the release wins the race. */
const READY_ATTEMPTS = 3;

/**
 * Makes a release's planned tasks ready, once, when the table says they are due: for `stage`,
 * the release is not managed by change and is in its workflow's deploy stage at that entry or a
 * later one; for `change`, it is managed by that RFC with that trigger state. Whatever the
 * trigger event claimed, only the stored release decides. A redelivered, duplicated or racing
 * trigger finds the mark and creates nothing twice.
 */
export async function readyDeploymentTasks(
  releaseId: string,
  trigger: ReadyTrigger,
  ports: TaskPorts,
): Promise<'readied' | 'already' | 'not-due' | 'missing'> {
  for (let attempt = 1; ; attempt++) {
    const release = await ports.releases.get(releaseId);
    if (!release) return 'missing';
    if (!(await isDue(release, trigger, ports))) return 'not-due';
    const { tasks, readiness, event } = readyTasks(release, trigger, ports);
    try {
      // The release keeps its version: its managers' next move is based on the version they read.
      return await ports.tasks.ready({
        release: { id: release.id, version: release.version },
        readiness,
        tasks,
        event,
      });
    } catch (error) {
      // The release changed meanwhile (an edit, a move): decide again on what it is now.
      if (!(error instanceof VersionConflictError) || attempt >= READY_ATTEMPTS) throw error;
    }
  }
}

/**
 * An RFC moved (trigger b): the tasks of every release it manages whose trigger state it entered
 * become ready. The move is read from the table — the event committed under `eventId`, never what
 * the delivered event claims — and the releases from the RFC's links (a Query, no Scan); each
 * release then decides for itself (`readyDeploymentTasks`), so a release managed by another RFC,
 * or waiting for another state, is left alone. Undefined when no such move was committed.
 */
export async function readyTasksOfChange(
  changeId: string,
  eventId: string,
  ports: ChangeTriggerPorts,
): Promise<
  { state: string; outcomes: Record<string, Awaited<ReturnType<typeof readyDeploymentTasks>>> } | undefined
> {
  const committed = await ports.changes.event(changeId, eventId);
  if (committed?.type !== ChangeStateChanged.type) return undefined;
  const { to: state } = ChangeStateChanged.data.parse(committed.data);
  const outcomes: Record<string, Awaited<ReturnType<typeof readyDeploymentTasks>>> = {};
  for (const releaseId of await ports.changes.linkedReleases(changeId)) {
    outcomes[releaseId] = await readyDeploymentTasks(releaseId, { kind: 'change', changeId, state }, ports);
  }
  return { state, outcomes };
}

async function isDue(release: Release, trigger: ReadyTrigger, ports: Pick<TaskPorts, 'workflows'>) {
  if (release.status !== 'active') return false;
  const { deployment } = release;
  if (trigger.kind === 'change') {
    return (
      deployment.managedByChange &&
      deployment.changeId === trigger.changeId &&
      deployment.changeTriggerState === trigger.state
    );
  }
  if (deployment.managedByChange || release.stageEntry < trigger.entry) return false;
  const workflow = await ports.workflows.definition(release.workflow);
  return workflow.deployStage !== undefined && release.stage === workflow.deployStage;
}

/** Members of the work group (and administrators) work on its tasks. */
function mayWorkOn(workGroupId: string, actor: Actor): boolean {
  return actor.admin || actor.workGroupIds.includes(workGroupId);
}

function requireWorkGroup(workGroupId: string, actor: Actor): void {
  if (!mayWorkOn(workGroupId, actor)) {
    throw new ForbiddenError(
      `Only members of work group ${workGroupId} (or administrators) may see or work on its tasks.`,
    );
  }
}

export async function getTask(id: string, actor: Actor, ports: Pick<TaskPorts, 'tasks'>): Promise<Task> {
  authorize(actor, taskAccess.read);
  const task = await ports.tasks.get(id);
  if (!task) throw new NotFoundError('Task', id);
  requireWorkGroup(task.workGroupId, actor);
  return task;
}

/** What a caller asks a task list for; `assignee` may be `me`. */
export interface TaskQuery {
  readonly workGroupId?: string | undefined;
  readonly status?: Task['status'] | undefined;
  readonly assignee?: string | undefined;
  readonly releaseId?: string | undefined;
}

/**
 * A queue: the tasks of a work group (the caller's: 403 otherwise), of an assignee (`me`) or of a
 * release. A caller who is not an administrator sees only tasks of their own work groups.
 */
export async function listTasks(
  query: TaskQuery,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<TaskPorts, 'tasks'>,
): Promise<Page<Task>> {
  authorize(actor, taskAccess.read);
  const assignee = query.assignee === 'me' ? actor.id : query.assignee;
  if (query.workGroupId === undefined && assignee === undefined && query.releaseId === undefined) {
    throw new ValidationError('Say which tasks: a work group, an assignee or a release.', [
      { path: 'group', message: 'is required unless assignee or release is given' },
    ]);
  }
  if (query.workGroupId !== undefined) requireWorkGroup(query.workGroupId, actor);
  const restricted = !actor.admin && query.workGroupId === undefined;
  if (restricted && actor.workGroupIds.length === 0) return { items: [] };
  const filter: TaskFilter = {
    workGroupId: query.workGroupId,
    status: query.status,
    assignee,
    releaseId: query.releaseId,
    ...(restricted ? { withinWorkGroups: actor.workGroupIds } : {}),
  };
  return ports.tasks.list(filter, page);
}

/**
 * One move of a task by a member of its work group, based on the version they read, while its
 * release is still running (a closed, cancelled or backed-out release's tasks are over).
 */
async function moveTask(
  id: string,
  expectedVersion: number,
  actor: Actor,
  ports: TaskPorts,
  move: (task: Task) => { task: Task; event: DomainEvent },
): Promise<Task> {
  authorize(actor, taskAccess.act);
  const current = await getTask(id, actor, ports);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `Task ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  // Its standing, not its plan: a move of one task must not read a plan of thousands.
  const release = await ports.releases.standing(current.releaseId);
  if (release?.status !== 'active') {
    throw new RuleViolationError(
      'release-not-active',
      `Release ${current.releaseId} is ${release?.status ?? 'gone'}; its tasks are over.`,
      { releaseId: current.releaseId, releaseStatus: release?.status ?? null },
    );
  }
  // Acting on a deployment task is deploying the release: its team's `deploy` rules may narrow who.
  if (release.teamId !== undefined) {
    enforcePolicies(
      await ports.teams.get(release.teamId, TEAM_STALENESS_MS),
      release,
      { action: 'deploy' },
      actor,
    );
  }
  const { task, event } = move(current);
  await ports.tasks.save(task, expectedVersion, event);
  if (task.status !== current.status && (task.status === 'done' || task.status === 'failed')) {
    ports.meter.count(task.status === 'done' ? 'TasksCompleted' : 'TasksFailed');
  }
  return task;
}

export const startDeploymentTask = (id: string, expectedVersion: number, actor: Actor, ports: TaskPorts) =>
  moveTask(id, expectedVersion, actor, ports, (t) => startTask(t, actor, ports));

export const completeDeploymentTask = (
  id: string,
  notes: string | undefined,
  expectedVersion: number,
  actor: Actor,
  ports: TaskPorts,
) => moveTask(id, expectedVersion, actor, ports, (t) => completeTask(t, notes, actor, ports));

export const failDeploymentTask = (
  id: string,
  reason: string,
  expectedVersion: number,
  actor: Actor,
  ports: TaskPorts,
) => moveTask(id, expectedVersion, actor, ports, (t) => failTask(t, reason, actor, ports));

export const retryDeploymentTask = (id: string, expectedVersion: number, actor: Actor, ports: TaskPorts) =>
  moveTask(id, expectedVersion, actor, ports, (t) => retryTask(t, actor, ports));
