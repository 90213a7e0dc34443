/**
 * Step Functions task handler for every human stage (`.waitForTaskToken`): records the task token
 * the execution now waits on, so that the API's accepted transition can send it back.
 * Idempotent: a retried or replayed call for an older stage entry never overwrites a newer one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clients } from '#lib/clients';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';
import { aggregatePk } from '#store/keys';

/** The task's payload, fixed by the workflow execution contract (workflows/README.md). */
export interface RecordStagePayload {
  readonly subject: { readonly kind: 'release' | 'change'; readonly id: string };
  readonly stage: string;
  readonly entry: number;
  readonly taskToken: string;
}

/** Sort key of the item holding the token the execution currently waits on. */
export const WAIT_SK = '#WAIT';

export function createHandler(deps: () => { clients: Pick<Clients, 'db'>; config: { tableName: string } }) {
  return async (payload: RecordStagePayload): Promise<{ recorded: boolean }> => {
    const { clients, config } = deps();
    try {
      await clients.db.send(
        new PutCommand({
          TableName: config.tableName,
          Item: {
            pk: aggregatePk(payload.subject.kind, payload.subject.id),
            sk: WAIT_SK,
            entity: 'wait',
            stage: payload.stage,
            entry: payload.entry,
            taskToken: payload.taskToken,
            recordedAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #entry <= :entry',
          ExpressionAttributeNames: { '#entry': 'entry' },
          ExpressionAttributeValues: { ':entry': payload.entry },
        }),
      );
      return { recorded: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        logger.info('Stale stage record ignored', { subject: payload.subject, entry: payload.entry });
        return { recorded: false };
      }
      throw error;
    }
  };
}

export const handler = createHandler(environmentPorts);
