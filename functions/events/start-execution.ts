/**
 * Created-event consumer (`Release Created`, `Change Recorded`): starts the subject's workflow
 * execution. The event is only a hint: the subject is read from the table, and only a stored,
 * active subject is started, on its stored state machine with the input derived from it — a
 * forged or replayed event starts nothing that the table does not call for. Idempotent: the
 * execution name is the subject's id and the input is the same every time.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { startExecution } from '#adapters/sfn/execution-starter';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import type { RunStore } from '#domain/workflow-run/ports';
import { type RunKind, type RunSubject, runKindOf, SUBJECT_KINDS } from '#domain/workflow-run/run';

interface CreatedDetail {
  id?: unknown;
  subject?: { kind?: unknown; id?: unknown };
}

export function createHandler(
  deps: () => {
    clients: Pick<Clients, 'sfn'>;
    runs: Readonly<Record<RunKind, Pick<RunStore<RunSubject>, 'get' | 'event'>>>;
  },
) {
  return async (event: EventBridgeEvent<string, CreatedDetail>): Promise<void> => {
    const { clients, runs } = deps();
    const kind = runKindOf(event.detail?.subject);
    const id = event.detail?.subject?.id;
    const eventId = event.detail?.id;
    if (!kind || typeof id !== 'string' || typeof eventId !== 'string') {
      logger.warn('Created event without a subject or event id ignored', { detail: event.detail });
      return;
    }
    // The event must be one the table committed, for a subject the table holds.
    const [stored, subject] = await Promise.all([runs[kind].event(id, eventId), runs[kind].get(id)]);
    if (stored?.type !== SUBJECT_KINDS[kind].events.created || !subject) {
      logger.warn('Created event that the table does not hold ignored', { kind, id, eventId });
      return;
    }
    if (subject.status !== 'active') {
      logger.info('Subject is over; its execution is not started again', {
        kind,
        id,
        status: subject.status,
      });
      return;
    }
    const executionArn = await startExecution(clients.sfn, kind, subject);
    logger.info('Execution started', { kind, id, executionArn: executionArn ?? 'already started' });
  };
}

export const handler = createHandler(environmentPorts);
