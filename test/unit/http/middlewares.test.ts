/**
 * The HTTP edge's middlewares, each alone: given the state the ones before it leave, what it adds
 * to the request or what it refuses. (The chain as a whole is exercised by every handler test.)
 */
import type middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Actor } from '../../../functions/domain/actor.ts';
import { ForbiddenError, GateFailedError, ValidationError } from '../../../functions/domain/errors.ts';
import { type RouteDeclaration, resource, route } from '../../../functions/http/contract/route.ts';
import type { HttpEvent, HttpResult } from '../../../functions/http/edge/handler.ts';
import {
  baseVersion,
  edgeState,
  groupsOf,
  idempotencyKey,
  identifyCaller,
  inAdminGroup,
  jsonBody,
  MAX_BODY_BYTES,
  problemResponses,
  requireAccess,
  resolveDeclaration,
  securityHeaders,
  validateRequest,
} from '../../../functions/http/edge/middlewares.ts';
import { HttpProblem } from '../../../functions/http/edge/problem.ts';
import { httpEvent, type RequestOptions } from '../../support/http-events.ts';

const Body = z.object({ name: z.string().min(1), expectedVersion: z.number().int().optional() }).strict();
const widgets = resource({ name: 'widgets', description: 'A resource of a test' }, {
  createWidget: route({
    method: 'POST',
    path: '/widgets',
    summary: 'Create',
    access: { processes: ['release'] },
    body: Body,
    idempotent: true,
    responses: { 201: { description: 'Created' } },
  }),
  listWidgets: route({
    method: 'GET',
    path: '/widgets',
    summary: 'List',
    access: { signedIn: true },
    query: z.object({ limit: z.coerce.number().int().max(100).default(20) }),
    responses: { 200: { description: 'Widgets' } },
  }),
  editWidget: route({
    method: 'PATCH',
    path: '/widgets/{id}',
    summary: 'Edit',
    access: { admin: true },
    params: z.object({ id: z.string() }),
    body: Body.partial(),
    mergePatch: true,
    version: 'required',
    responses: { 200: { description: 'Edited' } },
  }),
  putWidget: route({
    method: 'PUT',
    path: '/widgets/{id}',
    summary: 'Put',
    access: { admin: true },
    params: z.object({ id: z.string() }),
    body: Body,
    version: 'optional',
    responses: { 200: { description: 'Put' } },
  }),
  health: route({
    method: 'GET',
    path: '/widgets/health',
    summary: 'Public',
    access: { public: true },
    responses: { 200: { description: 'Up' } },
  }),
} satisfies Record<string, RouteDeclaration>);
const routes = new Map(widgets.list.map((r) => [r.routeKey, r]));

type Request = middy.Request<HttpEvent, HttpResult>;
const requestOf = (event: HttpEvent): Request =>
  ({ event, context: {}, response: undefined, error: undefined, internal: {} }) as unknown as Request;

const actor = (options: Partial<Actor> = {}): Actor => ({
  id: 'alice',
  admin: false,
  processes: new Set(['release', 'deployment']),
  teamIds: [],
  workGroupIds: [],
  ...options,
});

/** A request past `resolveDeclaration`, with a caller, as the later middlewares see it. */
function declared(routeKey: string, path: string, options: RequestOptions = {}, caller = actor()) {
  const request = requestOf(httpEvent(routeKey, path, { user: caller.id, ...options }));
  resolveDeclaration(routes).before?.(request);
  edgeState(request.event).actor = caller;
  return request;
}

const run = async (middleware: middy.MiddlewareObj<HttpEvent, HttpResult>, request: Request) => {
  await middleware.before?.(request);
  return edgeState(request.event);
};

describe('resolveDeclaration', () => {
  it('finds the declaration by the route key, with the headers in lower case', () => {
    const request = requestOf(
      httpEvent('POST /widgets', '/widgets', { headers: { 'Idempotency-Key': 'k' } }),
    );
    resolveDeclaration(routes).before?.(request);
    expect(edgeState(request.event)).toMatchObject({
      declaration: { operationId: 'createWidget' },
      headers: { 'idempotency-key': 'k' },
    });
  });

  it('answers 404 for a route key the handler does not serve', () => {
    const request = requestOf(httpEvent('DELETE /widgets/{id}', '/widgets/w1'));
    expect(() => resolveDeclaration(routes).before?.(request)).toThrow(HttpProblem);
  });
});

