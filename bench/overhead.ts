/**
 * Items 1 and 2 of docs/performance.md: each operation through the local gateway against the raw
 * DynamoDB calls it minimally needs, on the same DynamoDB Local, in the same run — sequentially
 * (median and p99, API and raw samples interleaved so that a slow moment of the machine hits
 * both) and with 16 and 64 concurrent clients (operations per second, API over raw).
 *
 * What each operation minimally needs is what the design cannot avoid: the caller's user item
 * (authorisation reads roles from the table, not from the token), the subject, and the
 * transaction that writes the change with its event (the outbox). Everything else — the team,
 * the workflow, the execution, the blackouts — is the API's overhead.
 */
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/store/keys.ts';
import type { BenchResults, OverheadFigure, Row, ThroughputFigure } from './results.ts';
import { type Bench, benchRelease, pool, round, spread, startBench, timed } from './support.ts';

const N = Number(process.env.BENCH_OVERHEAD_N ?? 200);
const THROUGHPUT_OPS = Number(process.env.BENCH_THROUGHPUT_OPS ?? 512);
const CONCURRENCY = [16, 64] as const;
/** `BENCH_OPS=moveRelease,getRelease` measures only those operations (default all). */
const ONLY = process.env.BENCH_OPS?.split(',').map((o) => o.trim());

/** One measured operation: its API call and its raw baseline, each on its own fresh input `i`. */
interface Operation {
  /** Its field in the results (`overhead.<key>`, `throughput.<key>`). */
  readonly key: string;
  readonly name: string;
  readonly baseline: string;
  /** Inputs needed for `count` API calls and as many raw calls. */
  prepare(count: number): Promise<void>;
  api(i: number): Promise<void>;
  raw(i: number): Promise<void>;
}

const ulidLike = (i: number, prefix: string) => `${prefix}_bench${String(i).padStart(8, '0')}`;

