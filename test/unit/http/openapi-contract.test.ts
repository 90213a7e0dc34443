/**
 * The published contract itself: every pattern is a real ECMA-262 `u`-mode pattern that accepts
 * the names the API accepts (checked with an independent validator, Ajv, on real examples), every
 * operation is named and says what it answers, and the public routes need no token.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../../functions/http/contract/index.ts';
import { buildOpenApiDocument } from '../../../functions/http/contract/openapi.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';

type Json = Record<string, unknown>;
const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as {
  info: { license?: { name: string } };
  paths: Record<
    string,
    Record<string, Json & { operationId?: string; responses: Record<string, Json>; parameters?: Json[] }>
  >;
  components: { schemas: Record<string, Json> };
};

function patterns(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) patterns(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'pattern' && typeof v === 'string') out.push(v);
      else patterns(v, out);
    }
  }
  return out;
}

describe('patterns', () => {
  it('every pattern compiles as an ECMA-262 u-mode regular expression, with no JavaScript flags left in it', () => {
    const all = patterns(doc);
    expect(all.length).toBeGreaterThan(3);
    for (const p of all) {
      expect(p, p).not.toMatch(/\/[dgimsuvy]*$/);
      expect(() => new RegExp(p, 'u'), p).not.toThrow();
    }
  });

  it('the workflow definition schema accepts every default workflow and the stage names releases use', () => {
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ ...doc, $id: 'openapi.json' });
    const validate = ajv.compile({ $ref: 'openapi.json#/components/schemas/WorkflowDefinition' });
    for (const [id, definition] of Object.entries(defaultWorkflows)) {
      expect(validate(definition), `${id}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const named = (name: string) => ({
      name: 'W',
      kind: 'release',
      initialStage: name,
      stages: [
        { name, transitions: [{ to: 'Done' }] },
        { name: 'Done', terminal: true },
      ],
    });
    for (const name of [
      'CMDB Update',
      'Backed Out',
      'Développement',
      'Test (UAT)',
      'Go-Live',
      "Manager's OK",
    ]) {
      expect(validate(named(name)), name).toBe(true);
    }
    for (const name of ['Two  spaces', ' Leading', 'Semi;colon']) {
      expect(validate(named(name)), name).toBe(false);
    }
  });
});

describe('operations', () => {
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );

  it('each has a unique operationId, the one its route is declared under', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(declaredRoutes.map((r) => r.operationId)));
  });

  it('declares what the edge answers: 401 and 403 when a token is needed, 404 with an id, 415 with a body, 409 on writes', () => {
    for (const { path, method, op } of operations) {
      const statuses = Object.keys(op.responses);
      const where = `${method} ${path}`;
      const isPublic = (op.security as unknown[]).length === 0;
      for (const s of ['400', '413', '500']) expect(statuses, where).toContain(s);
      if (!isPublic) expect(statuses, where).toEqual(expect.arrayContaining(['401', '403']));
      else expect(statuses, where).not.toContain('401');
      if (path.includes('{')) expect(statuses, where).toContain('404');
      if (op.requestBody) expect(statuses, where).toContain('415');
      if (method !== 'get') expect(statuses, where).toContain('409');
      expect(
        (op.responses['401']?.headers as Json | undefined)?.['WWW-Authenticate'] !== undefined,
        where,
      ).toBe(!isPublic);
    }
  });

  it('names the headers it uses: If-Match and Idempotency-Key in, ETag, Location and Idempotent-Replayed out', () => {
    const post = doc.paths['/releases']?.post;
    expect(post?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Idempotency-Key' })]),
    );
    expect(Object.keys(post?.responses['201']?.headers as Json)).toEqual(
      expect.arrayContaining([
        'ETag',
        'Location',
        'Idempotent-Replayed',
        'Cache-Control',
        'X-Content-Type-Options',
      ]),
    );
    for (const [path, method] of [
      ['/releases/{id}', 'patch'],
      ['/releases/{id}/transitions', 'post'],
      ['/teams/{id}', 'patch'],
      ['/users/{id}', 'put'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.parameters, `${method} ${path}`).toEqual(
        expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'If-Match' })]),
      );
    }
    expect(Object.keys(doc.paths['/releases/{id}']?.get?.responses['200']?.headers as Json)).toContain(
      'ETag',
    );
  });

  it('marks the public routes with an empty security list, has a license and ids of the right kind', () => {
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/openapi.json']?.get?.security).toEqual([]);
    expect(doc.info.license?.name).toBeTruthy();
    const example = (path: string, method: string) =>
      (
        (doc.paths[path]?.[method]?.parameters ?? []) as { name: string; schema?: { example?: string } }[]
      ).find((p) => p.name === 'id')?.schema?.example;
    expect(example('/releases/{id}', 'get')).toMatch(/^rel_/);
    expect(example('/teams/{id}', 'get')).toMatch(/^team_/);
    expect(example('/users/{id}', 'get')).not.toMatch(/^rel_/);
    expect(example('/workflows/{id}', 'get')).not.toMatch(/^rel_/);
  });
});
