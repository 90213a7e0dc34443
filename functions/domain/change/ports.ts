/**
 * What the RFC use cases need: the RFC store (a workflow run's store, plus its lists and the
 * releases linked to an RFC), the boards that vote, and the workflow run's ports.
 */
import type { CiStore } from '../ci/ports.ts';
import type { Clock, IdGenerator, Meter, Page } from '../ports.ts';
import type { SlaStore } from '../sla/ports.ts';
import type { Team } from '../team/team.ts';
import type {
  ExecutionStarter,
  ExecutionViewer,
  RunStore,
  StageSignals,
  WorkflowCatalog,
} from '../workflow-run/ports.ts';
import type { Change, ChangeType } from './change.ts';

/** What an RFC list may be narrowed to. */
export interface ChangeFilter {
  readonly state?: string | undefined;
  readonly type?: ChangeType | undefined;
  /** Planned to start at or after this instant (ISO 8601); RFCs without a planned start are left out. */
  readonly plannedFrom?: string | undefined;
  /** Planned to start before this instant (ISO 8601). */
  readonly plannedTo?: string | undefined;
}

/** A board member's approval queue: RFCs awaiting a vote of these boards, not the voter's own. */
export interface ApprovalQueue {
  readonly voterId: string;
  readonly boardIds: readonly string[];
}

export interface ChangeStore extends RunStore<Change> {
  /** Newest first (in planned-start order when only the planned start is filtered on). */
  list(filter: ChangeFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Change>>;
  /** Active RFCs waiting in a state that needs a vote of one of the boards, which the voter has not cast. */
  awaitingVote(
    queue: ApprovalQueue,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Change>>;
  /** The ids of the releases that link the RFC (from the link items their creation wrote). */
  linkedReleases(changeId: string): Promise<string[]>;
}

/** The boards RFCs are voted on by (read side of the team store). */
export interface BoardDirectory {
  /** With `maxAgeMs`, possibly as read that long ago (TEAM_STALENESS_MS in team/team.ts). */
  get(id: string, maxAgeMs?: number): Promise<Team | undefined>;
}

export interface ChangePorts {
  readonly changes: ChangeStore;
  readonly teams: BoardDirectory;
  readonly workflows: WorkflowCatalog;
  readonly executions: ExecutionStarter;
  readonly stageSignals: StageSignals;
  readonly executionViewer: ExecutionViewer;
  /** The SLAs covering its CIs and what depends on them, for its blackouts. */
  readonly slas: Pick<SlaStore, 'covering' | 'getMany'>;
  readonly cis: Pick<CiStore, 'dependents'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Counts what the use cases committed: moves and CAB votes. */
  readonly meter: Meter;
}
