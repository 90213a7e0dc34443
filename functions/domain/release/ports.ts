/**
 * What the release use cases need: the release store (a workflow run's store, plus listing), the
 * teams a release may belong to, and the workflow run's ports (catalog, executions, signals).
 */
import type { Change } from '../change/change.ts';
import type { CiStore } from '../ci/ports.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdGenerator, Meter, Page } from '../ports.ts';
import type { SlaStore } from '../sla/ports.ts';
import type { Task, TasksReadiness } from '../task/task.ts';
import type { Team } from '../team/team.ts';
import type {
  ExecutionStarter,
  ExecutionViewer,
  RunStore,
  StageSignals,
  WorkflowCatalog,
} from '../workflow-run/ports.ts';
import type { Release, ReleaseStatus } from './release.ts';

/**
 * A release without its plan: what the many small acts on its tasks need (a task move: is it still
 * running, and what its team's policies match on; a CI update: is it still running). A plan of
 * thousands of tasks makes the release item hundreds of KB; these reads must not carry it.
 */
export type ReleaseStanding = Pick<
  Release,
  'id' | 'status' | 'teamId' | 'releaseType' | 'packageType' | 'urgency' | 'businessPriority'
>;

export interface ReleaseStore extends RunStore<Release> {
  /** The release without its plan (a projection of its item), undefined when there is none. */
  standing(id: string): Promise<ReleaseStanding | undefined>;
  /** Newest first (in planned-start order when only the planned start is filtered on). */
  list(filter: ReleaseFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Release>>;
  /**
   * `save` for an edit of what the readying reads (the planned tasks, the RFC links, the deployment
   * setting): it also holds only while the release's tasks are not ready (a VersionConflictError
   * otherwise), so a plan is never changed under the readying.
   */
  savePlan(
    release: Release,
    expectedVersion: number,
    events: readonly DomainEvent[],
    previous?: Release,
  ): Promise<void>;
}

/** What a release list may be narrowed to; every field is optional. */
export interface ReleaseFilter {
  readonly status?: ReleaseStatus | undefined;
  readonly stage?: string | undefined;
  readonly teamId?: string | undefined;
  /** Planned to start at or after this instant (ISO 8601). */
  readonly plannedFrom?: string | undefined;
  /** Planned to start before this instant (ISO 8601). */
  readonly plannedTo?: string | undefined;
}

/** The teams a release may belong to (read side of the team store). */
export interface ReleaseTeamDirectory {
  /** With `maxAgeMs`, possibly as read that long ago (TEAM_STALENESS_MS in team/team.ts). */
  get(id: string, maxAgeMs?: number): Promise<Team | undefined>;
  /** The team holding each of these work groups, by work group id (absent: no such group). */
  workGroupTeams(workGroupIds: readonly string[]): Promise<ReadonlyMap<string, Team>>;
}

/** The live side of a release's tasks (read side of the task store). */
export interface ReleaseTaskReader {
  /** Every ready task of a release, in plan order (none before its tasks are ready). */
  ofRelease(releaseId: string): Promise<Task[]>;
  /** The mark that the release's tasks are ready, if they are. */
  readiness(releaseId: string): Promise<TasksReadiness | undefined>;
}

/** The RFCs a release may link (read side of the RFC store). */
export interface ReleaseChangeDirectory {
  get(id: string): Promise<Change | undefined>;
}

export interface ReleasePorts {
  readonly releases: ReleaseStore;
  readonly teams: ReleaseTeamDirectory;
  readonly changes: ReleaseChangeDirectory;
  readonly tasks: ReleaseTaskReader;
  /** The CIs planned tasks name, and the marks of planned updates applied (read side of the CI store). */
  readonly cis: Pick<CiStore, 'getMany' | 'applied' | 'dependents'>;
  /** The SLAs covering the CIs it touches (read side of the SLA store), for its blackouts. */
  readonly slas: Pick<SlaStore, 'covering' | 'getMany'>;
  readonly workflows: WorkflowCatalog;
  readonly executions: ExecutionStarter;
  readonly stageSignals: StageSignals;
  readonly executionViewer: ExecutionViewer;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Counts what the use cases committed: releases created, moves, approvals, blackout overrides. */
  readonly meter: Meter;
}
