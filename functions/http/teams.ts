import { type AppPorts, environmentPorts } from '#app/ports';
import { createTeam, editTeam, getTeam, listTeams } from '#domain/team/service';
import type { Team } from '#domain/team/team';
import { baseVersion, httpHandler, pageView, written } from '#edge/handler';
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
      editTeam: async (req, p: AppPorts) => {
        const { expectedVersion: _v, ...changes } = req.body;
        const team = await editTeam(
          req.params.id as string,
          changes,
          baseVersion(req, { required: true }),
          req.actor,
          p,
        );
        return teamView(team);
      },
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
