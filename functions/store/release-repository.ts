/**
 * DynamoDB adapter of the release store: one state item per release, its events beside it.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#domain/events';
import type { Page } from '#domain/ports';
import type { Release } from '#domain/release';
import type { IdempotencyRequest, ReleaseStore } from '#domain/release-service';
import { commit, commitOnce } from './commit.ts';
import { keys, LIST } from './keys.ts';
import { queryPage } from './query-page.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'] as const;

function toItem(release: Release) {
  return {
    ...keys.release(release.id),
    entity: 'release',
    gsi1pk: LIST.releases,
    gsi1sk: `${release.createdAt}#${release.id}`,
    ...release,
  };
}

function fromItem(item: Record<string, unknown>): Release {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as Release;
}

export class DynamoReleaseStore implements ReleaseStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#table = tableName;
  }

  async create(release: Release, event: DomainEvent, idempotency?: IdempotencyRequest) {
    const { replayedId } = await commitOnce(
      this.#db,
      this.#table,
      { writes: [{ item: toItem(release), expectedVersion: undefined }], events: [event] },
      idempotency,
      release.id,
    );
    if (replayedId === undefined) return { release, replayed: false };
    const stored = await this.get(replayedId);
    if (!stored) throw new Error(`Idempotency record points at missing release ${replayedId}`);
    return { release: stored, replayed: true };
  }

  async get(id: string): Promise<Release | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: keys.release(id), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async save(release: Release, expectedVersion: number, events: readonly DomainEvent[]): Promise<void> {
    await commit(this.#db, this.#table, { writes: [{ item: toItem(release), expectedVersion }], events });
  }

  async history(
    id: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<DomainEvent>> {
    return queryPage(
      this.#db,
      this.#table,
      { partition: keys.release(id).pk, sortPrefix: 'EVT#' },
      page,
      ({ id: eventId, type, occurredAt, actor, subject, data }) =>
        ({ id: eventId, type, occurredAt, actor, subject, data }) as DomainEvent,
    );
  }

  async list(page: { limit: number; cursor?: string | undefined }): Promise<Page<Release>> {
    return queryPage(
      this.#db,
      this.#table,
      { index: 'gsi1', partition: LIST.releases, descending: true },
      page,
      fromItem,
    );
  }
}
