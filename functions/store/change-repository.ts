/**
 * DynamoDB adapter of the RFC store: one state item per RFC, its events and the links of the
 * releases that name it beside it; its lists from the indexes `changeIndexKeys` writes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Change } from '#domain/change/change';
import type { ApprovalQueue, ChangeFilter, ChangeStore } from '#domain/change/ports';
import type { Page } from '#domain/ports';
import { CHANGE_RELEASE_PREFIX, changeIndexKeys, changeLists, keys } from './keys.ts';
import { type QueryFilter, queryPage } from './query-page.ts';
import { DynamoRunStore } from './run-repository.ts';

export class DynamoChangeStore extends DynamoRunStore<Change> implements ChangeStore {
  constructor(db: DynamoDBDocumentClient, tableName: string) {
    super(db, tableName, {
      kind: 'change',
      indexKeys: changeIndexKeys,
      // Who voted, flat, so the approval queue can leave out what the voter has voted on.
      queryAttributes: (change) => ({ voterIds: (change.approvals ?? []).map((v) => v.by) }),
    });
  }

  async list(
    filter: ChangeFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Change>> {
    const list =
      filter.state !== undefined
        ? changeLists.state(filter.state)
        : filter.type !== undefined
          ? changeLists.type(filter.type)
          : changeLists.all;
    // By state and type: the state's index, the type applied within it.
    const filterType = filter.state !== undefined && filter.type !== undefined;
    return queryPage(
      this.db,
      this.table,
      {
        index: list.index,
        partition: list.partition,
        descending: true,
        ...(filterType
          ? {
              filter: {
                expression: '#type = :type',
                names: { '#type': 'type' },
                values: { ':type': filter.type },
              } satisfies QueryFilter,
            }
          : {}),
      },
      page,
      this.fromItem,
    );
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
