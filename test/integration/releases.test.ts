import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { createHandler } from '../../functions/http/releases.ts';
import { configuredWorkflowCatalog } from '../support/configured-workflows.ts';
import { bodyOf, httpEvent, validRelease } from '../support/http-events.ts';
import { createTestTable, partitionItems } from '../support/table.ts';
import { joinTeam } from '../support/teams.ts';
import { seedUser, userFixture } from '../support/users.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
let handler: ReturnType<typeof createHandler>;
const started: string[] = [];

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  const base = createPorts(table.config);
  // Step Functions is not under test here; record the starts instead of calling a service.
  // Step Functions is not under test here: a fixed catalog, and starts recorded instead of sent.
  ports = {
    ...base,
    workflows: configuredWorkflowCatalog(table.config.defaultReleaseStateMachineArn),
    executions: { start: async (_kind, r) => void started.push(r.id) },
  };
  for (const [id, processes] of [
    ['rm', ['release']],
    ['tech', ['deployment']],
  ] as const) {
    await seedUser(ports, userFixture(id, processes));
  }
  await joinTeam(ports, ['rm']);
  handler = createHandler(() => ports);
});

afterAll(async () => drop());

const create = (body: unknown, headers: Record<string, string> = {}, user = 'rm') =>
  handler(httpEvent('POST /releases', '/releases', { user, body, headers }));

const itemsOf = (pk: string) => partitionItems(ports, pk);

describe('releases on DynamoDB Local', () => {
  it('creates, reads back, and stores the Release Created event beside the release', async () => {
    const res = await create(validRelease());
    expect(res.statusCode).toBe(201);
    const created = bodyOf(res);
    expect(created).toMatchObject({
      version: 1,
      stage: 'Assessment',
      status: 'active',
      title: 'Payroll 4.2',
    });
    expect(res.headers?.location).toBe(`/releases/${created.id}`);
    // The answer does not start the execution: the Release Created consumer does (not run here).
    expect(started).not.toContain(created.id);

    const got = await handler(httpEvent('GET /releases/{id}', `/releases/${created.id}`, { user: 'tech' }));
    expect(got.statusCode).toBe(200);
    const { allowedTransitions, ...read } = bodyOf(got);
    expect(read).toEqual(created);
    // A technician outside the release's team may read it but make no move.
    expect(allowedTransitions).toEqual([]);

    const items = await itemsOf(`REL#${created.id}`);
    const events = items.filter((i) => i.entity === 'event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Release Created',
      subject: { kind: 'release', id: created.id },
    });
  });

  it("reads a release's standing without its plan (what a task move and a CI update read)", async () => {
    const created = bodyOf(await create(validRelease({ businessPriority: 2 })));
    const release = await ports.releases.get(String(created.id));
    expect(await ports.releases.standing(String(created.id))).toEqual({
      id: created.id,
      status: 'active',
      teamId: release?.teamId,
      releaseType: release?.releaseType,
      packageType: release?.packageType,
      urgency: release?.urgency,
      businessPriority: 2,
    });
    expect(await ports.releases.standing('rel_none')).toBeUndefined();
  });

  it('lists newest first across at least three pages, without repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(bodyOf<{ id: string }>(await create(validRelease({ title: `Paged ${i}` }))).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await handler(
        httpEvent('GET /releases', '/releases', {
          user: 'rm',
          query: { limit: '3', ...(cursor ? { cursor } : {}) },
        }),
      );
      expect(res.statusCode).toBe(200);
      const page = bodyOf<{ items: { id: string }[]; nextCursor?: string }>(res);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: the seven just created come first, in reverse order of creation.
    expect(seen.slice(0, 7)).toEqual([...ids].reverse());
  });

  it('rejects a garbage cursor with 400', async () => {
    const res = await handler(
      httpEvent('GET /releases', '/releases', { user: 'rm', query: { cursor: 'bm9wZQ' } }),
    );
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });

  it('edits with the current version and answers 409 to a stale one', async () => {
    const created = bodyOf<{ id: string }>(await create(validRelease()));
    const path = `/releases/${created.id}`;
    const first = await handler(
      httpEvent('PATCH /releases/{id}', path, {
        user: 'rm',
        body: { title: 'Payroll 4.2.1', expectedVersion: 1 },
      }),
    );
    expect(first.statusCode).toBe(200);
    expect(bodyOf(first)).toMatchObject({ title: 'Payroll 4.2.1', version: 2 });

    const stale = await handler(
      httpEvent('PATCH /releases/{id}', path, {
        user: 'rm',
        body: { title: 'Lost update', expectedVersion: 1 },
      }),
    );
    expect(stale.statusCode).toBe(409);
    expect(stale.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(stale)).toMatchObject({ status: 409, currentVersion: 2 });

    const viaIfMatch = await handler(
      httpEvent('PATCH /releases/{id}', path, {
        user: 'rm',
        body: { plannedEnd: '2026-12-02T01:00:00Z' },
        headers: { 'if-match': '"2"' },
      }),
    );
    expect(viaIfMatch.statusCode).toBe(200);
    const after = bodyOf(await handler(httpEvent('GET /releases/{id}', path, { user: 'rm' })));
    expect(after).toMatchObject({
      title: 'Payroll 4.2.1',
      version: 3,
      plannedEnd: '2026-12-02T01:00:00.000Z',
    });
    const events = (await itemsOf(`REL#${created.id}`))
      .filter((i) => i.entity === 'event')
      .map((e) => e.type);
    expect(events).toEqual(['Release Created', 'Release Updated', 'Release Updated']);
  });

  it('stores nothing when validation fails', async () => {
    const before = await handler(
      httpEvent('GET /releases', '/releases', { user: 'rm', query: { limit: '100' } }),
    );
    const count = bodyOf<{ items: unknown[] }>(before).items.length;
    const res = await create(
      validRelease({ businessPriority: 9, plannedEnd: '2026-11-01T00:00:00Z', extra: true }),
    );
    expect(res.statusCode).toBe(400);
    const problem = bodyOf<{ errors: { path: string }[] }>(res);
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['businessPriority', 'extra', 'plannedEnd']);
    const windowed = await create(validRelease({ plannedEnd: '2026-11-01T00:00:00Z' }));
    expect(bodyOf<{ errors: { path: string }[] }>(windowed).errors.map((e) => e.path)).toEqual([
      'plannedEnd',
    ]);
    const after = await handler(
      httpEvent('GET /releases', '/releases', { user: 'rm', query: { limit: '100' } }),
    );
    expect(bodyOf<{ items: unknown[] }>(after).items.length).toBe(count);
  });

  it('replays a repeated Idempotency-Key and refuses it for another body', async () => {
    const headers = { 'idempotency-key': 'create-payroll-1' };
    const first = await create(validRelease({ title: 'Once' }), headers);
    const again = await create(validRelease({ title: 'Once' }), headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(again).id).toBe(bodyOf(first).id);
    const other = await create(validRelease({ title: 'Other' }), headers);
    expect(other.statusCode).toBe(422);
  });

  it('forbids technicians to create or edit releases', async () => {
    const res = await create(validRelease(), {}, 'tech');
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res)).toMatchObject({ status: 403, title: 'Forbidden' });
  });
});

