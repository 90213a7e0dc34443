/**
 * The CMDB on DynamoDB Local: the point-in-time property against the real store, the items a
 * history page and a point-in-time read cost (counted on the wire: the same for 10 and 500
 * versions), the keys written per change, and the /cis routes through the real handler.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { type CiWrite, updateCi } from '../../functions/domain/ci/ci.ts';
import { editCi } from '../../functions/domain/ci/service.ts';
import { createHandler } from '../../functions/http/cis.ts';
import { DynamoCiStore } from '../../functions/store/ci-repository.ts';
import { DynamoUserStore } from '../../functions/store/user-repository.ts';
import { checkPointInTime, scenarioArbitrary, settableClock } from '../support/ci-property.ts';
import { seedCi } from '../support/cis.ts';
import { actor, sequentialIds } from '../support/fakes.ts';
import { bodyOf, httpEvent } from '../support/http-events.ts';
import { createTestTable, partitionItems } from '../support/table.ts';
import { seedUser, userFixture } from '../support/users.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
let handler: ReturnType<typeof createHandler>;
const rm = actor('rm', ['release', 'deployment']);

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
  for (const [id, processes] of [
    ['rm', ['release']],
    ['tech', ['deployment']],
  ] as const) {
    await seedUser(ports, userFixture(id, processes));
  }
  handler = createHandler(() => ports);
});

afterAll(async () => drop());

/**
 * The document client, counting the items each Query and GetItem of a CI's partition returned
 * (the signed-cursor key, read once per process, is not the history's cost).
 */
function counting(db: DynamoDBDocumentClient) {
  const read = { items: 0, calls: 0 };
  const send = db.send.bind(db) as (command: unknown) => Promise<unknown>;
  const wrapped = Object.create(db) as DynamoDBDocumentClient;
  wrapped.send = (async (command: unknown) => {
    const out = (await send(command)) as { Items?: unknown[]; Item?: unknown };
    const input = (
      command as { input?: { Key?: { pk?: string }; ExpressionAttributeValues?: Record<string, unknown> } }
    ).input;
    const pk = String(input?.Key?.pk ?? input?.ExpressionAttributeValues?.[':pk'] ?? '');
    if ((command instanceof QueryCommand || command instanceof GetCommand) && pk.startsWith('CI#')) {
      read.calls++;
      read.items += out.Items?.length ?? (out.Item ? 1 : 0);
    }
    return out;
  }) as DynamoDBDocumentClient['send'];
  return { db: wrapped, read };
}

const call = (routeKey: string, path: string, options: Parameters<typeof httpEvent>[2] = {}) =>
  handler(httpEvent(routeKey, path, { user: 'rm', ...options }));

