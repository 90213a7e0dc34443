/**
 * The knowledge-base handler through the production middy chain, on the in-memory fakes: what
 * each route answers (every response is checked against the OpenAPI document and its declared
 * schema by the contract setup), the refusals it names, and the If-Match / ETag of versions.
 */
import { describe, expect, it } from 'vitest';
import type { Release } from '../../../functions/domain/release/release.ts';
import { createHandler } from '../../../functions/http/kb.ts';
import { ciFixture, inMemoryPorts } from '../../support/fakes.ts';
import { bodyOf, httpEvent, type RequestOptions } from '../../support/http-events.ts';

const T0 = '2026-11-26T10:00:00.000Z';

function world() {
  const ports = inMemoryPorts();
  const user = (id: string, processes: ('change' | 'release' | 'deployment')[]) =>
    ports.users.seed({
      id,
      processes,
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  user('cm', ['change']);
  user('rm', ['release', 'deployment']);
  user('tech', ['deployment']);
  ports.releases.seed({ id: 'rel_a' } as Release);
  // The CIs articles name exist in the CMDB (an unknown one is 422: kb-service tests).
  for (const id of ['ci_a', 'ci_payroll_app']) ports.cis.seed(ciFixture(id));
  const handler = createHandler(() => ports);
  const call = (routeKey: string, path: string, options: RequestOptions = {}) =>
    handler(httpEvent(routeKey, path, { user: 'cm', ...options }));
  return { ports, call };
}

const article = (over: Record<string, unknown> = {}) => ({
  kind: 'backout-procedure',
  title: 'Back out payroll 4.2',
  body: 'Restore the 4.1 package.',
  ciIds: ['ci_payroll_app'],
  releaseIds: ['rel_a'],
  ...over,
});

type View = { id: string; version: number; latestVersion?: number; title: string };

describe('POST /kb', () => {
  it('publishes version 1: 201 with Location and ETag', async () => {
    const { call } = world();
    const res = await call('POST /kb', '/kb', { body: article() });
    expect(res.statusCode).toBe(201);
    const body = bodyOf<View>(res);
    expect(body).toMatchObject({ version: 1, latestVersion: 1, kind: 'backout-procedure', createdBy: 'cm' });
    expect(res.headers).toMatchObject({ location: `/kb/${body.id}`, etag: '"1"' });
  });

  it('names `script` when an install script has none, or another kind has one (400)', async () => {
    const { call, ports } = world();
    for (const body of [
      article({ kind: 'install-script' }),
      article({ script: { language: 'bash', content: 'echo' } }),
    ]) {
      const res = await call('POST /kb', '/kb', { body });
      expect(res.statusCode).toBe(400);
      expect(bodyOf<{ errors: { path: string }[] }>(res).errors.map((e) => e.path)).toEqual(['script']);
    }
    expect(ports.kb.count('publish')).toBe(0);
  });

  it('names `ciIds` when an install script names no CI (400)', async () => {
    const { call } = world();
    const res = await call('POST /kb', '/kb', {
      body: article({ kind: 'install-script', ciIds: [], script: { language: 'bash', content: 'echo' } }),
    });
    expect(res.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(res).errors.map((e) => e.path)).toEqual(['ciIds']);
  });

  it('refuses a repeated link and an unknown kind (400 naming them)', async () => {
    const { call } = world();
    const res = await call('POST /kb', '/kb', { body: article({ kind: 'poem', ciIds: ['ci_a', 'ci_a'] }) });
    expect(res.statusCode).toBe(400);
    expect(
      bodyOf<{ errors: { path: string }[] }>(res)
        .errors.map((e) => e.path)
        .sort(),
    ).toEqual(['ciIds.1', 'kind']);
  });

  it('lists the releases that do not exist (422)', async () => {
    const { call } = world();
    const res = await call('POST /kb', '/kb', { body: article({ releaseIds: ['rel_a', 'rel_nope'] }) });
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res)).toMatchObject({
      type: 'urn:release-desk:problem:unknown-releases',
      unknownReleaseIds: ['rel_nope'],
    });
  });

  it('is 403 for a technician, before the body is read', async () => {
    const { call } = world();
    const res = await call('POST /kb', '/kb', { user: 'tech', body: { nonsense: true } });
    expect(res.statusCode).toBe(403);
  });

  it('replays a retry with the same Idempotency-Key', async () => {
    const { call, ports } = world();
    const headers = { 'idempotency-key': 'kb-retry-1' };
    const first = await call('POST /kb', '/kb', { body: article(), headers });
    const again = await call('POST /kb', '/kb', { body: article(), headers });
    expect(again.statusCode).toBe(201);
    expect(again.headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(bodyOf<View>(again).id).toBe(bodyOf<View>(first).id);
    expect(ports.kb.articles.size).toBe(1);
  });
});

describe('PATCH /kb/{id} and GET /kb/{id}', () => {
  it('writes a new version on If-Match; the older one is read with ?version=', async () => {
    const { call } = world();
    const { id } = bodyOf<View>(await call('POST /kb', '/kb', { body: article() }));
    const edited = await call('PATCH /kb/{id}', `/kb/${id}`, {
      user: 'rm',
      body: { title: 'Back out payroll 4.2 (revised)' },
      headers: { 'if-match': '"1"' },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.headers).toMatchObject({ etag: '"2"' });
    expect(bodyOf(edited)).toMatchObject({
      version: 2,
      updatedBy: 'rm',
      title: 'Back out payroll 4.2 (revised)',
    });

    const old = await call('GET /kb/{id}', `/kb/${id}`, { user: 'tech', query: { version: '1' } });
    expect(old.statusCode).toBe(200);
    expect(bodyOf(old)).toMatchObject({ version: 1, latestVersion: 2, title: 'Back out payroll 4.2' });
    expect(old.headers).toMatchObject({ etag: '"1"' });
    const current = await call('GET /kb/{id}', `/kb/${id}`, { user: 'tech' });
    expect(bodyOf(current)).toMatchObject({ version: 2, latestVersion: 2 });
    const never = await call('GET /kb/{id}', `/kb/${id}`, { user: 'tech', query: { version: '3' } });
    expect(never.statusCode).toBe(404);
    const bad = await call('GET /kb/{id}', `/kb/${id}`, { user: 'tech', query: { version: '0' } });
    expect(bad.statusCode).toBe(400);
  });

  it('is 409 on a stale version, 400 without one, 400 when it changes no field', async () => {
    const { call } = world();
    const { id } = bodyOf<View>(await call('POST /kb', '/kb', { body: article() }));
    await call('PATCH /kb/{id}', `/kb/${id}`, { body: { title: 'Two', expectedVersion: 1 } });
    const stale = await call('PATCH /kb/{id}', `/kb/${id}`, { body: { title: 'Three', expectedVersion: 1 } });
    expect(stale.statusCode).toBe(409);
    const unversioned = await call('PATCH /kb/{id}', `/kb/${id}`, { body: { title: 'Three' } });
    expect(unversioned.statusCode).toBe(400);
    const empty = await call('PATCH /kb/{id}', `/kb/${id}`, { body: { expectedVersion: 2 } });
    expect(empty.statusCode).toBe(400);
    const kind = await call('PATCH /kb/{id}', `/kb/${id}`, {
      body: { kind: 'known-error', expectedVersion: 2 },
    });
    expect(kind.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(kind).errors.map((e) => e.path)).toContain('kind');
  });

  it('is 404 for an article that does not exist, and 403 for a technician editing', async () => {
    const { call } = world();
    expect((await call('GET /kb/{id}', '/kb/kb_missing', { user: 'tech' })).statusCode).toBe(404);
    const { id } = bodyOf<View>(await call('POST /kb', '/kb', { body: article() }));
    const res = await call('PATCH /kb/{id}', `/kb/${id}`, {
      user: 'tech',
      body: { title: 'Mine', expectedVersion: 1 },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('GET /kb and GET /kb/{id}/versions', () => {
  it('lists by ci, release and kind; pages with a cursor', async () => {
    const { call } = world();
    const a = bodyOf<View>(await call('POST /kb', '/kb', { body: article() }));
    const b = bodyOf<View>(
      await call('POST /kb', '/kb', {
        body: article({
          kind: 'install-script',
          releaseIds: [],
          script: { language: 'bash', content: 'systemctl restart payroll' },
        }),
      }),
    );
    const ids = async (query: Record<string, string>) => {
      const res = await call('GET /kb', '/kb', { user: 'tech', query });
      expect(res.statusCode).toBe(200);
      return bodyOf<{ items: View[]; nextCursor?: string }>(res);
    };
    expect((await ids({ ci: 'ci_payroll_app' })).items.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await ids({ release: 'rel_a' })).items.map((x) => x.id)).toEqual([a.id]);
    expect((await ids({ kind: 'install-script' })).items.map((x) => x.id)).toEqual([b.id]);
    const first = await ids({ limit: '1' });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).not.toHaveProperty('latestVersion');
    const second = await ids({ limit: '1', cursor: first.nextCursor as string });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect((await call('GET /kb', '/kb', { query: { kind: 'poem' } })).statusCode).toBe(400);
  });

  it('lists the versions newest first; 404 for an article that does not exist', async () => {
    const { call } = world();
    const { id } = bodyOf<View>(await call('POST /kb', '/kb', { body: article() }));
    await call('PATCH /kb/{id}', `/kb/${id}`, { body: { body: 'Second text', expectedVersion: 1 } });
    const res = await call('GET /kb/{id}/versions', `/kb/${id}/versions`, { user: 'tech' });
    expect(bodyOf<{ items: View[] }>(res).items.map((v) => v.version)).toEqual([2, 1]);
    expect((await call('GET /kb/{id}/versions', '/kb/kb_missing/versions')).statusCode).toBe(404);
  });
});
