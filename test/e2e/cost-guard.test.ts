/**
 * The cost regression guard (issue 14, item 7): what each operation costs in AWS terms, counted —
 * not timed — on the local cloud, and asserted exactly, so that a change making an operation
 * costlier fails here. For each operation: the store and Step Functions calls the request itself
 * makes (by command) with the capacity units DynamoDB reports, the background work it sets off
 * (each function's invocations, calls and units), and the events it puts on the bus; for the
 * lifecycle, the state transitions of both executions; and on every path, no Scan.
 *
 * The numbers live in one table, EXPECTED, below. A deliberate change of cost (say, one
 * BatchGetItem instead of two GetItems) updates its row: on a mismatch the test prints the whole
 * measured table to paste. The bench (`npm run bench`, part cost) prices a full-size lifecycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFunctions } from '../../functions/http/contract/index.ts';
import { WAIT_SK } from '../../functions/store/keys.ts';
import { createCis, runLifecycle, seedCabMember } from '../support/lifecycle.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import {
  Meter,
  type MeteredCall,
  type MeteredInvocation,
  settleAll,
  stateTransitions,
  tally,
} from '../support/metering.ts';
import { joinTeam } from '../support/teams.ts';

/** What one operation cost: its request's own calls, each background function's, the events put. */
interface Cost {
  readonly request: Work;
  readonly background: Record<string, Work & { invocations: number }>;
  readonly events: number;
}
interface Work {
  readonly calls: Record<string, number>;
  readonly readUnits: number;
  readonly writeUnits: number;
}

// biome-ignore format: one row per operation reads best as it is laid out
const EXPECTED: Record<string, Cost> = {
  'POST /releases': {
    request: { calls: { 'dynamodb:BatchGetItem': 3, 'dynamodb:GetItem': 3, 'dynamodb:Query': 4, 'dynamodb:TransactWriteItems': 1, 'sfn:DescribeStateMachine': 1, 'sfn:PublishStateMachineVersion': 1 }, readUnits: 11, writeUnits: 26 },
    background: {
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'start-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'sfn:StartExecution': 1 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'GET /releases/{id}': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 6 }, readUnits: 2, writeUnits: 0 },
    background: {},
    events: 0,
  },
  'PATCH /releases/{id}': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 5, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2, writeUnits: 26 },
    background: {},
    events: 1,
  },
  'POST /releases/{id}/transitions': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 2, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2, writeUnits: 30 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'GET /cis/{id}?at=': {
    request: { calls: { 'dynamodb:GetItem': 1, 'dynamodb:Query': 1 }, readUnits: 2, writeUnits: 0 },
    background: {},
    events: 0,
  },
  'lifecycle: POST /changes': {
    request: { calls: { 'dynamodb:GetItem': 3, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1, 'sfn:DescribeStateMachine': 1, 'sfn:PublishStateMachineVersion': 1 }, readUnits: 7, writeUnits: 12 },
    background: {
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'start-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'sfn:StartExecution': 1 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: POST /releases': {
    request: { calls: { 'dynamodb:BatchGetItem': 3, 'dynamodb:GetItem': 3, 'dynamodb:Query': 4, 'dynamodb:TransactWriteItems': 1 }, readUnits: 7, writeUnits: 26 },
    background: {
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'start-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'sfn:StartExecution': 1 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: change → Assessed': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 16 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: POST /changes/{id}/approvals': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 14 },
    background: {},
    events: 1,
  },
  'lifecycle: change → Approved': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 16 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: change → Scheduled': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 14 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: change → Implementing': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 14 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: release → Development': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 2, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2, writeUnits: 30 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: release → Testing': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:Query': 6, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 30 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: release → Deployment': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:Query': 6, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 30 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 1, writeUnits: 10 },
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 2,
  },
  'lifecycle: GET /tasks': {
    request: { calls: { 'dynamodb:GetItem': 1, 'dynamodb:Query': 1 }, readUnits: 1.5, writeUnits: 0 },
    background: {},
    events: 0,
  },
  'lifecycle: POST /tasks/{id}/start': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    background: {},
    events: 1,
  },
  'lifecycle: POST /tasks/{id}/complete': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    background: {
      'apply-ci-updates': { invocations: 1, calls: { 'dynamodb:GetItem': 3, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    },
    events: 2,
  },
  'lifecycle: POST /tasks/{id}/start #2': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    background: {},
    events: 1,
  },
  'lifecycle: POST /tasks/{id}/complete #2': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:GetItem': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    background: {
      'apply-ci-updates': { invocations: 1, calls: { 'dynamodb:GetItem': 3, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3, writeUnits: 14 },
    },
    events: 2,
  },
  'lifecycle: release → Audit': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 2, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3.5, writeUnits: 30 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 4, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 4.5, writeUnits: 2 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: release → CMDB Update': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 2, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3.5, writeUnits: 30 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: release → Closure': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 2, 'dynamodb:TransactWriteItems': 1 }, readUnits: 3.5, writeUnits: 34 },
    background: {
      'record-release-metrics': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 3, writeUnits: 0 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 2,
  },
  'lifecycle: change → Reviewed': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 14 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'record-stage': { invocations: 1, calls: { 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 }, readUnits: 1, writeUnits: 1 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
  'lifecycle: change → Closed': {
    request: { calls: { 'dynamodb:BatchGetItem': 1, 'dynamodb:Query': 1, 'dynamodb:TransactWriteItems': 1 }, readUnits: 2.5, writeUnits: 16 },
    background: {
      'create-deployment-tasks': { invocations: 1, calls: { 'dynamodb:GetItem': 2, 'dynamodb:Query': 1 }, readUnits: 2.5, writeUnits: 0 },
      'signal-execution': { invocations: 1, calls: { 'dynamodb:GetItem': 2 }, readUnits: 2, writeUnits: 0 },
    },
    events: 1,
  },
};

