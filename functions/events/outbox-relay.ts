/**
 * Outbox relay: reads the table's stream and publishes every newly inserted event item to the
 * `release-desk` bus. The same handler runs in AWS (stream → Lambda) and on the local cloud.
 * Delivery is at least once and unordered (docs/events.md); consumers deduplicate on `detail.id`
 * and act on what the table holds. Batches respect both PutEvents limits: 10 entries and 256 KB
 * of entries per call.
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { type Correlation, withTelemetry } from '#app/telemetry';
import { type DomainEvent, EVENT_SOURCE, eventDetail } from '#domain/events';
import { toEvent } from '#store/run-repository';
import { truncatedData } from './delivered.ts';

export { EVENT_SOURCE };

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;
/**
 * …and less than 256 KB of entries in all, each counted as the EventBridge user guide says
 * ("Calculating PutEvents event entry size"): 14 bytes for Time, the UTF-8 bytes of Source,
 * DetailType, Detail and each of Resources.
 */
export const MAX_BATCH_BYTES = 256 * 1024 - 1;
const ATTEMPTS = 3;

/** The size EventBridge counts for an entry. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/**
 * Consecutive batches of at most 10 entries and {@link MAX_BATCH_BYTES}, in order. An entry too
 * large for any call goes alone, its `data` replaced by a pointer (`truncated: true`): subscribers
 * read the subject through the API, which they should do anyway, and the stream is never stuck.
 */
export function batchesOf<T>(items: readonly T[], entryOf: (item: T) => PutEventsRequestEntry) {
  const batches: { item: T; entry: PutEventsRequestEntry }[][] = [];
  let current: { item: T; entry: PutEventsRequestEntry }[] = [];
  let size = 0;
  for (const item of items) {
    let entry = entryOf(item);
    let entryBytes = entrySize(entry);
    if (entryBytes > MAX_BATCH_BYTES) {
      const detail = JSON.parse(entry.Detail ?? '{}') as { subject?: { kind: string; id: string } };
      entry = {
        ...entry,
        Detail: JSON.stringify({ ...detail, data: truncatedData(detail.subject?.kind) }),
      };
      entryBytes = entrySize(entry);
    }
    if (current.length > 0 && (current.length === MAX_ENTRIES || size + entryBytes > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push({ item, entry });
    size += entryBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The domain event an INSERT stream record carries, if it is an outbox item, parsed by the store.
 *
 * @throws {MalformedStoredEventError} when it is an event item but not a whole event.
 */
export function eventOf(record: DynamoDBRecord): DomainEvent | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  if (item.entity !== 'event') return undefined;
  return toEvent(item);
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
  return withTelemetry(
    'outbox-relay',
    relayCorrelation,
    async (streamEvent: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
      const { clients, config } = deps();
      const failed = new Set<string>();
      const outbox = streamEvent.Records.flatMap(
        (record): { record: DynamoDBRecord; event?: DomainEvent }[] => {
          try {
            const event = eventOf(record);
            return event ? [{ record, event }] : [];
          } catch (error) {
            // Never published: it stops the stream here, which retries it and then sets it aside (DLQ).
            logger.error('Outbox item is not an event; not published', { error: error as Error });
            failed.add(record.dynamodb?.SequenceNumber ?? '');
            return [{ record }];
          }
        },
      );
      const pending = outbox.flatMap((p) => (p.event ? [{ record: p.record, event: p.event }] : []));
      for (const whole of batchesOf(pending, (p) => toEntry(p.event, config.eventBusName))) {
        let batch = whole;
        for (let attempt = 1; attempt <= ATTEMPTS && batch.length > 0; attempt++) {
          try {
            const out = await clients.events.send(
              new PutEventsCommand({ Entries: batch.map((b) => b.entry) }),
            );
            batch = batch.filter((_, n) => out.Entries?.[n]?.ErrorCode !== undefined);
          } catch (error) {
            logger.warn('PutEvents failed', { attempt, error: error as Error });
          }
          if (batch.length > 0 && attempt < ATTEMPTS)
            await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
        for (const b of batch) failed.add(b.item.record.dynamodb?.SequenceNumber ?? '');
      }
      if (failed.size > 0) {
        // Report the earliest failure: the stream retries from there, keeping order per shard.
        const first = outbox.find((p) => failed.has(p.record.dynamodb?.SequenceNumber ?? ''));
        logger.error('Events not published; the batch will be retried', { failed: failed.size });
        return {
          batchItemFailures: first ? [{ itemIdentifier: first.record.dynamodb?.SequenceNumber ?? '' }] : [],
        };
      }
      return { batchItemFailures: [] };
    },
  );
}

/** A stream batch concerns many subjects: only its first record's sequence number ties its lines. */
function relayCorrelation(streamEvent: DynamoDBStreamEvent): Correlation {
  return { correlation_id: streamEvent?.Records?.[0]?.dynamodb?.SequenceNumber };
}

export const handler = createHandler(environmentPorts);
