/**
 * DynamoDB adapter of the user store.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { User, UserStore } from '#domain/user';
import { keys, LIST } from './keys.ts';

export class DynamoUserStore implements UserStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#table = tableName;
  }

  async get(id: string): Promise<User | undefined> {
    const out = await this.#db.send(new GetCommand({ TableName: this.#table, Key: keys.user(id) }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _e, gsi1pk: _g, gsi1sk: _s, ...user } = out.Item;
    return user as User;
  }

  /** Creates or replaces a user (bootstrap and admin tooling; the API's PUT adds version checks). */
  async put(user: User): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...keys.user(user.id), entity: 'user', gsi1pk: LIST.users, gsi1sk: user.id, ...user },
      }),
    );
  }
}
