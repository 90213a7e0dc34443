/**
 * The events of the Release aggregate. `Release Stage Entered` and `Release Execution Ended` are
 * the workflow run's events for the `release` kind (`../workflow-run/events.ts`); the others are
 * the release's own.
 */
import * as z from 'zod';
import {
  changeField,
  countField,
  defineEvent,
  idField,
  nullableField,
  textField,
  timestampField,
} from '../events.ts';
import { workflowIdField } from '../workflow/events.ts';
import {
  executionEndedData,
  executionInputField,
  runStateMachineField,
  stageEnteredData,
  subjectIdShape,
} from '../workflow-run/events.ts';

export const RELEASE_TYPES = ['major', 'minor', 'emergency'] as const;
export const PACKAGE_TYPES = ['full', 'delta', 'package'] as const;

const NOUN = 'release';
const releaseId = subjectIdShape('releaseId', NOUN);
const teamId = nullableField('The release team it belongs to, or null');
const plannedStart = timestampField('Start of the planned deployment window (UTC)');
const plannedEnd = timestampField('End of the planned deployment window (UTC)');

/** A deployment task as planned on the release (before it is ready). */
const plannedTask = z
  .looseObject({
    id: idField('The task id it keeps once ready'),
    title: textField('Its title'),
    description: textField('What to do').optional(),
    workGroupId: idField('The work group of a deployment team that actions it'),
    technicianId: idField('The technician planned for it').optional(),
    ciIds: z.array(idField('CI id')).describe('The CIs it targets'),
    ciUpdates: z
      .array(
        z
          .looseObject({
            ciId: idField('The CI'),
            set: z.looseObject({}).describe('The attributes it sets, by name'),
          })
          .describe('A CI update'),
      )
      .describe('The CI updates it applies when done'),
    status: z.literal('planned').describe('Planned: not ready yet'),
  })
  .describe('A planned deployment task');

export const ReleaseCreated = defineEvent({
  type: 'Release Created',
  description:
    "A release was created in its workflow's initial stage (POST /releases). The start-execution consumer starts the release's workflow execution from it.",
  emittedBy: 'newRelease (functions/domain/release/release.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      title: textField('Its title'),
      releaseType: z.enum(RELEASE_TYPES).describe('ITIL release type'),
      packageType: z.enum(PACKAGE_TYPES).describe('ITIL release package type'),
      teamId,
      stage: textField("The workflow's initial stage, where the release starts"),
      plannedStart,
      plannedEnd,
      workflow: z
        .looseObject({
          id: workflowIdField('Workflow id'),
          version: countField('Published version of the workflow'),
        })
        .describe('The workflow version the release runs on'),
      stateMachineArn: runStateMachineField(NOUN),
      executionInput: executionInputField('release', NOUN),
    })
    .describe('The new release'),
  subscription: {
    caption: 'new releases that are not emergencies',
    detail: { data: { releaseType: [{ 'anything-but': 'emergency' }] } },
  },
});

export const ReleaseUpdated = defineEvent({
  type: 'Release Updated',
  description:
    "A release's title, description, planned window, linked RFCs, deployment setting or planned deployment tasks were edited (PATCH /releases/{id}). `changed` names only the fields whose value differs; an edit that changes nothing emits nothing.",
  emittedBy: 'updateRelease (functions/domain/release/release.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      version: countField('The release version after the edit', 2),
      changed: z
        .looseObject({
          title: changeField(textField('Title'), 'New title'),
          description: changeField(nullableField('Description, or null when none'), 'New description'),
          plannedStart: changeField(timestampField('Planned start (UTC)'), 'New planned start'),
          plannedEnd: changeField(timestampField('Planned end (UTC)'), 'New planned end'),
          changeIds: changeField(z.array(z.string()).describe('Linked RFC ids'), 'New linked RFCs'),
          deployment: changeField(
            z
              .looseObject({
                managedByChange: z.boolean().describe('Whether an RFC decides when tasks are ready'),
                changeId: z.string().optional().describe('The managing RFC'),
                changeTriggerState: z.string().optional().describe('Its state that readies the tasks'),
              })
              .describe('How deployment tasks become ready'),
            'New deployment setting',
          ),
          tasks: changeField(
            z.array(plannedTask).describe('The planned deployment tasks, in order'),
            'New plan of deployment tasks (editable until they are ready)',
          ),
        })
        .describe('The fields that changed, each with its value before and after'),
    })
    .describe('The edit'),
  subscription: {
    caption: 'edits that moved the planned end',
    detail: { data: { changed: { plannedEnd: { to: [{ exists: true }] } } } },
  },
});

export const ReleaseStageEntered = defineEvent({
  type: 'Release Stage Entered',
  description:
    'A release moved to another stage of its workflow (POST /releases/{id}/transitions). The signal-execution consumer makes sure the waiting workflow execution receives `signal`.',
  emittedBy: 'transition (functions/domain/workflow-run/service.ts)',
  subjectKinds: ['release'],
  data: stageEnteredData('releaseId', NOUN),
  subscription: {
    caption: 'releases entering their deploy stage',
    detail: { data: { deployStage: [true] } },
  },
});

