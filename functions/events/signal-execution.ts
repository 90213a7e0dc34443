/**
 * Stage-entered consumer (`Release Stage Entered`, `Change State Changed`): makes sure the
 * subject's execution receives the accepted transition. It is what signals a move (the API does
 * only when asked to wait, `Prefer: wait`), and the retry that makes a failed or early signal
 * land. The event is parsed with its schema first: a malformed one throws
 * {@link MalformedEventError} (retried, then set aside with that reason). A well-formed event is
 * only a hint: the signal sent is the one the table committed under the event's id, so a forged
 * or altered event moves nothing. When the execution has not reached the stage the move leaves
 * (the move before it is still on its way, as when a client moves twice in quick succession), it
 * waits for it a few seconds ({@link NOT_READY_WAIT_MS}) before throwing, which lets Lambda retry
 * the invocation — in AWS a minute later at the earliest, too late for a client's next moves.
 */
import { signalStage } from '#adapters/sfn/stage-signal';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { busEventCorrelation, withTelemetry } from '#app/telemetry';
import { COMMITTED_MOVE } from '#domain/workflow-run/events';
import type { RunStore, WaitStore } from '#domain/workflow-run/ports';
import { type RunKind, type RunSubject, SUBJECT_KINDS } from '#domain/workflow-run/run';
import { MalformedEventError, parseRunEvent } from './delivered.ts';

export { MalformedEventError };

/** What is read back from the committed event: the signal, and whether the move ended the run. */
const COMMITTED_SIGNAL = COMMITTED_MOVE.pick({ status: true, signal: true });

export class ExecutionNotReadyError extends Error {
  constructor(id: string, entry: number) {
    super(`The execution of ${id} has not reached stage entry ${entry - 1} yet; retry later.`);
    this.name = 'ExecutionNotReadyError';
  }
}

/** How long one invocation waits for the execution to reach the stage a move leaves. */
export const NOT_READY_WAIT_MS = 5_000;

export function createHandler(
  deps: () => {
    clients: Pick<Clients, 'sfn'>;
    runs: Readonly<Record<RunKind, Pick<RunStore<RunSubject>, 'event' | 'get'>>>;
    waits: Pick<WaitStore, 'waiting'>;
  },
  options: { notReadyWaitMs?: number } = {},
) {
  const waitMs = options.notReadyWaitMs ?? NOT_READY_WAIT_MS;
  return withTelemetry('signal-execution', busEventCorrelation, async (event: unknown): Promise<void> => {
    const { kind, detail } = parseRunEvent(event, 'entered');
    const { id } = detail.subject;
    const eventId = detail.id;
    const { clients, runs, waits } = deps();
    const [stored, subject] = await Promise.all([runs[kind].event(id, eventId), runs[kind].get(id)]);
    if (subject?.status === 'failed') {
      // Its execution is over: there is no waiting stage to signal, now or later.
      logger.info('Subject failed; its execution is over, nothing to signal', { kind, id, eventId });
      return;
    }
    if (stored?.type !== SUBJECT_KINDS[kind].events.entered.type) {
      logger.warn('Stage-entered event that the table does not hold ignored', { kind, id, eventId });
      return;
    }
    // What the table committed is the domain's own event; if it does not parse, nothing is sent.
    const committed = COMMITTED_SIGNAL.safeParse(stored.data);
    if (!committed.success) {
      throw new MalformedEventError(
        `the committed "${stored.type}" ${eventId} of ${kind} ${id} does not match its schema: ${committed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const data = committed.data;
    const send = () =>
      signalStage({ waits, sfn: clients.sfn }, { kind, id }, data.signal, {
        terminal: data.status !== 'active',
      });
    let outcome = await send();
    // Not there yet: look again, 50 ms then doubling up to 1 s, for a few seconds at most.
    for (
      let delay = 50, waited = 0;
      outcome === 'not-ready' && waited < waitMs;
      delay = Math.min(delay * 2, 1_000)
    ) {
      await new Promise((r) => setTimeout(r, delay));
      waited += delay;
      outcome = await send();
    }
    if (outcome === 'not-ready') throw new ExecutionNotReadyError(id, data.signal.entry);
    logger.info('Stage signal', { kind, id, entry: data.signal.entry, outcome });
  });
}

export const handler = createHandler(environmentPorts);
