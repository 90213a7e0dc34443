/**
 * The teams resource's request and response schemas. The handler validates with them and the
 * OpenAPI document is generated from them. Cross-item rules (unique names, members) are the
 * domain's and come back as 400 with the same field paths.
 */
import { MAX_TEAM_MEMBERS, MAX_WORK_GROUPS, TEAM_KINDS } from '#domain/team';
import { ExpectedVersion, Id, PageQuery, pageOf, z } from './common.ts';

const TeamName = z.string().trim().min(1).max(100);
const Description = z.string().max(2000);

export const WorkGroupInput = z
  .object({
    id: Id.optional().openapi({
      description:
        'Keep an existing group (or choose an id on creation). Left out: the id of the same-named group, else a new one.',
    }),
    name: z.string().trim().min(1).max(100).openapi({ description: 'Unique within the team.' }),
  })
  .strict();

const Members = z
  .array(Id)
  .max(MAX_TEAM_MEMBERS)
  .openapi({ description: `User ids (existing users), at most ${MAX_TEAM_MEMBERS}.` });

export const CreateTeamBody = z
  .object({
    name: TeamName,
    kind: z.enum(TEAM_KINDS),
    description: Description.optional(),
    workGroups: z.array(WorkGroupInput).max(MAX_WORK_GROUPS).default([]),
    members: Members.default([]),
    defaultWorkflowId: Id.optional().openapi({ description: 'Release teams only.' }),
  })
  .strict()
  .openapi('CreateTeam');

export const UpdateTeamBody = z
  .object({
    name: TeamName.optional(),
    description: Description.optional().openapi({ description: 'An empty string removes it.' }),
    workGroups: z
      .array(WorkGroupInput)
      .max(MAX_WORK_GROUPS)
      .optional()
      .openapi({ description: 'The complete new list of work groups.' }),
    members: Members.optional().openapi({ description: 'The complete new list of members.' }),
    defaultWorkflowId: Id.nullable().optional().openapi({ description: '`null` removes it.' }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine(
    (b) =>
      b.name !== undefined ||
      b.description !== undefined ||
      b.workGroups !== undefined ||
      b.members !== undefined ||
      b.defaultWorkflowId !== undefined,
    { message: 'must change at least one of name, description, workGroups, members, defaultWorkflowId' },
  )
  .openapi('UpdateTeam');

export const TeamListQuery = PageQuery.extend({
  kind: z.enum(TEAM_KINDS).optional().openapi({ description: 'Only teams of this kind.' }),
}).strict();

export const TeamView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(TEAM_KINDS),
    description: z.string().optional(),
    workGroups: z.array(z.object({ id: z.string(), name: z.string() })),
    members: z.array(z.string()),
    defaultWorkflowId: z.string().optional(),
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Team');

export const TeamPage = pageOf(TeamView).openapi('TeamPage');
export const TeamParams = z.object({ id: Id });
