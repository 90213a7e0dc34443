/**
 * The outbox relay's wiring: the table's stream → the `outbox-relay` function, only for newly
 * inserted event items, with partial-batch failures, bisection and a dead-letter queue.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface OutboxRelayProps {
  readonly table: ITable;
  readonly relay: IFunction;
}

/**
 * Outbox items are the only stream records the relay acts on (`functions/store/commit.ts` writes
 * them with `entity = event`): filtering them at the source saves an invocation per state write.
 */
export const OUTBOX_FILTER = FilterCriteria.filter({
  eventName: FilterRule.isEqual('INSERT'),
  dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('event') } } },
});

/** Connects the table's stream to the relay function. */
export class OutboxRelay extends Construct {
  /** Receives the stream coordinates of batches the relay kept failing on (the records stay in the stream for 24 h). */
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'Dlq');
    props.relay.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        // One batch at a time per shard keeps each aggregate's events in commit order.
        parallelizationFactor: 1,
        filters: [OUTBOX_FILTER],
        onFailure: new SqsDlq(this.deadLetterQueue.queue),
      }),
    );
  }
}
