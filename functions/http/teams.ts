import type { Team } from '#domain/team';
import { createTeam, editTeam, getTeam, listTeams } from '#domain/team-service';
import { baseVersion, httpHandler, pageView, route, written } from '#lib/http';
import { type AppPorts, environmentPorts } from '#lib/ports';
import { CreateTeamBody, TeamListQuery, UpdateTeamBody } from './contract/teams.ts';

/** The public shape of a team. */
export function teamView(team: Team) {
  return { ...team };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler<AppPorts>(
    {
      'POST /teams': route({
        admin: true,
        body: CreateTeamBody,
        run: async ({ body, actor, idempotency }, p: AppPorts) => {
          const { team, replayed } = await createTeam(body, actor, p, idempotency);
          return written(teamView(team), { location: `/teams/${team.id}`, created: true, replayed });
        },
      }),
      'GET /teams': route({
        processes: ['change', 'release', 'deployment'],
        query: TeamListQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          return pageView(await listTeams(query, actor, p), teamView);
        },
      }),
      'GET /teams/{id}': route({
        processes: ['change', 'release', 'deployment'],
        run: async ({ params, actor }, p: AppPorts) => teamView(await getTeam(params.id as string, actor, p)),
      }),
      'PATCH /teams/{id}': route({
        admin: true,
        body: UpdateTeamBody,
        run: async (req, p: AppPorts) => {
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
      }),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
