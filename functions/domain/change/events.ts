/**
 * The events of the RFC (change) aggregate. `Change State Changed` and `Change Execution Ended` are
 * the workflow run's events for the `change` kind (`../workflow-run/events.ts`), made with the same
 * factories as the release's; the others are the RFC's own.
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

export const CHANGE_TYPES = ['standard', 'normal', 'emergency'] as const;
export const RISKS = ['low', 'medium', 'high'] as const;
/** Impact and urgency share a scale; together they give the priority (ITIL's matrix). */
export const LEVELS = ['low', 'medium', 'high'] as const;
export const DECISIONS = ['approve', 'reject'] as const;

const NOUN = 'RFC';
const changeId = subjectIdShape('changeId', NOUN);

export const ChangeRecorded = defineEvent({
  type: 'Change Recorded',
  description:
    "An RFC was recorded in its change workflow's initial state (POST /changes). The start-execution consumer starts the RFC's workflow execution from it.",
  emittedBy: 'newChange (functions/domain/change/change.ts)',
  subjectKinds: ['change'],
  data: z
    .looseObject({
      ...changeId,
      title: textField('Its title'),
      type: z.enum(CHANGE_TYPES).describe('Standard (pre-approved), normal or emergency'),
      risk: z.enum(RISKS).describe('Its risk: decides how many CAB approvals it needs'),
      priority: countField('1 (highest) to 5, from impact and urgency'),
      state: textField("The workflow's initial state, where the RFC starts"),
      cabTeamId: idField('The change advisory board that votes on it'),
      ciIds: z.array(idField('CI id')).describe('The configuration items it affects'),
      workflow: z
        .looseObject({
          id: workflowIdField('Workflow id'),
          version: countField('Published version of the workflow'),
        })
        .describe('The change workflow version the RFC runs on'),
      stateMachineArn: runStateMachineField(NOUN),
      executionInput: executionInputField('change', NOUN),
    })
    .describe('The new RFC'),
  subscription: {
    caption: 'normal RFCs (those the CAB votes on) as they are recorded',
    detail: { data: { type: ['normal'] } },
  },
});

export const ChangeUpdated = defineEvent({
  type: 'Change Updated',
  description:
    'An RFC was edited before its approval (PATCH /changes/{id}). `changed` names only the fields whose value differs.',
  emittedBy: 'updateChange (functions/domain/change/change.ts)',
  subjectKinds: ['change'],
  data: z
    .looseObject({
      ...changeId,
      version: countField('The RFC version after the edit', 2),
      changed: z
        .looseObject({
          title: changeField(textField('Title'), 'New title'),
          description: changeField(nullableField('Description, or null when none'), 'New description'),
          risk: changeField(z.enum(RISKS).describe('Risk'), 'New risk'),
          impact: changeField(z.enum(LEVELS).describe('Impact'), 'New impact'),
          urgency: changeField(z.enum(LEVELS).describe('Urgency'), 'New urgency'),
          priority: changeField(z.int().describe('Priority'), 'New priority'),
          ciIds: changeField(z.array(z.string()).describe('CI ids'), 'New affected CIs'),
          plannedStart: changeField(nullableField('Planned start (UTC) or null'), 'New planned start'),
          plannedEnd: changeField(nullableField('Planned end (UTC) or null'), 'New planned end'),
        })
        .describe('The fields that changed, each with its value before and after'),
    })
    .describe('The edit'),
  subscription: {
    caption: 'RFCs whose risk changed',
    detail: { data: { changed: { risk: { to: [{ exists: true }] } } } },
  },
});

export const ChangeStateChanged = defineEvent({
  type: 'Change State Changed',
  description:
    'An RFC moved to another state of its change workflow. The signal-execution consumer makes sure its execution receives `signal`; create-deployment-tasks readies the tasks of releases this RFC manages when `to` is their trigger state.',
  emittedBy: 'transition (functions/domain/workflow-run/service.ts)',
  subjectKinds: ['change'],
  data: stageEnteredData('changeId', NOUN),
  subscription: { caption: 'RFCs entering Approved', detail: { data: { to: ['Approved'] } } },
});

export const ChangeApprovalRecorded = defineEvent({
  type: 'Change Approval Recorded',
  description:
    "A member of the RFC's change advisory board voted on it (POST /changes/{id}/approvals). Votes are immutable: one per member.",
  emittedBy: 'recordVote (functions/domain/change/change.ts)',
  subjectKinds: ['change'],
  data: z
    .looseObject({
      ...changeId,
      version: countField('The RFC version after the vote', 2),
      cabTeamId: idField('The board voted in'),
      decision: z.enum(DECISIONS).describe('The vote'),
      comment: textField('Why'),
      approvals: countField('Approvals recorded so far (this one included)', 0),
      required: countField('Approvals the RFC needs'),
      rejectedBy: z.array(idField('User id')).describe('Members who rejected it'),
      votedAt: timestampField('When (equals `detail.occurredAt`)'),
    })
    .describe('The vote'),
  subscription: { caption: 'rejections', detail: { data: { decision: ['reject'] } } },
});

export const ChangeExecutionEnded = defineEvent({
  type: 'Change Execution Ended',
  description:
    "An RFC's workflow execution ended outside the API (an operator stopped it, it failed or timed out): the reconciler recorded it, and the RFC is `failed`.",
  emittedBy: 'recordExecutionEnd (functions/domain/workflow-run/reconcile.ts)',
  subjectKinds: ['change'],
  data: executionEndedData('changeId', NOUN),
  subscription: { caption: 'every RFC whose execution ended outside the API' },
});
