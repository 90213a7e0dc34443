/**
 * DynamoDB adapter of the RFC store: one state item per RFC, its events and the links of the
 * releases that name it beside it; its lists from the indexes `changeIndexKeys` writes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Change } from '#domain/change/change';
import type { ApprovalQueue, ChangeFilter, ChangeStore } from '#domain/change/ports';
import type { Page } from '#domain/ports';
import { CHANGE_RELEASE_PREFIX, changeIndexKeys, changeLists, keys } from './keys.ts';
import { instant, type PartitionQuery, type QueryFilter, queryPage } from './query-page.ts';
import { DynamoRunStore } from './run-repository.ts';

/**
 * The query for a filtered RFC list: state, then type, then planned start picks the index; the
 * other filters are applied within it.
 */
export function changeQuery(filter: ChangeFilter): PartitionQuery {
  const from = instant(filter.plannedFrom);
  const to = instant(filter.plannedTo);
  const byPlanned = from !== undefined || to !== undefined;
  const list =
    filter.state !== undefined
      ? changeLists.state(filter.state)
      : filter.type !== undefined
        ? changeLists.type(filter.type)
        : byPlanned
          ? changeLists.planned
          : changeLists.all;
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const where = (attribute: string, op: string, value: unknown) => {
    names[`#f${conditions.length}`] = attribute;
    values[`:f${conditions.length}`] = value;
    conditions.push(`#f${conditions.length} ${op} :f${conditions.length}`);
  };
  // By state and type: the state's index, the type applied within it; so is a planned range.
  if (filter.state !== undefined && filter.type !== undefined) where('type', '=', filter.type);
  const inPlanned = list === changeLists.planned;
  if (!inPlanned) {
    if (from !== undefined) where('plannedStart', '>=', from);
    if (to !== undefined) where('plannedStart', '<', to);
  }
  return {
    index: list.index,
    partition: list.partition,
    // Planned-start keys are `<plannedStart>#<id>`: ≥ from includes a start equal to `from`,
    // ≤ to excludes one equal to `to` (its key is longer), so the range is [from, to).
    ...(inPlanned ? { sortRange: { from, to } } : { descending: true }),
    ...(conditions.length > 0
      ? { filter: { expression: conditions.join(' AND '), names, values } satisfies QueryFilter }
      : {}),
  };
}

export class DynamoChangeStore extends DynamoRunStore<Change> implements ChangeStore {
  constructor(db: DynamoDBDocumentClient, tableName: string) {
    super(db, tableName, {
      kind: 'change',
      indexKeys: changeIndexKeys,
      // Who voted, flat, so the approval queue can leave out what the voter has voted on.
      queryAttributes: (change) => ({ voterIds: (change.approvals ?? []).map((v) => v.by) }),
    });
  }

  /**
   * Writes the index keys of RFCs stored before an index existed (a local data dir of an earlier
   * version: the planned-start index of the change calendar). Returns how many it fixed.
   */
  async backfillIndexKeys(): Promise<number> {
    return this.backfill(changeLists.all);
  }

  async list(
    filter: ChangeFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Change>> {
    return queryPage(this.db, this.table, changeQuery(filter), page, this.fromItem);
  }

  async awaitingVote(
    queue: ApprovalQueue,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Change>> {
    const boards = Object.fromEntries(queue.boardIds.map((id, i) => [`:b${i}`, id]));
    return queryPage(
      this.db,
      this.table,
      {
        index: changeLists.awaitingVote.index,
        partition: changeLists.awaitingVote.partition,
        descending: true,
        filter: {
          expression: `#board IN (${Object.keys(boards).join(', ')}) AND #by <> :voter AND NOT contains(#voters, :voter)`,
          names: { '#board': 'cabTeamId', '#by': 'createdBy', '#voters': 'voterIds' },
          values: { ...boards, ':voter': queue.voterId },
        },
      },
      page,
      this.fromItem,
    );
  }

  async linkedReleases(changeId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.db,
        this.table,
        { partition: keys.run('change', changeId).pk, sortPrefix: CHANGE_RELEASE_PREFIX },
        { limit: 100, cursor },
        (item) => String(item.releaseId),
      );
      ids.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }
}
