/**
 * The users resource's request and response schemas. Team membership is read-only here: the
 * teams resource maintains it.
 */

import { PROCESSES } from '#domain/actor';
import { userAccess } from '#domain/user/service';
import { ExpectedVersion, Id, idOf, PageQuery, pageOf } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

const Processes = z
  .array(z.enum(PROCESSES))
  .max(PROCESSES.length)
  .refine((p) => new Set(p).size === p.length, 'must not repeat a process')
  .openapi({ description: 'Granting `release` grants `deployment` too; the stored list includes it.' });

const Profile = {
  displayName: z.string().trim().max(200).optional(),
  processes: Processes,
  admin: z.boolean().default(false),
};

export const CreateUserBody = z
  .object({
    id: idOf('bob', "The user's name in the identity provider: a Cognito access token's `username`."),
    ...Profile,
  })
  .strict()
  .openapi('CreateUser');

export const PutUserBody = z
  .object({
    ...Profile,
    expectedVersion: ExpectedVersion.optional().openapi({
      description: 'Required to replace an existing user (or send If-Match); left out to create one.',
    }),
  })
  .strict()
  .openapi('PutUser');

export const UserView = z
  .object({
    id: z.string(),
    displayName: z.string().optional(),
    processes: z.array(z.enum(PROCESSES)),
    admin: z.boolean(),
    teamIds: z.array(z.string()),
    workGroupIds: z.array(z.string()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('User');

export const UserPage = pageOf(UserView).openapi('UserPage');
export const UserParams = z.object({ id: Id.openapi({ example: 'alice' }) });

/** The users resource's routes (administrators; a user may read themself). */
export const userRoutes = resource(
  { name: 'users', description: 'Users resource', table: 'write' },
  {
    createUser: route({
      method: 'POST',
      path: '/users',
      summary: 'Create a user and its processes (administrators)',
      description: 'A user with the id already there gets 409. Team membership is set through /teams.',
      access: userAccess.create,
      body: CreateUserBody,
      idempotent: true,
      problems: [409],
      responses: {
        201: { description: 'Created (or replayed: `Idempotent-Replayed: true`)', schema: UserView },
      },
    }),
    listUsers: route({
      method: 'GET',
      path: '/users',
      summary: 'List users by id (administrators)',
      access: userAccess.list,
      query: PageQuery,
      responses: { 200: { description: 'A page of users', schema: UserPage } },
    }),
    getUser: route({
      method: 'GET',
      path: '/users/{id}',
      summary: 'Read a user (administrators, or the user themself)',
      description: 'The `ETag` is the version a replacing PUT sends as `If-Match`.',
      access: userAccess.read,
      params: UserParams,
      responses: { 200: { description: 'The user', schema: UserView } },
    }),
    putUser: route({
      method: 'PUT',
      path: '/users/{id}',
      summary: 'Create a user, or replace its processes, display name and admin flag (administrators)',
      description:
        'Without a version it creates the user (201), or answers 200 when the user already has exactly this profile (so it can be run twice); a different profile needs `expectedVersion` or `If-Match` (the ETag of `GET /users/{id}`), else 409. Team membership is kept.',
      access: userAccess.replace,
      params: UserParams,
      body: PutUserBody,
      version: 'optional',
      responses: {
        200: { description: 'Replaced (or unchanged)', schema: UserView },
        201: { description: 'Created', schema: UserView },
      },
    }),
  },
);
