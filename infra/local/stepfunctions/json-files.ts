/**
 * Small file helpers for the persisted local Step Functions state: atomic JSON writes (temp file +
 * rename, so a crash never leaves half a file) serialized per path, and tolerant reads.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes `value` as JSON to `path` atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(value), 'utf8');
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
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

/**
 * Writes snapshots of values to files, one write at a time per path; while a write is in flight, later
 * requests for the same path collapse into one write of the newest snapshot.
 */
export class JsonFileWriter {
  readonly #pending = new Map<string, () => unknown>();
  readonly #running = new Map<string, Promise<void>>();
  #failure: unknown;

  /** Schedules a write of `snapshot()` (taken when the write starts) to `path`. */
  schedule(path: string, snapshot: () => unknown): void {
    this.#pending.set(path, snapshot);
    if (!this.#running.has(path)) this.#running.set(path, this.#drain(path));
  }

  /** Resolves once every scheduled write has reached the disk; rethrows the first write failure. */
  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #drain(path: string): Promise<void> {
    try {
      for (let snapshot = this.#pending.get(path); snapshot; snapshot = this.#pending.get(path)) {
        this.#pending.delete(path);
        try {
          await writeJsonAtomic(path, snapshot());
        } catch (error) {
          this.#failure ??= error;
        }
      }
    } finally {
      this.#running.delete(path);
    }
  }
}
