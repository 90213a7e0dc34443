/**
 * The Release aggregate: its shape, its factory and the rules that guard its changes.
 */
import type { Actor } from '../actor.ts';
import { ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import { plannedWindowProblem } from '../planned-window.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import {
  type ExecutionEnd,
  RUN_STATUSES,
  type RunStatus,
  type RunSubject,
  executionInput as runExecutionInput,
  type WorkflowRef,
} from '../workflow-run/run.ts';
import { PACKAGE_TYPES, RELEASE_TYPES, ReleaseCreated, ReleaseUpdated } from './events.ts';

export type { ExecutionEnd, WorkflowRef };
// The values `Release Created` publishes are declared with its schema.
export { PACKAGE_TYPES, RELEASE_TYPES };

export const URGENCIES = ['low', 'medium', 'high', 'critical'] as const;

export type ReleaseType = (typeof RELEASE_TYPES)[number];
export type PackageType = (typeof PACKAGE_TYPES)[number];
export type Urgency = (typeof URGENCIES)[number];
/**
 * A release's statuses are a workflow run's: `failed` means its execution ended outside the API
 * (stopped by an operator, a task that failed for good, an execution timeout).
 */
export const RELEASE_STATUSES = RUN_STATUSES;
export type ReleaseStatus = RunStatus;
/** A deployment task's status as a release shows it: `planned` until it is ready (then the task's own). */
export type TaskStatus = 'planned' | 'ready' | 'in_progress' | 'done' | 'failed';

export interface CiUpdate {
  readonly ciId: string;
  readonly set: Readonly<Record<string, unknown>>;
}

/**
 * A deployment task as planned on the release; it becomes a queue item (`../task/task.ts`) with
 * the same id when it is made ready, and the plan is fixed from then on.
 */
export interface PlannedTask {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly workGroupId: string;
  readonly technicianId?: string;
  readonly ciIds: readonly string[];
  readonly ciUpdates: readonly CiUpdate[];
  readonly status: 'planned';
}

/**
 * How a release's deployment tasks become ready: when it enters its deploy stage, or — managed by
 * change — when the RFC `changeId` (one of its `changeIds`) reaches `changeTriggerState`.
 */
export interface Deployment {
  readonly managedByChange: boolean;
  readonly changeId?: string;
  readonly changeTriggerState?: string;
}

