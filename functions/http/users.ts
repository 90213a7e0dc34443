import { type AppPorts, environmentPorts } from '#app/ports';
import { createUser, getUser, listUsers, putUser } from '#domain/user/service';
import type { User } from '#domain/user/user';
import { httpHandler, pageView, written } from '#edge/handler';
import { userRoutes } from './contract/users.ts';

/** The public shape of a user. */
export function userView(user: User) {
  return { ...user };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    userRoutes,
    {
      createUser: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { user, replayed } = await createUser(body, actor, p, idempotency);
        return written(userView(user), { location: `/users/${user.id}`, created: true, replayed });
      },
      listUsers: async ({ query, actor }, p: AppPorts) =>
        pageView(await listUsers(query, actor, p), userView),
      getUser: async ({ params, actor }, p: AppPorts) =>
        userView(await getUser(params.id as string, actor, p)),
      putUser: async ({ params, body, version, actor }, p: AppPorts) => {
        const id = params.id as string;
        const { user, created } = await putUser(id, body, version, actor, p);
        return written(userView(user), { location: `/users/${id}`, created });
      },
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
