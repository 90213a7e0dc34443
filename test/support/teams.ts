/**
 * Test helper: puts users into the bootstrap release team, as an administrator would.
 */

import type { AppPorts } from '../../functions/app/ports.ts';
import { editTeam, ensureBootstrap } from '../../functions/domain/team/service.ts';
import { BOOTSTRAP } from '../../functions/domain/team/team.ts';
import { actorFor } from '../../functions/domain/user/user.ts';

export const RELEASE_TEAM = BOOTSTRAP.releaseTeam.id;

export async function joinTeam(
  ports: AppPorts,
  userIds: readonly string[],
  teamId: string = RELEASE_TEAM,
): Promise<void> {
  await ensureBootstrap(ports);
  const admin = actorFor({ subject: 'admin', adminClaim: true }, undefined);
  const team = await ports.teams.get(teamId);
  if (!team) throw new Error(`no team ${teamId}`);
  const members = [...new Set([...team.members, ...userIds])];
  await editTeam(teamId, { members }, team.version, admin, ports);
}
