/**
 * `npm run -s token`: prints one JWT and nothing else, and sets the user up through the running API.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReleaseDeskClient } from '../../client/index.ts';
import { type LocalCloud, startLocalCloud } from '../../infra/local/cloud.ts';
import { releaseBody } from '../support/api-bodies.ts';

const run = promisify(execFile);
let cloud: LocalCloud;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'release-desk-token-'));
  // Persisted identity (the script reads the signing key from DATA_DIR), shared in-memory DynamoDB.
  cloud = await startLocalCloud({
    dataDir,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `token-${Date.now()}`,
  });
});
afterAll(async () => {
  await cloud?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function token(...args: string[]) {
  const { stdout, stderr } = await run(process.execPath, ['infra/local/token.ts', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: new URL(cloud.apiUrl).port },
  });
  return { stdout, stderr };
}

/** The typed client with the token the script printed, as a user of it would make one. */
const as = (token: string) => createReleaseDeskClient({ baseUrl: cloud.apiUrl, token });

describe('the token script', () => {
  it('prints exactly one token for a new release manager who can act at once', async () => {
    const { stdout } = await token('--user', 'carol', '--process', 'release');
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const created = await as(lines[0] as string).POST('/releases', { body: releaseBody({ tasks: [] }) });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    expect(created.data).toMatchObject({ teamId: 'team_release', createdBy: 'carol' });
  });

  it('makes a technician who may not create releases, and can change their processes later', async () => {
    const tech = (await token('--user', 'dan', '--process', 'deployment')).stdout.trim();
    expect((await as(tech).POST('/releases', { body: releaseBody() })).response.status).toBe(403);
    const admin = as((await token('--user', 'admin')).stdout.trim());
    const users = await admin.GET('/users', { params: { query: { limit: 100 } } });
    const dan = users.data?.items.find((u) => u.id === 'dan');
    expect(dan).toMatchObject({ processes: ['deployment'], teamIds: ['team_deployment'] });

    await token('--user', 'dan', '--process', 'change,release');
    const again = await admin.GET('/users', { params: { query: { limit: 100 } } });
    const promoted = again.data?.items.find((u) => u.id === 'dan');
    expect(promoted?.processes).toEqual(['change', 'release', 'deployment']);
  });

  it('fails with a message on stderr and nothing on stdout when the API is not there', async () => {
    const failed = await run(process.execPath, ['infra/local/token.ts', '--user', 'x'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '9' },
    }).catch((error: { stdout: string; stderr: string; code: number }) => error);
    expect('code' in failed && failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/does not answer/);
  });
});
