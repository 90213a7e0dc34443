/**
 * The events of the Team aggregate: `Team Created` and `Team Updated`.
 */
import * as z from 'zod';
import { changeField, countField, defineEvent, idField, nullableField, textField } from '../events.ts';

export const TEAM_KINDS = ['release', 'deployment', 'cab'] as const;
/** The levels a change advisory board's policy sets a number of approvals for (an RFC's risk, or emergency). */
export const APPROVAL_LEVELS = ['low', 'medium', 'high', 'emergency'] as const;

const teamId = idField('The team id (also `detail.subject.id`)');
const workGroup = z
  .looseObject({ id: idField('Work group id'), name: textField('Its name') })
  .describe('A work group');
const userIds = (description: string) => z.array(idField('User id')).describe(description);
const approvalPolicy = z
  .looseObject({
    low: countField('Approvals a low-risk RFC needs'),
    medium: countField('Approvals a medium-risk RFC needs'),
    high: countField('Approvals a high-risk RFC needs'),
    emergency: countField('Approvals an emergency RFC needs'),
  })
  .describe(
    'How many approvals an RFC needs at each level, as set; requiredApprovals caps each at the board size (at least 1)',
  );

/** What a rule matches on (`functions/domain/team/policy.ts`); each list left out matches any value. */
const policyRule = z
  .looseObject({
    id: idField('The rule id, named by every refusal it makes'),
    description: textField('What it is for').optional(),
    action: z.enum(['create', 'plan', 'move', 'deploy']).describe('The act it governs'),
    match: z
      .looseObject({
        packageType: z.array(z.string()).describe('Package types it covers').optional(),
        releaseType: z.array(z.string()).describe('Release types it covers').optional(),
        urgency: z.array(z.string()).describe('Urgencies it covers').optional(),
        businessPriority: z.array(z.number()).describe('Business priorities it covers').optional(),
      })
      .describe('The releases it covers (a field left out: any)')
      .optional(),
    from: textField('Moves out of this stage only').optional(),
    to: textField('Moves into this stage only').optional(),
    allow: z
      .looseObject({
        workGroups: z.array(idField('Work group id')).describe('Members of these work groups').optional(),
        users: userIds('These users').optional(),
      })
      .describe('Who may (left out: anyone the other rules let)')
      .optional(),
    approvals: z.number().int().describe('Distinct approvers the move needs').optional(),
    approvers: z
      .looseObject({
        workGroups: z.array(idField('Work group id')).describe('Members of these work groups').optional(),
        users: userIds('These users').optional(),
      })
      .describe('Who may approve (left out: the release team’s members)')
      .optional(),
  })
  .describe('An access rule of a release team');
const policies = (description: string) => z.array(policyRule).describe(description);

export const TeamCreated = defineEvent({
  type: 'Team Created',
  description:
    'A release, deployment or CAB (change advisory board) team was created (POST /teams, or by the bootstrap of a new installation).',
  emittedBy: 'newTeam (functions/domain/team/team.ts)',
  subjectKinds: ['team'],
  data: z
    .looseObject({
      teamId,
      name: textField('Its name'),
      kind: z.enum(TEAM_KINDS).describe('Release, deployment or CAB (change advisory board) team'),
      workGroups: z.array(workGroup).describe('Its work groups'),
      members: userIds('Its members (user ids); each belongs to every work group'),
      defaultWorkflowId: nullableField(
        'Release teams: the workflow new releases run on when none is named; else null',
      ),
      approvalsRequired: approvalPolicy
        .nullable()
        .describe('CAB teams: approvals an RFC needs by level (capped at the board size); else null'),
      // Optional: teams created before the setting existed were announced without it.
      blackoutOverriders: userIds(
        'Release teams: the members who may override a blackout for an emergency release (often none)',
      ).optional(),
      // Optional: teams created before policies existed were announced without them.
      policies: policies('Release teams: the access rules for its releases (often none)').optional(),
    })
    .describe('The new team'),
  subscription: { caption: 'new deployment teams', detail: { data: { kind: ['deployment'] } } },
});

export const TeamUpdated = defineEvent({
  type: 'Team Updated',
  description:
    'A team was edited (PATCH /teams/{id}) and something changed: its fields (approval or access policies included), members, work groups or their order. Members’ user records change in the same transaction; no `User Updated` is emitted for that.',
  emittedBy: 'updateTeam (functions/domain/team/team.ts)',
  subjectKinds: ['team'],
  data: z
    .looseObject({
      teamId,
      version: countField('The team version after the edit', 2),
      changed: z
        .looseObject({
          name: changeField(textField('Name'), 'New name'),
          description: changeField(nullableField('Description, or null when none'), 'New description'),
          defaultWorkflowId: changeField(
            nullableField('Default workflow id, or null when none'),
            'New default workflow',
          ),
          approvalsRequired: changeField(
            approvalPolicy.nullable().describe('Approval policy (CAB teams), or null when none'),
            'New approval policy',
          ),
          blackoutOverriders: changeField(
            userIds('Members who may override a blackout (release teams)').nullable(),
            'New blackout overriders',
          ),
          policies: changeField(
            policies('Access rules (release teams), or null when none').nullable(),
            'New access rules',
          ),
        })
        .describe('The fields that changed, each with its value before and after'),
      membersAdded: userIds('Users who joined the team'),
      membersRemoved: userIds('Users who left the team'),
      workGroupsAdded: z.array(workGroup).describe('Work groups created'),
      workGroupsRemoved: z.array(workGroup).describe('Work groups removed'),
      workGroupsRenamed: z
        .array(
          z
            .looseObject({
              id: idField('Work group id'),
              from: textField('Old name'),
              to: textField('New name'),
            })
            .describe('A renamed work group'),
        )
        .describe('Work groups that kept their id under a new name'),
    })
    .describe('The edit'),
  subscription: { caption: 'teams that user `tom` joined', detail: { data: { membersAdded: ['tom'] } } },
});
