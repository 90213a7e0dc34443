/**
 * The published contract cannot drift from what is served: a success response is parsed with the
 * zod schema its route declares (functions/http/contract/), and must come out of the parse
 * unchanged — a field the schema does not name (which zod would strip) or a value it would coerce
 * fails. The OpenAPI document is derived from the same schemas; this checks the schemas
 * themselves, the document is checked by an independent validator (openapi-validator.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Resource, RouteDeclaration } from '../../functions/http/contract/route.ts';
import { parseICalendar } from './icalendar.ts';

interface ServedResponse {
  readonly status: number;
  readonly body: string | undefined;
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/**
 * How a test checks a body in an alternative media type a route declares: with an independent
 * parser of that format (a strict RFC 5545 one for `text/calendar`), which throws on a body the
 * format refuses. A media type without a checker here fails the test that received it.
 */
const ALTERNATIVE_CHECKERS: Readonly<Record<string, (body: string) => void>> = {
  'text/calendar': (body) => {
    parseICalendar(body);
  },
};

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
  const contentType = Object.entries(response.headers ?? {})
    .find(([name]) => name.toLowerCase() === 'content-type')?.[1]
    ?.split(';')[0]
    ?.trim();
  if (contentType !== undefined && contentType !== 'application/json' && response.body) {
    if (!declared.alternatives?.[contentType]) {
      throw new Error(
        `${routeKey} answered ${response.status} as ${contentType}, which it does not declare.`,
      );
    }
    const check = ALTERNATIVE_CHECKERS[contentType];
    if (!check) throw new Error(`No checker for ${contentType} bodies in test/support/response-schemas.ts.`);
    try {
      check(response.body);
    } catch (error) {
      throw new Error(
        `${routeKey} answered ${response.status} with a ${contentType} body its format refuses: ${(error as Error).message}`,
      );
    }
    return;
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
