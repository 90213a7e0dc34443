/**
 * EventBridge rules of the `release-desk` bus: one module, imported by the CDK stack and by the
 * local bus, so that what runs on a laptop routes events exactly as AWS does.
 */
export const EVENT_BUS_NAME = 'release-desk';
export const EVENT_SOURCE = 'release-desk';

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { readonly [key: string]: unknown };

/** Event consumers (Lambda handlers under `functions/events/`) that rules target. */
export type EventTargetName = 'start-execution' | 'signal-execution' | 'reconcile-executions';

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

/** A function run on a schedule (an EventBridge schedule rule in AWS, a timer on the local cloud). */
export interface ScheduleDefinition {
  readonly name: string;
  readonly description: string;
  readonly everyMinutes: number;
  readonly target: EventTargetName;
}

export const schedules: readonly ScheduleDefinition[] = [
  {
    name: 'reconcile-executions',
    description:
      'Compares every active release with its execution and repairs or reports what differs (DESIGN §6, invariant 10).',
    everyMinutes: 5,
    target: 'reconcile-executions',
  },
];
