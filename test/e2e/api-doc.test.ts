/**
 * docs/api.md, run: every `sh` block of it in one shell, in order (curl, jq, `npm run -s token`, the
 * AWS CLI), against a local cloud whose addresses replace the defaults (`http://localhost:3000`,
 * `:8083`, `:8088`); its `ts` block is docs/examples/client.ts, byte for byte (so it is type-checked
 * with the rest), and runs in one of those blocks. What each block prints is checked here.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import {
  expectTools,
  fencedBlocks,
  jsonValues as json,
  projectRoot as root,
  runShellBlocks,
} from '../support/doc-shell.ts';
import { ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const doc = readFileSync(new URL('docs/api.md', root), 'utf8');
const blocks = fencedBlocks(doc);

let t: TestCloud;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'release-desk-api-doc-'));
  // The token script reads the signing key from DATA_DIR.
  t = await startTestCloud({ dataDir });
  // A release of another user first, so that the page example has a second page to follow.
  await ok(t.api('rm').POST('/releases', { body: releaseBody({ title: 'Ledger 7' }) }), 201);
});

afterAll(async () => {
  await t?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('docs/api.md', () => {
  it('shows docs/examples/client.ts as it is', () => {
    const ts = blocks.filter((b) => b.lang === 'ts');
    expect(ts).toHaveLength(1);
    expect(ts[0]?.text).toBe(readFileSync(new URL('docs/examples/client.ts', root), 'utf8'));
  });

  it('runs every shell example, each printing what the text says', async () => {
    await expectTools('docs/api.md', ['curl', 'jq', 'aws']);
    const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.text);
    const out = await runShellBlocks(shell, t.cloud, {
      DATA_DIR: dataDir,
      // As a reader who started `PORT=… npm start`: the examples find the API from PORT alone.
      PORT: new URL(t.cloud.apiUrl).port,
    });
    const [auth, create, move, errors, pages, typescript, env, sfn, events] = out as string[];

    expect(auth).toMatch(/^\{"status":"ok".*\}\n401\n$/);
    expect(json(create as string)[0]).toMatchObject({ stage: 'Assessment', status: 'active', version: 1 });
    expect(json(move as string)[0]).toMatchObject({
      stage: 'Development',
      version: 2,
      execution: { inStep: true },
    });
    expect(json(errors as string)).toMatchObject([
      { status: 400, errors: [{ path: 'releaseType' }] },
      {
        status: 422,
        type: 'urn:release-desk:problem:transition-not-allowed',
        from: 'Development',
        to: 'Closure',
      },
      { status: 403 },
    ]);
    const [first, second, bad] = json(pages as string) as [
      { ids: string[]; more: boolean },
      string[],
      unknown,
    ];
    expect(first).toMatchObject({ more: true });
    expect(first.ids).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first.ids[0]);
    expect(bad).toEqual({
      status: 400,
      errors: [{ path: 'cursor', message: 'is not a cursor this list returned' }],
    });
    expect((typescript as string).split('\n')).toEqual([
      expect.stringMatching(/^rel_\w+ Assessment 1$/),
      '422 urn:release-desk:problem:transition-not-allowed',
      'Development true',
      '3 releases',
      '',
    ]);
    expect(env).toBe('');
    expect(sfn).toMatch(/release-default/);
    expect(sfn).toMatch(/"status": "RUNNING"/);
    expect(events).toMatch(/"Result": true/);
    expect(events).toMatch(/\n0\n$/);
  });
});
