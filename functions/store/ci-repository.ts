/**
 * DynamoDB adapter of the CI store. A CI's partition (`CI#<id>`) holds its state (`#STATE`), one
 * item per version (`V#<n>`: the change and the CI after it), the same CI keyed by the version's
 * instant (`AT#<at>#<n>`), the relations other CIs hold to it (`IN#<source>#<type>`) and its
 * events. Every change writes them in one transaction, so the newest history page and the CI at
 * an instant are each one Query of a bounded number of items, however many versions there are.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { takeRead } from '#app/request-scope';
import type { Ci, CiVersion, CiWrite } from '#domain/ci/ci';
import type { AppliedCiUpdate, CiFilter, CiStore, InboundRelation } from '#domain/ci/ports';
import type { IdempotencyRequest, IdempotentWrite, Page } from '#domain/ports';
import { batchGetItems } from './batch-get.ts';
import { ciAtKey, queryCiAt } from './ci-at.ts';
import { commit, commitOnce, type DerivedWrites, type StateWrite } from './commit.ts';
import {
  CI_INBOUND_PREFIX,
  CI_VERSION_PREFIX,
  ciIndexKeys,
  ciLists,
  ciUpdateAppliedPrefix,
  keys,
} from './keys.ts';
import { type PartitionQuery, queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'];

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy;
}

const ciFrom = (item: Record<string, unknown>) => strip(item) as unknown as Ci;
const versionFrom = (item: Record<string, unknown>) => strip(item) as unknown as CiVersion;
const snapshotFrom = (item: Record<string, unknown>) => item.snapshot as Ci;
function appliedFrom(item: Record<string, unknown>): AppliedCiUpdate {
  const { releaseId, taskId, index, ciId, version, appliedAt } = item as unknown as AppliedCiUpdate;
  return { releaseId, taskId, index, ciId, version, appliedAt };
}

/** The items a change of a CI writes: its state, its version, its instant, its event. */
function itemsOf(write: CiWrite, expectedVersion: number | undefined): StateWrite[] {
  const { ci, version } = write;
  return [
    { item: { ...keys.ci(ci.id), entity: 'ci', ...ciIndexKeys(ci), ...ci }, expectedVersion },
    {
      item: {
        ...keys.ciVersion(ci.id, version.version),
        entity: 'ciVersion',
        ...(version.releaseId !== undefined
          ? {
              gsi1pk: ciLists.releaseVersions(version.releaseId).partition,
              gsi1sk: ciLists.releaseVersionKey(version.at, ci.id, version.version),
            }
          : {}),
        ...version,
      },
      expectedVersion: undefined,
    },
    {
      item: {
        ...keys.ciAt(ci.id, version.at, version.version),
        entity: 'ciAt',
        ciId: ci.id,
        version: version.version,
        snapshot: ci,
      },
      expectedVersion: undefined,
    },
  ];
}

/** The inbound relation items to add and remove in the targets' partitions. */
function relationWrites(ci: Ci, before: Ci | undefined): DerivedWrites {
  const key = (r: { type: string; ciId: string }) => `${r.ciId}#${r.type}`;
  const had = new Set((before?.relations ?? []).map(key));
  const has = new Set(ci.relations.map(key));
  return {
    puts: ci.relations
      .filter((r) => !had.has(key(r)))
      .map((r) => ({
        ...keys.ciInbound(r.ciId, ci.id, r.type),
        entity: 'ciRelation',
        sourceId: ci.id,
        targetId: r.ciId,
        type: r.type,
      })),
    deletes: (before?.relations ?? [])
      .filter((r) => !has.has(key(r)))
      .map((r) => keys.ciInbound(r.ciId, ci.id, r.type)),
  };
}

export class DynamoCiStore extends TableStore implements CiStore {
  constructor(db: DynamoDBDocumentClient, tableName: string) {
    super(db, tableName);
  }

  async get(id: string): Promise<Ci | undefined> {
    return this.read(keys.ci(id), ciFrom);
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, Ci>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const items = await batchGetItems(
      this.db,
      this.table,
      unique.map((id) => keys.ci(id)),
    );
    return new Map(items.map((item) => [String(item.id), ciFrom(item)]));
  }

  async create(write: CiWrite, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: itemsOf(write, undefined),
        events: [write.event],
        derived: relationWrites(write.ci, undefined),
      },
      idempotency,
      write.ci.id,
    );
    return replayedId !== undefined ? { replayed: replayedId } : {};
  }

  async save(
    write: CiWrite,
    expectedVersion: number,
    previous: Ci,
    applied?: AppliedCiUpdate,
  ): Promise<void> {
    await commit(this.db, this.table, {
      writes: [
        ...itemsOf(write, expectedVersion),
        ...(applied
          ? [
              {
                item: {
                  ...keys.ciUpdateApplied(applied.releaseId, applied.taskId, applied.index),
                  entity: 'ciUpdateApplied',
                  ...applied,
                },
                expectedVersion: undefined,
              },
            ]
          : []),
      ],
      events: [write.event],
      derived: relationWrites(write.ci, previous),
    });
  }

  async at(id: string, instant: string): Promise<Ci | undefined> {
    // Read ahead with the caller when the request is `GET /cis/{id}?at=` (`getWith` in user-repository.ts).
    const item = await (takeRead<Record<string, unknown> | undefined>(ciAtKey(id, instant)) ??
      queryCiAt(this.db, this.table, id, instant));
    return item ? snapshotFrom(item) : undefined;
  }

  async history(id: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<CiVersion>> {
    return queryPage(
      this.db,
      this.table,
      { partition: keys.ci(id).pk, sortPrefix: CI_VERSION_PREFIX, descending: true },
      page,
      versionFrom,
    );
  }

  async version(id: string, version: number): Promise<CiVersion | undefined> {
    return this.read(keys.ciVersion(id, version), versionFrom);
  }

  async list(filter: CiFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<Ci>> {
    const query: PartitionQuery =
      filter.name !== undefined
        ? {
            ...ciLists.name(filter.name),
            ...(filter.type !== undefined ? { sortPrefix: ciLists.nameOfType(filter.type) } : {}),
          }
        : filter.type !== undefined
          ? ciLists.type(filter.type)
          : ciLists.all;
    return queryPage(this.db, this.table, query, page, ciFrom);
  }

  async dependents(id: string, limit: number): Promise<InboundRelation[]> {
    const found: InboundRelation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.ci(id).pk, ':prefix': CI_INBOUND_PREFIX },
          Limit: Math.max(1, limit - found.length),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        found.push({ ciId: String(item.sourceId), type: item.type as InboundRelation['type'] });
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  async applied(releaseId: string, taskId?: string): Promise<AppliedCiUpdate[]> {
    const marks: AppliedCiUpdate[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': keys.release(releaseId).pk,
            ':prefix': ciUpdateAppliedPrefix(taskId),
          },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      marks.push(...(out.Items ?? []).map(appliedFrom));
      start = out.LastEvaluatedKey;
    } while (start);
    return marks;
  }

  async versionsOfRelease(
    releaseId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<CiVersion>> {
    return queryPage(this.db, this.table, ciLists.releaseVersions(releaseId), page, versionFrom);
  }
}
