/**
 * DynamoDB adapter of the user store: one state item per user (listed on GSI1 by id), its events
 * beside it. Team membership fields are written by the team repository, in the team's transaction.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { offerRead, type ReadAhead } from '#app/request-scope';
import type { DomainEvent } from '#domain/events';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import type { UserRepository } from '#domain/user/service';
import type { User } from '#domain/user/user';
import { batchGetItems } from './batch-get.ts';
import { ciAtKey, queryCiAt } from './ci-at.ts';
import { commitOnce } from './commit.ts';
import { keys, LIST } from './keys.ts';
import { queryPage } from './query-page.ts';
import { itemKey, TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'] as const;

/** The table item of a user (also written by the team repository when membership changes). */
export function userItem(user: User) {
  return { ...keys.user(user.id), entity: 'user', gsi1pk: LIST.users, gsi1sk: user.id, ...user };
}

function fromItem(item: Record<string, unknown>): User {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as User;
}

export class DynamoUserStore extends TableStore implements UserRepository {
  async get(id: string): Promise<User | undefined> {
    return this.read(keys.user(id), fromItem);
  }

  /**
   * The caller, read in one BatchGetItem with the item the request is about (and, for a CI at an
   * instant, in parallel with that Query): each read ahead is kept in the request's scope until
   * the store is asked for it (table-store.ts), so the use case reads it without a round trip.
   */
  async getWith(id: string, ahead: readonly ReadAhead[]): Promise<User | undefined> {
    const items = ahead.filter((a) => a.at === undefined).map((a) => itemKeyOf(a));
    for (const a of ahead) {
      if (a.at !== undefined) offerRead(ciAtKey(a.id, a.at), queryCiAt(this.db, this.table, a.id, a.at));
    }
    if (items.length === 0) return this.get(id);
    const userKey = keys.user(id);
    const read = this.db
      .send(
        new BatchGetCommand({
          RequestItems: { [this.table]: { Keys: [userKey, ...items], ConsistentRead: true } },
        }),
      )
      .then((out) => {
        // Two small items never come back unprocessed but under throttling; read those again.
        const unprocessed = out.UnprocessedKeys?.[this.table]?.Keys?.length ?? 0;
        if (unprocessed > 0) return batchGetItems(this.db, this.table, [userKey, ...items]);
        return out.Responses?.[this.table] ?? [];
      });
    const find = (key: { pk: string; sk: string }) =>
      read.then((found) => found.find((i) => i.pk === key.pk && i.sk === key.sk));
    for (const key of items) offerRead(itemKey(key), find(key));
    const user = await find(userKey);
    return user ? fromItem(user) : undefined;
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

/** The key of the item a request reads ahead. */
function itemKeyOf(ahead: ReadAhead): { pk: string; sk: string } {
  switch (ahead.kind) {
    case 'release':
      return keys.run('release', ahead.id);
    case 'change':
      return keys.run('change', ahead.id);
    case 'task':
      return keys.task(ahead.id);
    case 'ci':
      return keys.ci(ahead.id);
  }
}
