/**
 * The OpenAPI 3.1 document, generated from the very zod schemas the handlers validate with.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { PageQuery, Problem, z } from './common.ts';
import {
  CreateReleaseBody,
  ExecutionViewSchema,
  HistoryPage,
  ReleasePage,
  ReleaseParams,
  ReleaseView,
  TransitionBody,
  TransitionResult,
  UpdateReleaseBody,
} from './releases.ts';
import { CreateTeamBody, TeamListQuery, TeamPage, TeamParams, TeamView, UpdateTeamBody } from './teams.ts';
import { CreateUserBody, PutUserBody, UserPage, UserParams, UserView } from './users.ts';
import { workflowRoutesDoc } from './workflows.ts';

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
    {
      method: 'post',
      path: '/teams',
      summary: 'Create a release or deployment team (administrators)',
      description:
        'Work groups without an id get one (work group ids are unique across teams). Members must be existing users (422 `unknown-users` names the others); their `teamIds` and `workGroupIds` change in the same transaction. Send `Idempotency-Key` to make retries safe.',
      ...secured,
      request: {
        headers: z.object({ 'Idempotency-Key': z.string().optional() }),
        body: { required: true, ...jsonBody(CreateTeamBody) },
      },
      responses: {
        201: { description: 'Created', ...jsonBody(TeamView) },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422),
      },
    },
    {
      method: 'get',
      path: '/teams',
      summary: 'List teams by name',
      description: 'Needs any process (change, release or deployment) or an administrator.',
      ...secured,
      request: { query: TeamListQuery },
      responses: {
        200: { description: 'A page of teams', ...jsonBody(TeamPage) },
        ...problemResponses(400, 401, 403),
      },
    },
    {
      method: 'get',
      path: '/teams/{id}',
      summary: 'Read a team',
      ...secured,
      request: { params: TeamParams },
      responses: {
        200: { description: 'The team', ...jsonBody(TeamView) },
        ...problemResponses(401, 403, 404),
      },
    },
    {
      method: 'patch',
      path: '/teams/{id}',
      summary: 'Edit a team, its work groups or its members (administrators)',
      description:
        "Lists replace the current ones. Needs `expectedVersion` in the body or `If-Match`; a stale version gets 409. The members' user items change in the same transaction; a change touching more than 100 items is refused with 422 `change-too-large`.",
      ...secured,
      request: {
        params: TeamParams,
        headers: z.object({ 'If-Match': z.string().optional() }),
        body: { required: true, ...jsonBody(UpdateTeamBody) },
      },
      responses: {
        200: { description: 'The edited team', ...jsonBody(TeamView) },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
    {
      method: 'post',
      path: '/users',
      summary: 'Create a user and its processes (administrators)',
      description: 'A user with the id already there gets 409. Team membership is set through /teams.',
      ...secured,
      request: {
        headers: z.object({ 'Idempotency-Key': z.string().optional() }),
        body: { required: true, ...jsonBody(CreateUserBody) },
      },
      responses: {
        201: { description: 'Created', ...jsonBody(UserView) },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422),
      },
    },
    {
      method: 'get',
      path: '/users',
      summary: 'List users by id (administrators)',
      ...secured,
      request: { query: PageQuery },
      responses: {
        200: { description: 'A page of users', ...jsonBody(UserPage) },
        ...problemResponses(400, 401, 403),
      },
    },
    {
      method: 'put',
      path: '/users/{id}',
      summary: 'Create a user, or replace its processes, display name and admin flag (administrators)',
      description:
        'Without a version it creates the user (201; 409 if it exists). Replacing needs `expectedVersion` or `If-Match` (200; 409 if stale). Team membership is kept.',
      ...secured,
      request: {
        params: UserParams,
        headers: z.object({ 'If-Match': z.string().optional() }),
        body: { required: true, ...jsonBody(PutUserBody) },
      },
      responses: {
        200: { description: 'Replaced', ...jsonBody(UserView) },
        201: { description: 'Created', ...jsonBody(UserView) },
        ...problemResponses(400, 401, 403, 409, 413, 415),
      },
    },
    {
      method: 'post',
      path: '/releases/{id}/transitions',
      summary: 'Move a release to another stage of its workflow',
      description:
        'Checks the workflow (allowed moves, processes, gates, reasons), commits the move with its `Release Stage Entered` event and signals the execution waiting in the stage left. `execution.inStep` tells whether the execution was seen in the new stage before the answer.',
      ...secured,
      request: { params: ReleaseParams, body: { required: true, ...jsonBody(TransitionBody) } },
      responses: {
        200: { description: 'The release in its new stage', ...jsonBody(TransitionResult) },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
    {
      method: 'get',
      path: '/releases/{id}/history',
      summary: "A release's audit trail: who, when, from → to, why (oldest first)",
      ...secured,
      request: { params: ReleaseParams, query: PageQuery },
      responses: {
        200: { description: 'A page of history entries', ...jsonBody(HistoryPage) },
        ...problemResponses(401, 403, 404),
      },
    },
    {
      method: 'get',
      path: '/releases/{id}/execution',
      summary: "The release's Step Functions execution: status, current state, event history",
      ...secured,
      request: { params: ReleaseParams },
      responses: {
        200: { description: 'The execution', ...jsonBody(ExecutionViewSchema) },
        ...problemResponses(401, 403, 404),
      },
    },
    ...workflowRoutesDoc(),
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
