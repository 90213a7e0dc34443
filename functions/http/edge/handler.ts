/**
 * The HTTP edge every resource handler is built with: a middy chain of small middlewares
 * (security headers, problem mapping, caller, access, body, validation, preconditions) in front
 * of one use case per route. Routes are declared once, in `functions/http/contract/`; a handler
 * module only binds each declared route to its use case.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '#app/logger';
import { httpCorrelation, withTelemetry } from '#app/telemetry';
import type { Actor } from '#domain/actor';
import type { IdempotencyRequest } from '#domain/ports';
import {
  alternativesOf,
  type DeclaredRoute,
  JSON_MEDIA_TYPE,
  type Resource,
  type RouteDeclaration,
} from '../contract/route.ts';
import {
  baseVersion,
  type CallerStore,
  chooseRepresentation,
  type EdgeState,
  edgeState,
  idempotencyKey,
  identifyCaller,
  jsonBody,
  problemResponses,
  requireAccess,
  resolveDeclaration,
  securityHeaders,
  validateRequest,
} from './middlewares.ts';

export { MAX_BODY_BYTES } from './middlewares.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<B, Q, V = number | undefined> {
  /** The body as its schema parsed it; without `expectedVersion`, which is `version`. */
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly actor: Actor;
  /** The Idempotency-Key of a POST, scoped to the caller, with the body's fingerprint. */
  readonly idempotency: IdempotencyRequest | undefined;
  /** The version a write is based on (`expectedVersion` or `If-Match`), on routes that declare it. */
  readonly version: V;
  /**
   * The media type the caller asked for: `application/json`, or one of the alternatives the
   * route declares (answer it with {@link representation}).
   */
  readonly representation: string;
}

/** The request a declared route's use case receives, typed from its schemas. */
export type RequestOf<D extends RouteDeclaration> =
  D extends RouteDeclaration<infer B, infer Q, infer V>
    ? HttpRequest<
        [B] extends [z.ZodType] ? Omit<z.output<B>, 'expectedVersion'> : undefined,
        [Q] extends [z.ZodType] ? z.output<Q> : Record<string, never>,
        [V] extends ['required'] ? number : number | undefined
      >
    : never;

/** One use case per declared route of a resource. */
export type Implementation<R extends Record<string, RouteDeclaration>, P> = {
  readonly [K in keyof R]: (req: RequestOf<R[K]>, ports: P) => Promise<unknown>;
};

/** A response other than "200 with this JSON body". */
export interface Reply {
  readonly [REPLY]: true;
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  /** A body of text in this media type (one the route declares as an alternative), not JSON. */
  readonly mediaType?: string;
}
const REPLY = Symbol('reply');

/** 200 with the answer as text in an alternative media type the route declares (`text/calendar`). */
export function representation(mediaType: string, text: string): Reply {
  return { [REPLY]: true, status: 200, body: text, headers: {}, mediaType };
}

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

/** The longest `Prefer: wait` honoured, in seconds (the functions time out after 15). */
export const MAX_WAIT_SECONDS = 10;

/**
 * The caller's `Prefer: wait=N` (RFC 7240 §4.3) in milliseconds, at most {@link MAX_WAIT_SECONDS};
 * undefined when it asks for none (or says it unreadably: a preference is never an error).
 */
export function preferredWaitMs(headers: Readonly<Record<string, string>>): number | undefined {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?(?:\s*[,;]|\s*$)/i.exec(headers.prefer ?? '');
  if (!match) return undefined;
  return Math.min(Number(match[1]), MAX_WAIT_SECONDS) * 1000;
}

/**
 * A move's answer: its body with its ETag and, when the caller preferred to wait, how long it
 * was allowed to (`Preference-Applied`).
 */
export function moved<B extends { version: number }>(body: B, waitMs: number | undefined): Reply {
  return reply(200, body, {
    etag: `"${body.version}"`,
    ...(waitMs !== undefined ? { 'preference-applied': `wait=${waitMs / 1000}` } : {}),
  });
}