describe('identifyCaller (auth and actor)', () => {
  const users = (known: Record<string, { admin?: boolean }>) => () =>
    ({
      get: async (id: string) =>
        known[id]
          ? {
              id,
              admin: known[id].admin ?? false,
              processes: ['change'],
              teamIds: ['team_a'],
              workGroupIds: [],
              version: 1,
              createdAt: '',
              updatedAt: '',
            }
          : undefined,
    }) as never;

  it('names the user the token names, with their processes and teams from the user store', async () => {
    const request = requestOf(httpEvent('GET /widgets', '/widgets', { user: 'bob' }));
    resolveDeclaration(routes).before?.(request);
    const state = await run(identifyCaller(users({ bob: {} })), request);
    expect(state.registered).toBe(true);
    expect(state.actor).toMatchObject({ id: 'bob', admin: false, teamIds: ['team_a'] });
    expect([...(state.actor?.processes ?? [])]).toEqual(['change']);
  });

  it('makes a member of the admin group an administrator, and an unknown user unregistered', async () => {
    const request = requestOf(httpEvent('GET /widgets', '/widgets', { user: 'carol', groups: ['admin'] }));
    resolveDeclaration(routes).before?.(request);
    const state = await run(identifyCaller(users({})), request);
    expect(state).toMatchObject({ registered: false, actor: { id: 'carol', admin: true } });
  });

  it('reads cognito:groups as API Gateway hands it on: "[a b]", a bare name, or a real array', () => {
    const groups = (value: unknown) => ({ 'cognito:groups': value });
    expect(groupsOf(groups('[admin ops]'))).toEqual(['admin', 'ops']);
    expect(inAdminGroup(groups('[admin ops]'))).toBe(true);
    expect(inAdminGroup(groups('[ops admin]'))).toBe(true);
    expect(inAdminGroup(groups('[ops]'))).toBe(false);
    expect(inAdminGroup(groups('admin'))).toBe(true);
    expect(groupsOf(groups('[]'))).toEqual([]);
    expect(inAdminGroup(groups('[]'))).toBe(false);
    // Only the exact group counts: names merely containing the letters do not.
    expect(inAdminGroup(groups('[administrators]'))).toBe(false);
    expect(inAdminGroup(groups('[sysadmin ops]'))).toBe(false);
    expect(inAdminGroup(groups('[admin,ops]'))).toBe(false);
    // A direct invoke with the decoded token's array still works.
    expect(inAdminGroup(groups(['ops', 'admin']))).toBe(true);
    expect(inAdminGroup(groups(['administrators']))).toBe(false);
    expect(inAdminGroup({})).toBe(false);
    expect(inAdminGroup(undefined)).toBe(false);
  });

  it('makes an administrator of "[admin ops]" in the real event shape, and not of "[administrators]"', async () => {
    const admin = requestOf(
      httpEvent('GET /widgets', '/widgets', { user: 'carol', claims: { 'cognito:groups': '[admin ops]' } }),
    );
    resolveDeclaration(routes).before?.(admin);
    expect(admin.event.requestContext.authorizer.jwt.claims['cognito:groups']).toBe('[admin ops]');
    expect((await run(identifyCaller(users({})), admin)).actor).toMatchObject({ id: 'carol', admin: true });
    const lookalike = requestOf(
      httpEvent('GET /widgets', '/widgets', {
        user: 'dan',
        claims: { 'cognito:groups': '[administrators]' },
      }),
    );
    resolveDeclaration(routes).before?.(lookalike);
    expect((await run(identifyCaller(users({})), lookalike)).actor).toMatchObject({
      id: 'dan',
      admin: false,
    });
  });

  it('refuses a token without a user (401) and lets a public route through anonymously', async () => {
    const anonymous = requestOf(httpEvent('GET /widgets', '/widgets'));
    resolveDeclaration(routes).before?.(anonymous);
    await expect(identifyCaller(users({})).before?.(anonymous)).rejects.toMatchObject({ status: 401 });
    const open = requestOf(httpEvent('GET /widgets/health', '/widgets/health'));
    resolveDeclaration(routes).before?.(open);
    expect((await run(identifyCaller(users({})), open)).actor).toMatchObject({ id: 'anonymous' });
  });
});

describe('requireAccess', () => {
  it('lets a caller with one of the declared processes through, and refuses one without', async () => {
    await run(requireAccess(), declared('POST /widgets', '/widgets'));
    const tech = declared('POST /widgets', '/widgets', {}, actor({ processes: new Set(['deployment']) }));
    expect(() => requireAccess().before?.(tech)).toThrow(ForbiddenError);
  });

  it('refuses an administrator route to a non-administrator, and a user nobody registered', () => {
    expect(() => requireAccess().before?.(declared('PATCH /widgets/{id}', '/widgets/w1'))).toThrow(
      'This action needs an administrator.',
    );
    const stranger = declared('GET /widgets', '/widgets');
    edgeState(stranger.event).registered = false;
    // Signed-in routes let anyone the token names through; the use case decides.
    expect(() => requireAccess().before?.(stranger)).not.toThrow();
    const unregistered = declared('POST /widgets', '/widgets');
    edgeState(unregistered.event).registered = false;
    expect(() => requireAccess().before?.(unregistered)).toThrow('User alice is not registered');
  });
});

