/**
 * What the deployment-task use cases need: the task store (task items, their queues and the mark
 * that a release's tasks are ready), the releases they belong to and the workflows that say
 * which stage deploys.
 */
import type { ChangeStore } from '../change/ports.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdGenerator, Meter, Page } from '../ports.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { Team } from '../team/team.ts';
import type { WorkflowDefinitions } from '../workflow-run/ports.ts';
import type { CiUpdateFailure, Task, TaskStatus, TasksReadiness } from './task.ts';

/** What a task list may be narrowed to. One of `workGroupId`, `assignee`, `releaseId` picks the index. */
export interface TaskFilter {
  readonly workGroupId?: string | undefined;
  readonly status?: TaskStatus | undefined;
  readonly assignee?: string | undefined;
  readonly releaseId?: string | undefined;
  /** Only tasks of these work groups (a caller's own, when they are not an administrator). */
  readonly withinWorkGroups?: readonly string[] | undefined;
}

/** What making a release's tasks ready writes, all or (for many tasks) in order. */
export interface ReadyWrite {
  /** The release as read: the write holds only while its version is still this one. */
  readonly release: { readonly id: string; readonly version: number };
  readonly readiness: TasksReadiness;
  readonly tasks: readonly Task[];
  readonly event: DomainEvent;
}

export interface TaskStore {
  get(id: string): Promise<Task | undefined>;
  /** Every ready task of a release, in plan order (none before its tasks are ready). */
  ofRelease(releaseId: string): Promise<Task[]>;
  /** The mark that the release's tasks are ready, if they are. */
  readiness(releaseId: string): Promise<TasksReadiness | undefined>;
  /**
   * Writes the mark, the event and every task, each task only if it does not exist yet: in one
   * transaction when they fit, else the mark, the event and the first tasks in one, then the rest.
   * `already` when the mark existed (another writer made them ready; any task it left unwritten is
   * written now, none is overwritten). A release whose version moved on is a VersionConflictError.
   */
  ready(write: ReadyWrite): Promise<'readied' | 'already'>;
  /** Replaces the task if its stored version is still `expectedVersion`, with its event (409 otherwise). */
  save(task: Task, expectedVersion: number, event: DomainEvent): Promise<void>;
  /**
   * Records on the done task the planned CI updates that could not be applied (an empty list
   * clears them), if its stored version is still the one given (a VersionConflictError otherwise).
   * No event: the failed invocation, with the same reasons, goes to the consumer's dead-letter path.
   */
  recordCiUpdateFailures(task: Task, failures: readonly CiUpdateFailure[]): Promise<void>;
  /** Oldest first (a queue), except a release's tasks, in plan order. */
  list(filter: TaskFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Task>>;
}

export interface TaskPorts {
  readonly tasks: TaskStore;
  /** `get` to ready its plan; `standing` for a task move (no plan read). */
  readonly releases: Pick<ReleaseStore, 'get' | 'standing'>;
  /** The release's team, whose access policies may narrow who deploys (its `deploy` rules). */
  readonly teams: { get(id: string, maxAgeMs?: number): Promise<Team | undefined> };
  readonly workflows: WorkflowDefinitions;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Counts the tasks completed and failed, once each move is committed. */
  readonly meter: Meter;
}

/**
 * What readying the tasks of the releases an RFC manages needs besides: the RFC's committed moves
 * and the releases that link it.
 */
export interface ChangeTriggerPorts extends TaskPorts {
  readonly changes: Pick<ChangeStore, 'event' | 'linkedReleases'>;
}
