/**
 * What every part of `npm run bench` shares: a local cloud with a small organisation on it (a
 * release manager, a change manager, a technician of the bootstrap deployment team), the HTTP
 * client it is called through, a second DynamoDB client for the raw baselines, a meter of every
 * AWS call the local cloud makes, and the statistics the figures are computed with.
 *
 * Benchmarks measure; tests check behaviour (`npm test` never runs this directory).
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../infra/local/cloud.ts';
import { Meter } from '../test/support/metering.ts';
import { joinTeam } from '../test/support/teams.ts';
import { seedUser, userFixture } from '../test/support/users.ts';

/** Median and 99th percentile of samples in milliseconds (nearest rank). */
export interface Spread {
  readonly n: number;
  readonly medianMs: number;
  readonly p99Ms: number;
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function spread(samples: readonly number[]): Spread {
  return {
    n: samples.length,
    medianMs: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
  };
}

export const round = (n: number, digits = 3) => +n.toFixed(digits);

/** Runs `run` over `items` with at most `concurrency` at once; answers the wall time in ms. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i] as T, i);
      }
    }),
  );
  return performance.now() - t0;
}

/** Times one call in ms. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

// The meter lives with the tests (the cost guard uses it too); the bench parts import it from here.
export { Meter, type MeteredCall, type MeteredInvocation, tally } from '../test/support/metering.ts';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface Bench {
  readonly cloud: LocalCloud;
  /** Every call the local cloud's ports make to DynamoDB, Step Functions and EventBridge. */
  readonly meter: Meter;
  /** A DynamoDB client of its own, for the raw baselines (same DynamoDB Local, same table). */
  readonly raw: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Calls the API through the local gateway as `as` (default the release manager `rm`); throws on ≥ 300. */
  call(method: string, path: string, body?: unknown, as?: string): Promise<Answer>;
  /** The same, answering whatever the status. */
  request(method: string, path: string, body?: unknown, as?: string): Promise<Answer>;
  stop(): Promise<void>;
}

/** Users of the bench organisation: a release manager, a change manager and a technician. */
export const BENCH_USERS = {
  rm: ['release'],
  cm: ['change'],
  tech: ['deployment'],
} as const satisfies Record<string, readonly ('release' | 'change' | 'deployment')[]>;

/**
 * Starts a local cloud (its own DynamoDB Local, in memory unless given a data dir) with the
 * organisation. `metered: false` leaves the meter detached: timed comparisons must not charge the
 * API for the meter's own work (the raw client is never metered).
 */
export async function startBench(
  options: Partial<LocalCloudOptions> & { metered?: boolean } = {},
): Promise<Bench> {
  const { metered = true, ...cloudOptions } = options;
  const meter = new Meter();
  // Every function's invocations are timed and the calls made in them attributed to it.
  const cloud = await startLocalCloud({
    schedules: false,
    ...(metered ? { wrapFunction: meter.wrapFunction } : {}),
    ...cloudOptions,
  });
  if (metered) {
    meter.attach('dynamodb', cloud.ports.clients.db as never);
    meter.attach('sfn', cloud.ports.clients.sfn as never);
    meter.attach('events', cloud.ports.clients.events as never);
  }
  for (const [id, processes] of Object.entries(BENCH_USERS)) {
    await seedUser(cloud.ports, userFixture(id, processes));
  }
  await joinTeam(cloud.ports, ['rm']);
  await joinTeam(cloud.ports, ['tech'], 'team_deployment');
  const tokens = new Map<string, string>();
  const tokenFor = async (user: string) => {
    if (!tokens.has(user)) tokens.set(user, await cloud.identity.issue(user, { admin: user === 'admin' }));
    return tokens.get(user) as string;
  };
  const request = async (method: string, path: string, body?: unknown, as = 'rm'): Promise<Answer> => {
    const res = await fetch(`${cloud.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await tokenFor(as)}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: cloud.dynamoEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
  );
  return {
    cloud,
    meter,
    raw,
    tableName: cloud.tableName,
    request,
    call: async (method, path, body, as) => {
      const answer = await request(method, path, body, as);
      if (answer.status >= 300) {
        throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return answer;
    },
    stop: async () => {
      raw.destroy();
      await cloud.stop();
    },
  };
}

/** A release as the bench plans it: `tasks` deployment tasks, each updating `ciUpdatesPerTask` CIs. */
export function benchRelease(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Bench',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 3,
    plannedStart: '2027-03-01T20:00:00Z',
    plannedEnd: '2027-03-01T23:00:00Z',
    ...overrides,
  };
}
