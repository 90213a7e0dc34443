import { type AppPorts, environmentPorts } from '#app/ports';
import { createTeam, editTeam, getTeam, listTeams } from '#domain/team/service';
import { httpHandler, written } from '#edge/handler';
import { teamRoutes } from './contract/teams.ts';

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    teamRoutes,
    {
      createTeam: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { team, replayed } = await createTeam(body, actor, p, idempotency);
        return written(team, { location: `/teams/${team.id}`, created: true, replayed });
      },
      listTeams: ({ query, actor }, p: AppPorts) => listTeams(query, actor, p),
      getTeam: ({ params, actor }, p: AppPorts) => getTeam(params.id as string, actor, p),
      editTeam: ({ params, body, version, actor }, p: AppPorts) =>
        editTeam(params.id as string, body, version, actor, p),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
