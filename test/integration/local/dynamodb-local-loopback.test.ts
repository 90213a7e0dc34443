/**
 * DynamoDB Local checks no credentials, so it must not be reachable from the network: whoever could
 * connect could write `admin: true` on a user item. It has to answer on 127.0.0.1 and nowhere else.
 * (This file starts its own DynamoDB Local, exactly as `npm start` and the test run do.)
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  localDynamoClient,
  startDynamoDbLocal,
} from '../../../infra/local/dynamodb-local.ts';
import {
  canReadSocketTable,
  isLoopback,
  listeningAddresses,
  nonLoopbackAddresses,
  tryConnect,
} from '../../support/loopback.ts';

let db: DynamoDbLocal;

beforeAll(async () => {
  db = await startDynamoDbLocal();
});

afterAll(async () => {
  await db?.stop();
});

describe('DynamoDB Local as started by startDynamoDbLocal()', () => {
  it('answers on 127.0.0.1', async () => {
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    const client = localDynamoClient(db.endpoint);
    try {
      await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    } finally {
      client.destroy();
    }
  });

  it('refuses connections on every non-loopback address of this machine', async () => {
    const addresses = nonLoopbackAddresses();
    // Without any such address there is nothing to dial; the socket-table test below is then the
    // proof, so it must be able to run here.
    if (addresses.filter((a) => a.family === 'IPv4').length === 0) expect(canReadSocketTable).toBe(true);
    const outcomes = await Promise.all(
      addresses.map(async ({ host }) => ({ host, outcome: await tryConnect(host, db.port) })),
    );
    expect(outcomes).toEqual(addresses.map(({ host }) => ({ host, outcome: 'ECONNREFUSED' })));
  });

  it('listens on a loopback address only, not on the wildcard', () => {
    // Outside Linux there is no socket table to read; the test above must then have dialled something.
    if (!canReadSocketTable) {
      expect(nonLoopbackAddresses().length).toBeGreaterThan(0);
      return;
    }
    const addresses = listeningAddresses(db.port);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((address) => !isLoopback(address))).toEqual([]);
  });
});
