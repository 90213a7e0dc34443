/**
 * `Release Created` consumer: starts the release's workflow execution. The event is only a hint:
 * the release is read from the table, and only a stored, active release is started, on its stored
 * state machine with the input derived from it — a forged or replayed event starts nothing that
 * the table does not call for. Idempotent: the execution name is the release id and the input is
 * the same every time.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { ReleaseStore } from '#domain/release-service';
import type { Clients } from '#lib/clients';
import { startReleaseExecution } from '#lib/execution-starter';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';

interface ReleaseCreatedDetail {
  id?: unknown;
  subject?: { kind?: unknown; id?: unknown };
  data?: { releaseId?: unknown };
}

export function createHandler(
  deps: () => { clients: Pick<Clients, 'sfn'>; releases: Pick<ReleaseStore, 'get' | 'event'> },
) {
  return async (event: EventBridgeEvent<'Release Created', ReleaseCreatedDetail>): Promise<void> => {
    const { clients, releases } = deps();
    // The subject names the release even when the relay had to truncate the event's data.
    const releaseId = event.detail?.subject?.id ?? event.detail?.data?.releaseId;
    const eventId = event.detail?.id;
    if (typeof releaseId !== 'string' || typeof eventId !== 'string') {
      logger.warn('Release Created without a release or event id ignored', { detail: event.detail });
      return;
    }
    // The event must be one the table committed, for a release the table holds.
    const [stored, release] = await Promise.all([
      releases.event(releaseId, eventId),
      releases.get(releaseId),
    ]);
    if (stored?.type !== 'Release Created' || !release) {
      logger.warn('Release Created that the table does not hold ignored', { releaseId, eventId });
      return;
    }
    if (release.status !== 'active') {
      logger.info('Release is over; its execution is not started again', {
        releaseId,
        status: release.status,
      });
      return;
    }
    const executionArn = await startReleaseExecution(clients.sfn, release);
    logger.info('Release execution started', { releaseId, executionArn: executionArn ?? 'already started' });
  };
}

export const handler = createHandler(environmentPorts);
