import type { User } from '#domain/user';
import { createUser, listUsers, putUser } from '#domain/user-service';
import { baseVersion, httpHandler, pageView, route, written } from '#lib/http';
import { type AppPorts, environmentPorts } from '#lib/ports';
import { PageQuery } from './contract/common.ts';
import { CreateUserBody, PutUserBody } from './contract/users.ts';

/** The public shape of a user. */
export function userView(user: User) {
  return { ...user };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler<AppPorts>(
    {
      'POST /users': route({
        admin: true,
        body: CreateUserBody,
        run: async ({ body, actor, idempotency }, p: AppPorts) => {
          const { user, replayed } = await createUser(body, actor, p, idempotency);
          return written(userView(user), { location: `/users/${user.id}`, created: true, replayed });
        },
      }),
      'GET /users': route({
        admin: true,
        query: PageQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          return pageView(await listUsers(query, actor, p), userView);
        },
      }),
      'PUT /users/{id}': route({
        admin: true,
        body: PutUserBody,
        run: async (req, p: AppPorts) => {
          const { expectedVersion: _v, ...profile } = req.body;
          const id = req.params.id as string;
          const { user, created } = await putUser(id, profile, baseVersion(req), req.actor, p);
          return written(userView(user), { location: `/users/${id}`, created });
        },
      }),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
