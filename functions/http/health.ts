/**
 * Liveness: answers without touching any dependency, so a slow table never fails the probe.
 */
import { httpHandler } from '#edge/handler';
import { healthRoutes } from './contract/service.ts';

const noUsers = { users: { get: async () => undefined } };

export const handler = httpHandler(
  healthRoutes,
  { health: async () => ({ status: 'ok', service: 'release-desk' }) },
  () => noUsers,
);
