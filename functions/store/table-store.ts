/**
 * What every DynamoDB store of the single table is built on: the document client and the table.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { takeRead } from '#app/request-scope';

export abstract class TableStore {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /**
   * One item by its keys (a strongly consistent read: reads follow writes), as `from` makes it —
   * or as the request read it ahead with its caller, in the same BatchGetItem (`getWith` in user-repository.ts).
   */
  protected async read<T>(
    key: { pk: string; sk: string },
    from: (item: Record<string, unknown>) => T,
  ): Promise<T | undefined> {
    const ahead = takeRead<Record<string, unknown> | undefined>(itemKey(key));
    if (ahead) {
      const item = await ahead;
      return item ? from(item) : undefined;
    }
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return out.Item ? from(out.Item) : undefined;
  }
}

/** The request scope's key of an item read ahead. */
export const itemKey = (key: { pk: string; sk: string }) => `item:${key.pk}\u0000${key.sk}`;
