/**
 * Scale (issue 14, item 4): does the work grow with the data only where it must?
 *
 * - One release with 1,000 and with 2,000 deployment tasks, each task updating one CI of its own:
 *   time from the transition into the deploy stage until every task is ready, and from the first
 *   task completion (through the API, as the technician) until every CI shows its update.
 *   Goal: 2,000/1,000 ≤ 2.2 for each.
 * - A CI with 10,000 versions against one with 100: the newest page of its history and `?at=` (an
 *   instant in the middle of its history, and one near its start), through the API. Goal ≤ 1.3.
 * - `GET /releases/{id}/next-windows` over 500 recurring blackouts against 50, 90-day horizon.
 *   Goal ≤ 12.
 *
 * Seeding goes through the store (the CIs' commit path, the release use case); every measured read
 * and move goes through the local gateway.
 */
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Ci, CiWrite } from '../functions/domain/ci/ci.ts';
import { updateCi } from '../functions/domain/ci/ci.ts';
import { createRelease } from '../functions/domain/release/service.ts';
import { actorFor } from '../functions/domain/user/user.ts';
import { MAX_PLANNED_TASKS } from '../functions/http/contract/releases.ts';
import { CI_UPDATE_APPLIED_PREFIX, keys, taskLists } from '../functions/store/keys.ts';
import { seedCi } from '../test/support/cis.ts';
import type { BenchResults, Row } from './results.ts';
import { type Bench, benchRelease, pool, round, spread, startBench, tally, timed } from './support.ts';

/** `SCALE_TASKS=200,400` (a profile at smaller sizes) overrides the sizes the goal names. */
const TASK_COUNTS = (process.env.SCALE_TASKS ?? '1000,2000').split(',').map(Number) as [number, number];
/** `SCALE_ONLY=tasks` (or `ciHistory`, `nextWindows`) runs one section while profiling. */
const only = process.env.SCALE_ONLY;
const HISTORY_SIZES = [100, 10_000] as const;
const BLACKOUT_COUNTS = [50, 500] as const;
/** Blackouts one SLA holds (MAX_SLA_BLACKOUTS in functions/http/contract/slas.ts). */
const BLACKOUTS_PER_SLA = 50;
const CLIENTS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > limitMs) throw new Error(`bench scale: timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Items of one partition (of the table or a GSI), counted by DynamoDB (Select COUNT, paged). */
async function count(b: Bench, query: { index?: string; pk: string; prefix?: string }): Promise<number> {
  const pkName = query.index ? `${query.index}pk` : 'pk';
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await b.raw.send(
      new QueryCommand({
        TableName: b.tableName,
        ...(query.index ? { IndexName: query.index } : {}),
        KeyConditionExpression: query.prefix ? `#pk = :pk AND begins_with(sk, :prefix)` : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': pkName },
        ExpressionAttributeValues: { ':pk': query.pk, ...(query.prefix ? { ':prefix': query.prefix } : {}) },
        Select: 'COUNT',
        ...(query.index ? {} : { ConsistentRead: true }),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return n;
}

/** Moves the release from `version`; answers its new version (a GET would walk its CIs' blackouts). */
async function moveRelease(b: Bench, id: string, to: string, version: number): Promise<number> {
  const moved = await b.call('POST', `/releases/${id}/transitions`, { to, expectedVersion: version });
  return Number(moved.body.version);
}

interface TaskRun {
  readonly tasks: number;
  /** What the API answered to the same plan sent to POST /releases. */
  readonly api: { readonly status: number; readonly problem?: string };
  /** Seeding its CIs and creating the release (not part of any figure). */
  readonly setupMs: number;
  readonly readyMs: number;
  readonly completeMs: number;
  readonly appliedMs: number;
  readonly storeCalls: {
    readonly ready: ReturnType<typeof tally>;
    readonly applied: ReturnType<typeof tally>;
  };
}

