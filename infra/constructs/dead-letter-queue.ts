/**
 * An SQS dead-letter queue for what could not be processed: events a rule could not deliver,
 * stream batches the relay kept failing on, and the records of failed asynchronous invocations
 * (Lambda on-failure destinations). Encrypted, TLS-only, kept for 14 days; the stack alarms on
 * every one of them as soon as it holds a message.
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
    // SQS-managed SSE rather than KMS: EventBridge and Lambda can deliver to it without a key policy.
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (of an EventBridge target, a stream event source mapping, or a Lambda on-failure destination); cdk-nag only recognises DLQs referenced by another queue.',
    });
  }
}
