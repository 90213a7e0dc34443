/**
 * What tells operators something went wrong: one CloudWatch alarm per failure signal, all notifying
 * one SNS topic (KMS-encrypted, TLS only). Subscribe to it (e-mail, chat, paging) after deploying.
 *
 * - every dead-letter and on-failure queue holding a message (a delivery, a stream batch or a
 *   consumer invocation that failed for good);
 * - the outbox relay falling behind its stream (IteratorAge);
 * - default workflow executions that failed, timed out or were aborted;
 * - errors and throttles of every function;
 * - server errors (5xx) of the HTTP API;
 * - releases the reconciler found apart from their executions and could not repair.
 *
 * And one CloudWatch dashboard (`<stack name>`) to read them by: the API (requests, latency, 4xx,
 * 5xx), the functions (errors, throttles, duration), the dead-letter queues' depths, the default
 * workflows' execution outcomes, the business facts the functions count (EMF, namespace
 * `ReleaseDesk`, functions/app/telemetry.ts) and the reconciler's divergences, with every alarm.
 *
 * CloudWatch publishes to an encrypted topic only with `kms:Decrypt` and `kms:GenerateDataKey*` on
 * a customer managed key, which an AWS managed key's policy cannot grant
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { OperationalMetric } from '../../functions/app/telemetry.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { constructId } from './handlers.ts';

/** The outbox relay is a second behind at most in normal operation (its batching window). */
export const ITERATOR_AGE_THRESHOLD_MS = 60_000;

/** How each kind of alarm evaluates (the tests read the same values). */
export const ALARM_POLICY = {
  queue: { period: Duration.minutes(5), threshold: 0, operator: ComparisonOperator.GREATER_THAN_THRESHOLD },
  iteratorAge: {
    period: Duration.minutes(5),
    threshold: ITERATOR_AGE_THRESHOLD_MS,
    operator: ComparisonOperator.GREATER_THAN_THRESHOLD,
  },
  executions: {
    period: Duration.minutes(5),
    threshold: 1,
    operator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  },
  lambda: {
    period: Duration.minutes(5),
    threshold: 1,
    operator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  },
  divergences: {
    period: Duration.minutes(5),
    threshold: 1,
    operator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  },
  api5xx: {
    period: Duration.minutes(5),
    threshold: 1,
    operator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  },
} as const;

/**
 * The reconciler's own metrics (functions/events/reconcile-executions.ts; record-stage counts
 * divergences too), beside the business ones.
 */
export const RECONCILER_METRICS = [
  'ReleaseExecutionDivergences',
  'ReleaseExecutionsEnded',
  'ReleaseExecutionRepairs',
] as const satisfies readonly OperationalMetric[];

/** Every outcome of an execution, as the dashboard shows them. */
export const EXECUTION_OUTCOME_METRICS = [
  'ExecutionsStarted',
  'ExecutionsSucceeded',
  'ExecutionsFailed',
  'ExecutionsTimedOut',
  'ExecutionsAborted',
] as const;

/** The period of the dashboard's graphs. */
export const DASHBOARD_PERIOD = Duration.minutes(5);

/** The execution outcomes of a default workflow that need a person. */
export const EXECUTION_FAILURE_METRICS = [
  'ExecutionsFailed',
  'ExecutionsTimedOut',
  'ExecutionsAborted',
] as const;

