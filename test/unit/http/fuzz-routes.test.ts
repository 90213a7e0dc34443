/**
 * Every declared route, fuzzed in-process through its production handler (the middy chain, on the
 * in-memory world of test/support/fakes.ts): generated path parameters, query strings, headers and
 * bodies (near-valid ones from the route's own schemas, mutated, and garbage) never get a 5xx,
 * every refusal is application/problem+json naming its status, and a refused (4xx) request leaves
 * every stored item exactly as it was (the whole world serialised before and after it). Routes
 * come from the declarations, so a new route is fuzzed without editing this file.
 *
 * FUZZ_RUNS sets the cases per route (1,000 by default; `npm run soak` runs more).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppPorts } from '../../../functions/app/ports.ts';
import { declaredRoutes, resources } from '../../../functions/http/contract/index.ts';
import type { HttpEvent } from '../../../functions/http/edge/handler.ts';
import { inMemoryPorts } from '../../support/fakes.ts';
import { httpEvent, validRelease } from '../../support/http-events.ts';
import { answerProblems, eventFor, requestsTo } from '../../support/route-fuzz.ts';
import { joinTeam } from '../../support/teams.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const T0 = '2026-11-26T10:00:00.000Z';

type Handler = (
  event: HttpEvent,
  context?: unknown,
) => Promise<{
  statusCode?: number;
  headers?: Record<string, unknown>;
  body?: string;
}>;
type Module = { createHandler?: (ports: () => AppPorts) => Handler; handler?: Handler };

const callers = [
  { user: 'rm', admin: false },
  { user: 'cm', admin: false },
  { user: 'tech', admin: false },
  { user: 'nobody', admin: false },
  { user: 'stranger', admin: false },
  { user: 'admin', admin: true },
] as const;

/**
 * Everything stored, as one string: maps and sets in key order, call and read records left out.
 * An object reachable twice (the shared FakeTable, the Step Functions fake behind five ports) is
 * written once, where it is first met.
 */
function snapshot(ports: object): string {
  const seen = new Set<unknown>();
  // The clock, the id generator and the fakes' read counters are not stored state.
  const { clock: _c, ids: _i, ...stores } = ports as Record<string, unknown>;
  return JSON.stringify(stores, function (this: unknown, key, value: unknown) {
    if (key === 'calls' || key === 'reads') return undefined;
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[above]';
    seen.add(value);
    if (value instanceof Map) return [...value].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
    if (value instanceof Set) return [...value].map((x) => JSON.stringify(x)).sort();
    return value;
  });
}

/** A world with callers, a team, and one of each resource, so that ids in paths often exist. */
async function world() {
  const ports = inMemoryPorts({});
  for (const [id, processes] of [
    ['rm', ['release', 'deployment']],
    ['cm', ['change']],
    ['tech', ['deployment']],
    ['nobody', []],
    ['admin', []],
  ] as const) {
    ports.users.seed({
      id,
      processes: [...processes],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  }
  const app = ports as unknown as AppPorts;
  await joinTeam(app, ['rm']);
  const handlers = new Map<string, Handler>();
  for (const r of resources) {
    const mod = (await import(`../../../functions/http/${r.handler}.ts`)) as Module;
    handlers.set(r.handler, mod.createHandler ? mod.createHandler(() => app) : (mod.handler as Handler));
  }
  const ids: string[] = ['rm', 'cm', 'tech', 'release-default', 'team_release'];
  const make = async (handler: string, routeKey: string, user: string, body: unknown, admin = false) => {
    const [, path] = routeKey.split(' ');
    const res = await (handlers.get(handler) as Handler)(
      httpEvent(routeKey, path as string, { user, body, ...(admin ? { groups: ['admin'] } : {}) }),
    );
    const id = JSON.parse(res.body ?? '{}').id;
    expect(res.statusCode, `${routeKey}: ${res.body}`).toBe(201);
    ids.push(id);
  };
  await make('releases', 'POST /releases', 'rm', validRelease());
  await make('changes', 'POST /changes', 'cm', {
    title: 'Fuzz',
    type: 'normal',
    risk: 'low',
    impact: 'low',
    urgency: 'low',
  });
  await make('cis', 'POST /cis', 'rm', { type: 'application', name: 'fuzz-target' });
  const ci = ids.at(-1);
  await make('kb', 'POST /kb', 'cm', { kind: 'known-error', title: 'Fuzz', body: 'Fuzz' });
  await make('slas', 'POST /slas', 'admin', { name: 'Fuzz SLA', ciIds: [ci] }, true);
  return { ports, handlers, ids };
}

describe('every declared route, fuzzed', () => {
  it('fuzzes the routes the declarations list, every one of them', () => {
    expect(declaredRoutes.length).toBeGreaterThan(50);
  });

  it('snapshots every stored item, the Idempotency-Keys included (items of the table in AWS)', async () => {
    const w = await world();
    const before = snapshot(w.ports);
    // Only a key remembered: nothing else changes, so only a snapshot that sees keys differs.
    w.ports.table.commit({
      stale: false,
      writes: 0,
      events: [],
      idempotency: { scope: 'POST /cis', key: 'fuzz-key', fingerprint: 'f' },
      resourceId: 'ci_fuzz',
      write: () => undefined,
    });
    expect(snapshot(w.ports)).not.toBe(before);
  });

  it.each(declaredRoutes.map((r) => [r.routeKey, r] as const))(
    '%s: never a 5xx, refusals are problem+json, a refused request changes nothing',
    async (_key, route) => {
      // A world of its own per route: what other routes created does not slow its snapshots.
      const w = await world();
      const handler = w.handlers.get(route.handler) as Handler;
      let refused = 0;
      let before = snapshot(w.ports);
      await fc.assert(
        fc.asyncProperty(requestsTo(route, w.ids, callers), async (req) => {
          const res = await handler(eventFor(route, req));
          const status = res.statusCode ?? 200;
          const what = `${route.routeKey} ${JSON.stringify(req)} → ${status} ${res.body}`;
          expect(answerProblems(status, res), what).toEqual([]);
          const after = snapshot(w.ports);
          if (status >= 400) {
            refused++;
            expect(after === before, `stored state changed by a refused request: ${what}`).toBe(true);
          }
          before = after;
        }),
        { numRuns: RUNS },
      );
      // Most generated requests are refused: the property is about them.
      expect(refused).toBeGreaterThan(0);
    },
    600_000,
  );
});
