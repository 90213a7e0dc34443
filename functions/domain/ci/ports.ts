/**
 * What the CMDB use cases need: the CI store (current state, immutable versions, the CI at an
 * instant, the relations pointing at a CI, and the marks of planned updates applied), and — to
 * apply a release's planned updates — the tasks and releases they belong to.
 */
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Meter, Page } from '../ports.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { TaskStore } from '../task/ports.ts';
import type { Ci, CiRelationType, CiVersion, CiWrite } from './ci.ts';

/** What a CI list may be narrowed to (each picks an index; no Scan). */
export interface CiFilter {
  readonly type?: string | undefined;
  readonly name?: string | undefined;
}

/** A relation another CI holds to this one (read from the target's side). */
export interface InboundRelation {
  /** The CI that holds the relation. */
  readonly ciId: string;
  readonly type: CiRelationType;
}

/**
 * The mark that one planned CI update (update `index` of task `taskId`) was applied: written in
 * the same transaction as the CI version it made, only if absent, so it is applied once.
 */
export interface AppliedCiUpdate {
  readonly releaseId: string;
  readonly taskId: string;
  readonly index: number;
  readonly ciId: string;
  /** The CI version the update wrote. */
  readonly version: number;
  readonly appliedAt: string;
}

export interface CiStore {
  get(id: string): Promise<Ci | undefined>;
  /** The CIs that exist among `ids` (one BatchGetItem per 100), by id. */
  getMany(ids: readonly string[]): Promise<ReadonlyMap<string, Ci>>;
  /** Stores a new CI with its version 1 and its event (an existing id is a VersionConflictError). */
  create(write: CiWrite, idempotency?: IdempotencyRequest): Promise<IdempotentWrite>;
  /**
   * Stores the CI's next version if its stored version is still `expectedVersion`, with its event;
   * with `applied`, also the mark of that planned update, only if absent. Either condition failing
   * is a VersionConflictError and writes nothing. `previous` is the CI as read (its relations).
   */
  save(write: CiWrite, expectedVersion: number, previous: Ci, applied?: AppliedCiUpdate): Promise<void>;
  /** The CI as it was at `instant` (its last version written at or before it), or undefined. */
  at(id: string, instant: string): Promise<Ci | undefined>;
  /** Its versions, newest first. */
  history(id: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<CiVersion>>;
  version(id: string, version: number): Promise<CiVersion | undefined>;
  /** By name (then id); of one type, or one name (then of one type). */
  list(filter: CiFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Ci>>;
  /** The relations other CIs hold to this one (at most `limit`). */
  dependents(id: string, limit: number): Promise<InboundRelation[]>;
  /**
   * The marks of the release's planned updates applied so far; with `taskId`, only that task's
   * (one task's marks are read per completed task: reading all of the release's would make
   * applying a plan of N tasks read N²/2 marks).
   */
  applied(releaseId: string, taskId?: string): Promise<AppliedCiUpdate[]>;
  /** The versions the release's deployment tasks wrote, oldest first (an index: eventually consistent). */
  versionsOfRelease(
    releaseId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<CiVersion>>;
}

export interface CiPorts {
  readonly cis: CiStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What applying a completed task's planned CI updates needs besides. */
export interface ApplyCiUpdatePorts extends CiPorts {
  readonly tasks: Pick<TaskStore, 'get' | 'recordCiUpdateFailures'>;
  /** Only whether the release still runs: its standing, never its plan. */
  readonly releases: Pick<ReleaseStore, 'standing'>;
  /** Counts the updates this delivery applied (none on a redelivery: the marks say they were). */
  readonly meter: Meter;
}
