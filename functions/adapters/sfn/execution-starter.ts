/**
 * Starts a release's Step Functions execution. Idempotent: the execution name is the release id
 * and the input is derived from the release alone, so StartExecution returns the same execution
 * when called again (from the API and from the `Release Created` consumer).
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionInput, type Release } from '#domain/release/release';
import type { ExecutionStarter } from '#domain/release/service';
import { logger } from '../../app/logger.ts';

export async function startReleaseExecution(
  sfn: SFNClient,
  release: Pick<Release, 'id' | 'workflow'>,
): Promise<string | undefined> {
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: release.workflow.stateMachineArn,
        name: release.id,
        input: JSON.stringify(executionInput(release)),
      }),
    );
    return out.executionArn;
  } catch (error) {
    // Already started with other input, or already finished: either way it exists; nothing to do.
    if (error instanceof ExecutionAlreadyExists) return undefined;
    throw error;
  }
}

/** Best effort from the API: a failure is logged and left to the event consumer to retry. */
export function sfnExecutionStarter(sfn: SFNClient): ExecutionStarter {
  return {
    async startRelease(release) {
      try {
        await startReleaseExecution(sfn, release);
      } catch (error) {
        logger.warn('StartExecution failed; the Release Created consumer will retry', {
          releaseId: release.id,
          error,
        });
      }
    },
  };
}
