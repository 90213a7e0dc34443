/**
 * Running a document's shell examples against a test's local cloud, as a reader would run them
 * against `npm start` (test/e2e/api-doc.test.ts, test/e2e/operations-doc.test.ts): the blocks in
 * one shell, in order, with the cloud's addresses in place of the defaults, and what each printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { LocalCloud } from '../../infra/local/cloud.ts';

const run = promisify(execFile);

/** The project's root: where a reader runs the examples (`npm run …`). */
export const projectRoot = new URL('../../', import.meta.url);

/** A fenced code block: its language, the words after it (```` ```sh local ```` → `['local']`), its text. */
export interface FencedBlock {
  readonly lang: string;
  readonly tags: readonly string[];
  readonly text: string;
}

/** The fenced blocks of a Markdown text that start at the beginning of a line, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  return [...markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] as string,
    tags: (m[2] as string).trim().split(/\s+/).filter(Boolean),
    text: m[3] as string,
  }));
}

/** The JSON values a block printed one after the other (jq's output), each over one or more lines. */
export function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let buffer = '';
  for (const line of text.split('\n')) {
    buffer += `${line}\n`;
    try {
      values.push(JSON.parse(buffer));
      buffer = '';
    } catch {
      // Not a whole value yet: read on.
    }
  }
  expect(buffer.trim(), `not JSON: ${buffer}`).toBe('');
  return values;
}

/** Fails, naming them, when tools the document's examples use are not installed. */
export async function expectTools(document: string, tools: readonly string[]): Promise<void> {
  // What a reader needs too; missing, the examples cannot run, and the failure says so plainly.
  const missing: string[] = [];
  for (const tool of tools) {
    await run('bash', ['-c', `command -v ${tool}`]).catch(() => missing.push(tool));
  }
  expect(missing, `${document} runs its examples with ${tools.join(', ')}: install them`).toEqual([]);
}

const MARK = '@@block@@';

/**
 * Runs `blocks` in one `bash -euo pipefail` from the project's root, with `cloud`'s addresses for
 * `http://localhost:3000`, `:8083` and `:8088`, and answers what each block printed on stdout. A
 * failing block fails with the shell's stderr and what was printed up to it.
 */
export async function runShellBlocks(
  blocks: readonly string[],
  cloud: Pick<LocalCloud, 'apiUrl' | 'sfnEndpoint' | 'eventsEndpoint'>,
  env: Record<string, string>,
): Promise<string[]> {
  const script = blocks
    .join(`echo ${MARK}\n`)
    .replaceAll('http://localhost:3000', cloud.apiUrl)
    .replaceAll('http://localhost:8083', cloud.sfnEndpoint)
    .replaceAll('http://localhost:8088', cloud.eventsEndpoint);
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: projectRoot,
    timeout: 120_000,
    env: { ...process.env, ...env },
  }).catch((error: { stdout: string; stderr: string }) => {
    throw new Error(`the examples failed:\n${error.stderr}\n--- stdout ---\n${error.stdout}`);
  });
  const out = stdout.split(`${MARK}\n`);
  expect(out).toHaveLength(blocks.length);
  return out;
}
