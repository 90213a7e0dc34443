/**
 * Serves the OpenAPI 3.1 document (built once per cold start).
 */
import { httpHandler } from '#edge/handler';
import { buildOpenApiDocument } from './contract/openapi.ts';
import { openapiRoutes } from './contract/service.ts';

let document: unknown;
const noUsers = { users: { get: async () => undefined } };

export const handler = httpHandler(
  openapiRoutes,
  {
    openapiDocument: async () => {
      document ??= buildOpenApiDocument();
      return document;
    },
  },
  () => noUsers,
);