describe('the CMDB store on DynamoDB Local', () => {
  it('property: ?at= is exactly the replayed state at any instant (real store, fewer runs)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(12), async (scenario) => {
        const clock = settableClock('2026-11-26T10:00:00.000Z');
        const ids = sequentialIds();
        const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
        const store = new DynamoCiStore(ports.clients.db, ports.config.tableName);
        await checkPointInTime(
          scenario,
          { cis: store, clock, ids: { next: (p) => `${prefix}_${ids.next(p)}` } },
          clock,
          rm,
        );
      }),
      { numRuns: 12 },
    );
  });

  it('reads the same items for the newest history page and a point in time with 10 or 500 versions', async () => {
    const costOf = async (versions: number) => {
      const created = bodyOf<{ id: string }>(
        await call('POST /cis', '/cis', {
          body: { type: 'application', name: `cost-${versions}`, attributes: { n: 0 } },
        }),
      );
      for (let v = 1; v < versions; v++) await editCi(created.id, { set: { n: v } }, v, rm, ports);
      const { db, read } = counting(ports.clients.db);
      // The caller's store too: `?at=` is read ahead with the caller (its Query, in parallel).
      const counted = {
        ...ports,
        cis: new DynamoCiStore(db, ports.config.tableName),
        users: new DynamoUserStore(db, ports.config.tableName),
      } as AppPorts;
      const countedHandler = createHandler(() => counted);
      const page = await countedHandler(
        httpEvent('GET /cis/{id}/history', `/cis/${created.id}/history`, {
          user: 'rm',
          query: { limit: '5' },
        }),
      );
      expect(bodyOf<{ items: { version: number }[] }>(page).items.map((v) => v.version)).toEqual(
        Array.from({ length: 5 }, (_, i) => versions - i),
      );
      const historyRead = { ...read };
      read.items = 0;
      read.calls = 0;
      const past = await countedHandler(
        httpEvent('GET /cis/{id}', `/cis/${created.id}`, {
          user: 'rm',
          query: { at: new Date(Date.now() + 60_000).toISOString() },
        }),
      );
      expect(bodyOf<{ version: number }>(past).version).toBe(versions);
      return { history: historyRead, at: { ...read } };
    };
    const small = await costOf(10);
    const large = await costOf(500);
    // One Query of 6 items (a page of 5 and one more), one Query of 1 item.
    expect(small).toEqual({ history: { calls: 1, items: 6 }, at: { calls: 1, items: 1 } });
    expect(large).toEqual(small);
    // 500 sequential edits on DynamoDB Local take a while on a busy machine.
  }, 180_000);

  it("lists one task's applied marks by their key prefix (task_1 is not task_10), or the release's", async () => {
    const store = new DynamoCiStore(ports.clients.db, ports.config.tableName);
    await seedCi(ports, 'ci_marks');
    let n = 0;
    for (const taskId of ['task_1', 'task_10', 'task_1', 'task_2']) {
      const ci = (await store.get('ci_marks')) as NonNullable<Awaited<ReturnType<typeof store.get>>>;
      const write = updateCi(ci, { set: { n: ci.version } }, 'admin', {
        clock: { now: () => new Date() },
        ids: { next: (prefix) => `${prefix}_marks_${++n}` },
      }) as CiWrite;
      const index = (await store.applied('rel_marks', taskId)).length;
      await store.save(write, ci.version, ci, {
        releaseId: 'rel_marks',
        taskId,
        index,
        ciId: ci.id,
        version: write.ci.version,
        appliedAt: write.version.at,
      });
    }
    const of = async (taskId?: string) =>
      (await store.applied('rel_marks', taskId)).map((m) => `${m.taskId}#${m.index}`);
    expect(await of('task_1')).toEqual(['task_1#0', 'task_1#1']);
    expect(await of('task_10')).toEqual(['task_10#0']);
    expect(await of()).toEqual(['task_1#0', 'task_1#1', 'task_10#0', 'task_2#0']);
  });

  it('writes state, version, instant, inbound relation and event items in one transaction per change', async () => {
    const server = bodyOf<{ id: string }>(
      await call('POST /cis', '/cis', { body: { type: 'server', name: 'db-01', attributes: {} } }),
    );
    const app = bodyOf<{ id: string }>(
      await call('POST /cis', '/cis', {
        body: { type: 'application', name: 'pay', relations: [{ type: 'runs-on', ciId: server.id }] },
      }),
    );
    const appItems = await partitionItems(ports, `CI#${app.id}`);
    expect(
      appItems
        .map((i) =>
          String(i.sk)
            .replace(/\d{4}-.*Z/, '<at>')
            .replace(/EVT#.*/, 'EVT#<id>'),
        )
        .sort(),
    ).toEqual(['#STATE', 'AT#<at>#0000000001', 'EVT#<id>', 'V#0000000001']);
    const serverItems = await partitionItems(ports, `CI#${server.id}`);
    expect(serverItems.find((i) => i.entity === 'ciRelation')).toMatchObject({
      sk: `IN#${app.id}#runs-on`,
      sourceId: app.id,
      type: 'runs-on',
    });
    const edited = await call('PATCH /cis/{id}', `/cis/${app.id}`, {
      body: { relations: [], expectedVersion: 1, reason: 'Moved' },
    });
    expect(edited.statusCode).toBe(200);
    expect((await partitionItems(ports, `CI#${server.id}`)).some((i) => i.entity === 'ciRelation')).toBe(
      false,
    );
  });
});

