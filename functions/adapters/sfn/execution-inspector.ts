/**
 * The Step Functions side of reconciliation: what an execution is doing (its status, the state it
 * is in, and the stage task it waits on with that task's token, read from its own history) and
 * answering that task. The token comes from the execution's `TaskScheduled` event, not from the
 * table, so a repair reaches the task the execution really waits on — even after a crash that
 * left the stored token out of date.
 */
import { type HistoryEvent, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionInspector } from '#domain/workflow-run/ports';
import type { ObservedExecution } from '#domain/workflow-run/reconcile';
import { currentStateOf, isSpentToken, readExecution } from './execution-view.ts';

const MAX_EVENTS = 5_000;

/** The stage task the history leaves waiting: the last one scheduled and not yet finished. */
export function waitingTask(events: readonly HistoryEvent[]): ObservedExecution['waiting'] {
  let pending: ObservedExecution['waiting'];
  for (const e of events) {
    if (e.type === 'TaskScheduled') {
      pending = undefined;
      try {
        const parameters = JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}') as {
          Payload?: { stage?: unknown; entry?: unknown; taskToken?: unknown };
        };
        const p = parameters.Payload;
        if (typeof p?.stage === 'string' && typeof p.entry === 'number' && typeof p.taskToken === 'string') {
          pending = { stage: p.stage, entry: p.entry, taskToken: p.taskToken };
        }
      } catch {
        pending = undefined;
      }
    } else if (
      e.type === 'TaskSucceeded' ||
      e.type === 'TaskFailed' ||
      e.type === 'TaskTimedOut' ||
      e.type === 'TaskStateAborted' ||
      e.type === 'TaskStateExited'
    ) {
      pending = undefined;
    }
  }
  return pending;
}

export function sfnExecutionInspector(sfn: SFNClient): ExecutionInspector {
  return {
    async inspect(stateMachineArn, name) {
      const read = await readExecution(sfn, stateMachineArn, name, { maxEvents: MAX_EVENTS });
      if (!read) return undefined;
      const { described, events } = read;
      const status = String(described.status) as ObservedExecution['status'];
      return {
        status,
        currentState: currentStateOf(events),
        ...(status === 'RUNNING' ? { waiting: waitingTask(events) } : {}),
        ...(described.error ? { error: described.error } : {}),
        ...(described.cause ? { cause: described.cause } : {}),
        ...(described.stopDate ? { stopDate: described.stopDate.toISOString() } : {}),
      };
    },
    async answer(taskToken, signal) {
      try {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(signal) }));
        return 'sent';
      } catch (error) {
        if (isSpentToken(error)) return 'already';
        throw error;
      }
    },
  };
}
