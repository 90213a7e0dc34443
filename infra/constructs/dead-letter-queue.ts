/**
 * An SQS dead-letter queue for undeliverable events: encrypted, TLS-only, kept for 14 days.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A dead-letter queue (the target of failed deliveries, not a work queue). */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  readonly queue: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // SQS-managed SSE rather than KMS: EventBridge can deliver to it without a key policy.
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (of an EventBridge target or a stream event source mapping); cdk-nag only recognises DLQs referenced by another queue.',
    });
  }
}