export const ReleaseClosed = defineEvent({
  type: 'Release Closed',
  description:
    'A release reached a terminal stage that closes it normally (not a cancelled, rejected or backed-out stage). Committed with the `Release Stage Entered` of the same move.',
  emittedBy: 'transition (functions/domain/workflow-run/service.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      plannedStart,
      plannedEnd,
      closedAt: timestampField('When it closed (equals `detail.occurredAt`)'),
      teamId,
    })
    .describe('The closed release'),
  subscription: {
    caption: 'releases of one team that closed',
    // The team of the sample release (test/support/event-contract.ts), so that the documented
    // pattern matches the documented example.
    detail: { data: { teamId: ['team_01JD0000000000000000000005'] } },
  },
});

export const ReleaseExecutionEnded = defineEvent({
  type: 'Release Execution Ended',
  description:
    "A release's workflow execution ended outside the API (an operator stopped it, a task failed for good, it timed out): the reconciler recorded it, and the release is `failed`.",
  emittedBy: 'recordExecutionEnd (functions/domain/workflow-run/reconcile.ts)',
  subjectKinds: ['release'],
  data: executionEndedData('releaseId', NOUN),
  subscription: { caption: 'every release whose execution ended outside the API' },
});

const ciVersion = z
  .looseObject({ ciId: idField('CI id'), version: countField('The version written') })
  .describe('A CI version');

export const ReleaseBackedOut = defineEvent({
  type: 'Release Backed Out',
  description:
    'A release was backed out (POST /releases/{id}/backout): every CMDB change it made restored as new CI versions (`versions`), its back-out procedures acknowledged, the release in its Backed Out stage.',
  emittedBy: 'backOutRelease (functions/domain/backout/service.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      version: countField('The release version after the back-out', 2),
      reason: textField('Why'),
      stageBefore: textField('The stage it was in'),
      versions: z.array(ciVersion).describe('The CI versions the back-out wrote, restoring the prior values'),
      acknowledgedArticles: z
        .array(
          z
            .looseObject({ id: idField('Article id'), version: countField('Its version acknowledged') })
            .describe('A back-out procedure followed'),
        )
        .describe('The back-out procedures acknowledged as followed'),
      forced: nullableField('The reason given to restore despite conflicts, or null'),
      conflicts: z
        .array(
          z
            .looseObject({
              ciId: idField('CI id'),
              attribute: textField('The attribute'),
            })
            .describe('An attribute something else had changed since the release set it'),
        )
        .describe('Conflicts overridden by `forced` (empty otherwise)'),
      executionEnded: z
        .boolean()
        .describe(
          'Its execution had ended (a closed release): it was not restarted, only the release records the back-out',
        ),
    })
    .describe('The back-out'),
  subscription: { caption: 'every backed-out release' },
});

export const BlackoutOverridden = defineEvent({
  type: 'Blackout Overridden',
  description:
    "An emergency release entered its deploy stage during a blackout: a member its team allows to override gave a reason (POST /releases/{id}/transitions with `override`). Committed with that move's `Release Stage Entered`.",
  emittedBy: 'moveRelease (functions/domain/release/service.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      version: countField('The release version after the move', 2),
      from: textField('The stage it left'),
      to: textField('The stage it entered'),
      reason: textField('Why the blackout was overridden'),
      windows: z
        .array(
          z
            .looseObject({
              slaId: idField('The SLA'),
              slaName: textField('Its name'),
              blackoutIndex: z.number().int().min(0).describe('Which of its blackouts'),
              reason: textField('Why the blackout exists'),
              start: timestampField('Window start (UTC)'),
              end: timestampField('Window end (UTC)'),
              ciIds: z
                .array(idField('CI id'))
                .describe(
                  'The CIs covered it applies through (the first 50: the release touches them or depends on them)',
                ),
              ciCount: countField('How many CIs it applies through', 1),
            })
            .describe('A blackout window overridden'),
        )
        .describe(
          'The blackout windows in force or planned over (the first 100), each with the CIs it applies through',
        ),
      windowCount: countField('How many windows were overridden', 1),
    })
    .describe('The override'),
  subscription: { caption: 'every blackout override' },
});

export const ReleaseApprovalRecorded = defineEvent({
  type: 'Release Approval Recorded',
  description:
    'A user approved a pending move of a release that an access policy of its team asks approvals for (POST /releases/{id}/approvals). Approvals count for the stage the release is in; they reset when it moves.',
  emittedBy: 'approveReleaseMove (functions/domain/release/service.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      ...releaseId,
      version: countField('The release version after the approval', 2),
      from: textField('The stage the release is in'),
      to: textField('The stage the approved move enters'),
      comment: nullableField('What the approver said, or null'),
      ruleIds: z.array(idField('Rule id')).describe('The access rules asking approvals of this move'),
      approvers: z
        .array(idField('User id'))
        .describe('Every user who has approved this move so far (this one included)'),
    })
    .describe('The approval'),
  subscription: { caption: 'every approval of a release move' },
});
