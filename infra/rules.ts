/**
 * EventBridge rules of the `release-desk` bus: one module, imported by the CDK stack and by the
 * local bus, so that what runs on a laptop routes events exactly as AWS does.
 */
import { ChangeStateChanged } from '../functions/domain/change/events.ts';
import { DEFAULT_EVENT_BUS_NAME, EVENT_SOURCE } from '../functions/domain/events.ts';
import { IncidentAttributed } from '../functions/domain/metrics/events.ts';
import { ReleaseBackedOut, ReleaseStageEntered } from '../functions/domain/release/events.ts';
import { DeploymentTaskCompleted } from '../functions/domain/task/events.ts';
import { RUN_KINDS, SUBJECT_KINDS } from '../functions/domain/workflow-run/run.ts';

/** The bus of the default stack and the local cloud (a stage's is `release-desk-<stage>`, infra/stage.ts). */
export const EVENT_BUS_NAME = DEFAULT_EVENT_BUS_NAME;
export { EVENT_SOURCE };

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { readonly [key: string]: unknown };

/** Event consumers (Lambda handlers under `functions/events/`) that rules target. */
export type EventTargetName =
  | 'start-execution'
  | 'signal-execution'
  | 'create-deployment-tasks'
  | 'apply-ci-updates'
  | 'reconcile-executions'
  | 'record-release-metrics';

export interface RuleDefinition {
  readonly name: string;
  readonly description: string;
  readonly eventPattern: EventPattern;
  readonly target: EventTargetName;
}

/**
 * How Lambda handles a consumer's asynchronous invocations. EventBridge invokes Lambda targets
 * asynchronously: once Lambda has queued the event the rule's delivery is over, and what follows
 * (retries after a function error, the event ageing in Lambda's queue while the function is
 * throttled) is Lambda's. The stack gives every target these settings and an SQS on-failure
 * destination of its own (an EventInvokeConfig); the local cloud follows the same values.
 */
export interface AsyncInvokeSettings {
  /** Retries after a function error (Lambda allows 0-2). */
  readonly maximumRetryAttempts: number;
  /** How long an event may wait in Lambda's queue before it counts as failed (60-21 600 s). */
  readonly maximumEventAgeSeconds: number;
}

/**
 * Per consumer: the rule consumers keep events as long as Lambda allows (the reconciler repairs
 * what still fails); a reconciler run is superseded by the next one five minutes later.
 */
export const consumerAsyncInvoke: Readonly<Record<EventTargetName, AsyncInvokeSettings>> = {
  'start-execution': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
  'signal-execution': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
  'create-deployment-tasks': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
  'apply-ci-updates': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
  'reconcile-executions': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 300 },
  'record-release-metrics': { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
};

export const rules: readonly RuleDefinition[] = [
  {
    name: 'start-release-execution',
    description:
      'Starts the workflow execution of every new release or RFC (idempotent: execution name = its id).',
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': RUN_KINDS.map((k) => SUBJECT_KINDS[k].events.created.type),
    },
    target: 'start-execution',
  },
  {
    name: 'signal-release-execution',
    description:
      'Makes sure every accepted stage transition reaches the waiting execution (SendTaskSuccess, idempotent).',
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': RUN_KINDS.map((k) => SUBJECT_KINDS[k].events.entered.type),
    },
    target: 'signal-execution',
  },
  {
    name: 'ready-tasks-on-deploy-stage',
    description:
      "Makes a release's deployment tasks ready when it enters its workflow's deploy stage (rule a; once per release, on what the table says).",
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': [ReleaseStageEntered.type],
      detail: { data: { deployStage: [true] } },
    },
    target: 'create-deployment-tasks',
  },
  {
    name: 'ready-tasks-on-change-state',
    description:
      'Makes the deployment tasks of the releases an RFC manages ready when it enters their trigger state (rule b; each release decides on what the table says).',
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': [ChangeStateChanged.type],
    },
    target: 'create-deployment-tasks',
  },
  {
    name: 'apply-ci-updates-on-task-completed',
    description:
      "Applies a completed deployment task's planned CI updates to the CMDB, each once, as a version naming the release and task (on what the table says).",
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': [DeploymentTaskCompleted.type],
    },
    target: 'apply-ci-updates',
  },
  {
    name: 'release-metrics-on-release-changes',
    description:
      "Keeps the release metrics counters (per period and team): a release's fact derived again from the table on each move, back-out or incident attributed (applied once, whatever the delivery).",
    eventPattern: {
      source: [EVENT_SOURCE],
      'detail-type': [ReleaseStageEntered.type, ReleaseBackedOut.type, IncidentAttributed.type],
    },
    target: 'record-release-metrics',
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
