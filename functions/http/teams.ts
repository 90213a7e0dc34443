/**
 * Teams resource: a thin edge over the team use cases.
 */
import { ValidationError } from '#domain/errors';
import type { Team } from '#domain/team';
import { createTeam, editTeam, getTeam, listTeams } from '#domain/team-service';
import { type HttpRequest, httpHandler, reply, route } from '#lib/http';
import { type AppPorts, environmentPorts } from '#lib/ports';
import { CreateTeamBody, TeamListQuery, UpdateTeamBody } from './contract/teams.ts';

/** The public shape of a team. */
export function teamView(team: Team) {
  return { ...team };
}

/** The version a write is based on: `expectedVersion` in the body or `If-Match`; one is required. */
function expectedVersion(req: HttpRequest<{ expectedVersion?: number | undefined }, unknown>): number {
  const fromBody = req.body.expectedVersion;
  const fromHeader = req.ifMatchVersion;
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new ValidationError('expectedVersion and If-Match disagree.', [
      { path: 'expectedVersion', message: `is ${fromBody} but If-Match says ${fromHeader}` },
    ]);
  }
  const version = fromBody ?? fromHeader;
  if (version === undefined) {
    throw new ValidationError('Say which version the change is based on.', [
      { path: 'expectedVersion', message: 'is required (or send If-Match with the ETag you read)' },
    ]);
  }
  return version;
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler<AppPorts>(
    {
      'POST /teams': route({
        admin: true,
        body: CreateTeamBody,
        run: async ({ body, actor, idempotency }, p: AppPorts) => {
          const { team, replayed } = await createTeam(body, actor, p, idempotency);
          return reply(201, teamView(team), {
            location: `/teams/${team.id}`,
            etag: `"${team.version}"`,
            ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
          });
        },
      }),
      'GET /teams': route({
        processes: ['change', 'release', 'deployment'],
        query: TeamListQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          const page = await listTeams(query, actor, p);
          return {
            items: page.items.map(teamView),
            ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          };
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
          const team = await editTeam(req.params.id as string, changes, expectedVersion(req), req.actor, p);
          return teamView(team);
        },
      }),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