async function taskRun(b: Bench, n: number, tag: string): Promise<TaskRun> {
  const setupFrom = performance.now();
  const ciIds = Array.from({ length: n }, (_, i) => `ci_s${tag}_${i}`);
  await pool(ciIds, 16, async (id) => seedCi(b.cloud.ports, id, { attributes: { version: '1.0.0' } }));
  const tasks = ciIds.map((ciId, i) => ({
    title: `t${i}`,
    workGroupId: 'wg_deployment',
    ciIds: [ciId],
    ciUpdates: [{ ciId, set: { version: '2.0.0' } }],
  }));
  const input = benchRelease({ title: `Scale ${n}`, tasks });
  // The API's answer to the plan as it is (MAX_PLANNED_TASKS, MAX_PLAN_BYTES, MAX_BODY_BYTES).
  const refused = await b.request('POST', '/releases', input);
  let releaseId: string;
  let version = 1;
  if (refused.status < 300) {
    releaseId = String(refused.body.id);
    version = Number(refused.body.version);
  } else {
    // Past the API's bounds the same plan is created through the release use case, so that the
    // readying and applying pipeline it feeds can still be measured at this size.
    const actor = actorFor({ subject: 'rm', adminClaim: false }, await b.cloud.ports.users.get('rm'));
    const { release } = await createRelease(
      {
        ...(input as Record<string, unknown>),
        changeIds: [],
        kbArticleIds: [],
        deployment: { managedByChange: false },
        tasks,
      } as never,
      actor,
      b.cloud.ports as never,
    );
    releaseId = release.id;
    version = release.version;
  }
  await until(
    async () => (await b.request('GET', `/releases/${releaseId}/execution`)).status === 200,
    30_000,
    'the execution',
  );
  version = await moveRelease(b, releaseId, 'Development', version);
  version = await moveRelease(b, releaseId, 'Testing', version);
  const setupMs = performance.now() - setupFrom;
  const readyFrom = b.meter.calls.length;
  const t0 = performance.now();
  await moveRelease(b, releaseId, 'Deployment', version);
  const taskList = taskLists.release(releaseId);
  await until(
    async () => (await count(b, { index: taskList.index, pk: taskList.partition })) === n,
    120_000,
    `${n} ready tasks`,
  );
  const readyMs = performance.now() - t0;
  const readyCalls = tally(b.meter.calls.slice(readyFrom));

  const ids = (await b.cloud.ports.tasks.ofRelease(releaseId)).map((t) => t.id);
  const appliedFrom = b.meter.calls.length;
  const t1 = performance.now();
  await pool(ids, CLIENTS, async (id) => {
    const started = await b.call('POST', `/tasks/${id}/start`, { expectedVersion: 1 }, 'tech');
    await b.call('POST', `/tasks/${id}/complete`, { expectedVersion: started.body.version }, 'tech');
  });
  const completeMs = performance.now() - t1;
  await until(
    async () => (await count(b, { pk: keys.release(releaseId).pk, prefix: CI_UPDATE_APPLIED_PREFIX })) === n,
    180_000,
    `${n} applied CI updates`,
  );
  const appliedMs = performance.now() - t1;
  const appliedCalls = tally(b.meter.calls.slice(appliedFrom));
  // Every CI shows its update (the marks are written with the versions; checked once, untimed).
  const cis = await b.cloud.ports.cis.getMany(ciIds);
  const stale = ciIds.filter((id) => cis.get(id)?.attributes.version !== '2.0.0');
  if (stale.length > 0) throw new Error(`bench scale: ${stale.length} CIs without their update`);
  return {
    tasks: n,
    api: {
      status: refused.status,
      ...(refused.status >= 300 ? { problem: String(refused.body.type ?? refused.body.title) } : {}),
    },
    setupMs: round(setupMs, 1),
    readyMs: round(readyMs, 1),
    completeMs: round(completeMs, 1),
    appliedMs: round(appliedMs, 1),
    storeCalls: { ready: readyCalls, applied: appliedCalls },
  };
}

