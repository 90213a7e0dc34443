/**
 * Outbox relay: reads the table's stream and publishes every newly inserted event item to the
 * `release-desk` bus. The same handler runs in AWS (stream → Lambda) and on the local cloud.
 * Delivery is at least once; consumers deduplicate on `detail.id`.
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type DomainEvent, eventDetail } from '#domain/events';
import type { Clients } from '#lib/clients';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';

export const EVENT_SOURCE = 'release-desk';
const BATCH = 10; // PutEvents takes at most 10 entries
const ATTEMPTS = 3;

/** The domain event an INSERT stream record carries, if it is an outbox item. */
export function eventOf(record: DynamoDBRecord): DomainEvent | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  if (item.entity !== 'event') return undefined;
  return item as unknown as DomainEvent;
}

export function toEntry(event: DomainEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Time: new Date(event.occurredAt),
    Resources: [`${event.subject.kind}/${event.subject.id}`],
    Detail: JSON.stringify(eventDetail(event)),
  };
}

export function createHandler(
  deps: () => { clients: Pick<Clients, 'events'>; config: { eventBusName: string } },
) {
  return async (streamEvent: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const { clients, config } = deps();
    const pending = streamEvent.Records.flatMap((record) => {
      const event = eventOf(record);
      return event ? [{ record, event }] : [];
    });
    const failed = new Set<string>();
    for (let i = 0; i < pending.length; i += BATCH) {
      let batch = pending.slice(i, i + BATCH);
      for (let attempt = 1; attempt <= ATTEMPTS && batch.length > 0; attempt++) {
        try {
          const out = await clients.events.send(
            new PutEventsCommand({ Entries: batch.map((p) => toEntry(p.event, config.eventBusName)) }),
          );
          batch = batch.filter((_, n) => out.Entries?.[n]?.ErrorCode !== undefined);
        } catch (error) {
          logger.warn('PutEvents failed', { attempt, error: error as Error });
        }
        if (batch.length > 0 && attempt < ATTEMPTS)
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
      for (const p of batch) failed.add(p.record.dynamodb?.SequenceNumber ?? '');
    }
    if (failed.size > 0) {
      // Report the earliest failure: the stream retries from there, keeping order per shard.
      const first = pending.find((p) => failed.has(p.record.dynamodb?.SequenceNumber ?? ''));
      logger.error('Events not published; the batch will be retried', { failed: failed.size });
      return {
        batchItemFailures: first ? [{ itemIdentifier: first.record.dynamodb?.SequenceNumber ?? '' }] : [],
      };
    }
    return { batchItemFailures: [] };
  };
}

export const handler = createHandler(environmentPorts);
