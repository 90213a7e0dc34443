/**
 * The events of the Workflow aggregate: `Workflow Published`.
 */
import * as z from 'zod';
import { WorkflowKind } from '#workflows/definition';
import { countField, defineEvent, textField } from '../events.ts';
import { stateMachineArnField } from '../workflow-run/events.ts';

/** A workflow id: a lower-case slug, also part of its state machine's name. */
export const WORKFLOW_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A workflow id. */
export const workflowIdField = (description: string) =>
  z.string().regex(WORKFLOW_ID_PATTERN).describe(description);

export const WorkflowPublished = defineEvent({
  type: 'Workflow Published',
  description:
    'A new version of a release or change workflow was published as a Step Functions state machine version (POST /workflows, or a default workflow adopted at start-up).',
  emittedBy: 'stagePublication (functions/domain/workflow/service.ts)',
  subjectKinds: ['workflow'],
  data: z
    .looseObject({
      workflowId: workflowIdField('The workflow id (also `detail.subject.id`)'),
      version: countField('The version published (1, 2, …)'),
      name: textField('The workflow name in this version'),
      kind: WorkflowKind.describe('Whether it runs releases or changes'),
      stateMachineArn: stateMachineArnField(
        'The state machine every version of the workflow belongs to',
        'none',
      ),
      stateMachineVersionArn: stateMachineArnField('The state machine version just published', 'required'),
    })
    .describe('The published version'),
  subscription: { caption: 'new release workflow versions', detail: { data: { kind: ['release'] } } },
});