/** Writes `versions` versions of a new CI through the CI store's own write path (the commit). */
async function ciWithHistory(
  b: Bench,
  id: string,
  versions: number,
): Promise<{ first: string; middle: string }> {
  await seedCi(b.cloud.ports, id, { attributes: { n: 1 } });
  let ci = (await b.cloud.ports.cis.get(id)) as Ci;
  // A clock one second per version after its creation, so that `?at=` instants are unambiguous.
  const base = Date.parse(ci.createdAt as string);
  const instants: string[] = [ci.createdAt as string];
  const writes: CiWrite[] = [];
  for (let v = 2; v <= versions; v++) {
    const at = new Date(base + v * 1000);
    const write = updateCi(ci, { set: { n: v }, reason: 'bench' }, 'admin', {
      clock: { now: () => at },
      ids: { next: (prefix: string) => `${prefix}_bench_${id}_${v}` },
    }) as CiWrite;
    writes.push(write);
    instants.push(write.version.at);
    ci = write.ci;
  }
  // The items `save` writes for each version (its version, its instant) but the last, in batches
  // of 25 (a chain of 10,000 transactions would take minutes); the last goes through `save`,
  // which also writes the state at it.
  const last = writes.pop() as CiWrite;
  const items = writes.flatMap((w) => [
    { ...keys.ciVersion(id, w.version.version), entity: 'ciVersion', ...w.version },
    {
      ...keys.ciAt(id, w.version.at, w.version.version),
      entity: 'ciAt',
      ciId: id,
      version: w.version.version,
      snapshot: w.ci,
    },
  ]);
  const batches: (typeof items)[] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await pool(batches, 8, async (batch) => {
    let pending: Record<string, unknown>[] = batch.map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const out = await b.raw.send(
        new BatchWriteCommand({ RequestItems: { [b.tableName]: pending as never } }),
      );
      pending = (out.UnprocessedItems?.[b.tableName] ?? []) as Record<string, unknown>[];
    }
  });
  const current = (await b.cloud.ports.cis.get(id)) as Ci;
  await b.cloud.ports.cis.save(last, 1, current);
  return { first: instants[1] as string, middle: instants[Math.floor(instants.length / 2)] as string };
}

const x = (v: number) => `${v}×`;

async function tasksSection(b: Bench) {
  // A small release through the same path first, so that neither measured size pays for the
  // first run of each function (the first measured run was 1.8× slower than the second without).
  process.stderr.write('bench scale: warm-up release of 100 tasks…\n');
  const warmUp = await taskRun(b, 100, 'warm');
  const runs: TaskRun[] = [];
  for (const n of TASK_COUNTS) {
    process.stderr.write(`bench scale: release with ${n} tasks…\n`);
    runs.push(await taskRun(b, n, String(n)));
  }
  const [small, large] = runs as [TaskRun, TaskRun];
  const section = {
    warmUp,
    apiBound: {
      maxPlannedTasks: MAX_PLANNED_TASKS,
      answers: runs.map((r) => ({ tasks: r.tasks, ...r.api })),
    },
    runs,
    readyRatio: round(large.readyMs / small.readyMs, 2),
    appliedRatio: round(large.appliedMs / small.appliedMs, 2),
    completeRatio: round(large.completeMs / small.completeMs, 2),
  };
  const rows: Row[] = [
    {
      part: 'scale',
      figure: `tasks ready, ${large.tasks}/${small.tasks} (${round(large.readyMs / 1000, 1)} s / ${round(small.readyMs / 1000, 1)} s)`,
      value: x(section.readyRatio),
      goal: '≤ 2.2×',
      met: section.readyRatio <= 2.2,
    },
    {
      part: 'scale',
      figure: `CI updates applied, ${large.tasks}/${small.tasks} (${round(large.appliedMs / 1000, 1)} s / ${round(small.appliedMs / 1000, 1)} s)`,
      value: x(section.appliedRatio),
      goal: '≤ 2.2×',
      met: section.appliedRatio <= 2.2,
    },
    {
      part: 'scale',
      figure: `POST /releases with ${small.tasks} / ${large.tasks} tasks (bound ${MAX_PLANNED_TASKS})`,
      value: `${small.api.status} / ${large.api.status}`,
    },
  ];
  return { section, rows };
}

