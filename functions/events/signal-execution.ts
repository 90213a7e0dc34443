/**
 * `Release Stage Entered` consumer: makes sure the release's execution receives the accepted
 * transition. The API signals right away; this is the retry that makes a failed or early signal
 * land. Throwing when the execution has not reached the stage yet lets EventBridge retry later.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { StageSignal } from '#domain/release-transition';
import type { Clients } from '#lib/clients';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';
import { signalStage } from '#lib/stage-signal';

interface StageEnteredDetail {
  id: string;
  data: { releaseId: string; signal: StageSignal };
}

export class ExecutionNotReadyError extends Error {
  constructor(releaseId: string, entry: number) {
    super(`The execution of ${releaseId} has not reached stage entry ${entry - 1} yet; retry later.`);
    this.name = 'ExecutionNotReadyError';
  }
}

export function createHandler(
  deps: () => { clients: Pick<Clients, 'db' | 'sfn'>; config: { tableName: string } },
) {
  return async (event: EventBridgeEvent<'Release Stage Entered', StageEnteredDetail>): Promise<void> => {
    const { clients, config } = deps();
    const { releaseId, signal } = event.detail.data;
    const outcome = await signalStage(
      { db: clients.db, sfn: clients.sfn, tableName: config.tableName },
      { kind: 'release', id: releaseId },
      signal,
    );
    if (outcome === 'not-ready') throw new ExecutionNotReadyError(releaseId, signal.entry);
    logger.info('Stage signal', { releaseId, entry: signal.entry, outcome });
  };
}

export const handler = createHandler(environmentPorts);