describe('/cis through the handler', () => {
  it('creates, edits with If-Match, reads history, a version, the past (404 problem+json before it existed) and impact', async () => {
    const created = await call('POST /cis', '/cis', {
      body: { type: 'application', name: 'payroll-app', attributes: { version: '4.1.0' } },
      headers: { 'idempotency-key': 'ci-create-1' },
    });
    expect(created.statusCode).toBe(201);
    const ci = bodyOf<{ id: string; version: number; updatedAt: string }>(created);
    expect(created.headers?.etag).toBe('"1"');
    const replay = await call('POST /cis', '/cis', {
      body: { type: 'application', name: 'payroll-app', attributes: { version: '4.1.0' } },
      headers: { 'idempotency-key': 'ci-create-1' },
    });
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf<{ id: string }>(replay).id).toBe(ci.id);

    const patched = await call('PATCH /cis/{id}', `/cis/${ci.id}`, {
      body: { set: { version: '4.2.0', owner: 'pay' }, reason: 'Upgrade' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.statusCode).toBe(200);
    expect(bodyOf(patched)).toMatchObject({ version: 2, attributes: { version: '4.2.0', owner: 'pay' } });
    const stale = await call('PATCH /cis/{id}', `/cis/${ci.id}`, { body: { name: 'x', expectedVersion: 1 } });
    expect(stale.statusCode).toBe(409);
    const removed = await call('PATCH /cis/{id}', `/cis/${ci.id}`, {
      body: { set: { owner: null }, expectedVersion: 2 },
    });
    expect(bodyOf(removed)).toMatchObject({ version: 3, attributes: { version: '4.2.0' } });

    const history = bodyOf<{ items: { version: number; reason?: string }[] }>(
      await call('GET /cis/{id}/history', `/cis/${ci.id}/history`, { user: 'tech' }),
    );
    expect(history.items.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(history.items[1]).toMatchObject({
      reason: 'Upgrade',
      actor: 'rm',
      changes: { attributes: { version: { from: '4.1.0', to: '4.2.0' }, owner: { from: null, to: 'pay' } } },
    });
    const v2 = bodyOf(await call('GET /cis/{id}/versions/{n}', `/cis/${ci.id}/versions/2`));
    expect(v2).toMatchObject({
      version: 2,
      snapshot: { version: 2, attributes: { version: '4.2.0', owner: 'pay' } },
    });
    expect((await call('GET /cis/{id}/versions/{n}', `/cis/${ci.id}/versions/9`)).statusCode).toBe(404);

    const atCreation = await call('GET /cis/{id}', `/cis/${ci.id}`, { query: { at: ci.updatedAt } });
    expect(bodyOf(atCreation)).toMatchObject({ version: 1, attributes: { version: '4.1.0' } });
    const before = await call('GET /cis/{id}', `/cis/${ci.id}`, {
      query: { at: new Date(Date.parse(ci.updatedAt) - 1).toISOString() },
    });
    expect(before.statusCode).toBe(404);
    expect(before.headers?.['content-type']).toBe('application/problem+json');
    expect((await call('GET /cis/{id}', `/cis/${ci.id}`, { query: { at: 'yesterday' } })).statusCode).toBe(
      400,
    );

    const dependent = bodyOf<{ id: string }>(
      await call('POST /cis', '/cis', {
        body: { type: 'service', name: 'payroll', relations: [{ type: 'depends-on', ciId: ci.id }] },
      }),
    );
    const impact = bodyOf(
      await call('GET /cis/{id}/impact', `/cis/${ci.id}/impact`, { query: { depth: '2' } }),
    );
    expect(impact).toMatchObject({
      ciId: ci.id,
      depth: 2,
      truncated: false,
      items: [{ ci: { id: dependent.id }, depth: 1, path: [{ ciId: dependent.id, relation: 'depends-on' }] }],
    });
    const list = bodyOf<{ items: { id: string }[] }>(
      await call('GET /cis', '/cis', { query: { name: 'payroll-app' } }),
    );
    expect(list.items.map((c) => c.id)).toContain(ci.id);
  });

  it('refuses bad input with problem+json naming the fault, and technicians writing (403)', async () => {
    const target = await call('POST /cis', '/cis', {
      body: { type: 'application', name: 'x', relations: [{ type: 'runs-on', ciId: 'ci_missing' }] },
    });
    expect(target.statusCode).toBe(422);
    expect(bodyOf(target)).toMatchObject({ type: 'urn:release-desk:problem:invalid-ci-relations' });
    const kind = await call('POST /cis', '/cis', {
      body: { type: 'application', name: 'x', relations: [{ type: 'likes', ciId: 'ci_a' }] },
    });
    expect(kind.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(kind))).toContain('relations.0.type');
    expect(
      (await call('POST /cis', '/cis', { user: 'tech', body: { type: 'a', name: 'b' } })).statusCode,
    ).toBe(403);
    expect((await call('PATCH /cis/{id}', '/cis/ci_x', { body: { expectedVersion: 1 } })).statusCode).toBe(
      400,
    );
  });
});
