/**
 * One declaration per route (issue 9): every function of the API is found from the resources'
 * declarations, and its handler module serves exactly the routes declared for it — a route
 * missing from the declarations is unreachable (no gateway route, no OpenAPI entry), and a
 * declared route without a handler would be a 500.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK, httpFunctions, resources } from '../../../functions/http/contract/index.ts';
import { resource, route } from '../../../functions/http/contract/route.ts';
import { type HttpFunction, httpHandler } from '../../../functions/http/edge/handler.ts';
import { routeTable } from '../../../functions/http/route-table.ts';
import { functionSpecs } from '../../../infra/functions.ts';

const root = new URL('../../../', import.meta.url);
const noPorts = () => ({ users: { get: async () => undefined } }) as never;

async function loadHandler(entry: string): Promise<HttpFunction> {
  const module = (await import(new URL(entry, root).href)) as {
    handler: HttpFunction;
    createHandler?: (ports: () => never) => HttpFunction;
  };
  return module.createHandler?.(noPorts) ?? module.handler;
}

describe('declared routes and their handlers', () => {
  it.each(resources.map((r) => [r.handler, r] as const))(
    'the %s handler serves exactly the routes its contract module declares',
    async (_name, r) => {
      const handler = await loadHandler(r.function.entry);
      expect([...handler.servedRoutes].sort()).toEqual(r.list.map((d) => d.routeKey).sort());
    },
  );

  it('every declared route is in the route table, served by its resource’s function, and no other', () => {
    const declared = resources.flatMap((r) => r.list.map((d) => [d.routeKey, r.handler] as const));
    expect(Object.keys(routeTable).sort()).toEqual(declared.map(([k]) => k).sort());
    for (const [routeKey, handler] of declared) expect(routeTable[routeKey]?.handler).toBe(handler);
    // A route key declared twice would be served by whichever came first.
    expect(new Set(declared.map(([k]) => k)).size).toBe(declared.length);
  });

  it('every HTTP function is deployed with its declared module, and every handler module is one', () => {
    for (const [name, spec] of Object.entries(httpFunctions)) {
      expect(functionSpecs[name as keyof typeof functionSpecs]).toEqual(spec);
      expect(spec.entry).toBe(`functions/http/${name}.ts`);
    }
    // Each module directly under functions/http/ is a function's handler, or the route table.
    const modules = readdirSync(new URL('functions/http/', root), { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => e.name.replace(/\.ts$/, ''));
    expect(modules.sort()).toEqual([...Object.keys(httpFunctions), 'route-table'].sort());
    expect(Object.keys(httpFunctions)).toContain(FALLBACK);
  });

  const widgets = resource(
    { name: 'widgets', description: 'A resource of a test' },
    {
      getWidget: route({
        method: 'GET',
        path: '/widgets/{id}',
        summary: 'A widget',
        access: { signedIn: true },
        responses: { 200: { description: 'The widget' } },
      }),
      listWidgets: route({
        method: 'GET',
        path: '/widgets',
        summary: 'Widgets',
        access: { signedIn: true },
        responses: { 200: { description: 'The widgets' } },
      }),
    },
  );

  it('a handler that serves a route its resource does not declare is refused when it is built', () => {
    const implementation = {
      getWidget: async () => ({}),
      listWidgets: async () => ({}),
      deleteWidget: async () => ({}),
    };
    expect(() => httpHandler(widgets, implementation, noPorts)).toThrow(
      'The widgets handler must serve exactly its declared routes: deleteWidget is not declared.',
    );
  });

  it('a handler without a use case for a declared route is refused when it is built', () => {
    const implementation = { getWidget: async () => ({}) } as never;
    expect(() => httpHandler(widgets, implementation, noPorts)).toThrow(
      'The widgets handler must serve exactly its declared routes: listWidgets has no use case.',
    );
  });
});
