/**
 * Liveness: answers without touching any dependency, so a slow table never fails the probe.
 */
import { httpHandler, route } from '#lib/http';

const noUsers = { users: { get: async () => undefined } };

export const handler = httpHandler(
  { 'GET /health': route({ public: true, run: async () => ({ status: 'ok', service: 'release-desk' }) }) },
  () => noUsers,
);
