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
import { joinTeam } from '../test/support/teams.ts';
import { seedUser } from '../test/support/users.ts';

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

/** One AWS SDK call the local cloud made, with the capacity DynamoDB says it consumed. */
export interface MeteredCall {
  readonly service: 'dynamodb' | 'sfn' | 'events';
  readonly command: string;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Entries of a PutEvents. */
  readonly entries: number;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Records every call a client makes. On DynamoDB it asks each call for its consumed capacity
 * (`ReturnConsumedCapacity: TOTAL`, which costs nothing) and reads it from the answer: a read
 * command's units are read units, a write command's write units (a transaction's, as DynamoDB
 * reports them, already doubled).
 */
export class Meter {
  readonly calls: MeteredCall[] = [];

  attach(
    service: MeteredCall['service'],
    client: {
      middlewareStack: {
        add: (mw: unknown, options: { step: 'initialize'; name: string; override?: boolean }) => void;
      };
    },
  ): void {
    const record = (entry: MeteredCall) => this.calls.push(entry);
    client.middlewareStack.add(
      (
        next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
        context: { commandName?: string },
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          const command = String(context.commandName ?? 'unknown');
          if (service === 'dynamodb' && CAPACITY_COMMANDS.has(command)) {
            args.input.ReturnConsumedCapacity = 'TOTAL';
          }
          const result = await next(args);
          let read = 0;
          let write = 0;
          if (service === 'dynamodb') {
            const consumed = result.output.ConsumedCapacity as Capacity | Capacity[] | undefined;
            for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
              const units = c.CapacityUnits ?? 0;
              if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
                read += c.ReadCapacityUnits ?? 0;
                write += c.WriteCapacityUnits ?? 0;
              } else if (/^(Get|Query|Scan|BatchGet|TransactGet)/.test(command)) read += units;
              else write += units;
            }
          }
          const entries = Array.isArray(args.input.Entries) ? args.input.Entries.length : 0;
          record({ service, command, readUnits: read, writeUnits: write, entries });
          return result;
        },
      { step: 'initialize', name: `benchMeter-${service}`, override: true },
    );
  }

  /** The calls made while `run` ran (run nothing else meanwhile to attribute them to it). */
  async during<T>(run: () => Promise<T>): Promise<{ result: T; calls: MeteredCall[] }> {
    const from = this.calls.length;
    const result = await run();
    return { result, calls: this.calls.slice(from) };
  }
}

/** Counts of metered calls by `service:command`, with the units summed. */
export function tally(calls: readonly MeteredCall[]) {
  const byCommand: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let eventEntries = 0;
  for (const c of calls) {
    byCommand[`${c.service}:${c.command}`] = (byCommand[`${c.service}:${c.command}`] ?? 0) + 1;
    readUnits += c.readUnits;
    writeUnits += c.writeUnits;
    eventEntries += c.entries;
  }
  return { byCommand, readUnits: round(readUnits), writeUnits: round(writeUnits), eventEntries };
}

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

/** Starts a local cloud (its own DynamoDB Local, in memory unless given a data dir) with the organisation. */
export async function startBench(options: Partial<LocalCloudOptions> = {}): Promise<Bench> {
  const cloud = await startLocalCloud({ schedules: false, ...options });
  const meter = new Meter();
  meter.attach('dynamodb', cloud.ports.clients.db as never);
  meter.attach('sfn', cloud.ports.clients.sfn as never);
  meter.attach('events', cloud.ports.clients.events as never);
  const now = new Date().toISOString();
  for (const [id, processes] of Object.entries(BENCH_USERS)) {
    await seedUser(cloud.ports, {
      id,
      processes: [...processes],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
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
