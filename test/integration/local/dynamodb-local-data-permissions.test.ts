/**
 * Persisted DynamoDB Local data (users, admin flags, …) must be private to the user running it: the
 * data directory 0700 and the database files 0600, whatever the umask and whatever was there before.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  localDynamoClient,
  startDynamoDbLocal,
} from '../../../infra/local/dynamodb-local.ts';

let root: string;
let previousUmask: number;
let db: DynamoDbLocal | undefined;

beforeAll(async () => {
  // The usual permissive umask, so that only the code under test can make the files private.
  previousUmask = process.umask(0o022);
  root = await mkdtemp(join(tmpdir(), 'release-desk-ddb-modes-'));
});

afterEach(async () => {
  await db?.stop();
  db = undefined;
});

afterAll(async () => {
  process.umask(previousUmask);
  await rm(root, { recursive: true, force: true });
});

/** Permission bits as octal text ('700'), as `chmod` takes them, so a failure reads at a glance. */
const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

async function writeSomething(endpoint: string): Promise<void> {
  const client = localDynamoClient(endpoint);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: 'users',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(
      new PutItemCommand({ TableName: 'users', Item: { pk: { S: 'USER#rm' }, admin: { BOOL: false } } }),
    );
  } finally {
    client.destroy();
  }
}

/** Mode of every file under `dir` (recursively), by path relative to it. */
async function fileModes(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const modes: Record<string, string> = {};
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    modes[path.slice(dir.length + 1)] = await modeOf(path);
  }
  return modes;
}

describe('DynamoDB Local with a data directory', () => {
  it('creates the directory 0700 and its database files 0600', async () => {
    const dataDir = join(root, 'fresh', 'dynamodb');
    db = await startDynamoDbLocal({ path: dataDir });
    await writeSomething(db.endpoint);

    expect(await modeOf(dataDir)).toBe('700');
    const modes = await fileModes(dataDir);
    expect(Object.keys(modes).some((name) => name.endsWith('.db'))).toBe(true);
    expect(modes).toEqual(Object.fromEntries(Object.keys(modes).map((name) => [name, '600'])));
  });

  it('makes an existing, too open directory and what is in it private at start', async () => {
    const dataDir = join(root, 'existing');
    await mkdir(join(dataDir, 'nested'), { recursive: true });
    await chmod(dataDir, 0o755);
    await chmod(join(dataDir, 'nested'), 0o755);
    await writeFile(join(dataDir, 'leftover'), 'x', { mode: 0o644 });
    await writeFile(join(dataDir, 'nested', 'leftover'), 'x', { mode: 0o666 });

    db = await startDynamoDbLocal({ path: dataDir });
    await writeSomething(db.endpoint);

    expect(await modeOf(dataDir)).toBe('700');
    expect(await modeOf(join(dataDir, 'nested'))).toBe('700');
    const modes = await fileModes(dataDir);
    expect(modes).toMatchObject({ leftover: '600', 'nested/leftover': '600' });
    expect(Object.keys(modes).some((name) => name.endsWith('.db'))).toBe(true);
    expect(modes).toEqual(Object.fromEntries(Object.keys(modes).map((name) => [name, '600'])));
  });
});
