/**
 * DynamoDB Local must not outlive the process that started it, and a port held by something else
 * (typically a DynamoDB Local left behind by a crashed `npm start`) must be an error, not a start:
 * answering on the port is not enough, it has to be our own Java child that answers.
 * (This file starts its own DynamoDB Local processes.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  PortInUseError,
  startDynamoDbLocal,
} from '../../../infra/local/dynamodb-local.ts';
import {
  canListProcesses,
  isRunning,
  killAll,
  parentOf,
  portIsFree,
  processesWithArgs,
  waitFor,
} from './processes.ts';

/** DynamoDB Local takes 5-30 s to start on a busy machine (Java compiles the launcher first). */
const STARTS_TIMEOUT = 120_000;

const MODULE = new URL('../../../infra/local/dynamodb-local.ts', import.meta.url).href;

/** Run by a separate Node process: starts DynamoDB Local, prints its port, then waits forever. */
const HOLDER = `
const { startDynamoDbLocal } = await import(process.env.MODULE);
const db = await startDynamoDbLocal(JSON.parse(process.env.OPTIONS));
process.stdout.write(JSON.stringify({ port: db.port }) + '\\n');
setInterval(() => {}, 1 << 30);
`;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves with the first line `child` prints, or rejects with its stderr if it exits first. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.once('exit', (code, signal) => reject(new Error(`exited ${code ?? signal}: ${stderr}`)));
  });
}

const expectedMessage =
  /^DYNAMODB_PORT \d+ is already in use on 127\.0\.0\.1 \(a DynamoDB Local left over from a crash\? another npm start\?\)/;

describe('DynamoDB Local started by a process that is killed with SIGKILL', () => {
  it(
    'exits too, within seconds, and frees its port',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'release-desk-orphan-'));
      const dbPath = join(dataDir, 'dynamodb');
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      // Should the test fail, do not leave the orphan running.
      cleanups.push(() => killAll(processesWithArgs('-dbPath', dbPath)));

      const holder = spawn(process.execPath, ['--input-type=module', '-e', HOLDER], {
        env: { ...process.env, MODULE, OPTIONS: JSON.stringify({ path: dbPath }) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => holder.kill('SIGKILL'));
      const { port } = JSON.parse(await firstLine(holder)) as { port: number };
      expect(await portIsFree(port)).toBe(false);
      const javas = processesWithArgs('-dbPath', dbPath);
      if (canListProcesses) {
        // The Java is the holder's child (the `sh -c umask` wrapper exec'd into it).
        expect(javas).toHaveLength(1);
        expect(parentOf(javas[0] ?? 0)).toBe(holder.pid);
      }

      holder.kill('SIGKILL');
      const killedAt = Date.now();
      expect(await waitFor(() => portIsFree(port), 10_000)).toBe(true);
      expect(await waitFor(() => javas.every((pid) => !isRunning(pid)), 10_000)).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
    },
    STARTS_TIMEOUT,
  );
});

describe('startDynamoDbLocal({ port }) on a port that is taken', () => {
  it(
    'rejects with an error naming the port (and the likely culprit) and starts no Java',
    async () => {
      const holder: Server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
      const port = (holder.address() as { port: number }).port;

      const outcome = await startDynamoDbLocal({ port }).then(
        (db) => {
          cleanups.push(db.stop);
          return 'started';
        },
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(PortInUseError);
      expect((outcome as PortInUseError).code).toBe('EADDRINUSE');
      expect((outcome as Error).message).toMatch(expectedMessage);
      expect((outcome as Error).message).toContain(`DYNAMODB_PORT ${port} `);
      expect(processesWithArgs('-port', String(port))).toEqual([]);
    },
    STARTS_TIMEOUT,
  );

  it(
    'does not take another DynamoDB Local answering there for its own',
    async () => {
      const other: DynamoDbLocal = await startDynamoDbLocal();
      cleanups.push(other.stop);
      const otherJavas = processesWithArgs('-port', String(other.port));

      const outcome = await startDynamoDbLocal({ port: other.port }).then(
        (db) => {
          cleanups.push(db.stop);
          return 'started';
        },
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(PortInUseError);
      expect((outcome as Error).message).toMatch(expectedMessage);
      // Only the other one runs on that port.
      expect(processesWithArgs('-port', String(other.port))).toEqual(otherJavas);
      if (canListProcesses) expect(otherJavas).toHaveLength(1);
    },
    STARTS_TIMEOUT,
  );
});
