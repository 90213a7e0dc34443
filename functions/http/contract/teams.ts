/**
 * The teams resource's request and response schemas. The handler validates with them and the
 * OpenAPI document is generated from them. Cross-item rules (unique names, members) are the
 * domain's and come back as 400 with the same field paths.
 */
import { teamAccess } from '#domain/team/service';
import { MAX_TEAM_MEMBERS, MAX_WORK_GROUPS, TEAM_KINDS } from '#domain/team/team';
import { ExpectedVersion, Id, idOf, PageQuery, pageOf, z } from './common.ts';
import { resource, route } from './route.ts';

const TeamName = z.string().trim().min(1).max(100);
const Description = z.string().max(2000);

export const WorkGroupInput = z
  .object({
    id: idOf('wg_release').optional().openapi({
      description:
        'Keep an existing group (or choose an id on creation). Left out: the id of the same-named group, else a new one.',
    }),
    name: z.string().trim().min(1).max(100).openapi({ description: 'Unique within the team.' }),
  })
  .strict();

const Members = z
  .array(idOf('bob'))
  .max(MAX_TEAM_MEMBERS)
  .openapi({ description: `User ids (existing users), at most ${MAX_TEAM_MEMBERS}.` });

export const CreateTeamBody = z
  .object({
    name: TeamName,
    kind: z.enum(TEAM_KINDS),
    description: Description.optional(),
    workGroups: z.array(WorkGroupInput).max(MAX_WORK_GROUPS).default([]),
    members: Members.default([]),
    defaultWorkflowId: idOf('release-default').optional().openapi({ description: 'Release teams only.' }),
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
    defaultWorkflowId: idOf('release-default')
      .nullable()
      .optional()
      .openapi({ description: '`null` removes it.' }),
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
export const TeamParams = z.object({ id: Id.openapi({ example: 'team_release' }) });

/** The teams resource's routes. */
export const teamRoutes = resource(
  { name: 'teams', description: 'Teams resource', table: 'write' },
  {
    createTeam: route({
      method: 'POST',
      path: '/teams',
      summary: 'Create a release or deployment team (administrators)',
      description:
        'Work groups without an id get one (work group ids are unique across teams). Members must be existing users (422 `unknown-users` names the others); their `teamIds` and `workGroupIds` change in the same transaction. Send `Idempotency-Key` to make retries safe.',
      access: teamAccess.create,
      body: CreateTeamBody,
      idempotent: true,
      problems: [409],
      responses: {
        201: { description: 'Created (or replayed: `Idempotent-Replayed: true`)', schema: TeamView },
      },
    }),
    listTeams: route({
      method: 'GET',
      path: '/teams',
      summary: 'List teams by name',
      description: 'Needs any process (change, release or deployment) or an administrator.',
      access: teamAccess.read,
      query: TeamListQuery,
      responses: { 200: { description: 'A page of teams', schema: TeamPage } },
    }),
    getTeam: route({
      method: 'GET',
      path: '/teams/{id}',
      summary: 'Read a team',
      access: teamAccess.read,
      params: TeamParams,
      responses: { 200: { description: 'The team', schema: TeamView } },
    }),
    editTeam: route({
      method: 'PATCH',
      path: '/teams/{id}',
      summary: 'Edit a team: name, description, work groups, members, default workflow (administrators)',
      description:
        'Needs `expectedVersion` in the body or `If-Match` with the ETag read; a stale version gets 409. Members and work groups are replaced by the lists sent.',
      access: teamAccess.edit,
      params: TeamParams,
      body: UpdateTeamBody,
      version: 'required',
      mergePatch: true,
      problems: [422],
      responses: { 200: { description: 'The edited team', schema: TeamView } },
    }),
  },
);
