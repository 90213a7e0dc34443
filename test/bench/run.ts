/**
 * `npm run bench`: measures the API on the embedded local cloud (in memory) — latency of creating
 * and moving releases, throughput under concurrency, relay lag and memory. Benchmarks measure;
 * tests check behaviour. Options: BENCH_N (default 200), BENCH_CONCURRENCY (default 10).
 */
import { performance } from 'node:perf_hooks';
import { editTeam, ensureBootstrap } from '../../functions/domain/team/service.ts';
import { actorFor } from '../../functions/domain/user/user.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { seedUser } from '../support/users.ts';

const N = Number(process.env.BENCH_N ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(name: string, samples: number[], wallMs: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    n: samples.length,
    p50ms: +percentile(sorted, 50).toFixed(1),
    p95ms: +percentile(sorted, 95).toFixed(1),
    p99ms: +percentile(sorted, 99).toFixed(1),
    maxMs: +(sorted.at(-1) ?? 0).toFixed(1),
    perSecond: +((samples.length / wallMs) * 1000).toFixed(1),
  };
}

async function pool<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

const cloud = await startLocalCloud({});
try {
  await ensureBootstrap(cloud.ports);
  const now = new Date().toISOString();
  await seedUser(cloud.ports, {
    id: 'bench',
    processes: ['release', 'deployment'],
    admin: false,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  const team = await cloud.ports.teams.get('team_release');
  if (!team) throw new Error('no bootstrap team');
  await editTeam(
    team.id,
    { members: [...team.members, 'bench'] },
    team.version,
    actorFor({ subject: 'admin', adminClaim: true }, undefined),
    cloud.ports,
  );
  const token = await cloud.identity.issue('bench');
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cloud.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const release = {
    title: 'Bench',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 3,
    plannedStart: '2026-12-01T20:00:00Z',
    plannedEnd: '2026-12-01T23:00:00Z',
  };

  const results = [];
  const ids: string[] = [];
  const createSamples: number[] = [];
  let wall = performance.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async () => {
      const t0 = performance.now();
      const created = await call('POST', '/releases', release);
      createSamples.push(performance.now() - t0);
      ids.push(created.id as string);
    },
  );
  results.push(
    summary(`POST /releases (concurrency ${CONCURRENCY})`, createSamples, performance.now() - wall),
  );

  const moveSamples: number[] = [];
  wall = performance.now();
  await pool(ids, CONCURRENCY, async (id) => {
    const t0 = performance.now();
    await call('POST', `/releases/${id}/transitions`, { to: 'Development', expectedVersion: 1 });
    moveSamples.push(performance.now() - t0);
  });
  results.push(
    summary(
      `POST /releases/{id}/transitions incl. execution in step (concurrency ${CONCURRENCY})`,
      moveSamples,
      performance.now() - wall,
    ),
  );

  const readSamples: number[] = [];
  wall = performance.now();
  await pool(ids, CONCURRENCY, async (id) => {
    const t0 = performance.now();
    await call('GET', `/releases/${id}`);
    readSamples.push(performance.now() - t0);
  });
  results.push(
    summary(`GET /releases/{id} (concurrency ${CONCURRENCY})`, readSamples, performance.now() - wall),
  );

  const t0 = performance.now();
  await cloud.settle();
  const memory = process.memoryUsage();
  console.log(
    JSON.stringify(
      {
        node: process.version,
        n: N,
        results,
        relayDrainAfterLoadMs: +(performance.now() - t0).toFixed(1),
        rssMiB: +(memory.rss / 2 ** 20).toFixed(1),
        heapUsedMiB: +(memory.heapUsed / 2 ** 20).toFixed(1),
      },
      null,
      2,
    ),
  );
} finally {
  await cloud.stop();
}
