import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../../infra/local/dynamodb-local.ts';

it('reaches the shared DynamoDB Local', async () => {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const out = await client.send(new ListTablesCommand({}));
  expect(Array.isArray(out.TableNames)).toBe(true);
});
