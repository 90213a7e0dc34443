/**
 * Arbitraries for fuzzing the HTTP edge: requests to a declared route built from what the route
 * declares (its path, its path parameters, its query and body schemas as JSON Schema), some of
 * them near-valid (a schema-shaped value, often mutated) and some garbage. A new route is fuzzed
 * as soon as it is declared (test/unit/http/fuzz-routes.test.ts).
 */
import fc from 'fast-check';
import * as z from 'zod';
import type { DeclaredRoute } from '../../functions/http/contract/route.ts';
import type { HttpEvent } from '../../functions/http/edge/handler.ts';
import { httpEvent } from './http-events.ts';

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
};

/** The JSON Schema of a declared zod schema (what a client sends: its input). */
export function jsonSchemaOf(schema: z.ZodType | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return {};
  }
}

const isoInstant = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Strings a lenient or careless parser trips on. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '\uffff',
    '😀',
    'a'.repeat(300),
    '<script>',
    "' OR 1=1 --",
    '$' + '{jndi:x}',
    'REL#x',
    '#',
    'PT3H',
    'P1Y2M3DT4H5M6S',
    '2026-02-30T00:00:00Z',
    '2026-12-01T20:00:00Z',
    '1e309',
    'NaN',
  ),
);

/** A value shaped by `schema` (depth-limited), valid or close to it. */
export function fromSchema(schema: JsonSchema, root: JsonSchema = schema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() as string;
    const target = root.$defs?.[name] ?? root.definitions?.[name];
    return target ? fromSchema(target, root, depth + 1) : fc.anything();
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => fromSchema(s, root, depth + 1)));
  if (schema.allOf?.length) return fromSchema(schema.allOf[0] as JsonSchema, root, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'date-time') return isoInstant;
      if (schema.format === 'date') return isoInstant.map((s) => s.slice(0, 10));
      if (schema.pattern) {
        try {
          return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= 200);
        } catch {
          // an ECMAScript pattern fast-check cannot invert: any short string
        }
      }
      return fc.string({
        minLength: Math.min(schema.minLength ?? 0, 50),
        maxLength: Math.max(Math.min(schema.maxLength ?? 30, 30), Math.min(schema.minLength ?? 0, 50)),
      });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: schema.maximum ?? 100 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -5, max: schema.maximum ?? 100, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, root, depth + 1) : fc.jsonValue(), {
        minLength: Math.min(schema.minItems ?? 0, 3),
        maxLength: Math.max(Math.min(schema.maxItems ?? 3, 3), Math.min(schema.minItems ?? 0, 3)),
      });
    case 'object': {
      const props = schema.properties ?? {};
      if (Object.keys(props).length === 0)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      return fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, fromSchema(s, root, depth + 1)])),
        { requiredKeys: (schema.required ?? []).filter((k) => k in props) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** One mutation of a near-valid value: a key dropped, retyped or added, or a leaf replaced. */
function mutated(value: unknown): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fc.oneof(fc.jsonValue({ maxDepth: 1 }), nastyString, fc.constant(value));
  }
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return fc.oneof(
    fc.constant(value),
    keys.length
      ? fc.constantFrom(...keys).map((k) => {
          const { [k]: _dropped, ...rest } = record;
          return rest;
        })
      : fc.constant(value),
    keys.length
      ? fc
          .tuple(fc.constantFrom(...keys), fc.oneof(fc.jsonValue({ maxDepth: 1 }), nastyString))
          .map(([k, v]) => ({ ...record, [k]: v }))
      : fc.constant(value),
    fc
      .tuple(
        fc.oneof(nastyString, fc.constantFrom('__proto__', 'expectedVersion', 'id', 'version')),
        fc.jsonValue(),
      )
      .map(([k, v]) => JSON.parse(JSON.stringify({ ...record, [k]: v }))),
  );
}

/** What a request carries besides its route: everything a client controls. */
export interface FuzzRequest {
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly caller: { user: string; admin: boolean };
}

