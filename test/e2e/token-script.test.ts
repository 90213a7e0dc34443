/**
 * `npm run -s token`: prints one JWT and nothing else, and sets the user up through the running API.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/cloud.ts';
import { validRelease } from '../support/http-events.ts';

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

async function call(bearer: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the token script', () => {
  it('prints exactly one token for a new release manager who can act at once', async () => {
    const { stdout } = await token('--user', 'carol', '--process', 'release');
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const created = await call(lines[0] as string, 'POST', '/releases', validRelease({ tasks: [] }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ teamId: 'team_release', createdBy: 'carol' });
  });

  it('makes a technician who may not create releases, and can change their processes later', async () => {
    const tech = (await token('--user', 'dan', '--process', 'deployment')).stdout.trim();
    expect((await call(tech, 'POST', '/releases', validRelease())).status).toBe(403);
    const admin = (await token('--user', 'admin')).stdout.trim();
    const users = await call(admin, 'GET', '/users?limit=100');
    const dan = (users.body.items as { id: string; processes: string[]; teamIds: string[] }[]).find(
      (u) => u.id === 'dan',
    );
    expect(dan).toMatchObject({ processes: ['deployment'], teamIds: ['team_deployment'] });

    await token('--user', 'dan', '--process', 'change,release');
    const again = await call(admin, 'GET', '/users?limit=100');
    const promoted = (again.body.items as { id: string; processes: string[] }[]).find((u) => u.id === 'dan');
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
