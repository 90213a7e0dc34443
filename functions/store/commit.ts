/**
 * Commits a change of state together with its events in one DynamoDB transaction: the event
 * items are the outbox (the stream relay publishes their INSERTs) and the audit trail at once.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyKeyReusedError, VersionConflictError } from '#domain/errors';
import type { DomainEvent } from '#domain/events';
import type { IdempotencyRequest } from '#domain/ports';
import { keys } from './keys.ts';

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** A state item to write, with the optimistic-lock condition it must meet. */
export interface StateWrite {
  readonly item: Record<string, unknown> & { pk: string; sk: string };
  /** `undefined`: the item must not exist yet; a number: its stored `version` must equal it. */
  readonly expectedVersion: number | undefined;
}

/**
 * A condition on an item the change does not write (a ConditionCheck): the change commits only
 * if it holds. `absent`: the item must not exist; a number: its stored `version` must equal it.
 */
export interface ItemCheck {
  readonly key: { pk: string; sk: string };
  readonly expect: 'absent' | number;
}

/** Marks a POST as done under an Idempotency-Key, in the same transaction as its effect. */
export interface IdempotencyRecord {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly resourceId: string;
  readonly ttlSeconds: number;
}

/** The Idempotency-Key was already used; the caller decides between replay and 422. */
export class IdempotencyKeyUsedError extends Error {
  constructor() {
    super('Idempotency-Key already used');
    this.name = 'IdempotencyKeyUsedError';
  }
}

export function eventItem(event: DomainEvent): Record<string, unknown> {
  return {
    ...keys.event(event.subject, event.id),
    entity: 'event',
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    actor: event.actor,
    subject: event.subject,
    data: event.data,
  };
}

/** Items derived from a state item (e.g. the link items of a release's RFCs), kept beside it. */
export interface DerivedWrites {
  readonly puts?: readonly (Record<string, unknown> & { pk: string; sk: string })[];
  readonly deletes?: readonly { pk: string; sk: string }[];
}

export async function commit(
  db: DynamoDBDocumentClient,
  tableName: string,
  change: {
    writes: readonly StateWrite[];
    events: readonly DomainEvent[];
    derived?: DerivedWrites;
    checks?: readonly ItemCheck[];
    idempotency?: IdempotencyRecord;
  },
): Promise<void> {
  const items: TransactItem[] = change.writes.map(({ item, expectedVersion }) =>
    expectedVersion === undefined
      ? { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } }
      : {
          Put: {
            TableName: tableName,
            Item: item,
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          },
        },
  );
  for (const item of change.derived?.puts ?? []) items.push({ Put: { TableName: tableName, Item: item } });
  for (const key of change.derived?.deletes ?? []) items.push({ Delete: { TableName: tableName, Key: key } });
  for (const { key, expect } of change.checks ?? []) {
    items.push({
      ConditionCheck: {
        TableName: tableName,
        Key: key,
        ...(expect === 'absent'
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expect },
            }),
      },
    });
  }
  for (const event of change.events) {
    items.push({
      Put: { TableName: tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(pk)' },
    });
  }
  const idem = change.idempotency;
  if (idem) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...keys.idempotency(idem.scope, idem.key),
          entity: 'idempotency',
          fingerprint: idem.fingerprint,
          resourceId: idem.resourceId,
          expiresAt: Math.floor(Date.now() / 1000) + idem.ttlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  try {
    await db.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (idem && reasons[items.length - 1]?.Code === 'ConditionalCheckFailed')
      throw new IdempotencyKeyUsedError();
    // A failed condition or a concurrent transaction on the same item: another writer won.
    if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) {
      throw new VersionConflictError(
        'The resource was changed by someone else; read it again and retry.',
        undefined,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * The resource id an Idempotency-Key was first used for, if it was used for this same request;
 * a key used for another request is an IdempotencyKeyReusedError.
 */
export async function replayedResource(
  db: DynamoDBDocumentClient,
  tableName: string,
  idempotency: IdempotencyRequest,
): Promise<string | undefined> {
  const out = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.idempotency(idempotency.scope, idempotency.key),
      ConsistentRead: true,
    }),
  );
  if (!out.Item) return undefined;
  if (out.Item.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
  return String(out.Item.resourceId);
}

/**
 * Commits a change that creates `resourceId`, remembering the POST's Idempotency-Key in the same
 * transaction. When the key was already used for the same request, nothing is written and the id
 * of what the first request created is returned.
 */
export async function commitOnce(
  db: DynamoDBDocumentClient,
  tableName: string,
  change: { writes: readonly StateWrite[]; events: readonly DomainEvent[]; derived?: DerivedWrites },
  idempotency: IdempotencyRequest | undefined,
  resourceId: string | undefined,
): Promise<{ replayedId?: string }> {
  try {
    await commit(db, tableName, {
      ...change,
      ...(idempotency && resourceId
        ? { idempotency: { ...idempotency, resourceId, ttlSeconds: IDEMPOTENCY_TTL_SECONDS } }
        : {}),
    });
    return {};
  } catch (error) {
    if (!(error instanceof IdempotencyKeyUsedError) || !idempotency) throw error;
    const replayedId = await replayedResource(db, tableName, idempotency);
    if (replayedId === undefined) throw error;
    return { replayedId };
  }
}
