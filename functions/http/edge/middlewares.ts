/**
 * The HTTP edge's middlewares, one job each, in the order they run: security headers on every
 * answer, errors as problem+json, the route's declaration, who calls, may they, the body as JSON,
 * the request validated, its Idempotency-Key, and the version a write is based on. Each is a small
 * factory returning `{ before, after, onError }` (middy), tested alone (test/unit/http/middlewares.test.ts).
 */
import { createHash } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { ReadAhead } from '#app/request-scope';
import { type Actor, authorize } from '#domain/actor';
import { ForbiddenError, ValidationError } from '#domain/errors';
import type { IdempotencyRequest } from '#domain/ports';
import { actorFor, type User, type UserStore } from '#domain/user/user';
import { logger } from '../../app/logger.ts';
import { fieldErrors, ID_PATTERN } from '../contract/common.ts';
import { alternativesOf, type DeclaredRoute, JSON_MEDIA_TYPE } from '../contract/route.ts';
import { HttpProblem, INTERNAL_PROBLEM, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';

/** Largest accepted request body (bytes). */
export const MAX_BODY_BYTES = 256 * 1024;

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;
type Result = APIGatewayProxyStructuredResultV2;
type Middleware = middy.MiddlewareObj<Event, Result>;

/** Headers on every answer of the API: nothing is cached, nothing is sniffed. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** What the middlewares learned about one request, for the next ones and the use case. */
export interface EdgeState {
  declaration: DeclaredRoute;
  headers: Record<string, string>;
  actor?: Actor;
  /** Whether the caller is a registered user (a token may name someone nobody created yet). */
  registered?: boolean;
  /** The body as JSON, before validation (what an Idempotency-Key's fingerprint is taken of). */
  rawBody?: unknown;
  params?: Record<string, string>;
  body?: unknown;
  query?: unknown;
  idempotency?: IdempotencyRequest;
  /** The version a write is based on: `expectedVersion` in the body or `If-Match`. */
  version?: number;
  /** The media type of the answer the caller asked for (JSON unless the route has others). */
  representation?: string;
}

const states = new WeakMap<object, EdgeState>();

/** The state the middlewares built for this event (set by {@link resolveDeclaration}). */
export function edgeState(event: Event): EdgeState {
  const state = states.get(event);
  if (!state) throw new Error('edge state missing: resolveDeclaration must run first');
  return state;
}

/** A middleware that acts before the use case, on the edge state of the request and its event. */
function onRequest(act: (state: EdgeState, event: Event) => void | Promise<void>): Middleware {
  return { before: (request) => act(edgeState(request.event), request.event) };
}

function lowerCaseHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on every answer, errors included. */
export function securityHeaders(): Middleware {
  const add = (request: middy.Request<Event, Result>) => {
    if (request.response) {
      request.response.headers = { ...(request.response.headers ?? {}), ...SECURITY_HEADERS };
    }
  };
  return { after: add, onError: add };
}

/**
 * Errors → RFC 9457 problem+json. A known error (a status below 500) is shown to the caller;
 * anything else is a generic 500 whose details go to the log only.
 */
export function problemResponses(): Middleware {
  return {
    onError: (request) => {
      const requestId = (request.context as { awsRequestId?: string } | undefined)?.awsRequestId;
      const mapped = toProblem(request.error);
      if (!mapped) {
        logger.error('Unhandled error', { error: request.error as Error, requestId });
        request.response = {
          statusCode: 500,
          headers: { 'content-type': PROBLEM_CONTENT_TYPE },
          body: JSON.stringify({
            ...INTERNAL_PROBLEM,
            ...(requestId ? { instance: `urn:request:${requestId}` } : {}),
          }),
        };
        return;
      }
      request.response = {
        statusCode: mapped.problem.status,
        headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...mapped.headers },
        body: JSON.stringify(mapped.problem),
      };
    },
  };
}