const meter = new Meter();
let t: TestCloud;
const HTTP = new Set(Object.keys(httpFunctions));
const measured: Record<string, Cost> = {};
const allCalls: MeteredCall[] = [];

/**
 * The reads of the wait item made around signalling an execution, and the stage-entered
 * consumer's SendTaskSuccess: counted apart from the table. A move's request makes none (it
 * answers once committed; asserted below), the consumer one signal per move (asserted below).
 */
const isSignalPoll = (c: MeteredCall) =>
  (c.command === 'GetItemCommand' && c.sortKey === WAIT_SK) ||
  // The stage-entered consumer races the execution the same way: it sends the token only when the
  // request's own signal has not reached the execution yet (and then finds it spent).
  (c.origin === 'signal-execution' && c.command === 'SendTaskSuccessCommand');
const polls: Record<string, number> = {};

/**
 * A request's read of a team or of a workflow's latest version: kept by the function instance for
 * 5 s (TEAM_STALENESS_MS, LATEST_STALENESS_MS), so whether an operation reads it again depends on
 * how long ago the last one did. Counted apart, at most one of each per request (asserted below).
 */
const isCachedRead = (c: MeteredCall) =>
  c.command === 'GetItemCommand' &&
  c.sortKey === '#STATE' &&
  (c.partitionKey?.startsWith('TEAM#') === true || c.partitionKey?.startsWith('WF#') === true);
const cachedReads: Record<string, Record<string, number>> = {};
/** The stage-entered consumer's SendTaskSuccess calls, by operation. */
const consumerSignals: Record<string, number> = {};

