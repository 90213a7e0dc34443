/**
 * The OpenAPI 3.1 document, generated from the very zod schemas the handlers validate with.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { PageQuery, Problem, z } from './common.ts';
import { CreateReleaseBody, ReleasePage, ReleaseParams, ReleaseView, UpdateReleaseBody } from './releases.ts';

const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'Problem details', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );

const jsonBody = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

/** The documented routes: every entry of the route table appears here. */
export function documentedRoutes(): RouteConfig[] {
  const secured = { security: [{ bearer: [] }] };
  return [
    {
      method: 'get',
      path: '/health',
      summary: 'Liveness',
      responses: {
        200: { description: 'The service answers', ...jsonBody(z.object({ status: z.literal('ok') })) },
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1 document' } },
    },
    {
      method: 'post',
      path: '/releases',
      summary: 'Create a release',
      description:
        "Creates a release in its workflow's first stage and starts its Step Functions execution (name = release id). Send `Idempotency-Key` to make retries safe.",
      ...secured,
      request: {
        headers: z.object({ 'Idempotency-Key': z.string().optional() }),
        body: { required: true, ...jsonBody(CreateReleaseBody) },
      },
      responses: {
        201: { description: 'Created', ...jsonBody(ReleaseView) },
        ...problemResponses(400, 401, 403, 413, 415, 422),
      },
    },
    {
      method: 'get',
      path: '/releases',
      summary: 'List releases, newest first',
      ...secured,
      request: { query: PageQuery },
      responses: {
        200: { description: 'A page of releases', ...jsonBody(ReleasePage) },
        ...problemResponses(400, 401, 403),
      },
    },
    {
      method: 'get',
      path: '/releases/{id}',
      summary: 'Read a release',
      ...secured,
      request: { params: ReleaseParams },
      responses: {
        200: { description: 'The release', ...jsonBody(ReleaseView) },
        ...problemResponses(401, 403, 404),
      },
    },
    {
      method: 'patch',
      path: '/releases/{id}',
      summary: 'Edit title, description or planned window',
      description:
        'Needs `expectedVersion` in the body or `If-Match` with the ETag read; a stale version gets 409.',
      ...secured,
      request: {
        params: ReleaseParams,
        headers: z.object({ 'If-Match': z.string().optional() }),
        body: { required: true, ...jsonBody(UpdateReleaseBody) },
      },
      responses: {
        200: { description: 'The edited release', ...jsonBody(ReleaseView) },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  ];
}

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const r of documentedRoutes()) registry.registerPath(r);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Release Desk API',
      version: '0.1.0',
      description: 'ITIL v3 Release and Deployment Management. Errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
  });
}
