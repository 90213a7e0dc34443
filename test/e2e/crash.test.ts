/**
 * Issue 13, crashes: `npm start`'s script (infra/local/start.ts) runs in its own process group with
 * a data dir, under a load of whole release stories (a CI, a release planning an update to it,
 * moved into Deployment, its task started and completed). Mid-load, three times, the whole group —
 * Node and DynamoDB Local — is SIGKILLed and started again on the same data dir; the client keeps
 * retrying what was not acknowledged with the same Idempotency-Key. Then every acknowledged write
 * is there, the outbox drained (the events' effects: tasks made ready, CI updates applied once),
 * every execution resumed to its release's stage, and the reconciler, on a last start on the same
 * data dir, reports no divergence. (SOAK=1 runs more stories and crashes: `npm run soak`.)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { currentStateOf, executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { type LocalCloud, startLocalCloud } from '../../infra/local/cloud.ts';
import { freePort } from '../../infra/local/dynamodb-local.ts';
import { isRunning, killAll, processesWithArgs, waitFor } from '../integration/local/processes.ts';
import { validRelease } from '../support/http-events.ts';
import { versionGuarded } from '../support/version-guarded.ts';

const STORIES = process.env.SOAK ? 60 : 8;
const CRASHES = process.env.SOAK ? 10 : 3;
/** Acknowledged requests between two crashes. */
const ACKS_BETWEEN_CRASHES = process.env.SOAK ? 25 : 10;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let dataDir = '';
let child: ChildProcess | undefined;
let final: LocalCloud | undefined;

afterAll(async () => {
  if (child?.pid && isRunning(child.pid)) killGroup(child.pid);
  await final?.stop();
  if (dataDir) {
    killAll(processesWithArgs('-dbPath', join(dataDir, 'dynamodb')));
    await rm(dataDir, { recursive: true, force: true });
  }
});

function killGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let env: Record<string, string> = {};
let apiUrl = '';
let up = false;