async function ciHistorySection(b: Bench) {
  const cis = [];
  for (const size of HISTORY_SIZES) {
    cis.push({ size, id: `ci_hist_${size}`, ...(await ciWithHistory(b, `ci_hist_${size}`, size)) });
  }
  const samples: Record<string, number[]> = {};
  const add = (k: string, ms: number) => {
    samples[k] ??= [];
    samples[k].push(ms);
  };
  // Interleaved, so that load from elsewhere on the machine falls on both sizes alike.
  for (let r = 0; r < 60; r++) {
    for (const c of cis) {
      add(`page${c.size}`, await timed(() => b.call('GET', `/cis/${c.id}/history?limit=20`)));
      add(
        `atMiddle${c.size}`,
        await timed(() => b.call('GET', `/cis/${c.id}?at=${encodeURIComponent(c.middle)}`)),
      );
      add(
        `atFirst${c.size}`,
        await timed(() => b.call('GET', `/cis/${c.id}?at=${encodeURIComponent(c.first)}`)),
      );
    }
  }
  const s = (k: string) => spread(samples[k] ?? []);
  const ratio = (a: string, z: string) => round(s(z).medianMs / s(a).medianMs, 2);
  const section = {
    page: { v100: s('page100'), v10000: s('page10000') },
    atMiddle: { v100: s('atMiddle100'), v10000: s('atMiddle10000') },
    atFirst: { v100: s('atFirst100'), v10000: s('atFirst10000') },
    pageRatio: ratio('page100', 'page10000'),
    atRatio: ratio('atMiddle100', 'atMiddle10000'),
    atFirstRatio: ratio('atFirst100', 'atFirst10000'),
  };
  const rows: Row[] = [
    {
      part: 'scale',
      figure: 'GET /cis/{id}/history newest page, 10,000/100 versions',
      value: x(section.pageRatio),
      goal: '≤ 1.3×',
      met: section.pageRatio <= 1.3,
    },
    {
      part: 'scale',
      figure: 'GET /cis/{id}?at= (middle), 10,000/100 versions',
      value: x(section.atRatio),
      goal: '≤ 1.3×',
      met: section.atRatio <= 1.3,
    },
    {
      part: 'scale',
      figure: 'GET /cis/{id}?at= (oldest), 10,000/100 versions',
      value: x(section.atFirstRatio),
      goal: '≤ 1.3×',
      met: section.atFirstRatio <= 1.3,
    },
  ];
  return { section, rows };
}

