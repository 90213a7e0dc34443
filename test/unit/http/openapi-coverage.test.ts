import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../functions/http/contract/openapi.ts';
import { routeTable, splitRouteKey } from '../../../functions/http/route-table.ts';

describe('GET /openapi.json', () => {
  const doc = buildOpenApiDocument() as unknown as {
    openapi: string;
    paths: Record<string, Record<string, { security?: unknown }>>;
  };

  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route the API serves, and only those', () => {
    const served = Object.keys(routeTable).map((key) => {
      const { method, path } = splitRouteKey(key);
      return `${method.toLowerCase()} ${path}`;
    });
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(documented.sort()).toEqual(served.sort());
  });

  it('marks every route but the public ones as needing a bearer token', () => {
    for (const [key, spec] of Object.entries(routeTable)) {
      const { method, path } = splitRouteKey(key);
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op?.security, key).toEqual(spec.public ? [] : [{ bearer: [] }]);
    }
  });
});
