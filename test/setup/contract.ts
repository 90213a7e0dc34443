/**
 * Every response a resource handler gives in any test — unit, integration or end-to-end (the
 * local cloud runs the same handlers in the test's process) — is checked against the published
 * OpenAPI document by an independent validator (test/support/openapi-validator.ts), and every
 * success response is parsed with the zod schema its route declares (test/support/response-schemas.ts).
 * A response the contract does not describe fails the test that caused it.
 */
import { vi } from 'vitest';

vi.mock('../../functions/http/edge/handler.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/http/edge/handler.ts')>();
  const { assertResponseMatchesContract } = await import('../support/openapi-validator.ts');
  const { assertResponseMatchesDeclaration } = await import('../support/response-schemas.ts');
  return {
    ...original,
    httpHandler: ((...args: Parameters<typeof original.httpHandler>) => {
      const handler = original.httpHandler(...args);
      const [resource] = args;
      return Object.assign(
        async (event: Parameters<typeof handler>[0], context: Parameters<typeof handler>[1]) => {
          const result = await handler(event, context);
          const response = {
            status: result.statusCode ?? 200,
            headers: (result.headers ?? {}) as Record<string, string>,
            body: result.body,
          };
          assertResponseMatchesContract(
            event.requestContext?.http?.method ?? 'GET',
            event.rawPath ?? '',
            response,
          );
          assertResponseMatchesDeclaration(resource, event.routeKey, response);
          return result;
        },
        { servedRoutes: handler.servedRoutes },
      );
    }) as typeof original.httpHandler,
  };
});
