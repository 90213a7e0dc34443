/**
 * Step Functions task handler for every human stage (`.waitForTaskToken`): records the task token
 * the execution now waits on, so that the API's accepted transition can send it back.
 * Idempotent: a retried or replayed call for an older stage entry never overwrites a newer one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { VersionConflictError } from '#domain/errors';
import type { Clock, IdGenerator } from '#domain/ports';
import type { ReleaseStore, WorkflowCatalog } from '#domain/release/service';
import { recordExecutionMove } from '#domain/workflow-run/transition';
import { aggregatePk } from '#store/keys';
import { findStage } from '#workflows/transitions';

/** The task's payload, fixed by the workflow execution contract (workflows/README.md). */
export interface RecordStagePayload {
  readonly subject: { readonly kind: 'release' | 'change'; readonly id: string };
  readonly stage: string;
  readonly entry: number;
  /** Absent when the execution timed out into an exit: nothing waits, the move is only recorded. */
  readonly taskToken?: string;
  readonly terminal?: boolean;
}

/** Sort key of the item holding the token the execution currently waits on. */
export const WAIT_SK = '#WAIT';

export interface RecordStageDeps {
  readonly clients: Pick<Clients, 'db'>;
  readonly config: { tableName: string };
  readonly releases: Pick<ReleaseStore, 'get' | 'save'>;
  readonly workflows: Pick<WorkflowCatalog, 'definition'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * The release follows a move its execution made on its own — a stage timeout, which the API did
 * not make, so the release does not know it yet. Only that: the move must be the next entry and
 * the stage left must time out into the stage entered. Anything else (an execution moved by a
 * forged signal, say) is a divergence for the reconciler to report, never recorded as if it were
 * the workflow's own choice.
 */
async function followExecution(deps: RecordStageDeps, payload: RecordStagePayload): Promise<void> {
  if (payload.subject.kind !== 'release') return;
  for (let attempt = 0; attempt < 3; attempt++) {
    const release = await deps.releases.get(payload.subject.id);
    if (!release) return;
    if (release.stageEntry === payload.entry && release.stage !== payload.stage) {
      // A manual move and a timeout raced for the same entry; the execution took the timeout.
      logger.error('Release and execution diverged', {
        releaseId: release.id,
        recorded: release.stage,
        execution: payload.stage,
      });
      return;
    }
    if (payload.entry <= release.stageEntry) return;
    const left = findStage(await deps.workflows.definition(release.workflow), release.stage);
    if (payload.entry !== release.stageEntry + 1 || left?.onTimeout !== payload.stage) {
      logger.error('Release and execution diverged: the execution moved without a transition or timeout', {
        releaseId: release.id,
        recorded: { stage: release.stage, entry: release.stageEntry },
        execution: { stage: payload.stage, entry: payload.entry },
      });
      return;
    }
    const move = recordExecutionMove(
      release,
      { to: payload.stage, entry: payload.entry, terminal: payload.terminal === true },
      deps,
    );
    if (!move) return;
    try {
      await deps.releases.save(move.release, release.version, move.events);
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

export function createHandler(deps: () => RecordStageDeps) {
  return async (payload: RecordStagePayload): Promise<{ recorded: boolean }> => {
    const d = deps();
    const { clients, config } = d;
    if (payload.taskToken === undefined) {
      await followExecution(d, payload);
      return { recorded: true };
    }
    try {
      await clients.db.send(
        new PutCommand({
          TableName: config.tableName,
          Item: {
            pk: aggregatePk(payload.subject.kind, payload.subject.id),
            sk: WAIT_SK,
            entity: 'wait',
            stage: payload.stage,
            entry: payload.entry,
            taskToken: payload.taskToken,
            recordedAt: d.clock.now().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #entry <= :entry',
          ExpressionAttributeNames: { '#entry': 'entry' },
          ExpressionAttributeValues: { ':entry': payload.entry },
        }),
      );
      await followExecution(d, payload);
      return { recorded: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        logger.info('Stale stage record ignored', { subject: payload.subject, entry: payload.entry });
        return { recorded: false };
      }
      throw error;
    }
  };
}

export const handler = createHandler(environmentPorts);
