/**
 * DynamoDB adapter of SLAs: an SLA's current state (`SLA#<id>`, `#STATE`) with its events, and one
 * link item per CI it covers in that CI's partition of SLA links (`SLALINKS#CI#<ciId>`,
 * `SLA#<slaId>`), so "which SLAs cover CI X" is one Query (docs/data-model.md).
 */
import type { DomainEvent } from '#domain/events';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import type { SlaStore } from '#domain/sla/ports';
import type { Sla } from '#domain/sla/sla';
import { batchGetItems } from './batch-get.ts';
import { commit, commitOnce } from './commit.ts';
import { keys, SLA_LINK_PREFIX, slaIndexKeys, slaLinks, slaLists } from './keys.ts';
import { queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'] as const;

type Item = Record<string, unknown> & { pk: string; sk: string };

function stateItem(sla: Sla): Item {
  return { ...keys.sla(sla.id), entity: 'sla', ...slaIndexKeys(sla), ...sla };
}

function fromItem(item: Record<string, unknown>): Sla {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as unknown as Sla;
}

/** The link items to put and delete when an SLA goes from `before` to `after`: the difference. */
function linkChanges(before: Sla | undefined, after: Sla) {
  const old = new Set(before?.ciIds ?? []);
  const now = new Set(after.ciIds);
  return {
    puts: [...now]
      .filter((c) => !old.has(c))
      .map((ciId) => ({ ...keys.slaLink(ciId, after.id), entity: 'slaLink', slaId: after.id, ciId })),
    deletes: [...old].filter((c) => !now.has(c)).map((ciId) => keys.slaLink(ciId, after.id)),
  };
}

export class DynamoSlaStore extends TableStore implements SlaStore {
  async get(id: string): Promise<Sla | undefined> {
    return this.read(keys.sla(id), fromItem);
  }

  async getMany(ids: readonly string[]): Promise<Sla[]> {
    const items = await batchGetItems(
      this.db,
      this.table,
      [...new Set(ids)].map((id) => keys.sla(id)),
    );
    const byId = new Map(items.map((item) => [String(item.id), fromItem(item)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async list(page: { limit: number; cursor?: string | undefined }): Promise<Page<Sla>> {
    const list = slaLists.all;
    return queryPage(this.db, this.table, { index: list.index, partition: list.partition }, page, fromItem);
  }

  async covering(ciId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.db,
        this.table,
        { partition: slaLinks(ciId), sortPrefix: SLA_LINK_PREFIX },
        { limit: 100, cursor },
        (item) => String(item.slaId),
      );
      ids.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  async create(sla: Sla, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: [{ item: stateItem(sla), expectedVersion: undefined }],
        events: [event],
        derived: linkChanges(undefined, sla),
      },
      idempotency,
      sla.id,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async save(sla: Sla, previous: Sla, event: DomainEvent): Promise<void> {
    await commit(this.db, this.table, {
      writes: [{ item: stateItem(sla), expectedVersion: previous.version }],
      events: [event],
      derived: linkChanges(previous, sla),
    });
  }
}