describe('jsonBody (limits and JSON)', () => {
  it('reads a JSON body, also base64-encoded as API Gateway may pass it', async () => {
    expect(
      (await run(jsonBody(), declared('POST /widgets', '/widgets', { body: { name: 'a' } }))).rawBody,
    ).toEqual({
      name: 'a',
    });
    const encoded = declared('POST /widgets', '/widgets', { body: { name: 'b' } });
    encoded.event.body = Buffer.from(JSON.stringify({ name: 'b' })).toString('base64');
    encoded.event.isBase64Encoded = true;
    expect((await run(jsonBody(), encoded)).rawBody).toEqual({ name: 'b' });
  });

  it('refuses a body over the limit (413), on a route without one (400), of another type (415), or not JSON (400)', () => {
    const status = (request: Request) => {
      try {
        jsonBody().before?.(request);
        return 'accepted';
      } catch (error) {
        return error instanceof HttpProblem ? error.status : error instanceof ValidationError ? 400 : error;
      }
    };
    const big = declared('POST /widgets', '/widgets', { rawBody: `"${'x'.repeat(MAX_BODY_BYTES)}"` });
    expect(status(big)).toBe(413);
    expect(status(declared('GET /widgets', '/widgets', { body: {} }))).toBe(400);
    const text = declared('POST /widgets', '/widgets', {
      rawBody: 'name=a',
      headers: { 'content-type': 'text/plain' },
    });
    expect(status(text)).toBe(415);
    expect(status(declared('POST /widgets', '/widgets', { rawBody: '{"name":' }))).toBe(400);
    // Merge patch only where declared.
    const patch = { body: { name: 'a' }, headers: { 'content-type': 'application/merge-patch+json' } };
    expect(status(declared('PATCH /widgets/{id}', '/widgets/w1', patch))).toBe('accepted');
    expect(status(declared('POST /widgets', '/widgets', patch))).toBe(415);
    // No body at all is for validation to judge.
    expect(status(declared('POST /widgets', '/widgets'))).toBe('accepted');
  });
});

