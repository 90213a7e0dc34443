/**
 * A CI as it was at an instant: one Query, read by the CI store and read ahead with the caller
 * (`getWith` in user-repository.ts), in a module of its own so that every function's bundle,
 * which reads callers, does not carry the whole CI store.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ciAtRange, keys } from './keys.ts';

/** The request scope's key of the CI `id` as it was at `instant` (ISO 8601). */
export const ciAtKey = (id: string, instant: string) => `ci-at:${id}\u0000${instant}`;

/** The item of the last version of CI `id` at or before `instant`: one Query, newest first, Limit 1. */
export async function queryCiAt(
  db: DynamoDBDocumentClient,
  table: string,
  id: string,
  instant: string,
): Promise<Record<string, unknown> | undefined> {
  const range = ciAtRange(instant);
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.ci(id).pk, ':from': range.from, ':to': range.to },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return out.Items?.[0];
}
