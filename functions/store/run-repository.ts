/**
 * DynamoDB adapter of a workflow run's store, for any kind of subject: one state item per
 * subject, its events beside it (committed in the same transaction), its index keys from the kind.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type DomainEvent, EVENT_SUBJECT_KINDS, EVENT_TYPES } from '#domain/events';
import type { IdempotencyRequest, Page } from '#domain/ports';
import type { RunStore } from '#domain/workflow-run/ports';
import type { RunKind, RunSubject } from '#domain/workflow-run/run';
import { commit, commitOnce } from './commit.ts';
import { keys, runStatusList } from './keys.ts';
import { queryPage } from './query-page.ts';
import type { IndexName } from './table-definition.ts';
import { TableStore } from './table-store.ts';

/** Attributes that are the item's, not the subject's. */
const ITEM_ONLY = [
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
  'gsi5pk',
  'gsi5sk',
  'gsi6pk',
  'gsi6sk',
];

/** What every stored event item holds (its `data` is the domain's, checked where it is used). */
const StoredEvent = z.object({
  id: z.string().min(1),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.string().min(1),
  actor: z.string().min(1),
  subject: z.object({ kind: z.enum(EVENT_SUBJECT_KINDS), id: z.string().min(1) }),
  data: z.record(z.string(), z.unknown()),
});

/** An event item that is not an event: nothing is published or read from it. */
export class MalformedStoredEventError extends Error {
  constructor(key: string, reason: string) {
    super(`Stored event ${key} is malformed: ${reason}`);
    this.name = 'MalformedStoredEventError';
  }
}

/**
 * A stored event item as the domain event it holds: the one way items are turned back into
 * events (histories, consumers' look-ups, the outbox relay).
 *
 * @throws {MalformedStoredEventError} naming what is wrong, when the item is not a whole event.
 */
export function toEvent(item: Record<string, unknown>): DomainEvent {
  const parsed = StoredEvent.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new MalformedStoredEventError(
    `${String(item.pk)}/${String(item.sk)}`,
    parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; '),
  );
}

export interface RunItemOptions<S extends RunSubject> {
  readonly kind: RunKind;
  /** The index keys of a subject (every list it appears in); by default only by status. */
  readonly indexKeys?: (subject: S) => Record<string, string>;
  /**
   * Attributes of the item that serve queries (filters), not the subject: written beside it,
   * left out when the item is read back.
   */
  readonly queryAttributes?: (subject: S) => Record<string, unknown>;
  /**
   * Items kept beside the subject in other partitions (a release's links to its RFCs): written
   * with its creation, and on a save given the subject as it was read, the difference by key.
   */
  readonly links?: (subject: S) => (Record<string, unknown> & { pk: string; sk: string })[];
  /**
   * Attributes stored gzip-compressed (a Binary of their JSON): large, never in a key, a filter or
   * an update expression, read whole with the subject (a release's planned tasks). Every index
   * projects the whole item, so each write of the item costs its size in the table and again in
   * each index it is in: smaller, it costs fewer write units (docs/decisions.md).
   */
  readonly packed?: readonly string[];
}

/** A packed attribute's stored form. */
export function pack(value: unknown): Uint8Array {
  return new Uint8Array(gzipSync(JSON.stringify(value)));
}

/** A packed attribute read back; an item written before it was packed holds the plain value. */
export function unpack(value: unknown): unknown {
  return value instanceof Uint8Array ? JSON.parse(gunzipSync(value).toString('utf8')) : value;
}

export class DynamoRunStore<S extends RunSubject> extends TableStore implements RunStore<S> {
  readonly #options: RunItemOptions<S>;

  constructor(db: DynamoDBDocumentClient, tableName: string, options: RunItemOptions<S>) {
    super(db, tableName);
    this.#options = options;
  }

