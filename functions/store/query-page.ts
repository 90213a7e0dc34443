/**
 * One page of a partition — of the table or of a GSI — with an opaque cursor: the single way the
 * store lists anything (Query only, never Scan). A page is full when it can be (filtered lists
 * read on until they have `limit` items), and a cursor is returned only when another item
 * really follows, so the last page never points at an empty one.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '#domain/ports';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { cursorKey } from './cursor-key.ts';
import type { IndexName } from './table-definition.ts';

/** A condition on non-key attributes, applied within the partition read. */
export interface QueryFilter {
  readonly expression: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface PartitionQuery {
  /** A GSI, or the table itself when absent. */
  readonly index?: IndexName;
  readonly partition: string;
  /** Only items whose sort key starts with this. */
  readonly sortPrefix?: string;
  /** Only items whose sort key is ≥ `from` and ≤ `to` (either may be left out). */
  readonly sortRange?: { readonly from?: string | undefined; readonly to?: string | undefined };
  /** Descending sort key order (e.g. newest first); ascending by default. */
  readonly descending?: boolean;
  readonly filter?: QueryFilter;
}

/** Reads of a filtered list per page, so a sparse filter cannot make one request read forever. */
const MAX_FILTERED_READS = 10;
const FILTERED_READ_SIZE = 100;

function keyCondition(query: PartitionQuery, pk: string, sk: string) {
  const names: Record<string, string> = { '#pk': pk };
  const values: Record<string, unknown> = { ':pk': query.partition };
  let expression = '#pk = :pk';
  if (query.sortPrefix !== undefined) {
    names['#sk'] = sk;
    values[':prefix'] = query.sortPrefix;
    expression += ' AND begins_with(#sk, :prefix)';
  } else if (query.sortRange?.from !== undefined || query.sortRange?.to !== undefined) {
    names['#sk'] = sk;
    const { from, to } = query.sortRange;
    if (from !== undefined) values[':from'] = from;
    if (to !== undefined) values[':to'] = to;
    expression +=
      from !== undefined && to !== undefined
        ? ' AND #sk BETWEEN :from AND :to'
        : from !== undefined
          ? ' AND #sk >= :from'
          : ' AND #sk <= :to';
  }
  return { expression, names, values };
}

/** What binds a cursor to its list: the table, the index, the key condition and the filter. */
function listIdOf(tableName: string, query: PartitionQuery): string {
  return createHash('sha256')
    .update(JSON.stringify([tableName, query]))
    .digest('base64url')
    .slice(0, 22);
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
  const keyNames = query.index ? ['pk', 'sk', pk, sk] : ['pk', 'sk'];
  const secret = await cursorKey(db, tableName);
  const listId = listIdOf(tableName, query);
  let start: Record<string, unknown> | undefined = decodeCursor(secret, listId, page.cursor, keyNames);
  const condition = keyCondition(query, pk, sk);
  const items: Record<string, unknown>[] = [];
  let lastEvaluated: Record<string, unknown> | undefined;
  // One item beyond the page tells whether another page follows.
  for (let read = 0; items.length <= page.limit && read < (query.filter ? MAX_FILTERED_READS : 1); read++) {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        ...(query.index ? { IndexName: query.index } : {}),
        KeyConditionExpression: condition.expression,
        ExpressionAttributeNames: { ...condition.names, ...(query.filter?.names ?? {}) },
        ExpressionAttributeValues: { ...condition.values, ...(query.filter?.values ?? {}) },
        ...(query.filter ? { FilterExpression: query.filter.expression } : {}),
        ScanIndexForward: query.descending !== true,
        Limit: query.filter ? FILTERED_READ_SIZE : page.limit + 1,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    lastEvaluated = out.LastEvaluatedKey;
    if (!lastEvaluated) break;
    start = lastEvaluated;
  }
  const shown = items.slice(0, page.limit);
  const last = shown.at(-1);
  let resumeAt: Record<string, string> | undefined;
  if (items.length > page.limit && last) {
    resumeAt = Object.fromEntries(keyNames.map((name) => [name, String(last[name])]));
  } else if (lastEvaluated && items.length <= page.limit) {
    // A filtered list that ran out of reads before filling the page goes on from where it stopped.
    resumeAt = Object.fromEntries(keyNames.map((name) => [name, String(lastEvaluated?.[name])]));
  }
  const nextCursor = resumeAt ? encodeCursor(secret, listId, resumeAt) : undefined;
  return { items: shown.map(toDomain), ...(nextCursor ? { nextCursor } : {}) };
}

/** Instants compare as strings only in one form: the stored one (`toISOString`). */
export const instant = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : new Date(value).toISOString();