async function nextWindowsSection(b: Bench) {
  const windows: Record<number, number[]> = {};
  const releases: Record<number, string> = {};
  for (const n of BLACKOUT_COUNTS) {
    const ciId = `ci_nw_${n}`;
    await seedCi(b.cloud.ports, ciId);
    for (let sla = 0; sla < n / BLACKOUTS_PER_SLA; sla++) {
      await b.call(
        'POST',
        '/slas',
        {
          name: `Blackouts ${n}/${sla}`,
          ciIds: [ciId],
          blackouts: Array.from({ length: BLACKOUTS_PER_SLA }, (_, i) => {
            const k = sla * BLACKOUTS_PER_SLA + i;
            // Weekly, spread over the week and the day, one to three hours: gaps remain.
            return {
              rrule: `FREQ=WEEKLY;BYDAY=${['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'][k % 7]}`,
              start: `2026-01-0${1 + (k % 7)}T${String(k % 24).padStart(2, '0')}:${String((k * 7) % 60).padStart(2, '0')}`,
              duration: `PT${1 + (k % 3)}H`,
              tz: 'Europe/Berlin',
              reason: `bench ${k}`,
            };
          }),
        },
        'admin',
      );
    }
    const created = await b.call(
      'POST',
      '/releases',
      benchRelease({
        title: `Windows ${n}`,
        tasks: [{ title: 'one', workGroupId: 'wg_deployment', ciIds: [ciId], ciUpdates: [] }],
      }),
    );
    releases[n] = String(created.body.id);
    windows[n] = [];
  }
  // The figure: a window no gap in either calendar holds (a day), so both searches expand every
  // rule over the whole 90 days: the same work per rule, the ratio is the rules'. Beside it, for
  // information, three-hour windows: the 50 rules leave gaps found in the first weeks, the 500
  // leave none, so that search runs the whole horizon for 500 and two weeks for 50.
  const after = encodeURIComponent('2027-01-04T00:00:00Z');
  const queries = {
    full: `duration=P1D&count=10&horizon=P90D&after=${after}`,
    gaps: `duration=PT3H&count=10&horizon=P90D&after=${after}`,
  };
  const samples: Record<string, number[]> = {};
  const answers: Record<string, number> = {};
  for (let r = 0; r < 15; r++) {
    for (const [kind, query] of Object.entries(queries)) {
      for (const n of BLACKOUT_COUNTS) {
        const key = `${kind}${n}`;
        samples[key] ??= [];
        let found = 0;
        samples[key].push(
          await timed(async () => {
            const answer = await b.call('GET', `/releases/${releases[n]}/next-windows?${query}`);
            found = (answer.body.items as unknown[]).length;
          }),
        );
        answers[key] = found;
      }
    }
  }
  const [fewCount, manyCount] = BLACKOUT_COUNTS;
  const few = spread(samples[`full${fewCount}`] ?? []);
  const many = spread(samples[`full${manyCount}`] ?? []);
  const gapsFew = spread(samples[`gaps${fewCount}`] ?? []);
  const gapsMany = spread(samples[`gaps${manyCount}`] ?? []);
  const section = {
    horizon: 'P90D',
    blackouts: BLACKOUT_COUNTS,
    query: queries.full,
    b50: few,
    b500: many,
    ratio: round(many.medianMs / few.medianMs, 2),
    windowsFound: answers,
    gaps: {
      query: queries.gaps,
      b50: gapsFew,
      b500: gapsMany,
      ratio: round(gapsMany.medianMs / gapsFew.medianMs, 2),
    },
  };
  const rows: Row[] = [
    {
      part: 'scale',
      figure: `next-windows P90D whole horizon, 500/50 rules (${round(many.medianMs, 1)} / ${round(few.medianMs, 1)} ms)`,
      value: x(section.ratio),
      goal: '≤ 12×',
      met: section.ratio <= 12,
    },
    {
      part: 'scale',
      figure: `next-windows PT3H (50 rules: found in 2 weeks; 500: none in 90 d)`,
      value: x(section.gaps.ratio),
    },
  ];
  return { section, rows };
}

export async function run(results: BenchResults): Promise<Row[]> {
  const b = await startBench();
  const scale: Record<string, unknown> = {};
  const rows: Row[] = [];
  const sections = { tasks: tasksSection, ciHistory: ciHistorySection, nextWindows: nextWindowsSection };
  try {
    for (const [name, section] of Object.entries(sections)) {
      if (only !== undefined && !only.split(',').includes(name)) continue;
      process.stderr.write(`bench scale: ${name}…\n`);
      const out = await section(b);
      scale[name] = out.section;
      rows.push(...out.rows);
    }
  } finally {
    await b.stop();
  }
  results.scale = scale;
  return rows;
}
