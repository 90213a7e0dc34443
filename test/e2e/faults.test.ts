/**
 * Issue 13, faults: a workload (CIs, releases moved into Deployment, tasks started and completed
 * with planned CI updates) on a local cloud with every fault of infra/local/faults.ts switched on —
 * DynamoDB throttling and 500s, Step Functions 500s and latency, EventBridge target failures, the
 * stream relay crashing mid-batch. The client retries what was not acknowledged, with the same
 * Idempotency-Key, as a client should. Then, faults off: every acknowledged write is readable,
 * every CI update applied exactly once, every task created once, no release half-created, nothing
 * left in the dead letters or failed invocations, and the reconciler finds no divergence.
 * (SOAK=1 runs more releases: `npm run soak`.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultInjector, type FaultInjector } from '../../infra/local/faults.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { assertResponseMatchesContract } from '../support/openapi-validator.ts';
import { joinTeam } from '../support/teams.ts';
import { versionGuarded } from '../support/version-guarded.ts';

const RELEASES = process.env.SOAK ? 12 : 3;
const TASKS = 2;

let t: TestCloud;
let faults: FaultInjector;

beforeAll(async () => {
  // Rates well above the documented example's, so that a small workload meets every fault.
  faults = createFaultInjector(
    'dynamodb:throttle:0.1,dynamodb:error:0.05,sfn:error:0.25,sfn:latency:30,target:error:0.2,relay:crash:0.2',
    process.env.FAULTS_SEED ?? '13',
  );
  faults.pause();
  t = await startTestCloud(
    {
      faults,
      schedules: false,
      asyncInvoke: { retryDelaysMs: [300, 600] },
      busRetry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50 },
    },
    { rm: ['release'], tech: ['deployment'] },
  );
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  faults.resume();
}, 120_000);

afterAll(async () => t?.stop());

/** A call retried until acknowledged (any answer below 500), each POST with one Idempotency-Key. */
async function acknowledged(method: string, path: string, body?: unknown, as = 'rm') {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${t.cloud.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await t.tokenFor(as)}`,
        ...(method === 'POST' ? { 'idempotency-key': key } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // A fault's 5xx is problem+json like any answer.
    assertResponseMatchesContract(method, path, {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: text,
    });
    if (res.status < 500 || attempt >= 20)
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
        retried: attempt > 1,
      };
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
}

const { moved, taskAction } = versionGuarded(acknowledged);

type TaskView = { id: string; status: string; version: number };

async function move(id: string, to: string) {
  const current = await acknowledged('GET', `/releases/${id}`);
  await moved(
    `/releases/${id}/transitions`,
    { to, expectedVersion: current.body.version } as { expectedVersion: unknown },
    `/releases/${id}`,
    (r) => r.stage === to && r.version === (current.body.version as number) + 1,
  );
}

/** One release's whole story; returns what was acknowledged. */
async function story(n: number) {
  const cis: string[] = [];
  for (let i = 0; i < TASKS; i++) {
    const res = await acknowledged('POST', '/cis', {
      type: 'application',
      name: `app-${n}-${i}`,
      attributes: { version: '1.0' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    cis.push(res.body.id as string);
  }
  const created = await acknowledged(
    'POST',
    '/releases',
    validRelease({
      title: `Release ${n}`,
      tasks: cis.map((ciId, i) => ({
        title: `Upgrade ${i}`,
        workGroupId: 'wg_deployment',
        ciIds: [ciId],
        ciUpdates: [{ ciId, set: { version: '2.0' } }],
      })),
    }),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  for (const to of ['Development', 'Testing', 'Deployment']) await move(id, to);
  let tasks: TaskView[] = [];
  await eventually(async () => {
    tasks = (await acknowledged('GET', `/releases/${id}/tasks`)).body.items as TaskView[];
    expect(tasks.map((x) => x.status)).toEqual(cis.map(() => 'ready'));
  }, 60_000);
  for (const task of tasks) {
    await taskAction(id, task.id);
  }
  return { id, cis, tasks: tasks.map((x) => x.id) };
}

describe('under injected faults', () => {
  it('converges: acknowledged writes readable, CI updates applied once, tasks created once, no divergence', async () => {
    const stories = await Promise.all(Array.from({ length: RELEASES }, (_, n) => story(n)));
    // Everything committed is published and every delivery done or given up on, faults still on.
    await t.cloud.settle();

    // Every fault struck at least once on the way.
    const struck = faults.counts();
    for (const name of [
      'dynamodb:throttle',
      'dynamodb:error',
      'sfn:error',
      'sfn:latency',
      'target:error',
      'relay:crash',
    ] as const)
      expect(struck[name] ?? 0, `${name} struck ${JSON.stringify(struck)}`).toBeGreaterThan(0);

    // Faults off: what failed for good (rare at these retry counts) is replayed, as an operator
    // would with `npm run replay-dead-letters`, then everything is checked.
    faults.pause();
    await t.cloud.settle();
    if (t.cloud.bus.deadLetters().length > 0 || t.cloud.bus.failedInvocations().length > 0) {
      t.cloud.bus.replayDeadLetters();
      await t.cloud.settle();
    }
    expect(t.cloud.bus.deadLetters()).toEqual([]);
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
    // Every CI update landed.
    await eventually(async () => {
      for (const { cis } of stories)
        for (const ci of cis) expect((await acknowledged('GET', `/cis/${ci}`)).body.version).toBe(2);
    }, 60_000);

    // Faults off: what is read now goes through the typed client.
    const api = t.api();
    const at = (id: string) => ({ params: { path: { id } } });
    const releases = (await ok(api.GET('/releases', { params: { query: { limit: 100 } } }))).items;
    expect(releases.map((r) => r.id).sort()).toEqual(stories.map((s) => s.id).sort());
    for (const { id, cis, tasks } of stories) {
      expect(await ok(api.GET('/releases/{id}', at(id)))).toMatchObject({
        stage: 'Deployment',
        status: 'active',
      });
      const listed = (await ok(api.GET('/releases/{id}/tasks', at(id)))).items;
      expect(listed.map((x) => [x.id, x.status])).toEqual(tasks.map((x) => [x, 'done']));
      for (const ci of cis) {
        const history = (
          await ok(api.GET('/cis/{id}/history', { params: { path: { id: ci }, query: { limit: 100 } } }))
        ).items;
        expect(history.map((v) => v.version)).toEqual([2, 1]);
      }
      expect((await t.execution(id)).state).toBe('Deployment');
    }
    const summary = await t.cloud.reconcile();
    expect(summary.divergences).toEqual([]);
  }, 240_000);
});
