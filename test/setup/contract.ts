/**
 * Every response a resource handler gives in any test — unit, integration or end-to-end (the
 * local cloud runs the same handlers in the test's process) — is checked against the published
 * OpenAPI document by an independent validator (test/support/openapi-validator.ts). A response
 * the document does not describe fails the test that caused it.
 */
import { vi } from 'vitest';

vi.mock('../../functions/http/edge/handler.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/http/edge/handler.ts')>();
  const { assertResponseMatchesContract } = await import('../support/openapi-validator.ts');
  return {
    ...original,
    httpHandler: ((...args: Parameters<typeof original.httpHandler>) => {
      const handler = original.httpHandler(...args);
      return async (event, context) => {
        const result = await handler(event, context);
        assertResponseMatchesContract(event.requestContext?.http?.method ?? 'GET', event.rawPath ?? '', {
          status: result.statusCode ?? 200,
          headers: (result.headers ?? {}) as Record<string, string>,
          body: result.body,
        });
        return result;
      };
    }) as typeof original.httpHandler,
  };
});