  /** The item of a subject: its keys, its index keys and the subject itself. */
  protected toItem(subject: S): Record<string, unknown> & { pk: string; sk: string } {
    const { kind, indexKeys } = this.#options;
    const index = indexKeys
      ? indexKeys(subject)
      : { gsi2pk: runStatusList(kind, subject.status), gsi2sk: `${subject.updatedAt}#${subject.id}` };
    const item: Record<string, unknown> & { pk: string; sk: string } = {
      ...keys.run(kind, subject.id),
      entity: kind,
      ...index,
      ...this.#options.queryAttributes?.(subject),
      ...(subject as unknown as Record<string, unknown>),
    };
    for (const k of this.#options.packed ?? []) if (item[k] !== undefined) item[k] = pack(item[k]);
    return item;
  }

  protected fromItem = (item: Record<string, unknown>): S => {
    const copy: Record<string, unknown> = { ...item };
    for (const k of ITEM_ONLY) delete copy[k];
    for (const k of this.#options.packed ?? []) if (copy[k] !== undefined) copy[k] = unpack(copy[k]);
    if (this.#options.queryAttributes) {
      for (const k of Object.keys(this.#options.queryAttributes(copy as unknown as S))) delete copy[k];
    }
    return copy as unknown as S;
  };

  /** The link items to put and delete when a subject goes from `before` to `after`. */
  protected linkChanges(before: S | undefined, after: S) {
    const links = this.#options.links;
    if (!links) return {};
    const key = (i: { pk: string; sk: string }) => `${i.pk}|${i.sk}`;
    const old = new Map((before ? links(before) : []).map((i) => [key(i), i]));
    const now = links(after);
    const kept = new Set(now.map(key));
    return {
      derived: {
        puts: now.filter((i) => !old.has(key(i))),
        deletes: [...old.values()].filter((i) => !kept.has(key(i))).map(({ pk, sk }) => ({ pk, sk })),
      },
    };
  }

  /**
   * Writes the index keys of subjects stored before an index existed (a local data dir of an
   * earlier version). Reads the list of all subjects of the kind (a Query), rewrites only what
   * lacks a key, never a newer version. Returns how many it fixed.
   */
  protected async backfill(all: { index: IndexName; partition: string }): Promise<number> {
    let fixed = 0;
    let cursor: string | undefined;
    do {
      const page = await queryPage(this.db, this.table, all, { limit: 100, cursor }, (item) => item);
      for (const item of page.items) {
        const wanted = this.toItem(this.fromItem(item));
        const missing = Object.entries(wanted).filter(
          ([k, v]) => k.startsWith('gsi') && typeof v === 'string' && item[k] !== v,
        );
        if (missing.length === 0) continue;
        try {
          await this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: `SET ${missing.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: {
                '#version': 'version',
                ...Object.fromEntries(missing.map(([k], i) => [`#k${i}`, k])),
              },
              ExpressionAttributeValues: {
                ':version': item.version,
                ...Object.fromEntries(missing.map(([, v], i) => [`:v${i}`, v])),
              },
            }),
          );
          fixed++;
        } catch (error) {
          // Written meanwhile, with its keys: nothing left to do.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    return fixed;
  }

  async create(subject: S, event: DomainEvent, idempotency?: IdempotencyRequest) {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: [{ item: this.toItem(subject), expectedVersion: undefined }],
        events: [event],
        ...this.linkChanges(undefined, subject),
      },
      idempotency,
      subject.id,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async get(id: string): Promise<S | undefined> {
    return this.read(keys.run(this.#options.kind, id), this.fromItem);
  }

  async save(
    subject: S,
    expectedVersion: number,
    events: readonly DomainEvent[],
    previous?: S,
  ): Promise<void> {
    await commit(this.db, this.table, {
      writes: [{ item: this.toItem(subject), expectedVersion }],
      events,
      ...(previous ? this.linkChanges(previous, subject) : {}),
    });
  }

  async event(id: string, eventId: string): Promise<DomainEvent | undefined> {
    return this.read(keys.event({ kind: this.#options.kind, id }, eventId), toEvent);
  }

  async history(
    id: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<DomainEvent>> {
    return queryPage(
      this.db,
      this.table,
      { partition: keys.run(this.#options.kind, id).pk, sortPrefix: 'EVT#' },
      page,
      toEvent,
    );
  }

  async active(page: { limit: number; cursor?: string | undefined }): Promise<Page<S>> {
    return queryPage(
      this.db,
      this.table,
      { index: 'gsi2', partition: runStatusList(this.#options.kind, 'active') },
      page,
      this.fromItem,
    );
  }
}
