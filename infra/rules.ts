/**
 * EventBridge rules of the `release-desk` bus: one module, imported by the CDK stack and by the
 * local bus, so that what runs on a laptop routes events exactly as AWS does.
 */
export const EVENT_BUS_NAME = 'release-desk';
export const EVENT_SOURCE = 'release-desk';

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { readonly [key: string]: unknown };

/** Event consumers (Lambda handlers under `functions/events/`) that rules target. */
export type EventTargetName = 'start-execution' | 'signal-execution';

export interface RuleDefinition {
  readonly name: string;
  readonly description: string;
  readonly eventPattern: EventPattern;
  readonly target: EventTargetName;
}

export const rules: readonly RuleDefinition[] = [
  {
    name: 'start-release-execution',
    description:
      'Starts the workflow execution of every new release (idempotent: execution name = release id).',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Release Created'] },
    target: 'start-execution',
  },
  {
    name: 'signal-release-execution',
    description:
      'Makes sure every accepted stage transition reaches the waiting execution (SendTaskSuccess, idempotent).',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Release Stage Entered'] },
    target: 'signal-execution',
  },
];
