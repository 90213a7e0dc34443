/**
 * The published contract cannot drift from what is served: a success response is parsed with the
 * zod schema its route declares (functions/http/contract/), and must come out of the parse
 * unchanged — a field the schema does not name (which zod would strip) or a value it would coerce
 * fails. The OpenAPI document is derived from the same schemas; this checks the schemas
 * themselves, the document is checked by an independent validator (openapi-validator.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Resource, RouteDeclaration } from '../../functions/http/contract/route.ts';

interface ServedResponse {
  readonly status: number;
  readonly body: string | undefined;
}

/** Paths (`a.b[2].c`) where two JSON values differ, for the failure message. */
function differences(served: unknown, parsed: unknown, path = ''): string[] {
  if (isDeepStrictEqual(served, parsed)) return [];
  if (served && parsed && typeof served === 'object' && typeof parsed === 'object') {
    const keys = new Set([...Object.keys(served), ...Object.keys(parsed)]);
    return [...keys].flatMap((k) =>
      differences(
        (served as Record<string, unknown>)[k],
        (parsed as Record<string, unknown>)[k],
        Array.isArray(served) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
      ),
    );
  }
  return [`${path || '(body)'}: served ${JSON.stringify(served)}, schema gives ${JSON.stringify(parsed)}`];
}

export function assertResponseMatchesDeclaration(
  resource: Resource<Record<string, RouteDeclaration>>,
  routeKey: string | undefined,
  response: ServedResponse,
): void {
  const declaration = resource.list.find((r) => r.routeKey === routeKey);
  // Problems are the edge's, checked against the document; an undeclared route key is the edge's 404.
  if (!declaration || response.status >= 300) return;
  const declared = declaration.responses[response.status as 200 | 201 | 204];
  if (!declared) {
    throw new Error(`${routeKey} answered ${response.status}, which its declaration does not list.`);
  }
  if (!declared.schema) {
    if (response.body)
      throw new Error(`${routeKey} answered ${response.status} with a body it does not declare.`);
    return;
  }
  const body: unknown = JSON.parse(response.body ?? '');
  const parsed = declared.schema.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `${routeKey} answered ${response.status} with a body its declared schema refuses: ${parsed.error.message}`,
    );
  }
  const drift = differences(body, parsed.data);
  if (drift.length > 0) {
    throw new Error(
      `${routeKey} answered ${response.status} with what its declared schema does not describe:\n${drift.slice(0, 10).join('\n')}`,
    );
  }
}