describe('validateRequest', () => {
  it('parses the body and query with the declared schemas (defaults applied)', async () => {
    const list = await run(
      validateRequest(),
      declared('GET /widgets', '/widgets', { query: { limit: '5' } }),
    );
    expect(list.query).toEqual({ limit: 5 });
    expect((await run(validateRequest(), declared('GET /widgets', '/widgets'))).query).toEqual({ limit: 20 });
    const create = declared('POST /widgets', '/widgets', { body: { name: 'a' } });
    await run(jsonBody(), create);
    expect((await run(validateRequest(), create)).body).toEqual({ name: 'a' });
  });

  it('names every field at fault, and answers 404 for an id that cannot exist', async () => {
    const bad = declared('POST /widgets', '/widgets', { body: { name: '', colour: 'red' } });
    await run(jsonBody(), bad);
    const error = (() => {
      try {
        validateRequest().before?.(bad);
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors.map((e) => e.path).sort()).toEqual(['colour', 'name']);
    const badId = declared('PATCH /widgets/{id}', '/widgets/w1');
    badId.event.pathParameters = { id: 'no spaces' };
    expect(() => validateRequest().before?.(badId)).toThrow(HttpProblem);
  });
});

describe('idempotencyKey', () => {
  const withKey = async (key: string, body: unknown, caller = actor()) => {
    const request = declared(
      'POST /widgets',
      '/widgets',
      { body, headers: { 'idempotency-key': key } },
      caller,
    );
    await run(jsonBody(), request);
    return run(idempotencyKey(), request);
  };

  it('scopes the key to the caller and fingerprints the request, so another body is another fingerprint', async () => {
    const first = await withKey('k-1', { name: 'a' });
    expect(first.idempotency).toMatchObject({ scope: 'alice', key: 'k-1' });
    expect((await withKey('k-1', { name: 'a' })).idempotency).toEqual(first.idempotency);
    expect((await withKey('k-1', { name: 'b' })).idempotency?.fingerprint).not.toBe(
      first.idempotency?.fingerprint,
    );
    expect((await withKey('k-1', { name: 'a' }, actor({ id: 'bob' }))).idempotency?.scope).toBe('bob');
  });

  it('refuses a malformed key, and ignores one on a route that does not take it', async () => {
    await expect(withKey('has spaces', { name: 'a' })).rejects.toBeInstanceOf(ValidationError);
    const list = declared('GET /widgets', '/widgets', { headers: { 'idempotency-key': 'k' } });
    expect((await run(idempotencyKey(), list)).idempotency).toBeUndefined();
  });
});

describe('baseVersion (versions and ETags)', () => {
  const versioned = async (routeKey: string, body: Record<string, unknown>, ifMatch?: string) => {
    const request = declared(routeKey, '/widgets/w1', {
      body,
      ...(ifMatch ? { headers: { 'if-match': ifMatch } } : {}),
    });
    await run(jsonBody(), request);
    await run(validateRequest(), request);
    return run(baseVersion(), request);
  };

  it('takes the version from expectedVersion or If-Match (weak or strong ETag) and leaves only the change in the body', async () => {
    expect(await versioned('PATCH /widgets/{id}', { name: 'a', expectedVersion: 3 })).toMatchObject({
      version: 3,
      body: { name: 'a' },
    });
    expect((await versioned('PATCH /widgets/{id}', { name: 'a' }, '"4"')).version).toBe(4);
    expect((await versioned('PATCH /widgets/{id}', { name: 'a' }, 'W/"5"')).version).toBe(5);
    expect((await versioned('PATCH /widgets/{id}', { expectedVersion: 6 }, '"6"')).body).toEqual({});
  });

  it('refuses versions that disagree, an ETag it did not issue, and no version where one is required', async () => {
    await expect(versioned('PATCH /widgets/{id}', { expectedVersion: 2 }, '"3"')).rejects.toThrow(
      'expectedVersion and If-Match disagree.',
    );
    await expect(versioned('PATCH /widgets/{id}', { name: 'a' }, '"abc"')).rejects.toThrow(
      'If-Match must be an ETag this API issued.',
    );
    await expect(versioned('PATCH /widgets/{id}', { name: 'a' })).rejects.toThrow(
      'Say which version the change is based on.',
    );
    // Optional: a PUT that may create.
    const put = await versioned('PUT /widgets/{id}', { name: 'a' });
    expect(put.version).toBeUndefined();
    expect(put.body).toEqual({ name: 'a' });
  });
});

describe('problemResponses and securityHeaders', () => {
  it('answers a gate that does not hold as 409 with the gates and why, never as a rule violation', async () => {
    const request = requestOf(httpEvent('GET /widgets', '/widgets'));
    request.error = new GateFailedError('Tasks are open.', {
      gates: ['allDeploymentTasksDone'],
      allDeploymentTasksDone: { detail: 'One task is open.', tasks: [{ id: 't1' }] },
    });
    await problemResponses().onError?.(request);
    expect(request.response?.statusCode).toBe(409);
    expect(JSON.parse(String(request.response?.body))).toEqual({
      type: 'urn:release-desk:problem:transition-gate-failed',
      title: 'Gate not met',
      status: 409,
      detail: 'Tasks are open.',
      gates: ['allDeploymentTasksDone'],
      allDeploymentTasksDone: { detail: 'One task is open.', tasks: [{ id: 't1' }] },
    });
  });

  it('answers a known error as problem+json with its status, anything else as a bare 500', async () => {
    const request = requestOf(httpEvent('GET /widgets', '/widgets'));
    request.error = new ForbiddenError('No.');
    await problemResponses().onError?.(request);
    expect(request.response).toMatchObject({
      statusCode: 403,
      headers: { 'content-type': 'application/problem+json' },
    });
    expect(JSON.parse(String(request.response?.body))).toMatchObject({ status: 403, detail: 'No.' });
    const crash = requestOf(httpEvent('GET /widgets', '/widgets'));
    crash.error = new Error('secret detail');
    crash.context = { awsRequestId: 'r-1' } as never;
    await problemResponses().onError?.(crash);
    expect(crash.response?.statusCode).toBe(500);
    expect(String(crash.response?.body)).not.toContain('secret detail');
    expect(JSON.parse(String(crash.response?.body))).toMatchObject({ instance: 'urn:request:r-1' });
  });

  it('adds no-store and nosniff to every answer, errors included', async () => {
    const request = requestOf(httpEvent('GET /widgets', '/widgets'));
    request.response = { statusCode: 200, headers: { etag: '"1"' }, body: '{}' };
    await securityHeaders().after?.(request);
    expect(request.response.headers).toEqual({
      etag: '"1"',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });
});
