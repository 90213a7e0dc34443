/**
 * The fuzz of test/unit/http/fuzz-routes.test.ts on the real store: every declared route's handler
 * called in-process with the local cloud's ports (DynamoDB Local, its Step Functions, its relay
 * and bus), and the whole DynamoDB table scanned before and after each refused (4xx) request: it
 * must be the same, item for item and attribute for attribute. Fewer cases per route than the
 * in-memory fuzz (FUZZ_DB_RUNS, 25 by default; `npm run soak` runs more): a scan per case is what
 * costs, and the in-memory fuzz covers the volume.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppPorts } from '../../functions/app/ports.ts';
import { declaredRoutes, resources } from '../../functions/http/contract/index.ts';
import { validRelease } from '../support/http-events.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { answerProblems, eventFor, type FuzzHandler, requestsTo } from '../support/route-fuzz.ts';

const RUNS = Number(process.env.FUZZ_DB_RUNS ?? 25);

let t: TestCloud;
const handlers = new Map<string, FuzzHandler>();
const ids: string[] = ['rm', 'cm', 'tech', 'release-default', 'team_release'];
const callers = [
  { user: 'rm', admin: false },
  { user: 'cm', admin: false },
  { user: 'tech', admin: false },
  { user: 'nobody', admin: false },
  { user: 'admin', admin: true },
] as const;

/** Every item of the table, in key order, every attribute as DynamoDB holds it. */
async function table(): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.cloud.ports.clients.db.send(
      new ScanCommand({
        TableName: t.cloud.tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  const key = (i: Record<string, unknown>) => JSON.stringify([i.pk, i.sk]);
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, sorted(x)]),
        )
      : Array.isArray(v)
        ? v.map(sorted)
        : v;
  return JSON.stringify(items.sort((a, b) => (key(a) < key(b) ? -1 : 1)).map(sorted));
}

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], cm: ['change'], tech: ['deployment'], nobody: [] });
  const ports = () => t.cloud.ports as AppPorts;
  for (const r of resources) {
    const mod = (await import(`../../functions/http/${r.handler}.ts`)) as {
      createHandler?: (p: () => AppPorts) => FuzzHandler;
      handler?: FuzzHandler;
    };
    handlers.set(r.handler, mod.createHandler ? mod.createHandler(ports) : (mod.handler as FuzzHandler));
  }
  const created = async (path: string, body: unknown, as: string) => {
    const res = await t.call('POST', path, body, as);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id as string);
    return res.body.id as string;
  };
  await created('/releases', validRelease(), 'rm');
  await created(
    '/changes',
    { title: 'Fuzz', type: 'normal', risk: 'low', impact: 'low', urgency: 'low' },
    'admin',
  );
  const ci = await created('/cis', { type: 'application', name: 'fuzz-target' }, 'rm');
  await created('/kb', { kind: 'known-error', title: 'Fuzz', body: 'Fuzz' }, 'rm');
  await created('/slas', { name: 'Fuzz SLA', ciIds: [ci] }, 'admin');
  await t.cloud.settle();
}, 120_000);
afterAll(async () => t?.stop());

describe('every declared route, fuzzed on DynamoDB Local', () => {
  it.each(declaredRoutes.map((r) => [r.routeKey, r] as const))(
    '%s: never a 5xx, refusals are problem+json, the table is the same after a refused request',
    async (_key, route) => {
      const handler = handlers.get(route.handler) as FuzzHandler;
      let before = await table();
      await fc.assert(
        fc.asyncProperty(requestsTo(route, ids, callers), async (req) => {
          const res = await handler(eventFor(route, req));
          const status = res.statusCode ?? 200;
          const what = `${route.routeKey} ${JSON.stringify(req)} → ${status} ${res.body}`;
          expect(answerProblems(status, res), what).toEqual([]);
          if (status >= 400) {
            expect((await table()) === before, `the table changed under a refused request: ${what}`).toBe(
              true,
            );
          } else {
            // What an accepted write set off (relay, consumers) lands before the next snapshot.
            await t.cloud.settle();
            before = await table();
          }
        }),
        { numRuns: RUNS },
      );
    },
    600_000,
  );
});
