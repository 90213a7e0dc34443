/**
 * Checks real responses against the published OpenAPI document with an independent validator
 * (Ajv over the document's JSON Schemas, not the project's zod schemas): the status must be
 * declared for the operation, the content type too, the body must match its schema, and every
 * header but the transport ones must be declared. The test setup applies it to every response a
 * handler gives in any test, and the local-cloud client to every answer of the gateway.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildOpenApiDocument } from '../../functions/http/contract/openapi.ts';

type Json = Record<string, unknown>;
interface Operation {
  responses?: Record<
    string,
    { headers?: Record<string, { schema?: Json }>; content?: Record<string, { schema?: Json }> }
  >;
}

// Headers any HTTP answer may carry that the document need not list.
const TRANSPORT = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

let doc: Json | undefined;
let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function document(): Json {
  doc ??= JSON.parse(JSON.stringify(buildOpenApiDocument())) as Json;
  return doc;
}

function validator(pointer: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ ...document(), $id: 'openapi.json' });
  }
  let v = compiled.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `openapi.json#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}

const pointerSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The documented operation for a method and a concrete path (or a route key's template). */
export function findOperation(
  method: string,
  path: string,
): { template: string; operation: Operation } | undefined {
  const paths = (document().paths ?? {}) as Record<string, Record<string, Operation>>;
  const concrete = path.split('?')[0] ?? '';
  for (const [template, ops] of Object.entries(paths)) {
    const t = template.split('/');
    const p = concrete.split('/');
    if (t.length !== p.length) continue;
    if (
      !t.every((seg, i) => seg === p[i] || (seg.startsWith('{') && seg.endsWith('}') && (p[i] ?? '') !== ''))
    ) {
      continue;
    }
    const operation = ops[method.toLowerCase()];
    if (operation) return { template, operation };
  }
  return undefined;
}

export class ContractViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractViolation';
  }
}

/**
 * Throws a ContractViolation when the response breaks the document; does nothing for a method and
 * path the document does not have (404/405 answers, test-only routes).
 */
export function assertResponseMatchesContract(
  method: string,
  path: string,
  response: { status: number; headers: Record<string, string | undefined>; body: string | undefined },
): void {
  const found = findOperation(method, path);
  if (!found) return;
  const where = `${method.toUpperCase()} ${found.template} → ${response.status}`;
  const declared = found.operation.responses?.[String(response.status)];
  if (!declared) throw new ContractViolation(`${where}: status not declared in the OpenAPI document`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers))
    if (v !== undefined) headers[k.toLowerCase()] = String(v);
  const declaredHeaders = new Map(
    Object.entries(declared.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  for (const name of Object.keys(headers)) {
    if (!TRANSPORT.has(name) && !declaredHeaders.has(name)) {
      throw new ContractViolation(`${where}: header ${name} not declared`);
    }
  }
  const body = response.body ?? '';
  if (body === '') {
    if (declared.content && Object.keys(declared.content).length > 0) {
      throw new ContractViolation(`${where}: empty body, but the document declares content`);
    }
    return;
  }
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  if (!declared.content?.[type]) throw new ContractViolation(`${where}: content type "${type}" not declared`);
  // A JSON media type (`application/json`, `…+json`) is checked as JSON; another one (an
  // alternative representation such as `text/calendar`) as the text it is.
  let parsed: unknown = body;
  if (/[/+]json$/.test(type)) {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new ContractViolation(`${where}: the body is not JSON`);
    }
  }
  const pointer = `/paths/${pointerSegment(found.template)}/${method.toLowerCase()}/responses/${response.status}/content/${pointerSegment(type)}/schema`;
  const validate = validator(pointer);
  if (!validate(parsed)) {
    throw new ContractViolation(
      `${where}: body does not match the schema: ${JSON.stringify(validate.errors?.slice(0, 5))}`,
    );
  }
}