/** Starts `start.ts` as the leader of its own process group; resolves once it serves. */
async function startProcess() {
  let output = '';
  child = spawn(process.execPath, ['infra/local/start.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const started = child;
  const ok = await waitFor(
    () => output.includes('Release Desk is running') || started.exitCode !== null,
    90_000,
  );
  if (!ok || !output.includes('Release Desk is running'))
    throw new Error(`start.ts did not start:\n${output}`);
  up = true;
}

/** SIGKILLs the whole process group (Node and DynamoDB Local) and waits for every port to be let go. */
async function crash() {
  const pid = child?.pid as number;
  up = false;
  const exited = new Promise((r) => child?.once('exit', r));
  killGroup(pid);
  await exited;
  expect(
    await waitFor(() => processesWithArgs('-dbPath', join(dataDir, 'dynamodb')).length === 0, 10_000),
  ).toBe(true);
}

const tokens: Record<string, string> = {};
let acks = 0;

/** A request retried, with one Idempotency-Key, until acknowledged (an answer below 500). */
async function acknowledged(method: string, path: string, body?: unknown, as = 'rm') {
  const key = randomUUID();
  for (let attempt = 1; attempt <= 600; attempt++) {
    if (up) {
      try {
        const res = await fetch(`${apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${tokens[as]}`,
            ...(method === 'POST' ? { 'idempotency-key': key } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status < 500) {
          if (method !== 'GET') acks++;
          return {
            status: res.status,
            body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
            retried: attempt > 1,
          };
        }
      } catch {
        // The cloud went down under this request: not acknowledged, so asked again.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${method} ${path} never acknowledged`);
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 900; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const { moved, taskAction } = versionGuarded(acknowledged);

type Story = { release: string; ci: string; task: string };

async function story(n: number): Promise<Story> {
  const ci = await acknowledged('POST', '/cis', {
    type: 'application',
    name: `app-${n}`,
    attributes: { v: 1 },
  });
  expect(ci.status, JSON.stringify(ci.body)).toBe(201);
  const ciId = ci.body.id as string;
  const created = await acknowledged(
    'POST',
    '/releases',
    validRelease({
      title: `Release ${n}`,
      tasks: [
        {
          title: 'Upgrade',
          workGroupId: 'wg_deployment',
          ciIds: [ciId],
          ciUpdates: [{ ciId, set: { v: 2 } }],
        },
      ],
    }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  for (const to of ['Development', 'Testing', 'Deployment']) {
    const current = await acknowledged('GET', `/releases/${id}`);
    await moved(
      `/releases/${id}/transitions`,
      { to, expectedVersion: current.body.version } as { expectedVersion: unknown },
      `/releases/${id}`,
      (r) => r.stage === to && r.version === (current.body.version as number) + 1,
    );
  }
  const tasks = await until(
    async () =>
      (await acknowledged('GET', `/releases/${id}/tasks`)).body.items as { id: string; status: string }[],
    (items) => items.length === 1 && items[0]?.status === 'ready',
    `the task of ${id} to be ready`,
  );
  const task = tasks[0]?.id as string;
  await taskAction(id, task);
  return { release: id, ci: ciId, task };
}

describe('SIGKILL of the whole local cloud mid-load', () => {
  it('loses no acknowledged write, drains the outbox, resumes executions; no divergence after', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'release-desk-crash-'));
    const ports = new Set<number>();
    while (ports.size < 5) ports.add(await freePort());
    const [PORT, DYNAMODB_PORT, SFN_PORT, EVENTS_PORT, FINAL_DYNAMO] = [...ports].map(String);
    env = {
      DATA_DIR: dataDir,
      PORT: PORT as string,
      DYNAMODB_PORT: DYNAMODB_PORT as string,
      SFN_PORT: SFN_PORT as string,
      EVENTS_PORT: EVENTS_PORT as string,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    apiUrl = `http://127.0.0.1:${PORT}`;
    await startProcess();
    // The users, as a newcomer makes them (the token script adds them to the bootstrap teams).
    const token = async (user: string, processes: string) =>
      (
        await promisify(execFile)(
          process.execPath,
          ['infra/local/token.ts', '--user', user, '--process', processes],
          {
            cwd: repoRoot,
            env: { ...process.env, ...env },
          },
        )
      ).stdout.trim();
    tokens.rm = await token('rm', 'release');
    tokens.tech = await token('tech', 'deployment');

    const load = Promise.all(Array.from({ length: STORIES }, (_, n) => story(n)));
    let crashes = 0;
    const crasher = (async () => {
      for (; crashes < CRASHES; crashes++) {
        const before = acks;
        // Mid-load: some acknowledged writes since the last start, the stories still running.
        const loaded = await waitFor(() => acks >= before + ACKS_BETWEEN_CRASHES, 120_000);
        if (!loaded) break;
        await crash();
        await startProcess();
      }
    })();
    const [stories] = await Promise.all([load, crasher]);
    expect(crashes).toBe(CRASHES);

    // Every CI update applied, through the outbox and the consumer, after the crashes.
    for (const s of stories)
      await until(
        async () => (await acknowledged('GET', `/cis/${s.ci}`)).body.version,
        (v) => v === 2,
        `the update of ${s.ci}`,
      );
    // A clean stop, then a last start on the same data dir, in this process, to look inside.
    const stopped = new Promise((r) => child?.once('exit', r));
    child?.kill('SIGTERM');
    await stopped;
    up = false;
    final = await startLocalCloud({ dataDir, dynamoPort: Number(FINAL_DYNAMO), schedules: false });
    expect(final.startupReconciliation.divergences).toEqual([]);
    await final.settle();
    apiUrl = final.apiUrl;
    up = true;
    const releases = (await acknowledged('GET', '/releases?limit=100')).body.items as { id: string }[];
    // Each release created once, though its create may have been asked again after a crash.
    expect(releases.map((r) => r.id).sort()).toEqual(stories.map((s) => s.release).sort());
    for (const s of stories) {
      expect((await acknowledged('GET', `/releases/${s.release}`)).body).toMatchObject({
        stage: 'Deployment',
        status: 'active',
      });
      const tasks = (await acknowledged('GET', `/releases/${s.release}/tasks`)).body.items as {
        id: string;
      }[];
      expect(tasks.map((x) => [x.id, (x as { status?: string }).status])).toEqual([[s.task, 'done']]);
      // The update applied exactly once.
      const history = (await acknowledged('GET', `/cis/${s.ci}/history?limit=100`)).body.items as {
        version: number;
      }[];
      expect(history.map((v) => v.version)).toEqual([2, 1]);
    }
    const sfn = new SFNClient({
      endpoint: final.sfnEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      for (const s of stories) {
        const history: HistoryEvent[] = [];
        let nextToken: string | undefined;
        do {
          const page = await sfn.send(
            new GetExecutionHistoryCommand({
              executionArn: executionArnOf(
                final.ports.config.defaultReleaseStateMachineArn as string,
                s.release,
              ),
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          history.push(...(page.events ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
        expect(currentStateOf(history)).toBe('Deployment');
      }
    } finally {
      sfn.destroy();
    }
    expect((await final.reconcile()).divergences).toEqual([]);
  }, 600_000);
});
