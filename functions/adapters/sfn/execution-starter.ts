/**
 * Starts a subject's Step Functions execution. Idempotent: the execution name is the subject's id
 * and the input is derived from the subject alone, so StartExecution returns the same execution
 * when called again (by the created event's consumer on a redelivery, or by the reconciler).
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from '#domain/workflow-run/ports';
import { executionInput, type RunKind, type RunSubject } from '#domain/workflow-run/run';
import { logger } from '../../app/logger.ts';

export async function startExecution(
  sfn: SFNClient,
  kind: RunKind,
  subject: Pick<RunSubject, 'id' | 'workflow'>,
): Promise<string | undefined> {
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: subject.workflow.stateMachineArn,
        name: subject.id,
        input: JSON.stringify(executionInput(kind, subject)),
      }),
    );
    return out.executionArn;
  } catch (error) {
    // Already started with other input, or already finished: either way it exists; nothing to do.
    if (error instanceof ExecutionAlreadyExists) return undefined;
    throw error;
  }
}

/** Best effort (the reconciler's): a failure is logged and left to the created event's consumer to retry. */
export function sfnExecutionStarter(sfn: SFNClient): ExecutionStarter {
  return {
    async start(kind, subject) {
      try {
        await startExecution(sfn, kind, subject);
      } catch (error) {
        logger.warn("StartExecution failed; the created event's consumer will retry", {
          subject: { kind, id: subject.id },
          error,
        });
      }
    },
  };
}