function work(all: readonly MeteredCall[]): Work {
  const calls = all.filter(
    (c) => !isSignalPoll(c) && !(c.origin !== undefined && HTTP.has(c.origin) && isCachedRead(c)),
  );
  const { byCommand, readUnits, writeUnits } = tally(calls);
  return {
    calls: Object.fromEntries(
      Object.entries(byCommand)
        .map(([k, v]) => [k.replace(/Command$/, ''), v] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
    readUnits,
    writeUnits,
  };
}

function costOf(calls: readonly MeteredCall[], invocations: readonly MeteredInvocation[]): Cost {
  allCalls.push(...calls);
  const background: Cost['background'] = {};
  // The relay's invocations follow the stream's batching (timing); what it does is asserted apart.
  const names = [...new Set(invocations.map((i) => i.fn))]
    .filter((n) => !HTTP.has(n) && n !== 'outbox-relay')
    .sort();
  for (const name of names) {
    background[name] = {
      invocations: invocations.filter((i) => i.fn === name).length,
      ...work(calls.filter((c) => c.origin === name)),
    };
  }
  const request = calls.filter((c) => c.origin !== undefined && HTTP.has(c.origin));
  return {
    request: work(request),
    background,
    events: tally(calls).eventEntries,
  };
}

/** The measured costs as the source of EXPECTED, one row per operation and function. */
function asTable(costs: Record<string, Cost>): string {
  const q = (s: string) => `'${s.replaceAll("'", "\\'")}'`;
  const calls = (c: Record<string, number>) =>
    `{ ${Object.entries(c)
      .map(([k, v]) => `${q(k)}: ${v}`)
      .join(', ')} }`;
  const row = (w: Work) => `calls: ${calls(w.calls)}, readUnits: ${w.readUnits}, writeUnits: ${w.writeUnits}`;
  const lines = ['const EXPECTED: Record<string, Cost> = {'];
  for (const [op, c] of Object.entries(costs)) {
    lines.push(`  ${q(op)}: {`, `    request: { ${row(c.request)} },`);
    const background = Object.entries(c.background);
    if (background.length === 0) lines.push('    background: {},');
    else {
      lines.push('    background: {');
      for (const [fn, w] of background)
        lines.push(`      ${q(fn)}: { invocations: ${w.invocations}, ${row(w)} },`);
      lines.push('    },');
    }
    lines.push(`    events: ${c.events},`, '  },');
  }
  lines.push('};');
  return lines.join('\n');
}

async function measure<T>(name: string, run: () => Promise<T>): Promise<T> {
  await settleAll(t.cloud, meter);
  const mark = meter.mark();
  const result = await run();
  await settleAll(t.cloud, meter);
  const { calls, invocations } = meter.since(mark);
  measured[name] = costOf(calls, invocations);
  const polled = calls.filter((c) => c.origin !== undefined && HTTP.has(c.origin) && isSignalPoll(c));
  if (polled.length > 0) polls[name] = polled.length;
  for (const c of calls.filter((x) => x.origin !== undefined && HTTP.has(x.origin) && isCachedRead(x))) {
    const read = cachedReads[name] ?? {};
    read[c.partitionKey as string] = (read[c.partitionKey as string] ?? 0) + 1;
    cachedReads[name] = read;
  }
  const signalled = calls.filter(
    (c) => c.origin === 'signal-execution' && c.command === 'SendTaskSuccessCommand',
  ).length;
  if (signalled > 0) consumerSignals[name] = signalled;
  // The relay only reads the stream (free) and puts events: never a store call of its own.
  expect(calls.filter((c) => c.origin === 'outbox-relay' && c.service !== 'events')).toEqual([]);
  return result;
}

async function call(method: string, path: string, body: unknown, as: string) {
  const answer = await t.call(method, path, body, as);
  if (answer.status >= 300)
    throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

let transitions = { release: 0, change: 0 };

beforeAll(async () => {
  t = await startTestCloud(
    { schedules: false, wrapFunction: meter.wrapFunction },
    { rm: ['release'], cm: ['change'], tech: ['deployment'] },
  );
  meter.attach('dynamodb', t.cloud.ports.clients.db as never);
  meter.attach('sfn', t.cloud.ports.clients.sfn as never);
  meter.attach('events', t.cloud.ports.clients.events as never);
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  await seedCabMember(t.cloud.ports);
  const api = { cloud: t.cloud, call, settle: () => settleAll(t.cloud, meter) };
  const cis = await createCis(api, 2, 'guard');

  // The single operations, on a release of their own.
  const created = await measure('POST /releases', () =>
    call(
      'POST',
      '/releases',
      {
        title: 'Guarded',
        releaseType: 'minor',
        packageType: 'delta',
        urgency: 'medium',
        businessPriority: 3,
        plannedStart: '2027-03-01T20:00:00Z',
        plannedEnd: '2027-03-01T23:00:00Z',
        // A plan of the lifecycle bench's size (10 tasks, 20 CI updates): the release item's size,
        // which every write of it pays in the table and in each index, is part of what is guarded.
        tasks: Array.from({ length: 10 }, (_, i) => ({
          title: `Deploy part ${i + 1}`,
          workGroupId: 'wg_deployment',
          ciIds: cis,
          ciUpdates: cis.map((ciId) => ({ ciId, set: { version: `2.0.${i}` } })),
        })),
      },
      'rm',
    ),
  );
  const id = created.body.id as string;
  await measure('GET /releases/{id}', () => call('GET', `/releases/${id}`, undefined, 'rm'));
  const patched = await measure('PATCH /releases/{id}', () =>
    call(
      'PATCH',
      `/releases/${id}`,
      { title: 'Guarded, renamed', expectedVersion: created.body.version },
      'rm',
    ),
  );
  await measure('POST /releases/{id}/transitions', () =>
    call(
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Development', expectedVersion: patched.body.version },
      'rm',
    ),
  );
  const at = new Date().toISOString();
  await measure('GET /cis/{id}?at=', () =>
    call('GET', `/cis/${cis[0]}?at=${encodeURIComponent(at)}`, undefined, 'rm'),
  );

  // A whole lifecycle (small: 2 tasks, 1 CI update each), each step measured.
  const seen = new Map<string, number>();
  const { releaseId, changeId } = await runLifecycle(api, cis, {
    tasks: 2,
    ciUpdatesPerTask: 1,
    step: async (name, go) => {
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      await measure(n === 1 ? `lifecycle: ${name}` : `lifecycle: ${name} #${n}`, go);
    },
  });
  const config = t.cloud.ports.config;
  transitions = {
    release: stateTransitions(
      (await t.execution(releaseId, config.defaultReleaseStateMachineArn as string)).events,
    ),
    change: stateTransitions(
      (await t.execution(changeId, config.defaultWorkflowStateMachines['change-normal'] as string)).events,
    ),
  };
}, 60_000);

afterAll(async () => t?.stop());

describe('what each operation costs, counted', () => {
  it('matches the table of expected counts, operation by operation', () => {
    const mismatched = Object.keys({ ...EXPECTED, ...measured }).filter(
      (op) => JSON.stringify(EXPECTED[op]) !== JSON.stringify(measured[op]),
    );
    if (mismatched.length > 0) {
      console.log(`Measured costs (paste over EXPECTED if the change is meant):\n${asTable(measured)}`);
    }
    for (const op of Object.keys({ ...EXPECTED, ...measured }))
      expect(measured[op], op).toEqual(EXPECTED[op]);
  });

  it('reads a team or a workflow at most once a request (kept for 5 s by the function instance)', () => {
    const seen = new Set<string>();
    for (const [op, reads] of Object.entries(cachedReads)) {
      for (const [pk, n] of Object.entries(reads)) {
        // The instance's first use of a default workflow also checks it against its deployed
        // machine, once (PublishStateMachineVersion in that row), which reads the workflow again.
        expect(n, `${op}: ${pk}`).toBe(pk.startsWith('WF#') && !seen.has(pk) ? 2 : 1);
        seen.add(pk);
      }
    }
  });

  it('answers a move without signalling the execution: its consumer signals it, once a move', () => {
    // Without `Prefer: wait` a move's request neither reads the wait item nor sends a token.
    expect(polls).toEqual({});
    const moves = Object.keys(measured).filter((op) => /transitions|→/.test(op));
    expect(moves.length).toBeGreaterThan(10);
    expect(consumerSignals).toEqual(Object.fromEntries(moves.map((op) => [op, 1])));
  });

  it('runs each execution through its stages at two state transitions a stage (Task + Choice) and the terminal state', () => {
    // Seven stages each (release-default; change-normal): six waiting stages, then Closure / Closed.
    expect(transitions).toEqual({ release: 13, change: 13 });
  });

  it('never scans, on any path', () => {
    expect(allCalls.length).toBeGreaterThan(100);
    expect(allCalls.filter((c) => c.command === 'ScanCommand')).toEqual([]);
  });
});
