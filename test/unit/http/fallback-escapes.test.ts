/**
 * The AWS fallback function (the `$default` route) shares the route table: a path with a
 * malformed percent-escape is a 404 or 405 problem, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/fallback.ts';
import { resolveRoute } from '../../../functions/http/route-table.ts';
import { httpEvent } from '../../support/http-events.ts';

describe('malformed percent-escapes', () => {
  it.each(['/releases/%', '/users/%C0', '/teams/%E0%A4%A', '/releases/%/history'])(
    '%s resolves without throwing',
    (path) => {
      expect(() => resolveRoute('GET', path)).not.toThrow();
    },
  );

  it('answers 405 with Allow for a method the path lacks, 404 for no path, with the security headers', async () => {
    const wrong = await handler({
      ...httpEvent('$default', '/releases/%'),
      requestContext: { http: { method: 'DELETE' } },
    } as never);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers).toMatchObject({
      allow: 'GET, PATCH',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    const none = await handler({ ...httpEvent('$default', '/nowhere/%'), rawPath: '/nowhere/%' } as never);
    expect(none.statusCode).toBe(404);
  });
});
