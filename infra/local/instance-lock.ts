/**
 * Whether a local cloud runs on a data directory: `DATA_DIR/instance.json`, written when one
 * starts on it (`npm start`, or a test's) and removed when it stops cleanly. Tools that must not
 * run under a live instance (`npm run rotate-signing-key`) ask this instead of probing a port: a
 * port says only that *something* answers there — another instance on another data dir, or any
 * program that took the port since — not that this data dir is in use.
 *
 * A lock left by a crash (`kill -9`, a power cut) is stale: its process is gone. One copied with
 * the data dir (`cp -a .data …` while running) names the directory it was written in, not the copy.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PRIVATE_FILE_MODE } from './private-dir.ts';

/** The lock's file name inside the data directory. */
export const INSTANCE_LOCK_FILE = 'instance.json';

/** What the lock says about the instance that holds it. */
export interface InstanceLock {
  readonly pid: number;
  /** The data directory, resolved, the lock was written in. */
  readonly dataDir: string;
  readonly startedAt: string;
}

/** Whether process `pid` exists (EPERM: it does, but is another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(dataDir: string): InstanceLock | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, INSTANCE_LOCK_FILE), 'utf8')) as InstanceLock;
    return Number.isInteger(lock.pid) && lock.pid > 0 ? lock : undefined;
  } catch {
    // None, or torn by a crash mid-write: either way no instance vouches for it.
    return undefined;
  }
}

/** The live instance on `dataDir`, if any: its lock, written there by a process that still runs. */
export function runningInstance(dataDir: string): InstanceLock | undefined {
  const dir = resolve(dataDir);
  const lock = read(dir);
  return lock && lock.dataDir === dir && alive(lock.pid) ? lock : undefined;
}

/**
 * Marks `dataDir` as in use by this process; the returned function unmarks it (only if the lock
 * is still this instance's: a later start on the same directory owns it from then on).
 */
export function holdInstanceLock(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const lock: InstanceLock = { pid: process.pid, dataDir: dir, startedAt: new Date().toISOString() };
  const text = JSON.stringify(lock);
  const file = join(dir, INSTANCE_LOCK_FILE);
  writeFileSync(file, text, { mode: PRIVATE_FILE_MODE });
  return () => {
    try {
      if (readFileSync(file, 'utf8') === text) rmSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

/**
 * Thrown when a local cloud starts on a data directory another live instance holds: two DynamoDB
 * Locals on one database file block each other (requests then hang), and two relays publish the
 * same outbox.
 */
export class DataDirInUseError extends Error {
  readonly lock: InstanceLock;
  constructor(lock: InstanceLock) {
    super(
      `DATA_DIR ${lock.dataDir} is in use by another npm start (pid ${lock.pid}, since ${lock.startedAt}). ` +
        `Stop it first, or set DATA_DIR to another directory. (If no such process is yours, delete ${join(lock.dataDir, INSTANCE_LOCK_FILE)}.)`,
    );
    this.name = 'DataDirInUseError';
    this.lock = lock;
  }
}

/**
 * Marks `dataDir` as in use by this process, refusing (DataDirInUseError) if another live process
 * holds it; the returned function unmarks it. A lock of this very process (a test that starts a
 * cloud again on the same directory) does not refuse.
 */
export function claimDataDir(dataDir: string): () => void {
  const held = runningInstance(dataDir);
  if (held && held.pid !== process.pid) throw new DataDirInUseError(held);
  return holdInstanceLock(dataDir);
}
