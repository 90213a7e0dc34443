/**
 * Every write DynamoDB Local has acknowledged must survive a SIGKILL of its JVM, however soon the
 * kill follows the acknowledgement: `npm start` keeps its data there, and the crash test
 * (test/e2e/crash.test.ts) kills it mid-load. DynamoDB Local itself answers a TransactWriteItems
 * before its SQLite COMMIT has run (see docs/decisions.md, "DynamoDB Local acknowledged transactions
 * before committing them"); the launcher (infra/local/dynamodb/LoopbackDynamoDbLocal.java) makes it
 * wait. Without that, the last acknowledged transaction was missing after about half the kills.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  localDynamoClient,
  startDynamoDbLocal,
} from '../../../infra/local/dynamodb-local.ts';
import { canListProcesses, processesWithArgs, waitFor } from './processes.ts';

const TABLE = 'durability';
/** Kills in a row; each costs a JVM start (~3-5 s). Without the fix every round lost its last write. */
const ROUNDS = 3;
/** Transactions per round before the last one; enough for the JVM to be warm and busy. */
const WRITES_PER_ROUND = 10;

let root: string;
let db: DynamoDbLocal | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'release-desk-ddb-durable-'));
});

afterAll(async () => {
  await db?.stop();
  await rm(root, { recursive: true, force: true });
});

/** One transaction of two items, as the store's commit() writes them: the record and its event. */
function transaction(client: DynamoDBClient, id: string) {
  return client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: { pk: { S: `ITEM#${id}` }, n: { S: id } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: TABLE, Item: { pk: { S: `EVENT#${id}` }, n: { S: id } } } },
      ],
    }),
  );
}

it.runIf(canListProcesses)(
  'keeps every acknowledged write when its JVM is SIGKILLed right after the acknowledgement',
  { timeout: 120_000 },
  async () => {
    const dir = join(root, 'data');
    const acked: string[] = [];
    const lost = new Set<string>();
    db = await startDynamoDbLocal({ path: dir });
    let client = localDynamoClient(db.endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // A plain write too: single-item writes were always committed before the answer, keep it so.
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'PUT#0' } } }));
    for (let round = 0; round < ROUNDS; round++) {
      // Looked up beforehand: reading /proc takes milliseconds, enough for the commit to land.
      const [pid] = processesWithArgs('-dbPath', dir);
      expect(pid, 'the DynamoDB Local JVM on the data dir').toBeDefined();
      for (let i = 0; i <= WRITES_PER_ROUND; i++) {
        const id = `${round}-${i}`;
        await transaction(client, id);
        acked.push(id);
      }
      // The last one is acknowledged: kill at once, as a crash would, with no pause for the commit.
      process.kill(pid as number, 'SIGKILL');
      client.destroy();
      await waitFor(() => processesWithArgs('-dbPath', dir).length === 0, 10_000);
      await db.stop();
      db = await startDynamoDbLocal({ path: dir });
      client = localDynamoClient(db.endpoint);
      // The last acknowledged transaction of this round, checked right after each kill.
      const last = `${round}-${WRITES_PER_ROUND}`;
      for (const pk of [`ITEM#${last}`, `EVENT#${last}`]) {
        const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } } }));
        if (!got.Item) lost.add(pk);
      }
    }
    // And nothing earlier either.
    for (const id of acked) {
      const got = await client.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `ITEM#${id}` } }, ConsistentRead: true }),
      );
      if (!got.Item) lost.add(`ITEM#${id}`);
    }
    const put = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'PUT#0' } } }));
    client.destroy();
    expect(put.Item).toBeDefined();
    expect([...lost], `acknowledged writes missing after ${ROUNDS} SIGKILLs`).toEqual([]);
  },
);
