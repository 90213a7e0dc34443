/**
 * The HTTP edge every resource handler is built with: a middy chain that sizes, parses and
 * validates the request (zod), identifies the caller from the JWT authorizer's claims, runs one
 * use case and shapes the response. Errors become RFC 9457 problem+json here and nowhere else.
 */
import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { type Actor, type Process, requireAdmin, requireProcess } from '#domain/actor';
import { ValidationError } from '#domain/errors';
import type { IdempotencyRequest } from '#domain/release-service';
import { actorFor, type UserStore } from '#domain/user';
import { logger } from './logger.ts';
import { HttpProblem, INTERNAL_PROBLEM, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';

/** Largest accepted request body (bytes). */
export const MAX_BODY_BYTES = 256 * 1024;

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<B, Q> {
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly actor: Actor;
  /** The Idempotency-Key of a POST, scoped to the caller, with the body's fingerprint. */
  readonly idempotency: IdempotencyRequest | undefined;
  /** Version from `If-Match` (an ETag we issued), if sent. */
  readonly ifMatchVersion: number | undefined;
}

/** A response other than "200 with this JSON body". */
export interface Reply {
  readonly [REPLY]: true;
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}
const REPLY = Symbol('reply');

export function reply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { [REPLY]: true, status, body, headers };
}

/** 201 (or 200 for a write that found its resource already there) with Location and ETag. */
export function written(
  body: { version: number },
  options: { location?: string | undefined; created: boolean; replayed?: boolean },
): Reply {
  return reply(options.created ? 201 : 200, body, {
    etag: `"${body.version}"`,
    ...(options.created && options.location ? { location: options.location } : {}),
    ...(options.replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
}

/** A page of domain objects as the API shows it. */
export function pageView<T, V>(page: { items: readonly T[]; nextCursor?: string }, view: (item: T) => V) {
  return { items: page.items.map(view), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/**
 * The version a write is based on: `expectedVersion` in the body or `If-Match` (both must agree).
 * With `required`, one of them must be there.
 */
export function baseVersion(
  req: { body: { expectedVersion?: number | undefined }; ifMatchVersion: number | undefined },
  options: { required: true },
): number;
export function baseVersion(
  req: { body: { expectedVersion?: number | undefined }; ifMatchVersion: number | undefined },
  options?: { required: boolean },
): number | undefined;
export function baseVersion(
  req: { body: { expectedVersion?: number | undefined }; ifMatchVersion: number | undefined },
  options: { required: boolean } = { required: false },
): number | undefined {
  const fromBody = req.body.expectedVersion;
  const fromHeader = req.ifMatchVersion;
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new ValidationError('expectedVersion and If-Match disagree.', [
      { path: 'expectedVersion', message: `is ${fromBody} but If-Match says ${fromHeader}` },
    ]);
  }
  const version = fromBody ?? fromHeader;
  if (version === undefined && options.required) {
    throw new ValidationError('Say which version the change is based on.', [
      { path: 'expectedVersion', message: 'is required (or send If-Match with the ETag you read)' },
    ]);
  }
  return version;
}

export interface Route<P, B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  readonly body?: B;
  readonly query?: Q;
  /** Public routes need no token (health, OpenAPI). */
  readonly public?: boolean;
  /**
   * Processes of which the caller must hold one, checked before the body is even read, so that a
   * caller without them learns nothing from validation errors (403 first).
   */
  readonly processes?: readonly Process[];
  /** Administrators only (checked, like `processes`, before the body is read). */
  readonly admin?: boolean;
  /** Status of a plain return value; default 200. */
  readonly status?: number;
  readonly run: (req: HttpRequest<z.output<B>, z.output<Q>>, ports: P) => Promise<unknown>;
}

/** Declares one route with its schemas, inferring the request's types from them. */
export function route<P, B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodObject>(
  r: Route<P, B, Q>,
): Route<P, B, Q> {
  return r;
}

/** Ports every HTTP handler needs from the composition root. */
export interface EdgePorts {
  readonly users: UserStore;
}

const PATH_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

function problemResult(error: unknown, requestId: string | undefined): HttpResult {
  const mapped = toProblem(error);
  if (!mapped) {
    // Unknown failure: the caller learns nothing about internals; the log keeps everything.
    logger.error('Unhandled error', { error: error as Error, requestId });
    return {
      statusCode: 500,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE },
      body: JSON.stringify({
        ...INTERNAL_PROBLEM,
        ...(requestId ? { instance: `urn:request:${requestId}` } : {}),
      }),
    };
  }
  return {
    statusCode: mapped.problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...mapped.headers },
    body: JSON.stringify(mapped.problem),
  };
}

function lowerCaseHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** zod issues → the `errors[]` of a validation problem, each naming its field's path. */
export function fieldErrors(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  const join = (path: readonly PropertyKey[]) =>
    [...(prefix ? [prefix] : []), ...path.map(String)].join('.') || '(root)';
  return error.issues.flatMap((issue) =>
    // Name each unknown field itself, not the object that holds it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
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

function readBody(event: HttpEvent, headers: Record<string, string>): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new HttpProblem(
      413,
      'payload-too-large',
      'Payload Too Large',
      `The body is larger than ${MAX_BODY_BYTES} bytes.`,
    );
  }
  const type = headers['content-type'] ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported Media Type',
      'Send the body as application/json.',
    );
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON.', [
      { path: '(root)', message: 'is not valid JSON' },
    ]);
  }
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

