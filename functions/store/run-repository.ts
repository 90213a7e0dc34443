/**
 * DynamoDB adapter of a workflow run's store, for any kind of subject: one state item per
 * subject, its events beside it (committed in the same transaction), its index keys from the kind.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#domain/events';
import type { IdempotencyRequest, Page } from '#domain/ports';
import type { RunStore } from '#domain/workflow-run/ports';
import type { RunKind, RunSubject } from '#domain/workflow-run/run';
import { commit, commitOnce } from './commit.ts';
import { keys, runStatusList } from './keys.ts';
import { queryPage } from './query-page.ts';

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
];

/** A stored event item as the domain event it holds. */
export function toEvent({
  id,
  type,
  occurredAt,
  actor,
  subject,
  data,
}: Record<string, unknown>): DomainEvent {
  return { id, type, occurredAt, actor, subject, data } as DomainEvent;
}

export interface RunItemOptions<S extends RunSubject> {
  readonly kind: RunKind;
  /** The index keys of a subject (every list it appears in); by default only by status. */
  readonly indexKeys?: (subject: S) => Record<string, string>;
}

export class DynamoRunStore<S extends RunSubject> implements RunStore<S> {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;
  readonly #options: RunItemOptions<S>;

  constructor(db: DynamoDBDocumentClient, tableName: string, options: RunItemOptions<S>) {
    this.db = db;
    this.table = tableName;
    this.#options = options;
  }

  /** The item of a subject: its keys, its index keys and the subject itself. */
  protected toItem(subject: S): Record<string, unknown> & { pk: string; sk: string } {
    const { kind, indexKeys } = this.#options;
    const index = indexKeys
      ? indexKeys(subject)
      : { gsi2pk: runStatusList(kind, subject.status), gsi2sk: `${subject.updatedAt}#${subject.id}` };
    return {
      ...keys.run(kind, subject.id),
      entity: kind,
      ...index,
      ...(subject as unknown as Record<string, unknown>),
    };
  }

  protected fromItem = (item: Record<string, unknown>): S => {
    const copy: Record<string, unknown> = { ...item };
    for (const k of ITEM_ONLY) delete copy[k];
    return copy as unknown as S;
  };

  async create(subject: S, event: DomainEvent, idempotency?: IdempotencyRequest) {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      { writes: [{ item: this.toItem(subject), expectedVersion: undefined }], events: [event] },
      idempotency,
      subject.id,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async get(id: string): Promise<S | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.run(this.#options.kind, id), ConsistentRead: true }),
    );
    return out.Item ? this.fromItem(out.Item) : undefined;
  }

  async save(subject: S, expectedVersion: number, events: readonly DomainEvent[]): Promise<void> {
    await commit(this.db, this.table, { writes: [{ item: this.toItem(subject), expectedVersion }], events });
  }

  async event(id: string, eventId: string): Promise<DomainEvent | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.event({ kind: this.#options.kind, id }, eventId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? toEvent(out.Item) : undefined;
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