/** Finds the route's declaration by the event's route key; a key the handler does not serve is 404. */
export function resolveDeclaration(routes: ReadonlyMap<string, DeclaredRoute>): Middleware {
  return {
    before: (request) => {
      const declaration = routes.get(request.event.routeKey);
      if (!declaration) {
        throw new HttpProblem(404, 'not-found', 'Not Found', `No route ${request.event.routeKey}.`);
      }
      states.set(request.event, { declaration, headers: lowerCaseHeaders(request.event.headers) });
    },
  };
}

const unauthorized = (detail: string) =>
  new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });

/**
 * The user id a token names. Cognito access tokens carry the user name as `username` (their `sub`
 * is a UUID); local tokens are shaped the same. Tokens without `username` fall back to `sub`.
 * The id reaches table keys, so it must be a valid id (1-128 characters).
 */
export function userIdOf(claims: Record<string, unknown> | undefined): string {
  if (claims?.token_use !== undefined && claims.token_use !== 'access') {
    // An ID token names its user as `cognito:username`, and is meant for the client, not for APIs.
    throw unauthorized('Send the access token, not the ID token.');
  }
  const name = claims?.username ?? claims?.sub;
  if (typeof name !== 'string' || name === '') throw unauthorized('A valid bearer token is required.');
  if (!ID_PATTERN.test(name)) {
    throw unauthorized('The token does not name a valid user (1-128 characters of A-Z a-z 0-9 _ . : -).');
  }
  return name;
}

/**
 * The token's `cognito:groups`. API Gateway's HTTP API JWT authorizer hands every claim to Lambda
 * as a string, and a list as its items between brackets, space-separated (`"[admin ops]"`); a
 * single group may also come bare (`"admin"`). A real array is accepted too, for a direct invoke
 * that passes the decoded token. Only the outer brackets are list syntax: Cognito group names
 * have no whitespace but may hold brackets or commas, so neither is stripped or split inside.
 * See docs/decisions.md ("JWT claims as API Gateway passes them").
 */
export function groupsOf(claims: Record<string, unknown> | undefined): string[] {
  const groups = claims?.['cognito:groups'];
  if (Array.isArray(groups)) return groups.map(String);
  if (typeof groups !== 'string') return [];
  const text = groups.trim();
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return inner.split(/\s+/).filter((group) => group !== '');
}

/** Whether the token names `admin` among its groups (exactly: `administrators` is not `admin`). */
export function inAdminGroup(claims: Record<string, unknown> | undefined): boolean {
  return groupsOf(claims).includes('admin');
}

/** The caller: anonymous on public routes, else the user the token names (looked up once). */
export function identifyCaller(users: () => CallerStore): Middleware {
  return onRequest(async (state, event) => {
    if ('public' in state.declaration.access) {
      state.actor = actorFor({ subject: 'anonymous', adminClaim: false }, undefined);
      return;
    }
    const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
    const subject = userIdOf(claims);
    const store = users();
    const ahead = readAheadOf(state.declaration, event);
    const user =
      ahead.length > 0 && store.getWith ? await store.getWith(subject, ahead) : await store.get(subject);
    state.registered = user !== undefined;
    state.actor = actorFor({ subject, adminClaim: inAdminGroup(claims) }, user);
  });
}

/** The caller's store; `getWith` reads the caller together with what the request is about. */
export interface CallerStore extends UserStore {
  getWith?(id: string, ahead: readonly ReadAhead[]): Promise<User | undefined>;
}

/**
 * What the route declares it reads ({@link DeclaredRoute.readAhead}), named by the `{id}` path
 * parameter (and, for a CI, the `at` query parameter): nothing when they are malformed, since
 * validation refuses those requests anyway.
 */
function readAheadOf(declaration: DeclaredRoute, event: Event): ReadAhead[] {
  const kind = declaration.readAhead;
  const id = event.pathParameters?.id;
  if (kind === undefined || id === undefined || !ID_PATTERN.test(id)) return [];
  const at = kind === 'ci' ? event.queryStringParameters?.at : undefined;
  if (at === undefined) return [{ kind, id }];
  const instant = new Date(at);
  return Number.isNaN(instant.getTime()) ? [] : [{ kind, id, at: instant.toISOString() }];
}

