/**
 * `Release Stage Entered` consumer: makes sure the release's execution receives the accepted
 * transition. The API signals right away; this is the retry that makes a failed or early signal
 * land. The event is only a hint: the signal sent is the one the table committed under the
 * event's id, so a forged or altered event moves nothing. Throwing when the execution has not
 * reached the stage yet lets EventBridge retry later.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { ReleaseStore } from '#domain/release-service';
import type { StageSignal } from '#domain/release-transition';
import type { Clients } from '#lib/clients';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';
import { signalStage } from '#lib/stage-signal';

interface StageEnteredDetail {
  id?: unknown;
  subject?: { kind?: unknown; id?: unknown };
  data?: { releaseId?: unknown };
}

export class ExecutionNotReadyError extends Error {
  constructor(releaseId: string, entry: number) {
    super(`The execution of ${releaseId} has not reached stage entry ${entry - 1} yet; retry later.`);
    this.name = 'ExecutionNotReadyError';
  }
}

export function createHandler(
  deps: () => {
    clients: Pick<Clients, 'db' | 'sfn'>;
    config: { tableName: string };
    releases: Pick<ReleaseStore, 'event' | 'get'>;
  },
) {
  return async (event: EventBridgeEvent<'Release Stage Entered', StageEnteredDetail>): Promise<void> => {
    const { clients, config, releases } = deps();
    // The subject names the release even when the relay had to truncate the event's data.
    const releaseId = event.detail?.subject?.id ?? event.detail?.data?.releaseId;
    const eventId = event.detail?.id;
    if (typeof releaseId !== 'string' || typeof eventId !== 'string') {
      logger.warn('Release Stage Entered without a release or event id ignored', { detail: event.detail });
      return;
    }
    const [stored, release] = await Promise.all([
      releases.event(releaseId, eventId),
      releases.get(releaseId),
    ]);
    if (release?.status === 'failed') {
      // Its execution is over: there is no waiting stage to signal, now or later.
      logger.info('Release failed; its execution is over, nothing to signal', { releaseId, eventId });
      return;
    }
    const signal = (stored?.data as { signal?: StageSignal } | undefined)?.signal;
    if (stored?.type !== 'Release Stage Entered' || !signal) {
      logger.warn('Release Stage Entered that the table does not hold ignored', { releaseId, eventId });
      return;
    }
    const outcome = await signalStage(
      { db: clients.db, sfn: clients.sfn, tableName: config.tableName },
      { kind: 'release', id: releaseId },
      signal,
      { terminal: (stored.data as { status?: unknown }).status !== 'active' },
    );
    if (outcome === 'not-ready') throw new ExecutionNotReadyError(releaseId, signal.entry);
    logger.info('Stage signal', { releaseId, entry: signal.entry, outcome });
  };
}

export const handler = createHandler(environmentPorts);
