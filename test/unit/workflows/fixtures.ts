import type { WorkflowDefinitionInput } from '../../../workflows/definition.ts';

/** The record-stage ARN every golden file is compiled with. */
export const RECORD_STAGE_ARN = 'arn:aws:lambda:eu-central-1:123456789012:function:release-desk-record-stage';

/** A stage name of exactly 80 characters, so its generated state names must be shortened. */
export const LONG_STAGE = `Long ${'x'.repeat(75)}`;

/** A small change workflow with timeouts (with and without `onTimeout`) and a maximal stage name. */
export const timeoutsFixture = {
  name: 'Timeouts fixture',
  kind: 'change',
  initialStage: 'Waiting',
  stages: [
    {
      name: 'Waiting',
      timeoutSeconds: 3600,
      onTimeout: 'Expired',
      transitions: [{ to: LONG_STAGE }, { to: 'Expired', processes: ['change', 'release'] }],
    },
    {
      name: LONG_STAGE,
      timeoutSeconds: 60,
      onTimeout: 'Done',
      transitions: [{ to: 'Done' }, { to: 'Waiting', requiresReason: true }],
    },
    { name: 'Done', terminal: true },
    { name: 'Expired', terminal: true },
  ],
} satisfies WorkflowDefinitionInput;
