/**
 * The users resource's request and response schemas. Team membership is read-only here: the
 * teams resource maintains it.
 */
import { PROCESSES } from '#domain/actor';
import { ExpectedVersion, Id, pageOf, z } from './common.ts';

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
  .object({ id: Id.openapi({ description: "The identity provider's subject (`sub`)." }), ...Profile })
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
export const UserParams = z.object({ id: Id });
