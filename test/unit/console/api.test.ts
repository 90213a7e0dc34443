/**
 * console/src/api.ts in Node, sessionStorage and fetch stubbed: historyOf reads a subject's whole
 * history, page after page (the API answers 20 entries unless asked), so the timeline and the
 * graph's taken transitions miss nothing; the session keeps an ID token only with the sign-in
 * that brought it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { historyOf, session } from '../../../console/src/api.ts';

const entry = (n: number) => ({ id: `h${n}`, type: 'Release Moved', occurredAt: '2026-11-27T00:00:00Z' });

beforeEach(() => {
  const store = new Map<string, string>([['release-desk-token', 'TOKEN']]);
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
    removeItem: (k: string) => store.delete(k),
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('historyOf', () => {
  it('follows nextCursor, 100 at a time, and keeps the order', async () => {
    const pages = [
      { items: Array.from({ length: 100 }, (_, i) => entry(i)), nextCursor: 'c1' },
      { items: Array.from({ length: 100 }, (_, i) => entry(100 + i)), nextCursor: 'c2' },
      { items: [entry(200), entry(201)] },
    ];
    const fetchFn = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
      Response.json(pages.shift()),
    );
    vi.stubGlobal('fetch', fetchFn);
    const items = await historyOf('/releases/rel_1');
    expect(items.map((e) => e.id)).toEqual(Array.from({ length: 202 }, (_, i) => `h${i}`));
    expect(fetchFn.mock.calls.map(([url]) => String(url))).toEqual([
      '/releases/rel_1/history?limit=100',
      '/releases/rel_1/history?limit=100&cursor=c1',
      '/releases/rel_1/history?limit=100&cursor=c2',
    ]);
    const [, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer TOKEN');
  });

  it('stops at its cap, so a runaway history cannot hang the tab', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Response.json({ items: Array.from({ length: 100 }, (_, i) => entry(i)), nextCursor: 'more' }),
      ),
    );
    expect(await historyOf('/changes/chg_1', 300)).toHaveLength(300);
  });
});

describe('session', () => {
  it("keeps the hosted UI's ID token with its sign-in, and drops it on a sign-in without one", () => {
    session.set('ACCESS-1', 'ann', 'ID-1');
    expect([session.token(), session.user(), session.idToken()]).toEqual(['ACCESS-1', 'ann', 'ID-1']);
    // A pasted token (or the local sign-in) has no ID token: the last one is not ann's to use any more.
    session.set('ACCESS-2', 'bob');
    expect([session.token(), session.user(), session.idToken()]).toEqual(['ACCESS-2', 'bob', null]);
    session.set('ACCESS-3', 'ann', 'ID-3');
    session.clear();
    expect([session.token(), session.user(), session.idToken()]).toEqual([null, null, null]);
  });
});
