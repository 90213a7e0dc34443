/**
 * DESIGN §6 invariants that span every route: bad input is a 4xx that stores nothing (5), no route
 * answers without the process it needs (6), no request path scans the table (7), and a change and
 * its event commit together (1).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable, splitRouteKey } from '../../functions/http/route-table.ts';
import { validRelease } from '../support/http-events.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const scans: string[] = [];

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], nobody: [] });
  // Invariant 7 at run time: any Scan through the handlers' client fails the test.
  t.cloud.ports.clients.db.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') scans.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'scan-detector' },
  );
});
afterAll(async () => t?.stop());

async function countItems(): Promise<number> {
  const out = await t.cloud.ports.clients.db.send(
    new QueryCommand({
      TableName: t.cloud.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': 'RELEASES' },
      Select: 'COUNT',
    }),
  );
  return out.Count ?? 0;
}

async function raw(method: string, path: string, body: string | undefined, user = 'rm') {
  const res = await fetch(`${t.cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await t.tokenFor(user)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const jsonish = fc.oneof(
  fc.json(),
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      title: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      releaseType: fc.oneof(fc.constantFrom('major', 'minor', 'emergency', 'huge'), fc.integer()),
      businessPriority: fc.oneof(fc.integer(), fc.double(), fc.string()),
      plannedStart: fc.oneof(
        fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
        fc.string(),
      ),
      tasks: fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 3 }),
    })
    .map((v) => JSON.stringify(v)),
);

describe('invariants', () => {
  it('5: bad input anywhere is a 4xx problem naming the fault, never a 5xx, and stores nothing', async () => {
    const before = await countItems();
    const writes: [string, string][] = [
      ['POST', '/releases'],
      ['PATCH', '/releases/rel_missing'],
      ['POST', '/releases/rel_missing/transitions'],
      ['POST', '/teams'],
      ['POST', '/workflows'],
      ['PUT', '/users/someone'],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), jsonish, async ([method, path], body) => {
        const res = await raw(method, path, body, path.startsWith('/releases') ? 'rm' : 'admin');
        expect(res.status, `${method} ${path} ${body} → ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${path} ${body} → ${res.body}`).toBeLessThan(500);
        expect(res.type).toBe('application/problem+json');
        const problem = JSON.parse(res.body) as { status: number; detail: string };
        expect(problem.status).toBe(res.status);
        expect(problem.detail.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
    expect(await countItems()).toBe(before);
  }, 120_000);

  it('6: no route answers a caller without the process it needs', async () => {
    for (const [key, spec] of Object.entries(routeTable)) {
      if (spec.public) continue;
      const { method, path } = splitRouteKey(key);
      const concrete = path.replace(/\{(\w+)\}/g, 'x_1');
      const body = method === 'GET' ? undefined : JSON.stringify({});
      const res = await raw(method, concrete, body, 'nobody');
      expect(res.status, `${key} → ${res.body}`).toBe(403);
    }
  });

  it('7: no request path scans the table (statically, and at run time above)', async () => {
    const files = await readdir('functions', { recursive: true });
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join('functions', file), 'utf8');
      expect(text, file).not.toMatch(/\bScan(Command|Input)\b|\bpaginateScan\b/);
    }
    await t.call('GET', '/releases?limit=5');
    await t.call('GET', '/teams');
    expect(scans).toEqual([]);
  });

  it('1: a refused change leaves neither state nor event behind', async () => {
    const created = await t.call('POST', '/releases', validRelease({ tasks: [] }));
    const id = created.body.id as string;
    const refused = await Promise.all([
      t.call('POST', `/releases/${id}/transitions`, { to: 'Closure', expectedVersion: 1 }),
      t.call('PATCH', `/releases/${id}`, { title: 'stale', expectedVersion: 9 }),
    ]);
    expect(refused.map((r) => r.status)).toEqual([422, 409]);
    const history = await t.call('GET', `/releases/${id}/history`);
    expect((history.body.items as { type: string }[]).map((e) => e.type)).toEqual(['Release Created']);
    expect((await t.call('GET', `/releases/${id}`)).body).toMatchObject({ version: 1, stage: 'Assessment' });
  });
});
