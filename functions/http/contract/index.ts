/**
 * Every resource's routes: the one list the route table, the OpenAPI document, the CDK routes and
 * the local gateway are derived from. A new resource adds its contract module here.
 */
import { releaseRoutes } from './releases.ts';
import type { DeclaredRoute } from './route.ts';
import { healthRoutes, openapiRoutes } from './service.ts';
import { teamRoutes } from './teams.ts';
import { userRoutes } from './users.ts';
import { workflowRoutes } from './workflows.ts';

export const resources = [healthRoutes, openapiRoutes, releaseRoutes, workflowRoutes, teamRoutes, userRoutes];

/** Every declared route, in declaration order. */
export const declaredRoutes: readonly DeclaredRoute[] = resources.flatMap((r) => r.list);
