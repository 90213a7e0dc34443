/**
 * The events of the User aggregate: `User Created` and `User Updated`.
 */
import * as z from 'zod';
import { PROCESSES } from '../actor.ts';
import { changeField, countField, defineEvent, idField, nullableField } from '../events.ts';

const userId = idField('The user id (also `detail.subject.id`)');
const processes = (description: string) =>
  z.array(z.enum(PROCESSES).describe('An ITIL process')).describe(description);

export const UserCreated = defineEvent({
  type: 'User Created',
  description:
    'A user was created (POST /users, PUT /users/{id} of a new id, or the bootstrap `admin`). Team membership is not part of it: teams carry it.',
  emittedBy: 'newUser (functions/domain/user/user.ts)',
  subjectKinds: ['user'],
  data: z
    .looseObject({
      userId,
      displayName: nullableField('Display name, or null'),
      processes: processes('ITIL processes held (release implies deployment)'),
      admin: z.boolean().describe('Whether the user is an administrator'),
    })
    .describe('The new user'),
  subscription: { caption: 'new administrators', detail: { data: { admin: [true] } } },
});

export const UserUpdated = defineEvent({
  type: 'User Updated',
  description:
    "A user's profile (display name, processes, admin) was replaced with a different one (PUT /users/{id}). Team membership changes do not emit it.",
  emittedBy: 'replaceUserProfile (functions/domain/user/user.ts)',
  subjectKinds: ['user'],
  data: z
    .looseObject({
      userId,
      version: countField('The user version after the change', 2),
      changed: z
        .looseObject({
          displayName: changeField(nullableField('Display name, or null'), 'New display name'),
          processes: changeField(processes('ITIL processes held'), 'New processes'),
          admin: changeField(z.boolean(), 'New administrator flag'),
        })
        .describe('The fields that changed (at least one), each with its value before and after'),
    })
    .describe('The change'),
  subscription: {
    caption: 'users who became administrators',
    detail: { data: { changed: { admin: { to: [true] } } } },
  },
});
