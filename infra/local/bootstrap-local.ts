/**
 * What a fresh local install starts with: an `admin` user holding every process.
 */
import type { AppPorts } from '../../functions/lib/ports.ts';

export async function ensureLocalAdmin(ports: AppPorts): Promise<void> {
  if (await ports.users.get('admin')) return;
  const now = new Date().toISOString();
  await ports.users.put({
    id: 'admin',
    displayName: 'Administrator',
    processes: ['change', 'release', 'deployment'],
    admin: true,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
}
