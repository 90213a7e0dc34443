/**
 * Operators' tools of the local cloud (docs/operations.md): the reconciler run by hand
 * (`POST /_local/reconcile`) and the rotation of the token signing key (`npm run rotate-signing-key`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../infra/local/cloud.ts';

const run = promisify(execFile);
let dataDir: string;
let cloud: LocalCloud | undefined;
const tableName = `local-ops-${Date.now()}`;

const start = (options: Partial<LocalCloudOptions> = {}) =>
  startLocalCloud({ dataDir, dynamoEndpoint: inject('dynamoEndpoint'), tableName, ...options });

async function status(c: LocalCloud, token: string): Promise<number> {
  const res = await fetch(`${c.apiUrl}/releases`, { headers: { authorization: `Bearer ${token}` } });
  await res.body?.cancel();
  return res.status;
}

async function rotate(port: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['infra/local/rotate-signing-key.ts'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: port },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'release-desk-local-ops-'));
  cloud = await start();
});
afterAll(async () => {
  await cloud?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local operators’ tools', () => {
  it('runs the reconciler by hand and answers what it found', async () => {
    const res = await fetch(`${cloud?.apiUrl}/_local/reconcile`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      checked: expect.any(Number),
      outcomes: expect.any(Object),
      divergences: [],
    });
  });

  it('rotates the signing key: refused while running; afterwards old tokens get 401, new ones work', async () => {
    const running = cloud as LocalCloud;
    const port = new URL(running.apiUrl).port;
    const oldToken = await running.identity.issue('admin', { admin: true });
    expect(await status(running, oldToken)).toBe(200);

    const refused = await rotate(port);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stop it first/);

    await running.stop();
    cloud = undefined;
    const rotated = await rotate(port);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/Signing key rotated/);

    cloud = await start();
    expect(await status(cloud, oldToken)).toBe(401);
    expect(await status(cloud, await cloud.identity.issue('admin', { admin: true }))).toBe(200);
  });
});
