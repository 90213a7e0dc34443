/**
 * What every DynamoDB store of the single table is built on: the document client and the table.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export abstract class TableStore {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }
}