describe('authorisation comes before validation', () => {
  it('answers a technician 403 even for a malformed body, so nothing about the contract leaks', async () => {
    const res = await handler(
      httpEvent('POST /releases', '/releases', { user: 'tech', body: { nonsense: true } }),
    );
    expect(res.statusCode).toBe(403);
    const patch = await handler(
      httpEvent('PATCH /releases/{id}', '/releases/rel_x', { user: 'tech', body: {} }),
    );
    expect(patch.statusCode).toBe(403);
  });
});

describe('releases of an older data dir', () => {
  it('get the index keys of lists added since, so filters and the reconciler see them', async () => {
    const created = bodyOf<{ id: string }>(await create(validRelease({ title: 'Old one' })));
    // As an earlier version stored it: only the all-releases list.
    await ports.clients.db.send(
      new UpdateCommand({
        TableName: ports.config.tableName,
        Key: { pk: `REL#${created.id}`, sk: '#STATE' },
        UpdateExpression: 'REMOVE gsi2pk, gsi2sk, gsi3pk, gsi3sk, gsi4pk, gsi4sk, gsi5pk, gsi5sk',
      }),
    );
    const active = async () =>
      (await ports.releases.list({ status: 'active' }, { limit: 100 })).items.map((r) => r.id);
    expect(await active()).not.toContain(created.id);
    expect(await ports.releases.backfillIndexKeys()).toBe(1);
    expect(await active()).toContain(created.id);
    expect(await ports.releases.backfillIndexKeys()).toBe(0);
    expect((await ports.releases.get(created.id))?.version).toBe(1);
  });
});
