/**
 * Sends an accepted transition to the execution waiting in the stage it leaves
 * (SendTaskSuccess with the token record-stage stored). Safe to call any number of times: the
 * stored entry number tells whether the execution already moved on, and a used token is refused
 * by Step Functions, so a transition is never applied twice.
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { StageSignals, WaitStore } from '#domain/workflow-run/ports';
import type { RunKind, StageSignal } from '#domain/workflow-run/run';
import { logger } from '../../app/logger.ts';
import { isSpentToken } from './execution-view.ts';

export type SignalOutcome = 'sent' | 'already' | 'not-ready';

export interface StageSignalDeps {
  readonly waits: Pick<WaitStore, 'waiting'>;
  readonly sfn: SFNClient;
}

type Subject = { kind: RunKind; id: string };

/** One attempt: `not-ready` means the execution has not yet reached the stage being left. */
export async function signalStage(
  deps: StageSignalDeps,
  subject: Subject,
  signal: StageSignal,
  options: { terminal?: boolean } = {},
): Promise<SignalOutcome> {
  let usedToken: string | undefined;
  // Twice at most: a stage task retried after a transient failure waits on a new token.
  for (let attempt = 0; attempt < 2; attempt++) {
    const wait = await deps.waits.waiting(subject.kind, subject.id);
    if (!wait || wait.entry < signal.entry - 1) return 'not-ready';
    if (wait.entry >= signal.entry) return 'already';
    if (wait.taskToken === usedToken) {
      // Spent and not replaced: answered by the other sender (the entry moves on in a moment),
      // or the task failed and is waiting for its retry (a new token comes). A terminal move
      // leaves no next entry to wait for: the execution is ending.
      return options.terminal ? 'already' : 'not-ready';
    }
    try {
      await deps.sfn.send(
        new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify(signal) }),
      );
      return 'sent';
    } catch (error) {
      if (!isSpentToken(error)) throw error;
      usedToken = wait.taskToken;
    }
  }
  return options.terminal ? 'already' : 'not-ready';
}

/**
 * Signals, then waits briefly until the execution waits in the new stage, so that the API's
 * answer describes an execution that has caught up. Returns whether it did within `timeoutMs`;
 * if not (or the signal failed), the `<entered>` event's consumer finishes the job.
 */
export async function signalAndAwait(
  deps: StageSignalDeps,
  subject: Subject,
  signal: StageSignal,
  options: { terminal: boolean; timeoutMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 3_000);
  const pause = async (delay: number) => {
    await new Promise((r) => setTimeout(r, delay));
    return Math.min(delay * 2, 200);
  };
  // A just-started execution may not have recorded its first stage's token yet: wait a little.
  let delay = 10;
  while ((await signalStage(deps, subject, signal, { terminal: options.terminal })) === 'not-ready') {
    if (Date.now() >= deadline) return false;
    delay = await pause(delay);
  }
  if (options.terminal) return true; // a terminal stage has no task; the execution just ends
  for (delay = 10; Date.now() < deadline; delay = await pause(delay)) {
    const wait = await deps.waits.waiting(subject.kind, subject.id);
    if (wait && wait.entry >= signal.entry) {
      // In step only in the very stage the move entered: the same entry in another stage means
      // the execution took something else (the reconciler reports it).
      if (wait.entry === signal.entry && wait.stage !== signal.to) {
        logger.error('Subject and execution diverged', {
          subject,
          recorded: signal.to,
          execution: wait.stage,
        });
        return false;
      }
      return true;
    }
  }
  return false;
}

/** The API's port: never throws, since the transition is already committed and the consumer retries. */
export function sfnStageSignals(deps: StageSignalDeps): StageSignals {
  return {
    async signal(kind, id, signal, options) {
      try {
        return await signalAndAwait(deps, { kind, id }, signal, options);
      } catch (error) {
        logger.warn('Signal failed; the stage-entered consumer will retry', {
          subject: { kind, id },
          error: error as Error,
        });
        return false;
      }
    },
  };
}
