/**
 * Small file helpers for the persisted local Step Functions state: atomic JSON writes (temp file, fsync,
 * rename, so a crash never leaves half a file), readable by the owner only, serialized per path, and
 * tolerant reads.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Owner only: execution files hold task tokens.
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIRECTORY_MODE = 0o700;

const tempSuffix = '.tmp';

/** Makes a directory sure to exist (created 0700, with any missing parents). */
export async function ensurePrivateDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/**
 * Tightens everything under `root` (root included): directories to 0700, files to 0600; removes the
 * temp files of writes a crash interrupted, which nothing reads.
 */
export async function tightenDirectory(root: string): Promise<void> {
  await chmod(root, PRIVATE_DIRECTORY_MODE);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) await tightenDirectory(path);
    else if (entry.name.endsWith(tempSuffix)) await rm(path, { force: true });
    else if (entry.isFile()) await chmod(path, PRIVATE_FILE_MODE);
  }
}

/** Makes a rename into `directory` durable; some platforms cannot fsync a directory, which is fine there. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file itself is synced; without the directory sync the rename is as durable as the platform makes it.
  }
}

/** Writes `value` as JSON to `path` atomically and durably, mode 0600; resolves once it is on disk. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const directory = dirname(path);
  await ensurePrivateDirectory(directory);
  const temp = `${path}.${randomUUID()}${tempSuffix}`;
  try {
    const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(JSON.stringify(value), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses every `*.json` file of a directory (missing directory → none). */
export async function readJsonDirectory<T>(directory: string): Promise<T[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const values: T[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const value = await readJson<T>(join(directory, name));
    if (value !== undefined) values.push(value);
  }
  return values;
}

interface PendingWrite {
  snapshot: () => unknown;
  /** Present when someone awaits this write (see {@link JsonFileWriter.write}). */
  awaited?: PromiseWithResolvers<void>;
}

/**
 * Writes snapshots of values to files, one write at a time per path; while a write is in flight, later
 * requests for the same path collapse into one write of the newest snapshot.
 */
export class JsonFileWriter {
  readonly #pending = new Map<string, PendingWrite>();
  readonly #running = new Map<string, Promise<void>>();
  #failure: unknown;

  /**
   * Schedules a write of `snapshot()` (taken when the write starts) to `path`, without waiting for it;
   * {@link flush} reports its failure.
   */
  schedule(path: string, snapshot: () => unknown): void {
    this.#queue(path, snapshot);
    this.#start(path);
  }

  /**
   * Writes `snapshot()` to `path` and resolves once a write that started after this call is on disk, so
   * everything the snapshot showed at the call is durable; rejects with that write's failure.
   */
  write(path: string, snapshot: () => unknown): Promise<void> {
    const pending = this.#queue(path, snapshot);
    pending.awaited ??= Promise.withResolvers<void>();
    this.#start(path);
    return pending.awaited.promise;
  }

  /** Resolves once every scheduled write has reached the disk; rethrows the first unawaited write failure. */
  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** A queued write has not started yet, so it takes the newest snapshot: later requests join it. */
  #queue(path: string, snapshot: () => unknown): PendingWrite {
    const queued = this.#pending.get(path);
    if (queued) {
      queued.snapshot = snapshot;
      return queued;
    }
    const pending: PendingWrite = { snapshot };
    this.#pending.set(path, pending);
    return pending;
  }

  #start(path: string): void {
    if (!this.#running.has(path)) this.#running.set(path, this.#drain(path));
  }

  async #drain(path: string): Promise<void> {
    try {
      for (let next = this.#pending.get(path); next; next = this.#pending.get(path)) {
        this.#pending.delete(path);
        try {
          await writeJsonAtomic(path, next.snapshot());
          next.awaited?.resolve();
        } catch (error) {
          if (next.awaited) next.awaited.reject(error);
          else this.#failure ??= error;
        }
      }
    } finally {
      this.#running.delete(path);
    }
  }
}
