/**
 * The service's own public routes: liveness and the contract itself.
 */

import { resource, route } from './route.ts';
import * as z from './zod.ts';

export const HealthView = z.object({ status: z.literal('ok'), service: z.string() }).openapi('Health');

export const healthRoutes = resource(
  { name: 'health', description: 'GET /health' },
  {
    health: route({
      method: 'GET',
      path: '/health',
      summary: 'Liveness',
      description: 'Answers without touching any dependency. Needs no token.',
      access: { public: true },
      responses: { 200: { description: 'The service answers', schema: HealthView } },
    }),
  },
);

export const openapiRoutes = resource(
  { name: 'openapi', description: 'GET /openapi.json' },
  {
    openapiDocument: route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document (OpenAPI 3.1)',
      description: 'Needs no token.',
      access: { public: true },
      responses: {
        200: {
          description: 'The OpenAPI 3.1 document',
          schema: z.record(z.string(), z.unknown()).openapi({ type: 'object' }),
        },
      },
    }),
  },
);
