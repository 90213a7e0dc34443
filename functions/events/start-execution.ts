/**
 * `Release Created` consumer: starts the release's workflow execution. Idempotent — the
 * execution name is the release id and the input is the same every time, so a redelivered
 * event (or the API having started it already) changes nothing.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import type { WorkflowRef } from '#domain/release';
import { startReleaseExecution } from '#lib/execution-starter';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';

interface ReleaseCreatedDetail {
  id: string;
  data: {
    releaseId: string;
    stateMachineArn: string;
    workflow: { id: string; version: number };
    executionInput: { signal: { to: string } };
  };
}

export function createHandler(deps: () => { clients: { sfn: SFNClient } }) {
  return async (event: EventBridgeEvent<'Release Created', ReleaseCreatedDetail>): Promise<void> => {
    const { data } = event.detail;
    const workflow: WorkflowRef = {
      id: data.workflow.id,
      version: data.workflow.version,
      stateMachineArn: data.stateMachineArn,
      initialStage: data.executionInput.signal.to,
    };
    const executionArn = await startReleaseExecution(deps().clients.sfn, { id: data.releaseId, workflow });
    logger.info('Release execution started', {
      releaseId: data.releaseId,
      executionArn: executionArn ?? 'already started',
    });
  };
}

export const handler = createHandler(environmentPorts);
