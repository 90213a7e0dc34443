/**
 * Users resource (administrators): a thin edge over the user use cases.
 */
import { ValidationError } from '#domain/errors';
import type { User } from '#domain/user';
import { createUser, listUsers, putUser } from '#domain/user-service';
import { httpHandler, reply, route } from '#lib/http';
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
          return reply(201, userView(user), {
            location: `/users/${user.id}`,
            etag: `"${user.version}"`,
            ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
          });
        },
      }),
      'GET /users': route({
        admin: true,
        query: PageQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          const page = await listUsers(query, actor, p);
          return {
            items: page.items.map(userView),
            ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          };
        },
      }),
      'PUT /users/{id}': route({
        admin: true,
        body: PutUserBody,
        run: async ({ body, params, actor, ifMatchVersion }, p: AppPorts) => {
          const { expectedVersion: fromBody, ...profile } = body;
          if (fromBody !== undefined && ifMatchVersion !== undefined && fromBody !== ifMatchVersion) {
            throw new ValidationError('expectedVersion and If-Match disagree.', [
              { path: 'expectedVersion', message: `is ${fromBody} but If-Match says ${ifMatchVersion}` },
            ]);
          }
          const id = params.id as string;
          const { user, created } = await putUser(id, profile, fromBody ?? ifMatchVersion, actor, p);
          return reply(created ? 201 : 200, userView(user), {
            etag: `"${user.version}"`,
            ...(created ? { location: `/users/${id}` } : {}),
          });
        },
      }),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