async function operations(b: Bench): Promise<Operation[]> {
  const table = b.tableName;
  const ok = (status: number, what: string) => {
    if (status >= 300) throw new Error(`${what} answered ${status}`);
  };
  const userGet = () =>
    b.raw.send(new GetCommand({ TableName: table, Key: keys.user('rm'), ConsistentRead: true }));
  const batchGet = (second: { pk: string; sk: string }, user = 'rm') =>
    b.raw.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: [keys.user(user), second], ConsistentRead: true } },
      }),
    );
  /** The raw write of a change with its event: the state item conditional on its version, the event new. */
  const writeWithEvent = (
    item: { pk: string; sk: string } & Record<string, unknown>,
    expected: number | undefined,
    n: number,
  ) =>
    b.raw.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: item,
              ...(expected === undefined
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : {
                    ConditionExpression: '#v = :v',
                    ExpressionAttributeNames: { '#v': 'version' },
                    ExpressionAttributeValues: { ':v': expected },
                  }),
            },
          },
          {
            Put: {
              TableName: table,
              // As large as an event, but not one: the relay publishes only `entity = event`
              // items (the raw side is the store's work alone, not the outbox's).
              Item: {
                pk: item.pk,
                sk: `BENCH#${ulidLike(n, 'evt')}`,
                entity: 'bench-event',
                type: 'Bench',
                data: item,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );

  // A release as the API stores it: the raw baselines read and write items of the same size.
  const sample = (await b.call('POST', '/releases', benchRelease())).body;
  const stored = (
    await b.raw.send(new GetCommand({ TableName: table, Key: keys.release(sample.id as string) }))
  ).Item as Record<string, unknown>;
  const rawRelease = (id: string, version: number) => ({ ...stored, ...keys.release(id), id, version });

  // GET /releases/{id} and GET /cis/{id}?at=: read over and over.
  const readIds: string[] = [];
  const ci = (
    await b.call('POST', '/cis', { type: 'application', name: 'Bench CI', attributes: {} }, 'admin')
  ).body;
  let ciVersion = ci.version as number;
  const atInstants: string[] = [];

  // POST /releases/{id}/transitions: releases waiting in Assessment; the raw side moves copies.
  const toMove: string[] = [];
  let rawMoved = 0;
  // POST /tasks/{id}/complete: tasks started by the technician.
  const toComplete: { id: string; version: number }[] = [];
  let rawTasks = 0;
  let taskSample: Record<string, unknown> | undefined;
  let rawCreated = 0;

  return [
    {
      key: 'getRelease',
      name: 'GET /releases/{id}',
      baseline: 'BatchGetItem (caller, release)',
      prepare: async () => {
        if (readIds.length === 0) readIds.push(sample.id as string);
        await b.cloud.settle();
      },
      api: async () => ok((await b.request('GET', `/releases/${readIds[0]}`)).status, 'GET /releases/{id}'),
      raw: async () => {
        await batchGet(keys.release(readIds[0] as string));
      },
    },
    {
      key: 'getCiAt',
      name: 'GET /cis/{id}?at=',
      baseline: 'GetItem (caller) ∥ Query (version at)',
      prepare: async () => {
        if (atInstants.length > 0) return;
        // A history of 20 versions; reads ask for instants within it.
        for (let v = 0; v < 20; v++) {
          atInstants.push(new Date().toISOString());
          const edited = await b.call(
            'PATCH',
            `/cis/${ci.id}`,
            { set: { build: v }, expectedVersion: ciVersion },
            'admin',
          );
          ciVersion = edited.body.version as number;
        }
      },
      api: async (i) => {
        const at = atInstants[i % atInstants.length] as string;
        ok(
          (await b.request('GET', `/cis/${ci.id}?at=${encodeURIComponent(at)}`)).status,
          'GET /cis/{id}?at=',
        );
      },
      raw: async (i) => {
        const at = atInstants[i % atInstants.length] as string;
        await Promise.all([
          userGet(),
          b.raw.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: {
                ':pk': keys.ci(ci.id as string).pk,
                ':from': 'AT#',
                ':to': `AT#${at}#9999999999`,
              },
              ScanIndexForward: false,
              Limit: 1,
              ConsistentRead: true,
            }),
          ),
        ]);
      },
    },
    {
      key: 'createRelease',
      name: 'POST /releases',
      baseline: 'GetItem (caller), then TransactWriteItems (release, event)',
      prepare: async () => undefined,
      api: async () => ok((await b.request('POST', '/releases', benchRelease())).status, 'POST /releases'),
      raw: async () => {
        const n = rawCreated++;
        await userGet();
        await writeWithEvent(rawRelease(ulidLike(n, 'rel_new'), 1), undefined, n);
      },
    },
    {
      key: 'moveRelease',
      name: 'POST /releases/{id}/transitions',
      baseline: 'BatchGetItem (caller, release), then TransactWriteItems (release if version, event)',
      prepare: async (count) => {
        const fresh: string[] = [];
        await pool(
          Array.from({ length: count }, (_, i) => i),
          8,
          async () => {
            fresh.push((await b.call('POST', '/releases', benchRelease())).body.id as string);
          },
        );
        // The raw side moves copies of the same size, created beside them.
        await pool(
          Array.from({ length: count }, (_, i) => i),
          16,
          async (i) => {
            await writeWithEvent(
              rawRelease(ulidLike(rawMoved + i, 'rel_mv'), 1),
              undefined,
              1e7 + rawMoved + i,
            );
          },
        );
        toMove.push(...fresh);
        await b.cloud.settle();
      },
      api: async () => {
        const id = toMove.shift() as string;
        const moved = await b.request('POST', `/releases/${id}/transitions`, {
          to: 'Development',
          expectedVersion: 1,
        });
        ok(moved.status, 'POST /releases/{id}/transitions');
      },
      raw: async () => {
        const n = rawMoved++;
        const id = ulidLike(n, 'rel_mv');
        await batchGet(keys.release(id));
        await writeWithEvent({ ...rawRelease(id, 2), stage: 'Development' }, 1, 2e7 + n);
      },
    },
    {
      key: 'completeTask',
      name: 'POST /tasks/{id}/complete',
      baseline:
        'BatchGetItem (caller, task), GetItem (release), then TransactWriteItems (task if version, event)',
      prepare: async (count) => {
        const perRelease = 50;
        const releases = Math.ceil(count / perRelease);
        const ciId = ci.id as string;
        for (let r = 0; r < releases; r++) {
          const created = await b.call(
            'POST',
            '/releases',
            benchRelease({
              tasks: Array.from({ length: perRelease }, (_, i) => ({
                title: `Task ${i}`,
                workGroupId: 'wg_deployment',
                ciIds: [ciId],
                ciUpdates: [],
              })),
            }),
          );
          const id = created.body.id as string;
          let version = created.body.version as number;
          for (const to of ['Development', 'Testing', 'Deployment']) {
            await b.cloud.settle();
            version = (await b.call('POST', `/releases/${id}/transitions`, { to, expectedVersion: version }))
              .body.version as number;
          }
          await b.cloud.settle();
          const tasks = (await b.call('GET', `/releases/${id}/tasks`)).body.items as {
            id: string;
            status: string;
            version: number;
          }[];
          await pool(tasks, 8, async (t) => {
            const started = await b.call(
              'POST',
              `/tasks/${t.id}/start`,
              { expectedVersion: t.version },
              'tech',
            );
            toComplete.push({ id: t.id, version: started.body.version as number });
          });
        }
        await b.cloud.settle();
        const first = toComplete[0] as { id: string };
        taskSample = (await b.raw.send(new GetCommand({ TableName: table, Key: keys.task(first.id) })))
          .Item as Record<string, unknown>;
        // Raw copies of a started task, to complete.
        await pool(
          Array.from({ length: count }, (_, i) => i),
          16,
          async (i) => {
            const id = ulidLike(rawTasks + i, 'tsk_raw');
            await writeWithEvent(
              { ...taskSample, ...keys.task(id), id, version: 2 },
              undefined,
              3e7 + rawTasks + i,
            );
          },
        );
      },
      api: async () => {
        const t = toComplete.shift() as { id: string; version: number };
        ok(
          (await b.request('POST', `/tasks/${t.id}/complete`, { expectedVersion: t.version }, 'tech')).status,
          'POST /tasks/{id}/complete',
        );
      },
      raw: async () => {
        const n = rawTasks++;
        const id = ulidLike(n, 'tsk_raw');
        await batchGet(keys.task(id), 'tech');
        await b.raw.send(
          new GetCommand({ TableName: table, Key: keys.release(sample.id as string), ConsistentRead: true }),
        );
        await writeWithEvent({ ...taskSample, ...keys.task(id), id, version: 3, status: 'done' }, 2, 4e7 + n);
      },
    },
  ];
}

