/**
 * The deployment Task aggregate: a release's planned task once it is ready for technicians, and
 * the rules of its moves — `ready → in_progress → done | failed`, `failed → ready` (retry).
 */
import type { Actor } from '../actor.ts';
import { ConflictError, RuleViolationError } from '../errors.ts';
import { type DomainEvent, eventMeta } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import type { CiUpdate, PlannedTask, Release } from '../release/release.ts';
import {
  DeploymentTaskCompleted,
  DeploymentTaskFailed,
  DeploymentTaskRetried,
  DeploymentTaskStarted,
  DeploymentTasksReady,
  TASK_STATUSES,
} from './events.ts';

export { TASK_STATUSES };
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** What made a release's tasks ready: its deploy stage entered, or its RFC in the trigger state. */
export type ReadyTrigger =
  | { readonly kind: 'stage'; readonly entry: number }
  | { readonly kind: 'change'; readonly changeId: string; readonly state: string };

export interface Task {
  /** The planned task's id on the release (`task_…`). */
  readonly id: string;
  readonly releaseId: string;
  /** Its place in the release's plan (0 first): the order of the release's task list. */
  readonly position: number;
  readonly title: string;
  readonly description?: string;
  readonly workGroupId: string;
  /** The technician planned for it, if any. */
  readonly technicianId?: string;
  /** Who holds it: the planned technician, else whoever started it first. */
  readonly assignee?: string;
  readonly ciIds: readonly string[];
  readonly ciUpdates: readonly CiUpdate[];
  readonly status: TaskStatus;
  readonly version: number;
  readonly notes?: string;
  readonly failureReason?: string;
  /** Planned CI updates that could not be applied when it was done (apply-ci-updates records them). */
  readonly ciUpdateFailures?: readonly CiUpdateFailure[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** A planned CI update of a done task that could not be applied, and why. */
export interface CiUpdateFailure {
  /** Its place in the task's `ciUpdates`. */
  readonly index: number;
  readonly ciId: string;
  readonly reason: string;
  readonly at: string;
}

/** The mark that a release's tasks are ready: when, why, and how many. */
export interface TasksReadiness {
  readonly releaseId: string;
  readonly trigger: ReadyTrigger;
  readonly taskIds: readonly string[];
  readonly readyAt: string;
  readonly readyBy: string;
}

type Deps = { clock: Clock; ids: IdGenerator };

/** Who makes tasks ready: the consumer of the trigger, not a person. */
export const TASKS_ACTOR = 'system:create-deployment-tasks';

/**
 * A release's planned tasks as ready task items, with the one `Deployment Tasks Ready` that
 * announces them and the mark that they are ready.
 */
export function readyTasks(
  release: Pick<Release, 'id' | 'tasks'>,
  trigger: ReadyTrigger,
  deps: Deps,
): { tasks: Task[]; readiness: TasksReadiness; event: DomainEvent } {
  const now = deps.clock.now().toISOString();
  const tasks = release.tasks.map(
    (planned: PlannedTask, position): Task => ({
      id: planned.id,
      releaseId: release.id,
      position,
      title: planned.title,
      ...(planned.description !== undefined ? { description: planned.description } : {}),
      workGroupId: planned.workGroupId,
      ...(planned.technicianId !== undefined
        ? { technicianId: planned.technicianId, assignee: planned.technicianId }
        : {}),
      ciIds: planned.ciIds,
      ciUpdates: planned.ciUpdates,
      status: 'ready',
      version: 1,
      createdAt: now,
      createdBy: TASKS_ACTOR,
      updatedAt: now,
      updatedBy: TASKS_ACTOR,
    }),
  );
  const event = DeploymentTasksReady.event(
    {
      releaseId: release.id,
      trigger: {
        kind: trigger.kind,
        entry: trigger.kind === 'stage' ? trigger.entry : null,
        changeId: trigger.kind === 'change' ? trigger.changeId : null,
        state: trigger.kind === 'change' ? trigger.state : null,
      },
      tasks: tasks.map((t) => ({
        id: t.id,
        title: t.title,
        workGroupId: t.workGroupId,
        technicianId: t.technicianId ?? null,
        ciIds: [...t.ciIds],
      })),
    },
    eventMeta(deps.ids, now, TASKS_ACTOR, release.id),
  );
  return {
    tasks,
    readiness: {
      releaseId: release.id,
      trigger,
      taskIds: tasks.map((t) => t.id),
      readyAt: now,
      readyBy: TASKS_ACTOR,
    },
    event,
  };
}

/** The moves a task takes, from which status to which. */
const MOVES = {
  start: { from: 'ready', to: 'in_progress' },
  complete: { from: 'in_progress', to: 'done' },
  fail: { from: 'in_progress', to: 'failed' },
  retry: { from: 'failed', to: 'ready' },
} as const satisfies Record<string, { from: TaskStatus; to: TaskStatus }>;
export type TaskMove = keyof typeof MOVES;

function requireStatus(task: Task, move: TaskMove): void {
  const { from, to } = MOVES[move];
  if (task.status !== from) {
    throw new RuleViolationError(
      'task-transition-not-allowed',
      `Task ${task.id} is ${task.status}; only a ${from} task can be ${move === 'retry' ? 'retried' : `${move}ed`} (to ${to}).`,
      { from: task.status, to, move },
    );
  }
}

/** A task someone else holds is theirs to act on (administrators excepted). */
function requireHolder(task: Task, actor: Actor): void {
  if (task.assignee !== undefined && task.assignee !== actor.id && !actor.admin) {
    throw new ConflictError('task-held', `Task ${task.id} is held by ${task.assignee}.`, {
      assignee: task.assignee,
    });
  }
}

function moved(task: Task, to: TaskStatus, actor: Actor, now: string, extra: Partial<Task> = {}): Task {
  return { ...task, ...extra, status: to, version: task.version + 1, updatedAt: now, updatedBy: actor.id };
}

/** Takes a ready task: it is in progress and held by the caller (unless someone else holds it: 409). */
export function startTask(task: Task, actor: Actor, deps: Deps): { task: Task; event: DomainEvent } {
  requireHolder(task, actor);
  requireStatus(task, 'start');
  const now = deps.clock.now().toISOString();
  const assignee = task.assignee ?? actor.id;
  const next = moved(task, 'in_progress', actor, now, { assignee });
  const event = DeploymentTaskStarted.event(
    {
      taskId: task.id,
      releaseId: task.releaseId,
      workGroupId: task.workGroupId,
      assignee,
      version: next.version,
    },
    eventMeta(deps.ids, now, actor.id, task.id),
  );
  return { task: next, event };
}

/** Completes the task in progress the caller holds; its event carries the CI updates to apply. */
export function completeTask(
  task: Task,
  notes: string | undefined,
  actor: Actor,
  deps: Deps,
): { task: Task; event: DomainEvent } {
  requireHolder(task, actor);
  requireStatus(task, 'complete');
  const now = deps.clock.now().toISOString();
  const next = moved(task, 'done', actor, now, notes !== undefined ? { notes } : {});
  const event = DeploymentTaskCompleted.event(
    {
      taskId: task.id,
      releaseId: task.releaseId,
      workGroupId: task.workGroupId,
      assignee: next.assignee ?? actor.id,
      version: next.version,
      notes: next.notes ?? null,
      ciIds: [...task.ciIds],
      ciUpdates: task.ciUpdates.map((u) => ({ ciId: u.ciId, set: { ...u.set } })),
    },
    eventMeta(deps.ids, now, actor.id, task.id),
  );
  return { task: next, event };
}

/** Reports the task in progress the caller holds as failed, with why. */
export function failTask(
  task: Task,
  reason: string,
  actor: Actor,
  deps: Deps,
): { task: Task; event: DomainEvent } {
  requireHolder(task, actor);
  requireStatus(task, 'fail');
  const now = deps.clock.now().toISOString();
  const next = moved(task, 'failed', actor, now, { failureReason: reason });
  const event = DeploymentTaskFailed.event(
    {
      taskId: task.id,
      releaseId: task.releaseId,
      workGroupId: task.workGroupId,
      assignee: next.assignee ?? actor.id,
      version: next.version,
      reason,
    },
    eventMeta(deps.ids, now, actor.id, task.id),
  );
  return { task: next, event };
}

/** Puts a failed task back in its queue, ready again (the failure reason stays until it is done). */
export function retryTask(task: Task, actor: Actor, deps: Deps): { task: Task; event: DomainEvent } {
  requireStatus(task, 'retry');
  const now = deps.clock.now().toISOString();
  const next = moved(task, 'ready', actor, now);
  const event = DeploymentTaskRetried.event(
    {
      taskId: task.id,
      releaseId: task.releaseId,
      workGroupId: task.workGroupId,
      assignee: next.assignee ?? null,
      version: next.version,
    },
    eventMeta(deps.ids, now, actor.id, task.id),
  );
  return { task: next, event };
}
