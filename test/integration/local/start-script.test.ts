/**
 * `npm start` (`node infra/local/start.ts`, which npm runs through `sh -c`) stops cleanly, DynamoDB
 * Local included, when the process that started it goes away (`kill <npm's pid>`, `kill %1`, a
 * supervisor) and on SIGHUP; and a DYNAMODB_PORT that is taken is a clear error, not a start on
 * whatever answers there. (This file starts `npm start`'s script itself, on free ports.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local/dynamodb-local.ts';
import {
  canListProcesses,
  childrenOf,
  isRunning,
  killAll,
  parentOf,
  portIsFree,
  processesWithArgs,
  waitFor,
} from './processes.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = 'infra/local/start.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Ports {
  PORT: number;
  DYNAMODB_PORT: number;
  SFN_PORT: number;
  EVENTS_PORT: number;
}

async function freePorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [PORT = 0, DYNAMODB_PORT = 0, SFN_PORT = 0, EVENTS_PORT = 0] = [...ports];
  return { PORT, DYNAMODB_PORT, SFN_PORT, EVENTS_PORT };
}

/** A running `start.ts` (through `sh -c` unless `shell` is false), its output and its end. */
interface Started {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly output: () => string;
  /** Resolves once every process holding our stdout/stderr (the script included) has exited. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startScript(ports: Ports, options: { shell: boolean; dataDir?: string }): Promise<Started> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'release-desk-start-')));
  if (!options.dataDir) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  // Should the test fail, leave no DynamoDB Local running (the script itself is killed below).
  cleanups.push(() => killAll(processesWithArgs('-dbPath', join(dataDir, 'dynamodb'))));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  };
  // As npm does it: `sh -c "<script>"`, with a command after it so that sh stays the parent
  // instead of exec'ing into node (which dash does for a lone command).
  const child = options.shell
    ? spawn('/bin/sh', ['-c', '"$@"; exit $?', 'sh', process.execPath, SCRIPT], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, [SCRIPT], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, dataDir, output: () => output, closed };
}

/** Resolves true once `promise` settles within `ms`, false otherwise. */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

async function waitForBanner(started: Started) {
  const up = await waitFor(
    () => started.output().includes('Release Desk is running') || started.child.exitCode !== null,
    90_000,
  );
  expect(started.output()).toContain('Release Desk is running');
  expect(up).toBe(true);
}

async function allFree(ports: Ports) {
  return (await Promise.all(Object.values(ports).map((port) => portIsFree(port)))).every(Boolean);
}

describe('npm start (infra/local/start.ts)', () => {
  it('stops, DynamoDB Local included, when its parent `sh -c` is killed with SIGTERM', async () => {
    const ports = await freePorts();
    const started = await startScript(ports, { shell: true });
    await waitForBanner(started);
    const shPid = started.child.pid ?? 0;
    const [node] = childrenOf(shPid);
    const javas = processesWithArgs('-dbPath', join(started.dataDir, 'dynamodb'));
    cleanups.push(() => killAll(node === undefined ? [] : [node]));
    if (canListProcesses) {
      // The case at hand: node is sh's child (sh did not exec into it), Java is node's.
      expect(node).toBeDefined();
      expect(javas).toHaveLength(1);
      expect(parentOf(javas[0] ?? 0)).toBe(node);
    }
    expect(await allFree(ports)).toBe(false);

    started.child.kill('SIGTERM');
    const killedAt = Date.now();
    // Gone within seconds (the parent is checked every second), having stopped cleanly.
    expect(await within(started.closed, 15_000)).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(started.output()).toContain('The parent process is gone: stopping Release Desk');
    expect(started.output()).toContain('Stopped.');
    // Reaped by whoever adopted it once sh died: allow it a moment to leave the process table.
    if (node !== undefined) expect(await waitFor(() => !isRunning(node), 5_000)).toBe(true);
    expect(await waitFor(() => javas.every((pid) => !isRunning(pid)), 5_000)).toBe(true);
    expect(await waitFor(() => allFree(ports), 5_000)).toBe(true);
  }, 150_000);

  it('stops cleanly on SIGHUP', async () => {
    const ports = await freePorts();
    const started = await startScript(ports, { shell: false });
    await waitForBanner(started);
    const javas = processesWithArgs('-dbPath', join(started.dataDir, 'dynamodb'));

    started.child.kill('SIGHUP');
    expect(await within(started.closed, 15_000)).toBe(true);
    expect(await started.closed).toEqual({ code: 0, signal: null });
    expect(started.output()).toContain('SIGHUP: stopping Release Desk');
    expect(started.output()).toContain('Stopped.');
    expect(await waitFor(() => javas.every((pid) => !isRunning(pid)), 5_000)).toBe(true);
    expect(await waitFor(() => allFree(ports), 5_000)).toBe(true);
  }, 150_000);

  it('fails with a message naming DYNAMODB_PORT, and code 1, when that port is taken', async () => {
    const ports = await freePorts();
    // Whatever holds the port (here a listener that hangs up at once) is not our DynamoDB Local.
    const holder: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(ports.DYNAMODB_PORT, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));

    const started = await startScript(ports, { shell: false });
    expect(await within(started.closed, 30_000)).toBe(true);
    expect(await started.closed).toEqual({ code: 1, signal: null });
    expect(started.output()).toMatch(
      new RegExp(
        `^DYNAMODB_PORT ${ports.DYNAMODB_PORT} is already in use on 127\\.0\\.0\\.1 \\(a DynamoDB Local left over from a crash\\? another npm start\\?\\)`,
        'm',
      ),
    );
    expect(started.output()).not.toContain('Release Desk is running');
    expect(processesWithArgs('-port', String(ports.DYNAMODB_PORT))).toEqual([]);
  }, 60_000);

  it('refuses, with code 1 and the pid that holds it, a second start on a DATA_DIR in use', async () => {
    const first = await startScript(await freePorts(), { shell: false });
    await waitForBanner(first);
    const otherPorts = await freePorts();
    const second = await startScript(otherPorts, { shell: false, dataDir: first.dataDir });
    expect(await within(second.closed, 30_000)).toBe(true);
    expect(await second.closed).toEqual({ code: 1, signal: null });
    expect(second.output()).toMatch(
      new RegExp(`^DATA_DIR \\S+ is in use by another npm start \\(pid ${first.child.pid},`, 'm'),
    );
    expect(second.output()).not.toContain('Release Desk is running');
    // Nothing of the second was started: no DynamoDB Local on its port, and the first still serves.
    expect(processesWithArgs('-port', String(otherPorts.DYNAMODB_PORT))).toEqual([]);
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await within(first.closed, 30_000)).toBe(true);
  }, 120_000);
});