/** Sequential samples, API and raw alternating. */
async function overheadOf(op: Operation): Promise<OverheadFigure> {
  await op.prepare(N + 20);
  for (let i = 0; i < 20; i++) {
    await op.api(i);
    await op.raw(i);
  }
  const api: number[] = [];
  const raw: number[] = [];
  for (let i = 20; i < N + 20; i++) {
    api.push(await timed(() => op.api(i)));
    raw.push(await timed(() => op.raw(i)));
  }
  const a = spread(api);
  const r = spread(raw);
  return {
    baseline: op.baseline,
    api: a,
    raw: r,
    ratioMedian: round(a.medianMs / r.medianMs, 2),
    ratioP99: round(a.p99Ms / r.p99Ms, 2),
  };
}

async function throughputOf(op: Operation, concurrency: number): Promise<ThroughputFigure> {
  await op.prepare(THROUGHPUT_OPS);
  const items = Array.from({ length: THROUGHPUT_OPS }, (_, i) => i);
  const apiMs = await pool(items, concurrency, (i) => op.api(i));
  const rawMs = await pool(items, concurrency, (i) => op.raw(i));
  const apiPerSecond = (THROUGHPUT_OPS / apiMs) * 1000;
  const rawPerSecond = (THROUGHPUT_OPS / rawMs) * 1000;
  return {
    apiPerSecond: round(apiPerSecond, 1),
    rawPerSecond: round(rawPerSecond, 1),
    ratio: round(apiPerSecond / rawPerSecond, 2),
  };
}

export async function run(results: BenchResults): Promise<Row[]> {
  // Unmetered: the meter's own work would be charged to the API side only.
  const b = await startBench({ metered: false });
  const rows: Row[] = [];
  try {
    const overhead: Record<string, OverheadFigure> = {};
    const throughput: Record<string, { c16: ThroughputFigure; c64: ThroughputFigure }> = {};
    for (const op of (await operations(b)).filter((o) => !ONLY || ONLY.includes(o.key))) {
      const figure = await overheadOf(op);
      overhead[op.key] = { operation: op.name, ...figure };
      rows.push(
        {
          part: 'overhead',
          figure: `${op.name} median vs ${op.baseline}`,
          value: `${figure.ratioMedian}× (${figure.api.medianMs} / ${figure.raw.medianMs} ms)`,
          goal: '≤ 2×',
          met: figure.ratioMedian <= 2,
        },
        {
          part: 'overhead',
          figure: `${op.name} p99`,
          value: `${figure.ratioP99}× (${figure.api.p99Ms} / ${figure.raw.p99Ms} ms)`,
        },
      );
      const byConcurrency: Record<string, ThroughputFigure> = {};
      for (const c of CONCURRENCY) {
        const t = await throughputOf(op, c);
        byConcurrency[`c${c}`] = t;
        rows.push({
          part: 'throughput',
          figure: `${op.name} at ${c} clients`,
          value: `${t.ratio}× (${t.apiPerSecond} / ${t.rawPerSecond} per s)`,
          goal: '≥ 0.5×',
          met: t.ratio >= 0.5,
        });
      }
      throughput[op.key] = byConcurrency as { c16: ThroughputFigure; c64: ThroughputFigure };
      await b.cloud.settle();
    }
    results.overhead = overhead;
    results.throughput = throughput;
  } finally {
    await b.stop();
  }
  return rows;
}
