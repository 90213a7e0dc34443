/**
 * DESIGN §6 invariants that span every route: bad input is a 4xx that stores nothing (5), no route
 * answers without the process it needs (6), no request path scans the table (7), and a change and
 * its event commit together (1).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClient } from '../../infra/local/dynamodb-local.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
let admin: DynamoDBDocumentClient;
const scans: string[] = [];

beforeAll(async () => {
  t = await startTestCloud({}, { rm: ['release'], nobody: [] });
  admin = DynamoDBDocumentClient.from(localDynamoClient(t.cloud.dynamoEndpoint));
  // Invariant 7 at run time: any Scan through the handlers' client fails the test.
  t.cloud.ports.clients.db.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') scans.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'scan-detector' },
  );
});
afterAll(async () => {
  admin?.destroy();
  await t?.stop();
});

/**
 * Every item of the table, as one string (the test's own client: the handlers' one fails on a
 * Scan). Items the executions write on their own (`#WAIT`) are left out.
 */
async function tableSnapshot(): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await admin.send(
      new ScanCommand({
        TableName: t.cloud.tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(
    items
      .filter((i) => i.sk !== '#WAIT')
      .map((i) => JSON.stringify(i, Object.keys(i).sort()))
      .sort(),
  );
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
  it('5: bad input anywhere — every route of the OpenAPI document — is a 4xx problem, never a 5xx, and stores nothing', async () => {
    // Created well formed (typed); what follows is sent malformed, raw.
    const release = (await ok(t.api().POST('/releases', { body: releaseBody() }), 201)).id;
    await t.cloud.settle();
    const doc = (await (await fetch(`${t.cloud.apiUrl}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; parameters?: { in: string; name: string }[] }>
      >;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        takesBody: op.requestBody !== undefined,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const concrete = (path: string, real: boolean) =>
      path.replace(/\{(\w+)\}/g, () => (real && path.startsWith('/releases') ? release : 'x_1'));
    // Each operation's own query parameters, as the document declares them, and one it does not.
    const values = fc.oneof(
      fc.string(),
      fc.constantFrom('0', '-1', '101', '1e9', 'active', '2026-13-01T00:00:00Z', '%'),
    );
    const opWithQuery = fc
      .constantFrom(...operations)
      .chain((op) =>
        fc.tuple(
          fc.constant(op),
          fc.dictionary(fc.constantFrom(...op.query, 'bogus'), values, { maxKeys: 3 }),
        ),
      );
    const changed: string[] = [];
    await fc.assert(
      fc.asyncProperty(opWithQuery, fc.boolean(), jsonish, async ([op, query], real, body) => {
        const search = new URLSearchParams(query).toString();
        const path = `${concrete(op.path, real)}${search ? `?${search}` : ''}`;
        const before = op.method === 'GET' ? undefined : await tableSnapshot();
        const user = op.path.startsWith('/releases') ? 'rm' : 'admin';
        const res = await raw(op.method, path, op.takesBody ? body : undefined, user);
        const label = `${op.method} ${path} ${body} → ${res.status} ${res.body.slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        if (res.status < 400) return;
        expect(res.type, label).toBe('application/problem+json');
        const problem = JSON.parse(res.body) as { status: number; detail: string };
        expect(problem.status).toBe(res.status);
        expect(problem.detail.length).toBeGreaterThan(0);
        if (before !== undefined && (await tableSnapshot()) !== before) changed.push(label);
      }),
      { numRuns: 200 },
    );
    // A rejected request leaves the whole table as it was, not just the releases' list.
    expect(changed).toEqual([]);
  }, 180_000);

  it('6: no route of the OpenAPI document answers a caller without the process it needs', async () => {
    const doc = (await (await fetch(`${t.cloud.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
    };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length === 0) continue;
        const concrete = path.replace(/\{(\w+)\}/g, 'x_1');
        const res = await raw(
          method.toUpperCase(),
          concrete,
          op.requestBody ? JSON.stringify({}) : undefined,
          'nobody',
        );
        expect(res.status, `${method} ${path} → ${res.body}`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(18);
  });

  it('7: no request path scans the table (statically, and at run time above)', async () => {
    const files = await readdir('functions', { recursive: true });
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join('functions', file), 'utf8');
      expect(text, file).not.toMatch(/\bScan(Command|Input)\b|\bpaginateScan\b/);
    }
    await ok(t.api().GET('/releases', { params: { query: { limit: 5 } } }));
    await ok(t.api().GET('/teams'));
    expect(scans).toEqual([]);
  });

  it('1: a refused change leaves neither state nor event behind', async () => {
    const { id } = await ok(t.api().POST('/releases', { body: releaseBody({ tasks: [] }) }), 201);
    const at = { params: { path: { id } } };
    const refused = await Promise.all([
      t.api().POST('/releases/{id}/transitions', { ...at, body: { to: 'Closure', expectedVersion: 1 } }),
      t.api().PATCH('/releases/{id}', { ...at, body: { title: 'stale', expectedVersion: 9 } }),
    ]);
    expect(refused.map((r) => r.response.status)).toEqual([422, 409]);
    const history = await ok(t.api().GET('/releases/{id}/history', at));
    expect(history.items.map((e) => e.type)).toEqual(['Release Created']);
    expect(await ok(t.api().GET('/releases/{id}', at))).toMatchObject({ version: 1, stage: 'Assessment' });
  });
});
