import { type AppPorts, environmentPorts } from '#app/ports';
import { createUser, getUser, listUsers, putUser } from '#domain/user/service';
import { httpHandler, written } from '#edge/handler';
import { userRoutes } from './contract/users.ts';

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    userRoutes,
    {
      createUser: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { user, replayed } = await createUser(body, actor, p, idempotency);
        return written(user, { location: `/users/${user.id}`, created: true, replayed });
      },
      listUsers: ({ query, actor }, p: AppPorts) => listUsers(query, actor, p),
      getUser: ({ params, actor }, p: AppPorts) => getUser(params.id as string, actor, p),
      putUser: async ({ params, body, version, actor }, p: AppPorts) => {
        const id = params.id as string;
        const { user, created } = await putUser(id, body, version, actor, p);
        return written(user, { location: `/users/${id}`, created });
      },
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
