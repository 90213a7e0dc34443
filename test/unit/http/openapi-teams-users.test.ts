import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../functions/http/contract/openapi.ts';
import { routeTable, splitRouteKey } from '../../../functions/http/route-table.ts';

describe('OpenAPI document: teams and users', () => {
  it('documents every teams and users route of the route table, secured by the bearer scheme', () => {
    const doc = buildOpenApiDocument();
    const keys = Object.entries(routeTable)
      .filter(([, spec]) => spec.handler === 'teams' || spec.handler === 'users')
      .map(([key]) => key);
    expect(keys.sort()).toEqual([
      'GET /teams',
      'GET /teams/{id}',
      'GET /users',
      'GET /users/{id}',
      'PATCH /teams/{id}',
      'POST /teams',
      'POST /users',
      'PUT /users/{id}',
    ]);
    for (const key of keys) {
      const { method, path } = splitRouteKey(key);
      const operation = (doc.paths?.[path] as Record<string, { security?: unknown }> | undefined)?.[
        method.toLowerCase()
      ];
      expect(operation, key).toBeDefined();
      expect(operation?.security, key).toEqual([{ bearer: [] }]);
    }
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        'CreateTeam',
        'UpdateTeam',
        'Team',
        'TeamPage',
        'CreateUser',
        'PutUser',
        'User',
      ]),
    );
  });
});
