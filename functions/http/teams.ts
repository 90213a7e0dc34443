import { type AppPorts, environmentPorts } from '#app/ports';
import { createTeam, editTeam, getTeam, listTeams } from '#domain/team/service';
import type { Team } from '#domain/team/team';
import { httpHandler, pageView, written } from '#edge/handler';
import { teamRoutes } from './contract/teams.ts';

/** The public shape of a team. */
export function teamView(team: Team) {
  return { ...team };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    teamRoutes,
    {
      createTeam: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { team, replayed } = await createTeam(body, actor, p, idempotency);
        return written(teamView(team), { location: `/teams/${team.id}`, created: true, replayed });
      },
      listTeams: async ({ query, actor }, p: AppPorts) =>
        pageView(await listTeams(query, actor, p), teamView),
      getTeam: async ({ params, actor }, p: AppPorts) =>
        teamView(await getTeam(params.id as string, actor, p)),
      editTeam: async ({ params, body, version, actor }, p: AppPorts) =>
        teamView(await editTeam(params.id as string, body, version, actor, p)),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
