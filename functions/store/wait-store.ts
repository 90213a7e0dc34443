/**
 * DynamoDB adapter of the wait store: the stage task each subject's execution waits on, one item
 * beside the subject (`#WAIT`). Only a newer (or the same) stage entry replaces it, so a retried
 * or replayed record-stage call for an older entry never overwrites a newer one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WaitingTask, WaitStore } from '#domain/workflow-run/ports';
import { keys } from './keys.ts';
import { TableStore } from './table-store.ts';

export class DynamoWaitStore extends TableStore implements WaitStore {
  async waiting(kind: 'release' | 'change', id: string): Promise<WaitingTask | undefined> {
    return this.read(keys.wait(kind, id), (item) => {
      const { stage, entry, taskToken } = item as unknown as WaitingTask;
      return { stage, entry, taskToken };
    });
  }

  async record(kind: 'release' | 'change', id: string, task: WaitingTask, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.wait(kind, id), entity: 'wait', ...task, recordedAt: at },
          ConditionExpression: 'attribute_not_exists(pk) OR #entry <= :entry',
          ExpressionAttributeNames: { '#entry': 'entry' },
          ExpressionAttributeValues: { ':entry': task.entry },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