/** The route's declared access, checked before the body is read (403 first, then validation). */
export function requireAccess(): Middleware {
  return onRequest((state) => {
    const access = state.declaration.access;
    const actor = state.actor as Actor;
    if (state.registered === false && !actor.admin && ('admin' in access || 'processes' in access)) {
      throw new ForbiddenError(
        `User ${actor.id} is not registered: an administrator creates it (PUT /users/${actor.id}).`,
      );
    }
    if (!('public' in access)) authorize(actor, access);
  });
}

const JSON_TYPE = /^application\/json\s*(;.*)?$/i;
const MERGE_PATCH_TYPE = /^application\/merge-patch\+json\s*(;.*)?$/i;

/**
 * The body as JSON: at most {@link MAX_BODY_BYTES} (413), only on routes that take one (400), as
 * `application/json` or, where declared, `application/merge-patch+json` (415), well formed (400).
 */
export function jsonBody(): Middleware {
  return onRequest((state, event) => {
    const { declaration } = state;
    if (event.body === undefined || event.body === null || event.body === '') return;
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (raw.byteLength > MAX_BODY_BYTES) {
      throw new HttpProblem(
        413,
        'payload-too-large',
        'Payload Too Large',
        `The body is larger than ${MAX_BODY_BYTES} bytes.`,
      );
    }
    if (!declaration.body) {
      throw new ValidationError('This route takes no body.', [{ path: '(root)', message: 'must be empty' }]);
    }
    const type = state.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(type) && !(declaration.mergePatch && MERGE_PATCH_TYPE.test(type))) {
      throw new HttpProblem(
        415,
        'unsupported-media-type',
        'Unsupported Media Type',
        `Send the body as application/json${declaration.mergePatch ? ' (or application/merge-patch+json)' : ''}.`,
      );
    }
    try {
      state.rawBody = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError('The body is not valid JSON.', [
        { path: '(root)', message: 'is not valid JSON' },
      ]);
    }
  });
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      `The request ${where} is not valid.`,
      fieldErrors(result.error, where === 'body' ? undefined : where),
    );
  }
  return result.data;
}

/** Path parameters (an id that cannot exist is 404), body and query, against the declared schemas. */
export function validateRequest(): Middleware {
  return onRequest((state, event) => {
    const { declaration } = state;
    const params = (event.pathParameters ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined || !ID_PATTERN.test(value)) {
        throw new HttpProblem(
          404,
          'not-found',
          'Not Found',
          `No resource with ${name} "${String(value ?? '').slice(0, 128)}".`,
        );
      }
    }
    state.params = params;
    state.body = declaration.body ? parseWith(declaration.body, state.rawBody, 'body') : undefined;
    state.query = declaration.query
      ? parseWith(declaration.query, event.queryStringParameters ?? {}, 'query')
      : {};
  });
}

const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -');

/**
 * A POST's `Idempotency-Key`, scoped to its caller, with a fingerprint of the request (route, path
 * parameters, body as sent): the same key for another request is refused by the store (422).
 */
export function idempotencyKey(): Middleware {
  return onRequest((state, event) => {
    const key = state.headers['idempotency-key'];
    if (key === undefined || !state.declaration.idempotent) return;
    const parsedKey = IdempotencyKey.safeParse(key);
    if (!parsedKey.success) {
      throw new ValidationError('Bad Idempotency-Key.', fieldErrors(parsedKey.error, 'Idempotency-Key'));
    }
    const fingerprint = createHash('sha256')
      .update(
        `${event.routeKey}\n${JSON.stringify(event.pathParameters ?? {})}\n${JSON.stringify(state.rawBody ?? null)}`,
      )
      .digest('base64url');
    state.idempotency = { scope: (state.actor as Actor).id, key: parsedKey.data, fingerprint };
  });
}

