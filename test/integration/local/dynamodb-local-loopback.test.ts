/**
 * DynamoDB Local checks no credentials, so it must not be reachable from the network: whoever could
 * connect could write `admin: true` on a user item. It has to answer on 127.0.0.1 and nowhere else.
 * (This file starts its own DynamoDB Local, exactly as `npm start` and the test run do.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { endianness, networkInterfaces } from 'node:os';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  localDynamoClient,
  startDynamoDbLocal,
} from '../../../infra/local/dynamodb-local.ts';

let db: DynamoDbLocal;

beforeAll(async () => {
  db = await startDynamoDbLocal();
});

afterAll(async () => {
  await db?.stop();
});

/** Every address of this machine that is not loopback, as `net.connect` wants it. */
function nonLoopbackAddresses(): { family: 'IPv4' | 'IPv6'; host: string }[] {
  return Object.entries(networkInterfaces()).flatMap(([name, infos]) =>
    (infos ?? [])
      .filter((info) => !info.internal && !info.address.startsWith('127.') && info.address !== '::1')
      .map((info) => ({
        family: info.family,
        // A link-local IPv6 address means nothing without its interface.
        host:
          info.family === 'IPv6' && info.address.startsWith('fe80:')
            ? `${info.address}%${name}`
            : info.address,
      })),
  );
}

/** What a TCP connection attempt to host:port comes to. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** /proc/net/tcp{,6} hold addresses as hex 32-bit words in host byte order. */
function decodeProcAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => {
    const wordBytes = (word.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16));
    return endianness() === 'LE' ? wordBytes.reverse() : wordBytes;
  });
  if (bytes.length === 4) return bytes.join('.');
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** Local addresses of the sockets listening on `port`, from the kernel's socket tables (Linux). */
function listeningAddresses(port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .filter((file) => existsSync(file))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, local, , state]) => state === '0A' && local?.endsWith(`:${portHex}`))
    .map(([, local]) => decodeProcAddress((local ?? '').split(':')[0] ?? ''));
}

const isLoopback = (address: string) =>
  address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '0:0:0:0:0:0:0:1';

const canReadSocketTable = existsSync('/proc/net/tcp');

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
