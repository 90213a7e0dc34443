/**
 * Stage-entered consumer (`Release Stage Entered`, `Change State Changed`): makes sure the
 * subject's execution receives the accepted transition. The API signals right away; this is the
 * retry that makes a failed or early signal land. The event is only a hint: the signal sent is
 * the one the table committed under the event's id, so a forged or altered event moves nothing.
 * Throwing when the execution has not reached the stage yet lets the invocation be retried.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { signalStage } from '#adapters/sfn/stage-signal';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import type { RunStore, WaitStore } from '#domain/workflow-run/ports';
import {
  type RunKind,
  type RunSubject,
  runKindOf,
  type StageSignal,
  SUBJECT_KINDS,
} from '#domain/workflow-run/run';

interface StageEnteredDetail {
  id?: unknown;
  subject?: { kind?: unknown; id?: unknown };
}

export class ExecutionNotReadyError extends Error {
  constructor(id: string, entry: number) {
    super(`The execution of ${id} has not reached stage entry ${entry - 1} yet; retry later.`);
    this.name = 'ExecutionNotReadyError';
  }
}

export function createHandler(
  deps: () => {
    clients: Pick<Clients, 'sfn'>;
    runs: Readonly<Record<RunKind, Pick<RunStore<RunSubject>, 'event' | 'get'>>>;
    waits: Pick<WaitStore, 'waiting'>;
  },
) {
  return async (event: EventBridgeEvent<string, StageEnteredDetail>): Promise<void> => {
    const { clients, runs, waits } = deps();
    const kind = runKindOf(event.detail?.subject);
    const id = event.detail?.subject?.id;
    const eventId = event.detail?.id;
    if (!kind || typeof id !== 'string' || typeof eventId !== 'string') {
      logger.warn('Stage-entered event without a subject or event id ignored', { detail: event.detail });
      return;
    }
    const [stored, subject] = await Promise.all([runs[kind].event(id, eventId), runs[kind].get(id)]);
    if (subject?.status === 'failed') {
      // Its execution is over: there is no waiting stage to signal, now or later.
      logger.info('Subject failed; its execution is over, nothing to signal', { kind, id, eventId });
      return;
    }
    const data = stored?.data as { signal?: StageSignal; status?: unknown } | undefined;
    if (stored?.type !== SUBJECT_KINDS[kind].events.entered || !data?.signal) {
      logger.warn('Stage-entered event that the table does not hold ignored', { kind, id, eventId });
      return;
    }
    const outcome = await signalStage({ waits, sfn: clients.sfn }, { kind, id }, data.signal, {
      terminal: data.status !== 'active',
    });
    if (outcome === 'not-ready') throw new ExecutionNotReadyError(id, data.signal.entry);
    logger.info('Stage signal', { kind, id, entry: data.signal.entry, outcome });
  };
}

export const handler = createHandler(environmentPorts);
