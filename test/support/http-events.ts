/**
 * Builders of API Gateway HTTP API (payload 2.0) events, as the JWT authorizer would pass them:
 * every claim a string, a list of groups as `"[a b]"` (infra/local/gateway.ts `apiGatewayClaims`
 * makes the same shape locally; docs/decisions.md "JWT claims as API Gateway passes them").
 */
import type { HttpEvent } from '../../functions/http/edge/handler.ts';
import { releaseBody, taskBody } from './api-bodies.ts';

export interface RequestOptions {
  readonly user?: string | undefined;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly groups?: string[];
  /** Claims as strings, set over the ones `user` and `groups` make (e.g. a raw `cognito:groups`). */
  readonly claims?: Record<string, string>;
}

/** The claims API Gateway would hand on for `user` in `groups`. */
export function claimsFor(options: RequestOptions): Record<string, string> {
  if (!options.user) return { ...(options.claims ?? {}) };
  return {
    sub: options.user,
    ...(options.groups ? { 'cognito:groups': `[${options.groups.join(' ')}]` } : {}),
    ...(options.claims ?? {}),
  };
}

export function httpEvent(routeKey: string, path: string, options: RequestOptions = {}): HttpEvent {
  const [method = 'GET'] = routeKey.split(' ');
  const template = routeKey.split(' ')[1] ?? '';
  const params: Record<string, string> = {};
  const t = template.split('/');
  const p = path.split('?')[0]?.split('/') ?? [];
  t.forEach((seg, i) => {
    if (seg.startsWith('{')) params[seg.slice(1, -1)] = p[i] ?? '';
  });
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.headers ?? {}),
    },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: claimsFor(options),
          scopes: [],
        },
      },
    },
  } as HttpEvent;
}

/** Parses a handler result's JSON body. */
export function bodyOf<T = Record<string, unknown>>(result: { body?: string | undefined }): T {
  return JSON.parse(result.body ?? 'null') as T;
}

/** The e2e tests' release body (test/support/api-bodies.ts), open to any field a handler test needs. */
export const validRelease = (overrides: Record<string, unknown> = {}) => ({ ...releaseBody(), ...overrides });

/** A planned deployment task with a CI update, as a release would carry it. */
export const plannedTask = (overrides: Record<string, unknown> = {}) => ({ ...taskBody(), ...overrides });