/** Requests to `route`: path parameters from `ids` (existing ones) or anything. */
export function requestsTo(
  route: DeclaredRoute,
  ids: readonly string[],
  callers: readonly { user: string; admin: boolean }[],
): fc.Arbitrary<FuzzRequest> {
  const paramNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const examples = Object.values(route.examples ?? {});
  const param = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids, ...examples, '1', '2') },
    { weight: 1, arbitrary: nastyString.filter((s) => s.length > 0) },
  );
  const params = fc.record(Object.fromEntries(paramNames.map((n) => [n, param]))) as fc.Arbitrary<
    Record<string, string>
  >;
  const querySchema = jsonSchemaOf(route.query);
  const nearQuery = querySchema
    ? fromSchema(querySchema).map((q) =>
        Object.fromEntries(
          Object.entries((q ?? {}) as Record<string, unknown>).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        ),
      )
    : fc.constant({});
  const query = fc.oneof(
    nearQuery,
    fc
      .tuple(nearQuery, fc.dictionary(nastyString, nastyString, { maxKeys: 2 }))
      .map(([a, b]) => ({ ...a, ...b })),
    fc.dictionary(
      fc.constantFrom(
        'limit',
        'cursor',
        'format',
        'from',
        'to',
        'ci',
        'group',
        'status',
        'duration',
        'count',
        'q',
      ),
      nastyString,
      { maxKeys: 3 },
    ),
  );
  const bodySchema = jsonSchemaOf(route.body);
  const near = bodySchema ? fromSchema(bodySchema).chain(mutated) : fc.jsonValue({ maxDepth: 2 });
  const garbage = fc.oneof(nastyString, fc.constantFrom('{', '{"a":', '[1,', 'null', '""', '{}'));
  // A route that takes no body mostly gets none (a body it does not take is a 400 before anything
  // else is looked at); one that takes a body mostly gets a near-valid one.
  const body: fc.Arbitrary<string | undefined> = route.body
    ? fc.oneof(
        { weight: 6, arbitrary: near.map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: garbage },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: garbage },
      );
  const headers = fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json',
        'application/json',
        'application/json',
        'application/json; charset=utf-8',
        'application/merge-patch+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      'if-match': fc.oneof(fc.constantFrom('"1"', '"2"', '*', 'W/"1"', '"x"'), nastyString),
      'idempotency-key': fc.oneof(fc.uuid(), nastyString),
      accept: fc.constantFrom('application/json', 'text/calendar', '*/*', 'text/html', 'application/xml'),
    },
    { requiredKeys: [] },
  );
  return fc.record({
    params,
    query,
    headers: headers as fc.Arbitrary<Record<string, string>>,
    body,
    caller: fc.constantFrom(...callers),
  });
}

/** The API Gateway (payload 2.0) event of a fuzzed request, as the authorizer would pass it. */
export function eventFor(route: DeclaredRoute, req: FuzzRequest): HttpEvent {
  const path = route.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(req.params[n] ?? ''));
  const event = httpEvent(route.routeKey, path, {
    user: req.caller.user,
    ...(req.caller.admin ? { groups: ['admin'] } : {}),
    query: req.query,
    headers: Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => k !== 'content-type' || req.body),
    ),
    ...(req.body === undefined ? {} : { rawBody: req.body }),
  });
  // API Gateway hands path parameters over decoded.
  return Object.keys(req.params).length
    ? ({ ...event, pathParameters: { ...req.params } } as HttpEvent)
    : event;
}

/** A resource's handler module, as the local gateway loads it. */
export type FuzzHandler = (
  event: HttpEvent,
  context?: unknown,
) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;

/** What every fuzzed answer must be: no 5xx; a refusal is problem+json naming its status. */
export function answerProblems(
  status: number,
  res: { headers?: Record<string, unknown>; body?: string },
): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`a ${status}`);
  if (status >= 400) {
    if (!/^application\/problem\+json/.test(String(res.headers?.['content-type'] ?? '')))
      problems.push(`content-type ${String(res.headers?.['content-type'])}`);
    try {
      if (JSON.parse(res.body ?? '{}').status !== status)
        problems.push("a problem whose status is not the answer's");
    } catch {
      problems.push('a body that is not JSON');
    }
  }
  return problems;
}
