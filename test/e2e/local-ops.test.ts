/**
 * Operators' tools of the local cloud (docs/operations.md): the reconciler run by hand
 * (`POST /_local/reconcile`, an administrator's) and the rotation of the token signing key
 * (`npm run rotate-signing-key`, refused while an instance runs on the data dir).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../infra/local/cloud.ts';
import { INSTANCE_LOCK_FILE } from '../../infra/local/instance-lock.ts';
import { schedules } from '../../infra/rules.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const run = promisify(execFile);

describe('POST /_local/reconcile', () => {
  let t: TestCloud;
  // The schedule's timer callback, caught as the cloud sets it: a test runs "the next scheduled
  // run" now instead of waiting five minutes.
  let scheduledTick: (() => void) | undefined;
  // While set, the reconciler function the schedule invokes waits for it (a long run).
  let hold: Promise<void> | undefined;
  const scheduledCalls: unknown[] = [];
  const scheduledResults: unknown[] = [];

  const reconcileBy = async (headers: Record<string, string> = {}, path = '/_local/reconcile') =>
    fetch(`${t.cloud.apiUrl}${path}`, { method: 'POST', headers });
  const asAdmin = async () => ({ authorization: `Bearer ${await t.tokenFor('admin', { admin: true })}` });

  beforeAll(async () => {
    const every = (schedules.find((s) => s.target === 'reconcile-executions')?.everyMinutes ?? 0) * 60_000;
    const setIntervalOriginal = globalThis.setInterval;
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      if (ms === every) scheduledTick = fn;
      return setIntervalOriginal(fn, ms);
    }) as typeof setInterval);
    try {
      t = await startTestCloud({
        wrapFunction: (name, fn) =>
          name !== 'reconcile-executions'
            ? fn
            : async (payload) => {
                scheduledCalls.push(payload);
                if (hold) await hold;
                const result = await fn(payload);
                scheduledResults.push(result);
                return result;
              },
      });
    } finally {
      spy.mockRestore();
    }
  });
  afterAll(async () => t?.stop());

  it('answers only an administrator: 401 without a valid token, 403 for a non-administrator, as the API does', async () => {
    const anonymous = await reconcileBy();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toMatchObject({
      type: 'urn:release-desk:problem:unauthorized',
      status: 401,
    });

    const forged = await reconcileBy({ authorization: 'Bearer a.b.c' });
    expect(forged.status).toBe(401);
    await forged.body?.cancel();

    const manager = await reconcileBy({ authorization: `Bearer ${await t.tokenFor('rm')}` });
    expect(manager.status).toBe(403);
    expect(manager.headers.get('content-type')).toBe('application/problem+json');
    expect(await manager.json()).toMatchObject({
      type: 'urn:release-desk:problem:forbidden',
      status: 403,
      detail: 'This action needs an administrator.',
    });

    const get = await fetch(`${t.cloud.apiUrl}/_local/reconcile`, { headers: await asAdmin() });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.body?.cancel();
  });

  it('runs for an administrator, whatever the query string, and answers what it found', async () => {
    for (const path of ['/_local/reconcile', '/_local/reconcile?x']) {
      const res = await reconcileBy(await asAdmin(), path);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({
        checked: expect.any(Number),
        outcomes: expect.any(Object),
        divergences: [],
      });
    }
  });

  it('repairs: a release whose execution was stopped by hand is recorded failed, and the run counts it', async () => {
    const { id } = await ok(t.api().POST('/releases', { body: releaseBody() }), 201);
    await eventually(async () => expect((await t.execution(id)).state).toBe('Assessment'));
    const arn = executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, id);
    await t.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Ops.Drill', cause: 'By hand' }));

    const res = await reconcileBy(await asAdmin());
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { outcomes: Record<string, number>; divergences: unknown[] };
    expect(summary.outcomes.ended).toBe(1);
    expect(summary.divergences).toEqual([]);
    expect(await ok(t.api().GET('/releases/{id}', { params: { path: { id } } }))).toMatchObject({
      status: 'failed',
      executionEnd: { status: 'ABORTED', error: 'Ops.Drill', cause: 'By hand' },
    });
  });

  it('shares the run under way: a manual run waits for the scheduled one and answers its summary', async () => {
    expect(scheduledTick, 'the reconciler schedule’s timer').toBeDefined();
    let release = () => {};
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      scheduledTick?.();
      await eventually(() => expect(scheduledCalls).toHaveLength(1));

      const manual = reconcileBy(await asAdmin());
      const inProcess = t.cloud.reconcile();
      let answered = false;
      void manual.finally(() => {
        answered = true;
      });
      // A run of its own would answer in milliseconds; this one waits for the held scheduled run.
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);

      release();
      const res = await manual;
      expect(res.status).toBe(200);
      await eventually(() => expect(scheduledResults).toHaveLength(1));
      expect(await res.json()).toEqual(scheduledResults[0]);
      expect(await inProcess).toBe(scheduledResults[0]);
      // One pass for all three callers.
      expect(scheduledCalls).toHaveLength(1);
    } finally {
      hold = undefined;
      release();
    }
  });
});

describe('npm run rotate-signing-key', () => {
  let dataDir: string;
  let cloud: LocalCloud | undefined;
  const tableName = `local-ops-${Date.now()}`;
  const lockFile = () => join(dataDir, INSTANCE_LOCK_FILE);

  const start = (options: Partial<LocalCloudOptions> = {}) =>
    startLocalCloud({ dataDir, dynamoEndpoint: inject('dynamoEndpoint'), tableName, ...options });

  async function status(c: LocalCloud, token: string): Promise<number> {
    const res = await fetch(`${c.apiUrl}/releases`, { headers: { authorization: `Bearer ${token}` } });
    await res.body?.cancel();
    return res.status;
  }

  async function rotate(env: Record<string, string> = {}) {
    try {
      const { stdout, stderr } = await run(process.execPath, ['infra/local/rotate-signing-key.ts'], {
        env: { ...process.env, DATA_DIR: dataDir, ...env },
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

  it('rotates: refused while an instance runs on the data dir; afterwards old tokens get 401, new ones work', async () => {
    const running = cloud as LocalCloud;
    const oldToken = await running.identity.issue('admin', { admin: true });
    expect(await status(running, oldToken)).toBe(200);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });

    const refused = await rotate();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stop it first/);

    await running.stop();
    cloud = undefined;
    expect(existsSync(lockFile()), 'a clean stop removes the lock').toBe(false);
    // Something else answering on the port npm start would use is no instance on this data dir
    // (a parallel test's cloud may take a freed ephemeral port at any time).
    const other = createServer((_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const rotated = await rotate({ PORT: String((other.address() as AddressInfo).port) });
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stdout).toMatch(/Signing key rotated/);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }

    cloud = await start();
    expect(await status(cloud, oldToken)).toBe(401);
    expect(await status(cloud, await cloud.identity.issue('admin', { admin: true }))).toBe(200);
  });

  it('is not blocked by the lock a crashed instance left, nor by one copied from another data dir', async () => {
    await cloud?.stop();
    cloud = undefined;
    // A process that has exited: its pid is what a `kill -9`ed npm start leaves in the lock.
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    await writeFile(lockFile(), JSON.stringify({ pid, dataDir, startedAt: new Date().toISOString() }));
    const afterCrash = await rotate();
    expect(afterCrash.code, afterCrash.stderr).toBe(0);

    // This process runs, but the lock names the directory it was copied from.
    await writeFile(
      lockFile(),
      JSON.stringify({
        pid: process.pid,
        dataDir: `${dataDir}-original`,
        startedAt: new Date().toISOString(),
      }),
    );
    const copied = await rotate();
    expect(copied.code, copied.stderr).toBe(0);

    // The same lock naming this directory, of a live process: refused.
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: process.pid, dataDir, startedAt: new Date().toISOString() }),
    );
    const live = await rotate();
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(new RegExp(`process ${process.pid}`));
  });
});
