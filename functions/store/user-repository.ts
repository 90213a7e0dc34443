/**
 * DynamoDB adapter of the user store: one state item per user (listed on GSI1 by id), its events
 * beside it. Team membership fields are written by the team repository, in the team's transaction.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#domain/events';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import type { UserRepository } from '#domain/user/service';
import type { User } from '#domain/user/user';
import { commitOnce } from './commit.ts';
import { keys, LIST } from './keys.ts';
import { queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'] as const;
const BATCH_GET_LIMIT = 100;

/** The table item of a user (also written by the team repository when membership changes). */
export function userItem(user: User) {
  return { ...keys.user(user.id), entity: 'user', gsi1pk: LIST.users, gsi1sk: user.id, ...user };
}

function fromItem(item: Record<string, unknown>): User {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as User;
}

/** Strongly consistent BatchGetItem of any number of keys, retrying unprocessed keys with backoff. */
export async function batchGetItems(
  db: DynamoDBDocumentClient,
  table: string,
  itemKeys: readonly Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < itemKeys.length; i += BATCH_GET_LIMIT) {
    let pending = itemKeys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 8) throw new Error('BatchGetItem left keys unprocessed after 8 attempts');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      const out = await db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: [...pending], ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}

export class DynamoUserStore extends TableStore implements UserRepository {
  async get(id: string): Promise<User | undefined> {
    return this.read(keys.user(id), fromItem);
  }

  async getMany(ids: readonly string[]): Promise<User[]> {
    const items = await batchGetItems(
      this.db,
      this.table,
      [...new Set(ids)].map((id) => keys.user(id)),
    );
    return items.map(fromItem);
  }

  async apply(
    user: User,
    expectedVersion: number | undefined,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite> {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      { writes: [{ item: userItem(user), expectedVersion }], events: [event] },
      idempotency,
      user.id,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async list(page: { limit: number; cursor?: string | undefined }): Promise<Page<User>> {
    return queryPage(this.db, this.table, { index: 'gsi1', partition: LIST.users }, page, fromItem);
  }
}