function ifMatchVersion(headers: Record<string, string>): number | undefined {
  const value = headers['if-match'];
  if (value === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  if (!match) {
    throw new ValidationError('If-Match must be an ETag this API issued.', [
      { path: 'If-Match', message: 'is not a version ETag' },
    ]);
  }
  return Number(match[1]);
}

/**
 * The version a write is based on (routes that declare `version`): `expectedVersion` in the body
 * or `If-Match` with an ETag this API issued — both must agree, and a `required` one must be
 * there. It leaves the body, which then holds only the change.
 */
export function baseVersion(): Middleware {
  return onRequest((state) => {
    const needs = state.declaration.version;
    if (!needs) return;
    const fromHeader = ifMatchVersion(state.headers);
    const { expectedVersion: fromBody, ...change } = (state.body ?? {}) as { expectedVersion?: number };
    if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
      throw new ValidationError('expectedVersion and If-Match disagree.', [
        { path: 'expectedVersion', message: `is ${fromBody} but If-Match says ${fromHeader}` },
      ]);
    }
    const version = fromBody ?? fromHeader;
    if (version === undefined && needs === 'required') {
      throw new ValidationError('Say which version the change is based on.', [
        { path: 'expectedVersion', message: 'is required (or send If-Match with the ETag you read)' },
      ]);
    }
    state.body = change;
    if (version !== undefined) state.version = version;
  });
}

/** One media range of an `Accept` header: `type/subtype` (either may be `*`) and its weight. */
interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [range = '', ...params] = part.split(';').map((p) => p.trim());
      const [type = '', subtype = ''] = range.toLowerCase().split('/');
      const q = params
        .map((p) => /^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(p)?.[1])
        .find((v) => v !== undefined);
      return { type, subtype, q: q === undefined ? 1 : Number(q) };
    })
    .filter((r) => r.type !== '' && r.subtype !== '');
}

/**
 * The offered media type an `Accept` header prefers (RFC 9110 §12.5.1): the highest weight of the
 * most specific range matching each; among equals the more specific match, then the first
 * offered. No header, or nothing acceptable: the first offered (a server may ignore `Accept`
 * rather than answer 406, and problems are JSON anyway).
 */
export function preferredMediaType(
  accept: string | undefined,
  offered: readonly [string, ...string[]],
): string {
  const ranges = mediaRanges(accept ?? '');
  let best: { type: string; q: number; specificity: number } | undefined;
  for (const type of offered) {
    const [main, sub] = type.split('/');
    const matches = ranges
      .map((r) => ({
        q: r.q,
        specificity:
          r.type === main && r.subtype === sub
            ? 2
            : r.type === main && r.subtype === '*'
              ? 1
              : r.type === '*'
                ? 0
                : -1,
      }))
      .filter((m) => m.specificity >= 0)
      .sort((a, b) => b.specificity - a.specificity);
    const match = matches[0];
    if (!match || match.q <= 0) continue;
    if (!best || match.q > best.q || (match.q === best.q && match.specificity > best.specificity)) {
      best = { type, q: match.q, specificity: match.specificity };
    }
  }
  return best?.type ?? offered[0];
}

/**
 * The representation of the answer, on routes that declare alternatives (`text/calendar`): the
 * one `?format=` names, else the one `Accept` prefers; JSON on every other route.
 */
export function chooseRepresentation(): Middleware {
  return onRequest((state) => {
    state.representation = JSON_MEDIA_TYPE;
    const alternatives = alternativesOf(state.declaration);
    if (!alternatives) return;
    const format = (state.query as { format?: unknown } | undefined)?.format;
    if (typeof format === 'string') {
      const named = Object.entries(alternatives).find(([, a]) => a.format === format);
      if (named) state.representation = named[0];
      return;
    }
    state.representation = preferredMediaType(state.headers.accept, [
      JSON_MEDIA_TYPE,
      ...Object.keys(alternatives),
    ]);
  });
}
