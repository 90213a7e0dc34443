/**
 * The local cloud's own servers check no AWS signature (Step Functions, EventBridge) and its API
 * trusts tokens of a key kept in DATA_DIR, so none of them may be reachable from the network:
 * each listens on 127.0.0.1 only, as DynamoDB Local does
 * (test/integration/local/dynamodb-local-loopback.test.ts). docs/security.md cites this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import {
  canReadSocketTable,
  isLoopback,
  listeningAddresses,
  nonLoopbackAddresses,
  tryConnect,
} from '../support/loopback.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});

afterAll(async () => t?.stop());

const servers = () =>
  [
    ['API gateway', t.cloud.apiUrl],
    ['Step Functions', t.cloud.sfnEndpoint],
    ['EventBridge', t.cloud.eventsEndpoint],
  ] as const;

describe('the local cloud, as npm start runs it', () => {
  it('gives every server a 127.0.0.1 URL', () => {
    for (const [name, url] of servers()) expect(new URL(url).hostname, name).toBe('127.0.0.1');
  });

  it('refuses connections to the API, Step Functions and EventBridge on every non-loopback address', async () => {
    const addresses = nonLoopbackAddresses();
    // Without such an address there is nothing to dial; the socket table below is then the proof.
    if (addresses.filter((a) => a.family === 'IPv4').length === 0) expect(canReadSocketTable).toBe(true);
    for (const [name, url] of servers()) {
      const port = Number(new URL(url).port);
      const outcomes = await Promise.all(
        addresses.map(async ({ host }) => ({ host, outcome: await tryConnect(host, port) })),
      );
      expect(outcomes, name).toEqual(addresses.map(({ host }) => ({ host, outcome: 'ECONNREFUSED' })));
    }
  });

  it('listens on loopback addresses only, never on the wildcard', () => {
    if (!canReadSocketTable) {
      expect(nonLoopbackAddresses().length).toBeGreaterThan(0);
      return;
    }
    for (const [name, url] of servers()) {
      const addresses = listeningAddresses(Number(new URL(url).port));
      expect(addresses.length, name).toBeGreaterThan(0);
      expect(
        addresses.filter((address) => !isLoopback(address)),
        name,
      ).toEqual([]);
    }
  });
});
