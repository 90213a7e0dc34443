/**
 * The key page cursors are signed with: 32 random bytes kept in the table itself (created on
 * first use, read once per process), so the stack owns it with no extra service, and every
 * function and the local cloud share it.
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.ts';

const cache = new Map<string, Promise<Buffer>>();

async function loadOrCreate(db: DynamoDBDocumentClient, tableName: string): Promise<Buffer> {
  const key = keys.cursorKey();
  const read = async () => {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    const secret = out.Item?.secret;
    return typeof secret === 'string' && secret.length > 0 ? Buffer.from(secret, 'base64') : undefined;
  };
  const existing = await read();
  if (existing) return existing;
  const secret = randomBytes(32);
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, entity: 'config', secret: secret.toString('base64') },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const theirs = await read();
    if (!theirs) throw error;
    return theirs;
  }
}

/** The table's cursor key; a failed read is not cached, so the next call retries. */
export function cursorKey(db: DynamoDBDocumentClient, tableName: string): Promise<Buffer> {
  let pending = cache.get(tableName);
  if (!pending) {
    pending = loadOrCreate(db, tableName);
    cache.set(tableName, pending);
    pending.catch(() => cache.delete(tableName));
  }
  return pending;
}
