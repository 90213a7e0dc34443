/**
 * What every DynamoDB store of the single table is built on: the document client and the table.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

export abstract class TableStore {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** One item by its keys (a strongly consistent read: reads follow writes), as `from` makes it. */
  protected async read<T>(
    key: { pk: string; sk: string },
    from: (item: Record<string, unknown>) => T,
  ): Promise<T | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return out.Item ? from(out.Item) : undefined;
  }
}
