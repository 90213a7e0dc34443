/**
 * The public HTTP contract's route table: which handler module serves which route, derived from
 * the routes' declarations (`contract/index.ts`). One source for the CDK stack (API Gateway
 * routes), the local gateway and the fallback handler (which tells 404 from 405).
 */
import { declaredRoutes, type HttpHandlerName } from './contract/index.ts';

export type { HttpHandlerName } from './contract/index.ts';

export interface RouteSpec {
  /** Handler (resource) that serves the route, e.g. `releases`. */
  readonly handler: HttpHandlerName;
  /** Public routes skip the JWT authorizer. */
  readonly public?: boolean;
}

export const routeTable: Readonly<Record<string, RouteSpec>> = Object.fromEntries(
  declaredRoutes.map((r) => [
    r.routeKey,
    {
      handler: r.handler as HttpHandlerName,
      ...('public' in r.access ? { public: true } : {}),
    } satisfies RouteSpec,
  ]),
);

/** A route key split into its method and path template. */
export function splitRouteKey(routeKey: string): { method: string; path: string } {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method, path };
}

/** Matches a concrete path against a template such as `/releases/{id}`; returns the path parameters. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i] as string;
    const actual = p[i] as string;
    if (seg.startsWith('{') && seg.endsWith('}')) {
      if (actual === '') return undefined;
      params[seg.slice(1, -1)] = decodeSegment(actual);
    } else if (seg !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * A path segment percent-decoded; a malformed escape (`%`, `%C0`) is kept as it came, so the
 * route still matches and the handler refuses the id (404) instead of the decoder throwing.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Finds the route for a method and path: the match, or the methods the path allows (for 405). */
export function resolveRoute(
  method: string,
  path: string,
): { routeKey: string; spec: RouteSpec; pathParameters: Record<string, string> } | { allowed: string[] } {
  const allowed: string[] = [];
  for (const [routeKey, spec] of Object.entries(routeTable)) {
    const route = splitRouteKey(routeKey);
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method === method.toUpperCase()) return { routeKey, spec, pathParameters: params };
    allowed.push(route.method);
  }
  return { allowed };
}