/** A release: a subject of a workflow run with what release management plans for it. */
export interface Release extends RunSubject {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly description?: string;
  readonly releaseType: ReleaseType;
  readonly packageType: PackageType;
  readonly urgency: Urgency;
  readonly businessPriority: number;
  readonly teamId?: string;
  readonly workflow: WorkflowRef;
  readonly stage: string;
  /** How many stages the release has entered since creation (0 = the initial stage). */
  readonly stageEntry: number;
  readonly status: ReleaseStatus;
  readonly plannedStart: string;
  readonly plannedEnd: string;
  readonly changeIds: readonly string[];
  readonly kbArticleIds: readonly string[];
  readonly deployment: Deployment;
  readonly tasks: readonly PlannedTask[];
  /** How the execution ended when it ended outside the API (the release is then `failed`). */
  readonly executionEnd?: ExecutionEnd;
  /**
   * Approvals of pending moves (access policies, `../team/policy.ts`); only those given at the
   * current `stageEntry` count, so a move resets them (see {@link currentApprovals}).
   */
  readonly approvals?: readonly ReleaseApproval[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** An approval of a pending move of a release, by one user. */
export interface ReleaseApproval {
  readonly to: string;
  readonly by: string;
  readonly at: string;
  readonly comment?: string;
  /** The stage entry it was given at: it counts only while the release is still there. */
  readonly stageEntry: number;
  /** The approver's work groups then (what a rule's `approvers` are checked against). */
  readonly workGroupIds: readonly string[];
}

/** The approvals that still count: those given since the release entered its current stage. */
export function currentApprovals(release: Pick<Release, 'approvals' | 'stageEntry'>): ReleaseApproval[] {
  return (release.approvals ?? []).filter((a) => a.stageEntry === release.stageEntry);
}

/** The CIs a release's tasks name (their targets and the CIs their updates change), each once, sorted. */
export function plannedCis(release: Pick<Release, 'tasks'>): string[] {
  return [...new Set(release.tasks.flatMap((t) => [...t.ciIds, ...t.ciUpdates.map((u) => u.ciId)]))].sort();
}

export interface NewTask {
  title: string;
  description?: string | undefined;
  workGroupId: string;
  technicianId?: string | undefined;
  ciIds: string[];
  ciUpdates: CiUpdate[];
}

export interface NewRelease {
  title: string;
  description?: string | undefined;
  releaseType: ReleaseType;
  packageType: PackageType;
  urgency: Urgency;
  businessPriority: number;
  teamId?: string | undefined;
  plannedStart: string;
  plannedEnd: string;
  changeIds: string[];
  kbArticleIds: string[];
  deployment: Deployment;
  tasks: NewTask[];
}

/** A task of an edited plan: `id` keeps the id of a task planned before (else it gets a new one). */
export interface EditedTask extends NewTask {
  id?: string | undefined;
}

export interface ReleaseChanges {
  title?: string | undefined;
  description?: string | undefined;
  plannedStart?: string | undefined;
  plannedEnd?: string | undefined;
  changeIds?: string[] | undefined;
  /** The whole deployment setting, resolved by the use case (the RFC it names exists and is linked). */
  deployment?: Deployment | undefined;
  /** The complete new plan of deployment tasks. */
  tasks?: EditedTask[] | undefined;
}

/** Planned tasks from their input, each with its id (kept when given, else a new one). */
function plannedTasks(input: readonly EditedTask[], ids: IdGenerator): PlannedTask[] {
  return input.map((t) => ({
    id: t.id ?? ids.next('task'),
    title: t.title,
    ...(t.description ? { description: t.description } : {}),
    workGroupId: t.workGroupId,
    ...(t.technicianId ? { technicianId: t.technicianId } : {}),
    ciIds: t.ciIds,
    ciUpdates: t.ciUpdates,
    status: 'planned',
  }));
}

/** The execution input a release's state machine starts with (the workflow execution contract). */
export function executionInput(release: Pick<Release, 'id' | 'workflow'>) {
  return runExecutionInput('release', release);
}

function assertWindow(plannedStart: string, plannedEnd: string): void {
  const problem = plannedWindowProblem(plannedStart, plannedEnd);
  if (problem) {
    throw new ValidationError(
      Date.parse(plannedEnd) <= Date.parse(plannedStart)
        ? 'The planned window ends before it starts.'
        : 'The planned window is too long.',
      [problem],
    );
  }
}

/** Builds a new release in its workflow's initial stage, with its `Release Created` event. */
export function newRelease(
  input: NewRelease,
  workflow: WorkflowRef,
  actor: Actor,
  deps: { clock: Clock; ids: IdGenerator },
): { release: Release; event: DomainEvent } {
  assertWindow(input.plannedStart, input.plannedEnd);
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next('rel');
  const tasks = plannedTasks(input.tasks, deps.ids);
  const release: Release = {
    id,
    version: 1,
    title: input.title,
    ...(input.description ? { description: input.description } : {}),
    releaseType: input.releaseType,
    packageType: input.packageType,
    urgency: input.urgency,
    businessPriority: input.businessPriority,
    ...(input.teamId ? { teamId: input.teamId } : {}),
    workflow,
    stage: workflow.initialStage,
    stageEntry: 0,
    status: 'active',
    plannedStart: new Date(input.plannedStart).toISOString(),
    plannedEnd: new Date(input.plannedEnd).toISOString(),
    changeIds: input.changeIds,
    kbArticleIds: input.kbArticleIds,
    deployment: { ...input.deployment },
    tasks,
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = ReleaseCreated.event(
    {
      releaseId: id,
      title: release.title,
      releaseType: release.releaseType,
      packageType: release.packageType,
      teamId: release.teamId ?? null,
      stage: release.stage,
      plannedStart: release.plannedStart,
      plannedEnd: release.plannedEnd,
      workflow: { id: workflow.id, version: workflow.version },
      stateMachineArn: workflow.stateMachineArn,
      executionInput: executionInput(release),
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { release, event };
}

/**
 * Applies an edit (title, description, planned window, planned tasks); returns the new state and its event, or
 * undefined when the edit changes nothing (no new version, no event).
 */
export function updateRelease(
  release: Release,
  changes: ReleaseChanges,
  actor: Actor,
  deps: { clock: Clock; ids: IdGenerator },
): { release: Release; event: DomainEvent } | undefined {
  const plannedStart = changes.plannedStart
    ? new Date(changes.plannedStart).toISOString()
    : release.plannedStart;
  const plannedEnd = changes.plannedEnd ? new Date(changes.plannedEnd).toISOString() : release.plannedEnd;
  assertWindow(plannedStart, plannedEnd);
  const now = deps.clock.now().toISOString();
  const next: Release = {
    ...release,
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    plannedStart,
    plannedEnd,
    ...(changes.changeIds !== undefined ? { changeIds: [...changes.changeIds] } : {}),
    ...(changes.deployment !== undefined ? { deployment: { ...changes.deployment } } : {}),
    ...(changes.tasks !== undefined ? { tasks: plannedTasks(changes.tasks, deps.ids) } : {}),
    version: release.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const changed = fieldChanges(release, next, [
    'title',
    'description',
    'plannedStart',
    'plannedEnd',
    'changeIds',
    'deployment',
    'tasks',
  ]);
  if (Object.keys(changed).length === 0) return undefined;
  const event = ReleaseUpdated.event(
    { releaseId: release.id, version: next.version, changed },
    eventMeta(deps.ids, now, actor.id, release.id),
  );
  return { release: next, event };
}
