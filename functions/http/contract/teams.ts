/**
 * The teams resource's request and response schemas. The handler validates with them and the
 * OpenAPI document is generated from them. Cross-item rules (unique names, members) are the
 * domain's and come back as 400 with the same field paths.
 */

import { PACKAGE_TYPES, RELEASE_TYPES, URGENCIES } from '#domain/release/release';
import { MAX_POLICY_RULES, POLICY_ACTIONS } from '#domain/team/policy';
import { teamAccess } from '#domain/team/service';
import {
  DEFAULT_APPROVALS_REQUIRED,
  MAX_APPROVALS_REQUIRED,
  MAX_TEAM_MEMBERS,
  MAX_WORK_GROUPS,
  TEAM_KINDS,
} from '#domain/team/team';
import { ExpectedVersion, Id, idOf, PageQuery, pageOf } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

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

const Approvals = z.number().int().min(1).max(MAX_APPROVALS_REQUIRED);
const defaults = DEFAULT_APPROVALS_REQUIRED;

/** A CAB's policy as sent: any of its levels; the others keep their current (or default) value. */
export const ApprovalPolicyInput = z
  .object({
    low: Approvals.optional().openapi({ description: `Low-risk RFCs (default ${defaults.low}).` }),
    medium: Approvals.optional().openapi({ description: `Medium-risk RFCs (default ${defaults.medium}).` }),
    high: Approvals.optional().openapi({ description: `High-risk RFCs (default ${defaults.high}).` }),
    emergency: Approvals.optional().openapi({
      description: `Emergency RFCs, whatever their risk (default ${defaults.emergency}).`,
    }),
  })
  .strict()
  .openapi('ApprovalPolicyInput', {
    description:
      'CAB teams only (400 on other kinds): approvals an RFC needs at each level, 1 to 50 each. Levels left out keep their current value, or the default on creation. An RFC needs at most as many approvals as the board has members, and at least 1.',
  });

export const ApprovalPolicy = z
  .object({
    low: z.number().int(),
    medium: z.number().int(),
    high: z.number().int(),
    emergency: z.number().int(),
  })
  .openapi('ApprovalPolicy', {
    description:
      'Approvals an RFC needs at each level, as set; an RFC needs at most as many as the board has members, and at least 1.',
  });

const BlackoutOverriders = z.array(idOf('user')).max(MAX_TEAM_MEMBERS).openapi({
  description:
    'Release teams only: members who may override a blackout to deploy an emergency release (a transition with `override: { reason }`).',
});

const Principals = z
  .object({
    workGroups: z
      .array(idOf('wg_emergency'))
      .max(MAX_WORK_GROUPS * 5)
      .optional(),
    users: z.array(idOf('bob')).max(MAX_TEAM_MEMBERS).optional(),
  })
  .strict();

/** One access rule of a release team (`functions/domain/team/policy.ts` decides with them). */
export const PolicyRuleSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .openapi({
        description: 'Unique within the team; every refusal names it (`rule`).',
        example: 'emergency-ops-only',
      }),
    description: z.string().max(500).optional(),
    action: z.enum(POLICY_ACTIONS).openapi({
      description:
        '`create`, `plan` (edit), `move` (to another stage) or `deploy` (enter the deploy stage; start, complete, fail or retry its tasks).',
    }),
    match: z
      .object({
        packageType: z.array(z.enum(PACKAGE_TYPES)).min(1).optional(),
        releaseType: z.array(z.enum(RELEASE_TYPES)).min(1).optional(),
        urgency: z.array(z.enum(URGENCIES)).min(1).optional(),
        businessPriority: z.array(z.number().int().min(1).max(5)).min(1).optional(),
      })
      .strict()
      .optional()
      .openapi({ description: 'The releases it covers; a field left out matches any value.' }),
    from: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: '`move`/`deploy`: moves out of this stage only.' }),
    to: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: '`move`/`deploy`: moves into this stage only.' }),
    allow: Principals.optional().openapi({
      description:
        'Who may (members of these work groups, or these users); left out: anyone the other rules let.',
    }),
    approvals: z.number().int().min(1).max(MAX_TEAM_MEMBERS).optional().openapi({
      description:
        '`move`/`deploy`: distinct approvers the move needs first (POST /releases/{id}/approvals).',
    }),
    approvers: Principals.optional().openapi({
      description: 'Who may approve for this rule; left out: the members of the release team.',
    }),
  })
  .strict()
  .openapi('PolicyRule');

const Policies = z.array(PolicyRuleSchema).max(MAX_POLICY_RULES).openapi({
  description:
    'Release teams only: access rules for its releases (see the README, "Access policies"). The complete list; `[]` removes them.',
});

export const CreateTeamBody = z
  .object({
    name: TeamName,
    kind: z.enum(TEAM_KINDS),
    description: Description.optional(),
    workGroups: z.array(WorkGroupInput).max(MAX_WORK_GROUPS).default([]),
    members: Members.default([]),
    defaultWorkflowId: idOf('release-default').optional().openapi({ description: 'Release teams only.' }),
    approvalsRequired: ApprovalPolicyInput.optional(),
    blackoutOverriders: BlackoutOverriders.optional(),
    policies: Policies.optional(),
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
    approvalsRequired: ApprovalPolicyInput.optional(),
    blackoutOverriders: BlackoutOverriders.optional().openapi({
      description: 'The complete new list; `[]`: nobody may override.',
    }),
    policies: Policies.optional(),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine(
    (b) =>
      b.name !== undefined ||
      b.description !== undefined ||
      b.workGroups !== undefined ||
      b.members !== undefined ||
      b.defaultWorkflowId !== undefined ||
      b.approvalsRequired !== undefined ||
      b.blackoutOverriders !== undefined ||
      b.policies !== undefined,
    {
      message:
        'must change at least one of name, description, workGroups, members, defaultWorkflowId, approvalsRequired, blackoutOverriders, policies',
    },
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
    approvalsRequired: ApprovalPolicy.optional().openapi({
      description: 'CAB teams (always there for them).',
    }),
    blackoutOverriders: z.array(z.string()).optional().openapi({
      description:
        'Release teams: members who may override a blackout for an emergency release (absent: nobody).',
    }),
    policies: z.array(PolicyRuleSchema).optional().openapi({
      description: 'Release teams: access rules for its releases (absent: none).',
    }),
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
      summary: 'Create a release, deployment or CAB team (administrators)',
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
      summary:
        'Edit a team: name, description, work groups, members, default workflow, approval policy (administrators)',
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