/** A page of domain objects as the API shows it. */
export function pageView<T, V>(page: { items: readonly T[]; nextCursor?: string }, view: (item: T) => V) {
  return { items: page.items.map(view), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/** A resource's Lambda handler, naming the routes it serves (`METHOD /path`). */
export type HttpFunction = ((
  event: HttpEvent,
  context?: { awsRequestId?: string },
) => Promise<HttpResult>) & {
  readonly servedRoutes: readonly string[];
};

/** Ports every HTTP handler needs from the composition root. */
export interface EdgePorts {
  readonly users: CallerStore;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** Runs the declared route's use case and shapes its answer (ETag from a `version`). */
async function runUseCase<P>(
  state: EdgeState,
  run: (req: HttpRequest<unknown, unknown>, ports: P) => Promise<unknown>,
  ports: P,
): Promise<HttpResult> {
  const request: HttpRequest<unknown, unknown> = {
    body: state.body,
    query: state.query,
    params: state.params ?? {},
    headers: state.headers,
    actor: state.actor as Actor,
    idempotency: state.idempotency,
    version: state.version,
    representation: state.representation ?? JSON_MEDIA_TYPE,
  };
  const result = await run(request, ports);
  // An answer that depends on `Accept` says so, for caches between the caller and the API.
  const vary: Record<string, string> = alternativesOf(state.declaration) ? { vary: 'Accept' } : {};
  if (result && typeof result === 'object' && REPLY in result) {
    const r = result as Reply;
    if (r.mediaType !== undefined) {
      if (!alternativesOf(state.declaration)?.[r.mediaType]) {
        throw new Error(`${state.declaration.routeKey} does not declare ${r.mediaType} as an alternative.`);
      }
      return {
        statusCode: r.status,
        headers: { 'content-type': `${r.mediaType}; charset=utf-8`, ...vary, ...r.headers },
        body: String(r.body),
      };
    }
    return json(r.status, r.body, { ...vary, ...r.headers });
  }
  const version = (result as { version?: unknown } | undefined)?.version;
  const status = Number(Object.keys(state.declaration.responses)[0] ?? 200);
  const etag: Record<string, string> = typeof version === 'number' ? { etag: `"${version}"` } : {};
  return json(status, result, { ...vary, ...etag });
}

/**
 * Builds a resource's handler: its declared routes, each bound to one use case. `ports` is
 * called on each invocation (memoized by the composition root), so tests and the local cloud can
 * pass their own.
 */
export function httpHandler<P extends EdgePorts, R extends Record<string, RouteDeclaration>>(
  resource: Resource<R>,
  implementation: Implementation<R, P>,
  ports: () => P,
): HttpFunction {
  const byRouteKey = new Map<string, DeclaredRoute>(resource.list.map((r) => [r.routeKey, r]));
  // The compiler holds the implementation to the declarations; this holds a cast or a spread to them.
  const declared = new Set(Object.keys(resource.routes));
  const implemented = Object.keys(implementation);
  const undeclared = implemented.filter((op) => !declared.has(op));
  const missing = [...declared].filter((op) => !(op in implementation));
  if (undeclared.length > 0 || missing.length > 0) {
    throw new Error(
      `The ${resource.handler} handler must serve exactly its declared routes: ${[
        ...undeclared.map((op) => `${op} is not declared`),
        ...missing.map((op) => `${op} has no use case`),
      ].join('; ')}.`,
    );
  }
  const base = async (event: HttpEvent): Promise<HttpResult> => {
    const state = edgeState(event);
    const run = implementation[state.declaration.operationId as keyof R] as unknown as (
      req: HttpRequest<unknown, unknown>,
      ports: P,
    ) => Promise<unknown>;
    return runUseCase(state, run, ports());
  };
  const handler = middy<HttpEvent, HttpResult>(base)
    .use(securityHeaders())
    .use(problemResponses())
    .use(resolveDeclaration(byRouteKey))
    .use(identifyCaller(() => ports().users))
    .use(requireAccess())
    .use(jsonBody())
    .use(validateRequest())
    .use(chooseRepresentation())
    .use(idempotencyKey())
    .use(baseVersion());
  return Object.assign(
    // Each request in a scope of its own: what the store reads ahead for it stays with it; its
    // log lines carry its correlation ids and what it counted is published once it is answered.
    withTelemetry(
      resource.handler,
      httpCorrelation,
      async (event: HttpEvent, context?: { awsRequestId?: string }): Promise<HttpResult> => {
        const started = Date.now();
        const result = await handler(event, (context ?? {}) as never);
        // One line per answer, so a caller's x-correlation-id (or any request) can be found in the
        // logs whatever the outcome (docs/operations.md, "Reading logs"). INFO: quiet locally.
        logger.info('Answered', {
          route: event.routeKey,
          path: event.rawPath,
          status: result.statusCode,
          durationMs: Date.now() - started,
        });
        return result;
      },
    ),
    {
      servedRoutes: resource.list.map((r) => r.routeKey),
    },
  );
}
