/**
 * Invariant 10 on the local cloud: a release and its execution never stay apart. The reconciler
 * repairs what a crash left (an execution that lost its progress), records an execution that
 * ended outside the API, and reports — never follows — an execution moved by a forged signal.
 */
import { cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, refused, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false });
});
afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });
const read = (id: string) => ok(t.api().GET('/releases/{id}', at(id)));

const create = async (test: TestCloud = t) => {
  const { id } = await ok(test.api().POST('/releases', { body: releaseBody() }), 201);
  await eventually(async () => expect((await test.execution(id)).state).toBe('Assessment'));
  return id;
};

const forge = async (id: string, signal: Record<string, unknown>) => {
  // The execution's record-stage task writes its token shortly after the start (later under load).
  let token: string | undefined;
  await eventually(async () => {
    const wait = await t.cloud.ports.clients.db.send(
      new GetCommand({
        TableName: t.cloud.tableName,
        Key: { pk: `REL#${id}`, sk: '#WAIT' },
        ConsistentRead: true,
      }),
    );
    token = wait.Item?.taskToken as string | undefined;
    expect(token).toBeDefined();
  });
  await t.sfn.send(
    new SendTaskSuccessCommand({
      taskToken: token as string,
      output: JSON.stringify(signal),
    }),
  );
};

describe('the reconciler', () => {
  it('records an execution an operator stopped: the release is failed, with how it ended, in its history', async () => {
    const id = await create();
    const arn = executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, id);
    await t.sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'Wrong release' }),
    );
    const summary = await t.cloud.reconcile();
    expect(summary.outcomes.ended).toBe(1);
    expect(await read(id)).toMatchObject({
      status: 'failed',
      stage: 'Assessment',
      version: 2,
      executionEnd: { status: 'ABORTED', error: 'Operator', cause: 'Wrong release' },
      allowedTransitions: [],
    });
    const history = await ok(t.api().GET('/releases/{id}/history', at(id)));
    expect(history.items.at(-1)).toMatchObject({
      type: 'Release Execution Ended',
      actor: 'system:reconciler',
    });
    // Nothing more to do on the next pass; a failed release takes no more moves.
    expect((await t.cloud.reconcile()).outcomes.ended ?? 0).toBe(0);
    await refused(
      t
        .api()
        .POST('/releases/{id}/transitions', { ...at(id), body: { to: 'Development', expectedVersion: 2 } }),
      422,
    );
  });

  it('reports an execution moved by a forged signal and does not make the release follow it', async () => {
    const id = await create();
    await forge(id, { to: 'Development', entry: 1, actor: 'mallory' });
    await eventually(async () => expect((await t.execution(id)).state).toBe('Development'));
    await t.cloud.settle();
    expect(await read(id)).toMatchObject({ stage: 'Assessment', version: 1 });
    // Once the execution waits in Development (its task recorded), the reconciler reports it.
    await eventually(async () => {
      const summary = await t.cloud.reconcile();
      expect(summary.divergences).toEqual([
        { kind: 'release', id, outcome: 'diverged', detail: expect.stringContaining('Development') },
      ]);
    });
    expect(await read(id)).toMatchObject({ stage: 'Assessment', version: 1 });
  });
});

describe('executions moved by forged signals', () => {
  it('into an exit no timeout leads to: reported, never recorded as a timeout; the release stays live', async () => {
    const id = await create();
    await forge(id, { to: 'Cancelled', entry: 1, actor: 'mallory' });
    const arn = executionArnOf(t.cloud.ports.config.defaultReleaseStateMachineArn as string, id);
    await eventually(async () =>
      expect((await t.sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe(
        'SUCCEEDED',
      ),
    );
    const summary = await t.cloud.reconcile();
    expect(summary.divergences.map((d) => d.id)).toContain(id);
    expect(summary.outcomes.follow ?? 0).toBe(0);
    expect(await read(id)).toMatchObject({
      stage: 'Assessment',
      status: 'active',
      version: 1,
    });
  });

  it('to another stage at the same entry: the next transition is not reported in step', async () => {
    const id = await create();
    // The Choice's default re-enters Assessment, now at entry 1.
    await forge(id, { to: 'Nowhere', entry: 1, actor: 'mallory' });
    await eventually(async () => {
      const wait = await t.cloud.ports.clients.db.send(
        new GetCommand({
          TableName: t.cloud.tableName,
          Key: { pk: `REL#${id}`, sk: '#WAIT' },
          ConsistentRead: true,
        }),
      );
      expect(wait.Item?.entry).toBe(1);
    });
    const moved = await t.moveWaiting(id, 'Development', 1);
    expect(moved.body).toMatchObject({ stage: 'Development', execution: { inStep: false } });
    expect((await t.execution(id)).state).toBe('Assessment');
  });
});

describe('after a crash that lost the execution’s progress', () => {
  let dataDir: string;
  let tableName: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'release-desk-reconcile-'));
    tableName = `reconcile-${Date.now()}`;
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('repairs it at start-up: the committed transition reaches the execution, and the next one goes on', async () => {
    const first = await startTestCloud({ dataDir, tableName, schedules: false });
    const id = await create(first);
    await first.cloud.settle();
    // What the crash left on disk: the execution as it was before the transition was answered.
    const snapshot = join(dataDir, 'stepfunctions-before');
    await cp(join(dataDir, 'stepfunctions'), snapshot, { recursive: true });
    const moved = await first.moveWaiting(id, 'Development', 1);
    expect(moved.body).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    await first.cloud.settle();
    await first.stop();
    await rm(join(dataDir, 'stepfunctions'), { recursive: true, force: true });
    await cp(snapshot, join(dataDir, 'stepfunctions'), { recursive: true });

    // The same table: its users and teams are there already.
    const second = await startTestCloud({ dataDir, tableName, schedules: false }, {});
    try {
      expect(second.cloud.startupReconciliation.outcomes.resend).toBe(1);
      await eventually(async () => expect((await second.execution(id)).state).toBe('Development'));
      const next = await second.moveWaiting(id, 'Testing', 2);
      expect(next.body, JSON.stringify(next.body)).toMatchObject({
        stage: 'Testing',
        execution: { inStep: true },
      });
      expect((await second.cloud.reconcile()).outcomes['in-step']).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
    // Everything the local cloud keeps there — task tokens, signing key, checkpoints — is private.
    const modes: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        const mode = (await stat(full)).mode & 0o777;
        modes.push(`${full.slice(dataDir.length)} ${mode.toString(8)}`);
        if (entry.isDirectory()) await walk(full);
      }
    };
    await walk(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(modes.length).toBeGreaterThan(3);
    for (const line of modes) expect(line).toMatch(/ (600|700)$/);
  });
});
