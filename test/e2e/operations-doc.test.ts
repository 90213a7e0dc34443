/**
 * docs/operations.md, run: its blocks marked ```` ```sh local ```` — the ones a reader runs against
 * `npm start` — in one shell, in order, against a local cloud whose addresses replace the defaults
 * (test/support/doc-shell.ts, as test/e2e/api-doc.test.ts runs docs/api.md). What each prints is
 * checked here. The other blocks are not run: those for AWS need an account, and the local ones
 * that start or stop `npm start` (faults, the backup copy, the key rotation) are
 * test/e2e/faults.test.ts's and test/e2e/local-ops.test.ts's.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import { expectTools, fencedBlocks, jsonValues, projectRoot, runShellBlocks } from '../support/doc-shell.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const blocks = fencedBlocks(readFileSync(new URL('docs/operations.md', projectRoot), 'utf8'));
const local = blocks.filter((b) => b.lang === 'sh' && b.tags.includes('local'));

let t: TestCloud;
let dataDir: string;
let releaseIds: string[];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'release-desk-operations-doc-'));
  // The token script reads the signing key from DATA_DIR; no scheduled pass may do the doc's repair.
  t = await startTestCloud({ dataDir, schedules: false });
  // Two releases in step: the doc stops the first execution it lists, the run checks both.
  releaseIds = [];
  for (const title of ['Ledger 7', 'Payroll 9']) {
    const { id } = await ok(t.api().POST('/releases', { body: releaseBody({ title }) }), 201);
    await eventually(async () => expect((await t.execution(id)).state).toBe('Assessment'));
    releaseIds.push(id);
  }
});

afterAll(async () => {
  await t?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('docs/operations.md', () => {
  it('marks as local only blocks that run against the local cloud', () => {
    expect(local.map((b) => b.text.split('\n')[0])).toEqual([
      'npm run replay-dead-letters      # EVENTS_PORT=… if not 8088',
      'export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=local',
      'aws stepfunctions stop-execution --endpoint-url $SFN --execution-arn $ARN \\',
      'EB=http://localhost:8088                                    # EVENTS_PORT',
    ]);
    // Every AWS CLI call of a local block names the local endpoint; one without it would go to AWS.
    for (const block of local) {
      for (const call of block.text.split(/\n(?!\s)/).filter((c) => /^\s*(\S+=\S+\s+)*aws\s/.test(c)))
        expect(call, 'an AWS CLI call in a local block').toMatch(/--endpoint-url/);
    }
  });

  it('runs every local shell example, each printing what the text says', async () => {
    await expectTools('docs/operations.md', ['curl', 'jq', 'aws']);
    const [replay, executions, repair, events] = await runShellBlocks(
      local.map((b) => b.text),
      t.cloud,
      {
        DATA_DIR: dataDir,
        PORT: new URL(t.cloud.apiUrl).port,
        EVENTS_PORT: new URL(t.cloud.eventsEndpoint).port,
      },
    );

    expect(replay).toMatch(/No dead letters, no failed invocations\./);

    const lines = (executions as string).split('\n');
    expect(lines[0]?.split(/\s+/).sort()).toEqual(
      [
        'change-emergency',
        'change-normal',
        'change-standard',
        'release-default',
        'release-fast-track',
      ].sort(),
    );
    // Both releases' executions, RUNNING; the doc then picks the first one listed.
    const running = lines.filter((l) => /^rel_\w+\tRUNNING$/.test(l)).map((l) => l.split('\t')[0]);
    expect([...running].sort()).toEqual([...releaseIds].sort());
    const rest = lines.slice(1 + running.length).join('\n');
    const described = jsonValues(rest.slice(0, rest.lastIndexOf('}') + 1));
    expect(described).toEqual([
      { status: 'RUNNING', redriveStatus: 'NOT_REDRIVABLE', start: expect.anything() },
    ]);
    // The history's newest events first: the stage the release waits in is named among them.
    expect(rest.slice(rest.lastIndexOf('}') + 1)).toMatch(/\tAssessment\n/);

    const [stopped, summary, release] = jsonValues(repair as string) as [
      { stopDate: unknown },
      { checked: number; outcomes: Record<string, number>; divergences: unknown[] },
      Record<string, unknown>,
    ];
    expect(stopped.stopDate).toEqual(expect.anything());
    expect(summary).toEqual({ checked: 2, outcomes: { 'in-step': 1, ended: 1 }, divergences: [] });
    expect(release).toMatchObject({
      stage: 'Assessment',
      status: 'failed',
      executionEnd: { status: 'ABORTED', error: 'Ops.Drill', cause: 'Stopped by hand to try the reconciler' },
    });
    // The one the doc stopped is the first listed; the other is untouched.
    const read = (id: string) => ok(t.api().GET('/releases/{id}', { params: { path: { id } } }));
    expect((await read(running[0] as string)).status).toBe('failed');
    expect((await read(running[1] as string)).status).toBe('active');

    const [put, matched] = jsonValues(events as string);
    expect(put).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(matched).toEqual({ Result: true });
  });
});
