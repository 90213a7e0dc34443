/**
 * The stage's event bus (`release-desk`, or `release-desk-<stage>`), its archive, and one rule per
 * entry of `infra/rules.ts`, each delivering to its consumer function with retries and a
 * dead-letter queue.
 *
 * EventBridge invokes Lambda targets asynchronously: its retry policy and dead-letter queue cover
 * only the hand-over to Lambda's event queue. What happens after (the function failing, or the
 * event ageing in the queue while the function is throttled) is Lambda's asynchronous invocation
 * handling, so every consumer also gets an event invoke configuration whose on-failure destination
 * is a queue of its own: no failure of a consumer is dropped silently.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import { type CfnArchive, EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import {
  type AsyncInvokeSettings,
  consumerAsyncInvoke,
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  type EventTargetName,
  type RuleDefinition,
  type ScheduleDefinition,
} from '../rules.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { constructId } from './handlers.ts';

export interface ReleaseDeskBusProps {
  /** @default EVENT_BUS_NAME (`release-desk`) */
  readonly eventBusName?: string;
}

/** The bus every domain event is published to. */
export class ReleaseDeskBus extends Construct {
  readonly bus: EventBus;
  /** Where events that a rule could not deliver to its target's Lambda queue end up. */
  readonly deadLetterQueue: DeadLetterQueue;
  /** Per consumer function: where Lambda records the invocations that failed (on-failure destination). */
  readonly failureQueues: ReadonlyMap<EventTargetName, DeadLetterQueue>;
  private readonly failures = new Map<EventTargetName, DeadLetterQueue>();

  constructor(scope: Construct, id: string, props: ReleaseDeskBusProps = {}) {
    super(scope, id);
    this.failureQueues = this.failures;
    this.bus = new EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? EVENT_BUS_NAME });
    // A custom bus takes events only from its own account unless its policy allows others; this
    // says so explicitly, so a later Allow added for some integration cannot open it to another
    // account by accident (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyThisAccountPutsEvents',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }),
    );
    // Lets an operator replay what the relay published (e.g. after fixing a consumer).
    const archive = this.bus.archive('Archive', {
      description: 'Every Release Desk event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(30),
    });
    // Without a key the L2 still renders `KmsKeyIdentifier: ""`, which is no key identifier; an
    // absent property is what means "encrypted with an AWS owned key".
    (archive.node.defaultChild as CfnArchive).addPropertyDeletionOverride('KmsKeyIdentifier');
    this.deadLetterQueue = new DeadLetterQueue(this, 'RuleTargetsDlq');
  }

  /**
   * Gives a consumer function its asynchronous invocation settings (`consumerAsyncInvoke`) and an
   * on-failure queue of its own, once however many rules and schedules target it.
   */
  private configureConsumer(name: EventTargetName, fn: IFunction): void {
    if (this.failures.has(name)) return;
    const settings: AsyncInvokeSettings = consumerAsyncInvoke[name];
    const failures = new DeadLetterQueue(this, `${constructId(name)}Failures`);
    fn.configureAsyncInvoke({
      retryAttempts: settings.maximumRetryAttempts,
      maxEventAge: Duration.seconds(settings.maximumEventAgeSeconds),
      onFailure: new SqsDestination(failures.queue),
    });
    this.failures.set(name, failures);
  }

  /** Only `role` may put events with `source: release-desk` on the bus (the outbox relay's role). */
  restrictSourceTo(role: IRole): void {
    // Consumers act only on what the table says (DESIGN §6, invariant 9); this keeps forged
    // Release Desk events off the bus in the first place. `events:source` is the PutEvents
    // condition key (docs/decisions.md cites the EventBridge user guide).
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheOutboxRelayPutsReleaseDeskEvents',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': EVENT_SOURCE },
          ArnNotEquals: { 'aws:PrincipalArn': role.roleArn },
        },
      }),
    );
  }

  /** Creates one schedule rule (on the account's default bus, where schedules run) per entry. */
  addSchedules(
    schedules: readonly ScheduleDefinition[],
    target: (name: EventTargetName) => IFunction | undefined,
  ): Rule[] {
    return schedules.flatMap((definition) => {
      const fn = target(definition.target);
      if (!fn) return [];
      const rule = new Rule(this, `${constructId(definition.name)}Schedule`, {
        description: definition.description,
        schedule: Schedule.rate(Duration.minutes(definition.everyMinutes)),
      });
      // A missed run is made up by the next one: no delivery retries, no dead letters. A run that
      // fails for good is still recorded (on-failure queue, alarm), so a failing reconciler is seen.
      rule.addTarget(
        new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(definition.everyMinutes) }),
      );
      this.configureConsumer(definition.target, fn);
      return [rule];
    });
  }

  /** Creates the rules, each targeting the function `target` returns for its target name. */
  addRules(
    rules: readonly RuleDefinition[],
    target: (name: EventTargetName) => IFunction | undefined,
  ): Rule[] {
    return rules.flatMap((definition) => {
      const fn = target(definition.target);
      if (!fn) return [];
      const rule = new Rule(this, `${constructId(definition.name)}Rule`, {
        eventBus: this.bus,
        description: definition.description,
        eventPattern: definition.eventPattern,
      });
      rule.addTarget(
        new LambdaFunction(fn, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue.queue,
        }),
      );
      this.configureConsumer(definition.target, fn);
      return [rule];
    });
  }
}
