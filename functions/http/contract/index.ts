/**
 * Every resource's routes: the one list the route table, the OpenAPI document, the CDK routes and
 * functions, and the local gateway are derived from. A new resource adds its contract module here
 * (docs/adding-a-resource.md).
 */
import type { FunctionSpec } from '#app/function-access';
import { calendarRoutes } from './calendar.ts';
import { changeRoutes } from './changes.ts';
import { ciRoutes } from './cis.ts';
import { kbRoutes } from './kb.ts';
import { metricsRoutes } from './metrics.ts';
import { releaseRoutes } from './releases.ts';
import { type DeclaredRoute, httpEntry } from './route.ts';
import { healthRoutes, openapiRoutes } from './service.ts';
import { slaRoutes } from './slas.ts';
import { taskRoutes } from './tasks.ts';
import { teamRoutes } from './teams.ts';
import { userRoutes } from './users.ts';
import { workflowRoutes } from './workflows.ts';

export const resources = [
  healthRoutes,
  openapiRoutes,
  releaseRoutes,
  changeRoutes,
  taskRoutes,
  ciRoutes,
  workflowRoutes,
  teamRoutes,
  userRoutes,
  kbRoutes,
  slaRoutes,
  metricsRoutes,
  calendarRoutes,
] as const;

/** The `$default` route's function: answers what no declared route matches (404 / 405). */
export const FALLBACK = 'fallback';

/** The Lambda functions that serve the API: one per resource, and the fallback. */
export type HttpHandlerName = (typeof resources)[number]['handler'] | typeof FALLBACK;

/** Every HTTP function with its handler module and grants, by name. */
export const httpFunctions = Object.fromEntries([
  ...resources.map((r) => [r.handler, r.function]),
  [FALLBACK, { entry: httpEntry(FALLBACK), description: 'Unmatched routes: 404 / 405 problem+json' }],
]) as Readonly<Record<HttpHandlerName, FunctionSpec>>;

/** Every declared route, in declaration order. */
export const declaredRoutes: readonly DeclaredRoute[] = resources.flatMap((r) => r.list);
