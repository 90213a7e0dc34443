/**
 * What backing out a release needs: the releases and their workflow run, what the release changed
 * in the CMDB (and what changed it since), the restore writes, and the back-out procedures of the
 * knowledge base.
 */
import type { Clock, IdGenerator, Meter } from '../ports.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { StageSignals, WorkflowDefinitions } from '../workflow-run/ports.ts';
import type { CiRestore, CiVersionChange, CurrentCi } from './plan.ts';

/** The CMDB as a back-out reads and writes it. */
export interface BackoutCmdb {
  /**
   * Every CI the release changed, as it is now, and every version of each since the release's
   * first change to it (any writer), for the plan.
   */
  changesOf(releaseId: string): Promise<{ versions: CiVersionChange[]; current: CurrentCi[] }>;
  /**
   * Writes each restore as the CI's next version (`backoutOf` the release), only while the CI is
   * still at `expectedVersion` (a VersionConflictError otherwise: something changed it meanwhile).
   * Many CIs are written in several transactions; a retried back-out finds its own restores and
   * writes only the rest. Returns the versions written.
   */
  restore(
    restores: readonly CiRestore[],
    meta: { releaseId: string; actor: string; reason: string; at: string },
  ): Promise<{ ciId: string; version: number }[]>;
}

/** A back-out procedure article, at its current version. */
export interface Procedure {
  readonly id: string;
  readonly version: number;
  readonly title: string;
}

export interface BackoutProcedures {
  /** Every `backout-procedure` article linked to the release or to any of the CIs. */
  backoutProcedures(query: { releaseId: string; ciIds: readonly string[] }): Promise<Procedure[]>;
}

export interface BackoutPorts {
  readonly releases: Pick<ReleaseStore, 'get' | 'save'>;
  readonly workflows: WorkflowDefinitions;
  readonly stageSignals: StageSignals;
  readonly cmdb: BackoutCmdb;
  readonly procedures: BackoutProcedures;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Counts each back-out once it is committed. */
  readonly meter: Meter;
}
