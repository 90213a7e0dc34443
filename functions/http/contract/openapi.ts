/**
 * The OpenAPI 3.1 document, generated from the route declarations and the very zod schemas the
 * handlers validate with: every status, header and body a route answers is derived from what it
 * declares, so the published contract cannot drift from what is served.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Problem } from './common.ts';
import { declaredRoutes } from './index.ts';
import { type DeclaredRoute, JSON_MEDIA_TYPE, problemStatuses } from './route.ts';
import * as z from './zod.ts';

export const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request: a field, the query, a header or the cursor is not valid (`errors[]` names each)',
  401: 'No valid bearer token',
  403: 'The caller lacks the process, team or role the action needs',
  404: 'No such resource',
  405: 'The path exists, but not with this method (`Allow` lists those it has)',
  409: 'Version conflict: the resource changed since it was read (`currentVersion`)',
  413: 'The body is larger than 256 KiB',
  415: 'The body is not application/json',
  422: 'A business rule refuses the request (`type` names it)',
  500: 'Something went wrong on our side (logged; retry later)',
};

const stringHeader = (description: string) => ({ description, schema: { type: 'string' as const } });

/** Headers on every response. */
const ALWAYS = {
  'Cache-Control': stringHeader('Always `no-store`: answers are never cached.'),
  'X-Content-Type-Options': stringHeader('Always `nosniff`.'),
};

function hasVersion(schema: z.ZodType | undefined): boolean {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape !== undefined && 'version' in shape;
}

/**
 * In AWS, API Gateway's JWT authorizer answers a missing or invalid token (401) and a token
 * without the routes' scopes (403) itself, before any function runs, with its own body; HTTP APIs
 * cannot customise it (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html).
 */
const GatewayMessage = z.object({ message: z.string() }).openapi('GatewayMessage', {
  description: "API Gateway's own answer in AWS: `Unauthorized` or `Forbidden`.",
});

function problemResponse(status: number, r: DeclaredRoute) {
  const byGateway = (status === 401 || status === 403) && !('public' in r.access);
  return {
    description: `${PROBLEM_TITLES[status] ?? 'Problem details'}${byGateway ? '. In AWS, API Gateway answers a missing or invalid token, or one without the routes\' scopes, itself with `{ "message": … }` (application/json).' : ''}`,
    headers: {
      ...ALWAYS,
      ...(status === 401 ? { 'WWW-Authenticate': stringHeader('`Bearer`: send an access token.') } : {}),
      ...(status === 405 ? { Allow: stringHeader('The methods the path has.') } : {}),
    },
    content: {
      'application/problem+json': { schema: Problem },
      ...(byGateway ? { 'application/json': { schema: GatewayMessage } } : {}),
    },
  };
}

function successResponses(r: DeclaredRoute) {
  return Object.fromEntries(
    Object.entries(r.responses).map(([status, response]) => {
      const etag = hasVersion(response?.schema);
      const headers = {
        ...ALWAYS,
        ...(etag ? { ETag: stringHeader('The version, for `If-Match` on the next write.') } : {}),
        ...(status === '201' ? { Location: stringHeader('Where the created resource lives.') } : {}),
        ...(response?.alternatives
          ? { Vary: stringHeader('`Accept`: the representation depends on it (and on `format`).') }
          : {}),
        ...(r.waitable
          ? {
              'Preference-Applied': stringHeader(
                '`wait=N` when the caller sent `Prefer: wait`: the answer waited up to N seconds for the execution.',
              ),
            }
          : {}),
        ...(r.idempotent
          ? {
              'Idempotent-Replayed': stringHeader(
                '`true` when this answers an earlier request with the same `Idempotency-Key`.',
              ),
            }
          : {}),
      };
      return [
        status,
        {
          description: response?.description ?? '',
          headers,
          ...(response?.schema || response?.alternatives
            ? {
                content: {
                  ...(response.schema ? { [JSON_MEDIA_TYPE]: { schema: response.schema } } : {}),
                  ...Object.fromEntries(
                    Object.entries(response.alternatives ?? {}).map(([type, alternative]) => [
                      type,
                      {
                        schema: z.string().openapi({
                          description: `${alternative.description} Asked for with \`Accept: ${type}\` or \`?format=${alternative.format}\`.`,
                        }),
                      },
                    ]),
                  ),
                },
              }
            : {}),
        },
      ];
    }),
  );
}

function requestHeaders(r: DeclaredRoute) {
  const shape: Record<string, z.ZodType> = {};
  if (r.version) {
    shape['If-Match'] = z.string().optional().openapi({
      description: 'The ETag read (the version the change is based on); the same as `expectedVersion`.',
      example: '"3"',
    });
  }
  if (r.idempotent) {
    shape['Idempotency-Key'] = z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
      .optional()
      .openapi({
        description: 'Makes a retry of this POST safe for 24 hours.',
        example: 'create-payroll-42',
      });
  }
  if (r.waitable) {
    shape.Prefer = z.string().optional().openapi({
      description:
        '`wait=N` (RFC 7240): wait up to N seconds (at most 10) for the execution to reach the new stage before answering (`execution.inStep`). Without it the answer comes once the move is committed and the execution follows within moments.',
      example: 'wait=3',
    });
  }
  return Object.keys(shape).length > 0 ? z.object(shape) : undefined;
}

function toRouteConfig(r: DeclaredRoute): RouteConfig {
  const headers = requestHeaders(r);
  const bodyTypes = r.mergePatch
    ? ['application/json', 'application/merge-patch+json']
    : ['application/json'];
  return {
    method: r.method.toLowerCase() as RouteConfig['method'],
    path: r.path.replace(/\{(\w+)\}/g, '{$1}'),
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.handler],
    security: 'public' in r.access ? [] : [{ bearer: [] }],
    request: {
      ...(r.params ? { params: r.params } : {}),
      ...(r.query ? { query: r.query as z.ZodObject } : {}),
      ...(headers ? { headers } : {}),
      ...(r.body
        ? {
            body: {
              required: true,
              content: Object.fromEntries(bodyTypes.map((type) => [type, { schema: r.body as z.ZodType }])),
            },
          }
        : {}),
    },
    responses: {
      ...successResponses(r),
      ...Object.fromEntries(problemStatuses(r).map((s) => [s, problemResponse(s, r)])),
    },
  };
}

/**
 * zod-to-openapi writes a pattern with `RegExp#toString()` and strips only the slashes, so a
 * pattern with a flag (`/…/u`) keeps `/u` and matches nothing. The `u` semantics are what JSON
 * Schema patterns have anyway (ECMA-262 with Unicode), so the flag suffix is simply dropped.
 */
function fixPatterns(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) fixPatterns(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'pattern' && typeof value === 'string') {
      record[key] = value.replace(/\$\/[dgimsuvy]+$/, '$');
    } else {
      fixPatterns(value);
    }
  }
}

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token: from Cognito in AWS (README, "Deploy to AWS"), from `npm run -s token` on the local cloud.',
  });
  for (const r of declaredRoutes) registry.registerPath(toRouteConfig(r));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Release Desk API',
      version: '0.1.0',
      description:
        'ITIL v3 Release and Deployment Management. Errors are RFC 9457 `application/problem+json`. A method a path does not have is answered 405 with `Allow`; an unknown path 404. Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.',
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/' }],
  });
  fixPatterns(document);
  return document;
}
