/**
 * Step Functions task handler for every human stage (`.waitForTaskToken`), of any kind of
 * subject: records the task token the execution now waits on, so that the API's accepted
 * transition can send it back, and makes the subject follow a move its execution made by itself
 * (a stage timeout). Idempotent: a retried or replayed call for an older stage entry never
 * overwrites a newer one.
 */

import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { countOperational, stepCorrelation, withTelemetry } from '#app/telemetry';
import type { Clock, IdGenerator } from '#domain/ports';
import type { RunStore, WaitStore, WorkflowDefinitions } from '#domain/workflow-run/ports';
import type { RunKind, RunSubject } from '#domain/workflow-run/run';
import { followExecution } from '#domain/workflow-run/service';

/** The task's payload, fixed by the workflow execution contract (workflows/README.md). */
export interface RecordStagePayload {
  readonly subject: { readonly kind: RunKind; readonly id: string };
  readonly stage: string;
  readonly entry: number;
  /** Absent when the execution timed out into an exit: nothing waits, the move is only recorded. */
  readonly taskToken?: string;
  readonly terminal?: boolean;
}

export interface RecordStageDeps {
  readonly runs: Readonly<Record<RunKind, Pick<RunStore<RunSubject>, 'get' | 'save'>>>;
  readonly waits: Pick<WaitStore, 'record'>;
  readonly workflows: WorkflowDefinitions;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export function createHandler(deps: () => RecordStageDeps) {
  return withTelemetry(
    'record-stage',
    stepCorrelation,
    async (payload: RecordStagePayload): Promise<{ recorded: boolean }> => {
      const d = deps();
      const { kind, id } = payload.subject;
      if (payload.taskToken !== undefined) {
        const fresh = await d.waits.record(
          kind,
          id,
          { stage: payload.stage, entry: payload.entry, taskToken: payload.taskToken },
          d.clock.now().toISOString(),
        );
        if (!fresh) {
          logger.info('Stale stage record ignored', { subject: payload.subject, entry: payload.entry });
          return { recorded: false };
        }
      }
      const outcome = await followExecution(
        kind,
        id,
        { stage: payload.stage, entry: payload.entry, terminal: payload.terminal === true },
        { ...d, runs: d.runs[kind] as RunStore<RunSubject> },
      );
      if (outcome === 'diverged') {
        logger.error('Subject and execution diverged: the execution moved without a transition or timeout', {
          subject: payload.subject,
          execution: { stage: payload.stage, entry: payload.entry },
        });
        // The metric the divergence alarm watches (infra/constructs/monitoring.ts): found here, it
        // alarms now, not when the reconciler next runs.
        countOperational({ ReleaseExecutionDivergences: 1 });
      }
      return { recorded: true };
    },
  );
}

export const handler = createHandler(environmentPorts);
