/**
 * The `$default` route: answers what no route matched with a problem — 405 (with Allow) when
 * the path exists under another method, else 404 — instead of API Gateway's bare JSON.
 */

import { httpCorrelation, withTelemetry } from '#app/telemetry';
import type { HttpEvent, HttpResult } from '#edge/handler';
import { SECURITY_HEADERS } from '#edge/middlewares';
import { PROBLEM_CONTENT_TYPE, problemType } from '#edge/problem';
import { resolveRoute } from './route-table.ts';

export const handler = withTelemetry(
  'fallback',
  httpCorrelation,
  async (event: HttpEvent): Promise<HttpResult> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
    const found = resolveRoute(method, path);
    const allowed = 'allowed' in found ? found.allowed : [];
    const status = allowed.length > 0 ? 405 : 404;
    const problem =
      status === 405
        ? {
            type: problemType('method-not-allowed'),
            title: 'Method Not Allowed',
            status,
            detail: `${method} is not allowed on ${path}.`,
          }
        : {
            type: problemType('not-found'),
            title: 'Not Found',
            status,
            detail: `No route ${method} ${path}.`,
          };
    return {
      statusCode: status,
      headers: {
        'content-type': PROBLEM_CONTENT_TYPE,
        ...SECURITY_HEADERS,
        ...(status === 405 ? { allow: allowed.join(', ') } : {}),
      },
      body: JSON.stringify(problem),
    };
  },
);
