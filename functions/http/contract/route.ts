/**
 * How a route is declared: once, in its resource's contract module. The route table (CDK routes,
 * local gateway, 404/405 fallback), the OpenAPI document and the edge's checks (who may call, what
 * it takes) are all derived from these declarations; a handler module only binds use cases to them.
 */

import type { FunctionAccess, FunctionSpec } from '#app/function-access';
import type { ReadAheadKind } from '#app/request-scope';
import type { Access } from '#domain/actor';
import * as z from './zod.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Whether a write must say which version it is based on, or may (a PUT that can also create). */
export type VersionNeed = 'required' | 'optional';

/**
 * Who may call a route, checked before the body is read (so a caller without it learns nothing
 * from validation errors): public, or the access its use case declares (`…Access` in the
 * aggregate's service), which the use case checks again. Finer rules (team membership, workflow
 * processes) are the use case's.
 */
export type RouteAccess = { readonly public: true } | Access;

/** The media type of every body the API answers with, unless a route declares another one. */
export const JSON_MEDIA_TYPE = 'application/json';

/**
 * Another representation of a success response (e.g. `text/calendar`): the same answer, as text
 * in that media type. A caller asks for it with `Accept` or with `?format=<format>` (which wins:
 * a calendar app cannot always set headers).
 */
export interface AlternativeRepresentation {
  /** The value of the `format` query parameter that asks for it (`json` asks for the JSON one). */
  readonly format: string;
  readonly description: string;
}

export interface SuccessResponse {
  readonly description: string;
  /** The JSON body; an object schema with a numeric `version` also gets an `ETag` header. */
  readonly schema?: z.ZodType;
  /**
   * Other representations of the same answer, by media type. The route's query must take
   * `format` ({@link formatQuery}); its answers carry `Vary: Accept`.
   */
  readonly alternatives?: Readonly<Record<string, AlternativeRepresentation>>;
}

export interface RouteDeclaration<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  V extends VersionNeed | undefined = VersionNeed | undefined,
> {
  readonly method: Method;
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: RouteAccess;
  readonly params?: z.ZodObject;
  readonly query?: Q;
  readonly body?: B;
  /**
   * A write based on a version read: `expectedVersion` in the body or `If-Match` with the ETag
   * (both must agree; a stale one is 409); `required` when it must be sent.
   */
  readonly version?: V;
  /** A POST that takes `Idempotency-Key`; a replay answers `Idempotent-Replayed: true`. */
  readonly idempotent?: boolean;
  /**
   * A move that takes `Prefer: wait=N`: the answer then waits up to N seconds (at most 10) until
   * the execution is in the new stage, and says so with `Preference-Applied`.
   */
  readonly waitable?: boolean;
  /** A PATCH that also takes `application/merge-patch+json`. */
  readonly mergePatch?: boolean;
  readonly responses: Readonly<Partial<Record<200 | 201 | 204, SuccessResponse>>>;
  /** Problem statuses the use case itself may answer beyond those derived below (e.g. 409, 422). */
  readonly problems?: readonly number[];
  /**
   * What the `{id}` path parameter names, when the use case reads it: the edge reads it in the
   * same BatchGetItem as the caller (a CI with `at`: that Query, in parallel), saving a round trip.
   */
  readonly readAhead?: ReadAheadKind;
  /** Example values of the path parameters (ids of the right kind), for the document. */
  readonly examples?: Readonly<Record<string, string>>;
}

/** A declaration with its resource's handler and its operation id (its key in the module). */
export interface DeclaredRoute extends RouteDeclaration {
  readonly operationId: string;
  /** The resource's function (its name; its module is `functions/http/<name>.ts`). */
  readonly handler: string;
  readonly routeKey: string;
}

/** Declares one route, keeping its schemas' types for the handler that implements it. */
export function route<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  V extends VersionNeed | undefined = undefined,
>(declaration: RouteDeclaration<B, Q, V>): RouteDeclaration<B, Q, V> {
  return declaration;
}

/**
 * The Lambda function that serves a resource: its name, which is also its handler module's
 * (`functions/http/<name>.ts`, exporting `handler` and, when it needs ports, `createHandler`),
 * and what it may touch (its grants in the stack).
 */
export interface ResourceFunction<H extends string = string> extends FunctionAccess {
  readonly name: H;
  readonly description: string;
}

/** A resource's routes, all served by one function; keys are the operation ids. */
export interface Resource<R extends Record<string, RouteDeclaration>, H extends string = string> {
  readonly handler: H;
  readonly function: FunctionSpec;
  readonly routes: R;
  readonly list: readonly DeclaredRoute[];
}

/** The handler module of an HTTP function. */
export const httpEntry = (name: string): string => `functions/http/${name}.ts`;

export function resource<H extends string, R extends Record<string, RouteDeclaration>>(
  fn: ResourceFunction<H>,
  routes: R,
): Resource<R, H> {
  const { name, ...access } = fn;
  return {
    handler: name,
    function: { entry: httpEntry(name), ...access },
    routes,
    list: Object.entries(routes).map(([operationId, r]) => ({
      ...r,
      operationId,
      handler: name,
      routeKey: `${r.method} ${r.path}`,
    })),
  };
}

/**
 * The problem statuses a route can answer, derived from what it takes: the edge's own refusals
 * plus those its use case declares. 405 is not an operation's: the fallback answers it for
 * methods a path does not have (documented once, in the document's description).
 */
export function problemStatuses(r: RouteDeclaration): number[] {
  // Every route refuses a body it does not take (400) and reads none past the size limit (413).
  const statuses = new Set<number>([400, 413, 500, ...(r.problems ?? [])]);
  if (!('public' in r.access)) {
    statuses.add(401);
    statuses.add(403);
  }
  if (r.body) statuses.add(415);
  if (r.params) statuses.add(404);
  // Any write can lose to a concurrent one (a stale version, a conflicting transaction).
  if (r.version || r.method !== 'GET') statuses.add(409);
  if (r.idempotent) statuses.add(422);
  return [...statuses].sort((a, b) => a - b);
}

/** The alternative representations of a route's success answer, if it has any. */
export function alternativesOf(
  r: Pick<RouteDeclaration, 'responses'>,
): Readonly<Record<string, AlternativeRepresentation>> | undefined {
  for (const response of Object.values(r.responses)) if (response?.alternatives) return response.alternatives;
  return undefined;
}

/**
 * The `format` query parameter of a route with alternative representations: `json` or the
 * format of one of them (declared once, with the representations it names).
 */
export function formatQuery(alternatives: Readonly<Record<string, AlternativeRepresentation>>) {
  const formats = Object.values(alternatives).map((a) => a.format);
  return z
    .enum(['json', ...formats] as [string, ...string[]])
    .optional()
    .openapi({
      description: `The representation wanted: \`json\` (the default) or ${Object.entries(alternatives)
        .map(([type, a]) => `\`${a.format}\` (${type})`)
        .join(', ')}; it wins over \`Accept\`.`,
    });
}
