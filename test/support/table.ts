/**
 * Test tables: each test file gets its own table in the run's shared DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { type Config, readConfig } from '../../functions/app/config.ts';
import { createTableInput } from '../../functions/store/table-definition.ts';
import { localDynamoClient } from '../../infra/local/dynamodb-local.ts';

export async function createTestTable(): Promise<{ config: Config; drop: () => Promise<void> }> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  const client = localDynamoClient(endpoint);
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  const config = readConfig({
    TABLE_NAME: tableName,
    AWS_REGION: 'local',
    DYNAMODB_ENDPOINT: endpoint,
    SFN_ENDPOINT: 'http://127.0.0.1:9',
    DEFAULT_RELEASE_STATE_MACHINE_ARN: 'arn:aws:states:local:000000000000:stateMachine:release-default',
  });
  return {
    config,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}

/** Every item of one partition (state, events, …), read straight from the table. */
export async function partitionItems(
  ports: { clients: { db: DynamoDBDocumentClient }; config: { tableName: string } },
  pk: string,
): Promise<Record<string, unknown>[]> {
  const out = await ports.clients.db.send(
    new QueryCommand({
      TableName: ports.config.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    }),
  );
  return out.Items ?? [];
}
