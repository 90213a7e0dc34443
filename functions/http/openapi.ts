/**
 * Serves the OpenAPI 3.1 document (built once per cold start).
 */
import { httpHandler, route } from '#lib/http';
import { buildOpenApiDocument } from './contract/openapi.ts';

let document: unknown;
const noUsers = { users: { get: async () => undefined } };

export const handler = httpHandler(
  {
    'GET /openapi.json': route({
      public: true,
      run: async () => {
        document ??= buildOpenApiDocument();
        return document;
      },
    }),
  },
  () => noUsers,
);