const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -');

/**
 * Builds a resource handler from its routes. `ports` is called on each invocation (it is memoized
 * by the composition root), so tests and the local cloud can pass their own.
 */
export function httpHandler<P extends EdgePorts>(
  routes: Readonly<Record<string, Route<P, z.ZodType, z.ZodType>>>,
  ports: () => P,
): (event: HttpEvent, context?: { awsRequestId?: string }) => Promise<HttpResult> {
  const base = async (event: HttpEvent): Promise<HttpResult> => {
    const def = routes[event.routeKey];
    if (!def) {
      throw new HttpProblem(404, 'not-found', 'Not Found', `No route ${event.routeKey}.`);
    }
    const headers = lowerCaseHeaders(event.headers);
    const p = ports();
    let actor: Actor;
    if (def.public) {
      actor = actorFor({ subject: 'anonymous', adminClaim: false }, undefined);
    } else {
      const claims = event.requestContext?.authorizer?.jwt?.claims;
      const subject = claims?.sub;
      if (typeof subject !== 'string' || subject === '') {
        throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'A valid bearer token is required.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      const groups = claims?.['cognito:groups'];
      const adminClaim = (
        Array.isArray(groups)
          ? groups
          : String(groups ?? '')
              .replace(/[[\]]/g, '')
              .split(/[ ,]+/)
      ).includes('admin');
      actor = actorFor({ subject, adminClaim }, await p.users.get(subject));
    }
    if (def.admin) requireAdmin(actor);
    if (def.processes) requireProcess(actor, ...def.processes);
    const params = event.pathParameters ?? {};
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined || !PATH_ID.test(value)) {
        throw new HttpProblem(404, 'not-found', 'Not Found', `No resource with ${name} "${value ?? ''}".`);
      }
    }
    const rawBody = readBody(event, headers);
    const body = def.body ? parseWith(def.body, rawBody, 'body') : undefined;
    if (!def.body && rawBody !== undefined) {
      throw new ValidationError('This route takes no body.', [{ path: '(root)', message: 'must be empty' }]);
    }
    const query = def.query ? parseWith(def.query, event.queryStringParameters ?? {}, 'query') : {};
    let idempotency: IdempotencyRequest | undefined;
    const key = headers['idempotency-key'];
    if (key !== undefined && event.requestContext?.http?.method === 'POST') {
      const parsedKey = IdempotencyKey.safeParse(key);
      if (!parsedKey.success)
        throw new ValidationError('Bad Idempotency-Key.', fieldErrors(parsedKey.error, 'Idempotency-Key'));
      const fingerprint = createHash('sha256')
        .update(`${event.routeKey}\n${JSON.stringify(params)}\n${JSON.stringify(rawBody ?? null)}`)
        .digest('base64url');
      idempotency = { scope: actor.id, key: parsedKey.data, fingerprint };
    }
    const result = await def.run(
      {
        body,
        query,
        params: params as Record<string, string>,
        headers,
        actor,
        idempotency,
        ifMatchVersion: ifMatchVersion(headers),
      },
      p,
    );
    if (result && typeof result === 'object' && REPLY in result) {
      const r = result as Reply;
      return json(r.status, r.body, r.headers);
    }
    const version = (result as { version?: unknown } | undefined)?.version;
    return json(def.status ?? 200, result, typeof version === 'number' ? { etag: `"${version}"` } : {});
  };

  const handler = middy<HttpEvent, HttpResult>(base).use({
    onError: (request) => {
      request.response = problemResult(request.error, request.context?.awsRequestId);
    },
  });
  return (event, context) => handler(event, (context ?? {}) as never);
}
