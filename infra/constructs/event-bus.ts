/**
 * The `release-desk` event bus, its archive, and one rule per entry of `infra/rules.ts`, each
 * delivering to its consumer function with retries and a dead-letter queue.
 */
import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  type EventTargetName,
  type RuleDefinition,
  type ScheduleDefinition,
} from '../rules.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { constructId } from './handlers.ts';

/** The bus every domain event is published to. */
export class ReleaseDeskBus extends Construct {
  readonly bus: EventBus;
  /** Where events that a rule's target kept failing on end up. */
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: EVENT_BUS_NAME });
    // Lets an operator replay what the relay published (e.g. after fixing a consumer).
    this.bus.archive('Archive', {
      description: 'Every Release Desk event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(30),
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'RuleTargetsDlq');
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
      // A missed run is made up by the next one: no retries, no dead letters.
      rule.addTarget(
        new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(definition.everyMinutes) }),
      );
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
      return [rule];
    });
  }
}