export interface MonitoringProps {
  /** Prefixes every alarm name, so that two stages in one account do not collide. */
  readonly stackName: string;
  /** Every deployed function by name (errors and throttles alarms). */
  readonly functions: readonly (readonly [string, IFunction])[];
  /** The stream consumer whose iterator age is watched. */
  readonly outboxRelay?: IFunction | undefined;
  /** The default workflows' state machines by workflow id. */
  readonly stateMachines: ReadonlyMap<string, StateMachine>;
  readonly httpApi: IHttpApi;
  /** The `service` dimension of the functions' own metrics (the stage's POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
}

/** The alarm topic and the alarms. */
export class Monitoring extends Construct {
  /** Where every alarm (and its return to OK) is published. */
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** The operators' dashboard (docs/operations.md, "Reading logs and the dashboard"). */
  readonly dashboard: Dashboard;
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stackName = props.stackName;
    const key = new Key(this, 'AlarmTopicKey', {
      description: `${props.stackName}: encrypts the alarm topic`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${props.stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy CDK writes for enforceSSL replaces SNS's default one: say who may publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.watchQueues();
    if (props.outboxRelay) this.watchIteratorAge(props.outboxRelay);
    for (const [workflowId, sm] of props.stateMachines) this.watchExecutions(workflowId, sm);
    for (const [name, fn] of props.functions) this.watchFunction(name, fn);
    this.add('Api5xx', {
      name: 'API 5xx',
      description: `The HTTP API answered with a server error (${ALARM_POLICY.api5xx.threshold} or more in 5 minutes): see the access log and the failing function's log.`,
      metric: props.httpApi.metricServerError({ period: ALARM_POLICY.api5xx.period, statistic: 'Sum' }),
      policy: ALARM_POLICY.api5xx,
    });
    // Counted by the reconciler and record-stage (Powertools EMF: namespace ReleaseDesk, dimension service).
    this.add('ExecutionDivergences', {
      name: 'Release execution divergences',
      description:
        'The reconciler or record-stage found a release and its execution apart, and the reconciler could not repair it (DESIGN §6, invariant 10): see the reconcile-executions and record-stage logs for "Subject and execution diverged".',
      metric: new Metric({
        namespace: 'ReleaseDesk',
        metricName: 'ReleaseExecutionDivergences',
        dimensionsMap: { service: props.serviceName },
        period: ALARM_POLICY.divergences.period,
        statistic: 'Maximum',
      }),
      policy: ALARM_POLICY.divergences,
    });
    // Executions that ended outside the API (on any machine, the API's own included): the
    // reconciler records each release as failed, and an operator should look at why.
    this.add('ExecutionsEnded', {
      name: 'Release executions ended outside the API',
      description:
        "The reconciler recorded a release as failed because its execution ended outside the API (stopped, failed for good, timed out): see the release's executionEnd and the reconcile-executions log.",
      metric: new Metric({
        namespace: 'ReleaseDesk',
        metricName: 'ReleaseExecutionsEnded',
        dimensionsMap: { service: props.serviceName },
        period: ALARM_POLICY.divergences.period,
        statistic: 'Maximum',
      }),
      policy: ALARM_POLICY.divergences,
    });
    this.dashboard = this.buildDashboard(props);
  }

  /**
   * The dashboard, read top to bottom (docs/operations.md, "Reading the dashboard"): the alarms
   * first, then the API, the functions, events and dead letters, executions, Release Desk's own metrics.
   */
  private buildDashboard(props: MonitoringProps): Dashboard {
    const period = DASHBOARD_PERIOD;
    const graph = (title: string, left: IMetric[], width = 8) =>
      new GraphWidget({ title, left, width, height: 6, period });
    const fns = props.functions;
    const own = (metricName: string, label = metricName) =>
      new Metric({
        namespace: 'ReleaseDesk',
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic: Stats.SUM,
        period,
        label,
      });
    const queues = this.deadLetterQueues();
    // SUM of nothing is no expression: a stack without queues has no such line.
    const deadLetters =
      queues.length === 0
        ? []
        : [
            new MathExpression({
              expression: `SUM([${queues.map((_, i) => `q${i}`).join(',')}])`,
              usingMetrics: Object.fromEntries(
                queues.map(([, dlq], i) => [
                  `q${i}`,
                  dlq.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: Stats.MAXIMUM }),
                ]),
              ),
              label: 'Dead letters',
              period,
            }),
          ];
    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown: `# ${props.stackName}\nLogs: CloudWatch Logs Insights on the functions' log groups, \`filter correlation_id = "…"\` follows one request or event across functions (docs/operations.md).`,
          width: 24,
          height: 2,
        }),
      ],
      [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 })],
      [
        graph('API requests', [props.httpApi.metricCount({ period, statistic: Stats.SUM })], 6),
        graph(
          'API latency',
          [
            props.httpApi.metricLatency({ period, statistic: Stats.p(50), label: 'p50' }),
            props.httpApi.metricLatency({ period, statistic: Stats.p(99), label: 'p99' }),
          ],
          6,
        ),
        graph('API 4xx', [props.httpApi.metricClientError({ period, statistic: Stats.SUM })], 6),
        graph('API 5xx', [props.httpApi.metricServerError({ period, statistic: Stats.SUM })], 6),
      ],
      [
        graph(
          'Function errors',
          fns.map(([name, fn]) => fn.metricErrors({ period, statistic: Stats.SUM, label: name })),
        ),
        graph(
          'Function throttles',
          fns.map(([name, fn]) => fn.metricThrottles({ period, statistic: Stats.SUM, label: name })),
        ),
        graph(
          'Function duration p99',
          fns.map(([name, fn]) => fn.metricDuration({ period, statistic: Stats.p(99), label: name })),
        ),
      ],
      [
        ...(props.outboxRelay
          ? [
              graph(
                'Outbox relay iterator age',
                [props.outboxRelay.metric('IteratorAge', { period, statistic: Stats.MAXIMUM })],
                6,
              ),
            ]
          : []),
        graph(
          'Dead-letter queue depths',
          queues.map(([path, dlq]) =>
            dlq.queue.metricApproximateNumberOfMessagesVisible({
              period,
              statistic: Stats.MAXIMUM,
              label: path,
            }),
          ),
          props.outboxRelay ? 6 : 12,
        ),
        graph(
          'Execution outcomes (default workflows)',
          [...props.stateMachines].flatMap(([workflowId, sm]) =>
            EXECUTION_OUTCOME_METRICS.map(
              (metricName) =>
                new Metric({
                  namespace: 'AWS/States',
                  metricName,
                  dimensionsMap: { StateMachineArn: sm.stateMachineArn },
                  statistic: Stats.SUM,
                  period,
                  label: `${workflowId} ${metricName.replace('Executions', '').toLowerCase()}`,
                }),
            ),
          ),
          12,
        ),
      ],
      [
        graph(
          'Releases and moves',
          (['ReleasesCreated', 'Transitions', 'Approvals', 'BlackoutOverrides', 'BackOuts'] as const).map(
            (m) => own(m),
          ),
        ),
        graph('Deployment', [
          ...(['TasksCompleted', 'TasksFailed', 'CiUpdatesApplied'] as const).map((m) => own(m)),
          // No function sees a dead letter in AWS (the local cloud counts its own, DeadLetters): what
          // the dead-letter and on-failure queues hold is the count.
          ...deadLetters,
        ]),
        graph(
          'Releases apart from their executions',
          RECONCILER_METRICS.map((m) => own(m)),
        ),
      ],
    ];
    return new Dashboard(this, 'Dashboard', {
      dashboardName: props.stackName,
      widgets: rows,
    });
  }

  /** Every dead-letter and on-failure queue in the stack, with its path. */
  private deadLetterQueues(): [string, DeadLetterQueue][] {
    return Stack.of(this)
      .node.findAll()
      .filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue)
      .map((dlq) => [dlq.node.path.split('/').slice(1).join('/'), dlq]);
  }

  /** Every dead-letter and on-failure queue in the stack, found rather than listed, so none is missed. */
  private watchQueues(): void {
    const queues = Stack.of(this)
      .node.findAll()
      .filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue);
    for (const dlq of queues) {
      const path = dlq.node.path.split('/').slice(1).join('/');
      this.add(`${constructId(path.replaceAll('/', '-'))}Messages`, {
        name: `${path} holds messages`,
        description: `${path} received something that failed for good (an undeliverable event, a stream batch or a failed consumer invocation). Read the messages, fix the cause, then redrive or replay; the alarm clears when the queue is empty.`,
        metric: dlq.queue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_POLICY.queue.period,
          statistic: 'Maximum',
        }),
        policy: ALARM_POLICY.queue,
      });
    }
  }

  private watchIteratorAge(relay: IFunction): void {
    this.add('OutboxRelayIteratorAge', {
      name: 'outbox-relay IteratorAge',
      description: `The outbox relay is more than ${ITERATOR_AGE_THRESHOLD_MS / 1000} s behind the table stream: events reach the bus late (a failing batch blocks its shard until it succeeds or expires after 24 h).`,
      metric: relay.metric('IteratorAge', { period: ALARM_POLICY.iteratorAge.period, statistic: 'Maximum' }),
      policy: ALARM_POLICY.iteratorAge,
    });
  }

  private watchExecutions(workflowId: string, sm: StateMachine): void {
    for (const metricName of EXECUTION_FAILURE_METRICS) {
      this.add(`${constructId(workflowId)}${metricName}`, {
        name: `${workflowId} ${metricName}`,
        description: `An execution of the default workflow ${workflowId} ended as ${metricName.replace('Executions', '').toLowerCase()}: its release or change no longer follows its workflow. The reconciler reports it too; see the execution history.`,
        metric: new Metric({
          namespace: 'AWS/States',
          metricName,
          dimensionsMap: { StateMachineArn: sm.stateMachineArn },
          period: ALARM_POLICY.executions.period,
          statistic: 'Sum',
        }),
        policy: ALARM_POLICY.executions,
      });
    }
  }

  private watchFunction(name: string, fn: IFunction): void {
    const id = constructId(name);
    this.add(`${id}Errors`, {
      name: `${name} Errors`,
      description: `The ${name} function failed (${ALARM_POLICY.lambda.threshold} or more errors in 5 minutes): see its log group.`,
      metric: fn.metricErrors({ period: ALARM_POLICY.lambda.period, statistic: 'Sum' }),
      policy: ALARM_POLICY.lambda,
    });
    this.add(`${id}Throttles`, {
      name: `${name} Throttles`,
      description: `The ${name} function was throttled (${ALARM_POLICY.lambda.threshold} or more in 5 minutes): the account's or the function's concurrency is exhausted.`,
      metric: fn.metricThrottles({ period: ALARM_POLICY.lambda.period, statistic: 'Sum' }),
      policy: ALARM_POLICY.lambda,
    });
  }

  private add(
    id: string,
    alarm: {
      name: string;
      description: string;
      metric: IMetric;
      policy: { threshold: number; operator: ComparisonOperator };
    },
  ): void {
    const created = new Alarm(this, id, {
      alarmName: `${this.stackName} ${alarm.name}`,
      alarmDescription: alarm.description,
      metric: alarm.metric,
      threshold: alarm.policy.threshold,
      comparisonOperator: alarm.policy.operator,
      evaluationPeriods: 1,
      // No data means nothing happened: no messages, no invocations, no executions.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    created.addAlarmAction(action);
    created.addOkAction(action);
    this.alarms.push(created);
  }
}
