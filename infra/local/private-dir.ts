/**
 * The local cloud's data directory holds task tokens, the token-signing key and the database:
 * it is private to the user who runs it (directories 0700, files 0600), whatever the umask.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Mode of every file the local cloud writes under its data directory. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory under it. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Makes `dir` (created if missing) and everything already in it private to this user: directories
 * 0700, files 0600 — so an older data directory is tightened too.
 */
export function makePrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir's mode does not apply to a directory that already exists (or is filtered by the umask).
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const entry = join(dir, name);
    const stat = lstatSync(entry);
    // chmod follows symlinks: never change modes outside the data directory.
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) makePrivate(entry);
    else chmodSync(entry, PRIVATE_FILE_MODE);
  }
}
