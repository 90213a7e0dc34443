/**
 * Created-event consumer (`Release Created`, `Change Recorded`): starts the subject's workflow
 * execution. The event is parsed with its schema first: a malformed one throws
 * {@link MalformedEventError}, so Lambda retries it and then sends it, with that reason, to the
 * function's on-failure destination. A well-formed event is only a hint: the subject is read from
 * the table, and only a stored subject that has not failed is started, on its stored state machine
 * with the input derived from it — a forged or replayed event starts nothing that the table does not call
 * for. Idempotent: the execution name is the subject's id and the input is the same every time.
 */
import { startExecution } from '#adapters/sfn/execution-starter';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { busEventCorrelation, withTelemetry } from '#app/telemetry';
import type { RunStore } from '#domain/workflow-run/ports';
import { type RunKind, type RunSubject, SUBJECT_KINDS } from '#domain/workflow-run/run';
import { parseRunEvent } from './delivered.ts';

export { MalformedEventError } from './delivered.ts';

/**
 * How long after a subject ended its execution may still be started: a day, well inside the 90
 * days Step Functions refuses a reused name (StartExecution: "You can reuse names after 90 days").
 */
export const ENDED_START_WINDOW_MS = 24 * 60 * 60 * 1000;

export function createHandler(
  deps: () => {
    clients: Pick<Clients, 'sfn'>;
    runs: Readonly<Record<RunKind, Pick<RunStore<RunSubject>, 'get' | 'event'>>>;
  },
) {
  return withTelemetry('start-execution', busEventCorrelation, async (event: unknown): Promise<void> => {
    const { kind, detail } = parseRunEvent(event, 'created');
    const { id } = detail.subject;
    const eventId = detail.id;
    const { clients, runs } = deps();
    // The event must be one the table committed, for a subject the table holds.
    const [stored, subject] = await Promise.all([runs[kind].event(id, eventId), runs[kind].get(id)]);
    if (stored?.type !== SUBJECT_KINDS[kind].events.created.type || !subject) {
      logger.warn('Created event that the table does not hold ignored', { kind, id, eventId });
      return;
    }
    // A failed subject's execution ended outside the API: there is nothing to start. A subject
    // moved to its end before this ran (the API answers before any execution exists) still gets
    // its execution, which the moves' consumers then take to where the subject is; one that
    // already ran is refused by Step Functions (the name is the id) and counts as started.
    if (subject.status === 'failed') {
      logger.info('Subject failed; its execution is not started again', { kind, id });
      return;
    }
    // An ended subject's execution is started only while Step Functions still knows the name
    // (90 days for a Standard execution): a created event replayed later (from a dead-letter queue,
    // say) must not start a new execution for a release that is long over.
    if (subject.status !== 'active' && Date.now() - Date.parse(subject.updatedAt) > ENDED_START_WINDOW_MS) {
      logger.info('Subject ended long ago; its execution is not started', {
        kind,
        id,
        status: subject.status,
      });
      return;
    }
    const executionArn = await startExecution(clients.sfn, kind, subject);
    logger.info('Execution started', { kind, id, executionArn: executionArn ?? 'already started' });
  });
}

export const handler = createHandler(environmentPorts);
