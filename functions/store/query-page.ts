/**
 * One page of a partition — of the table or of a GSI — with an opaque cursor: the single way the
 * store lists anything (Query only, never Scan).
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '#domain/ports';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { IndexName } from './table-definition.ts';

export interface PartitionQuery {
  /** A GSI, or the table itself when absent. */
  readonly index?: IndexName;
  readonly partition: string;
  /** Only items whose sort key starts with this. */
  readonly sortPrefix?: string;
  /** Descending sort key order (e.g. newest first); ascending by default. */
  readonly descending?: boolean;
}

export async function queryPage<T>(
  db: DynamoDBDocumentClient,
  tableName: string,
  query: PartitionQuery,
  page: { limit: number; cursor?: string | undefined },
  toDomain: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const pk = query.index ? `${query.index}pk` : 'pk';
  const sk = query.index ? `${query.index}sk` : 'sk';
  // A cursor names the table's key and, on an index, the index's key too.
  const start = decodeCursor(page.cursor, query.index ? ['pk', 'sk', pk, sk] : ['pk', 'sk']);
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      ...(query.index ? { IndexName: query.index } : {}),
      KeyConditionExpression:
        query.sortPrefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': pk, ...(query.sortPrefix === undefined ? {} : { '#sk': sk }) },
      ExpressionAttributeValues: {
        ':pk': query.partition,
        ...(query.sortPrefix === undefined ? {} : { ':prefix': query.sortPrefix }),
      },
      ScanIndexForward: query.descending !== true,
      Limit: page.limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  const nextCursor = encodeCursor(out.LastEvaluatedKey);
  return { items: (out.Items ?? []).map(toDomain), ...(nextCursor ? { nextCursor } : {}) };
}
