/**
 * DynamoDB adapter of the release store: one state item per release, its events beside it.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#domain/events';
import type { Page } from '#domain/ports';
import type { ReleaseFilter, ReleaseStanding, ReleaseStore } from '#domain/release/ports';
import type { Release } from '#domain/release/release';
import { commit } from './commit.ts';
import { keys, releaseIndexKeys, releaseLists } from './keys.ts';
import { instant, type PartitionQuery, type QueryFilter, queryPage } from './query-page.ts';
import { DynamoRunStore } from './run-repository.ts';

/**
 * The query for a filtered list: the most selective filter picks the index (stage, then team,
 * then status, then planned start), the others are applied within it.
 */
export function releaseQuery(filter: ReleaseFilter): PartitionQuery {
  const from = instant(filter.plannedFrom);
  const to = instant(filter.plannedTo);
  const byPlanned = from !== undefined || to !== undefined;
  const chosen =
    filter.stage !== undefined
      ? 'stage'
      : filter.teamId !== undefined
        ? 'team'
        : filter.status !== undefined
          ? 'status'
          : byPlanned
            ? 'planned'
            : 'all';
  const list =
    chosen === 'stage'
      ? releaseLists.stage(filter.stage as string)
      : chosen === 'team'
        ? releaseLists.team(filter.teamId as string)
        : chosen === 'status'
          ? releaseLists.status(filter.status as string)
          : chosen === 'planned'
            ? releaseLists.planned
            : releaseLists.all;
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const where = (attribute: string, op: string, value: unknown) => {
    names[`#f${conditions.length}`] = attribute;
    values[`:f${conditions.length}`] = value;
    conditions.push(`#f${conditions.length} ${op} :f${conditions.length}`);
  };
  // Filters the chosen index does not answer are applied within it.
  if (chosen === 'stage' && filter.teamId !== undefined) where('teamId', '=', filter.teamId);
  if ((chosen === 'stage' || chosen === 'team') && filter.status !== undefined)
    where('status', '=', filter.status);
  if (chosen !== 'planned') {
    if (from !== undefined) where('plannedStart', '>=', from);
    if (to !== undefined) where('plannedStart', '<', to);
  }
  return {
    index: list.index,
    partition: list.partition,
    // Planned-start keys are `<plannedStart>#<id>`: ≥ from includes a start equal to `from`,
    // ≤ to excludes one equal to `to` (its key is longer), so the range is [from, to).
    ...(chosen === 'planned' ? { sortRange: { from, to } } : { descending: true }),
    ...(conditions.length > 0
      ? { filter: { expression: conditions.join(' AND '), names, values } satisfies QueryFilter }
      : {}),
  };
}

/** The attributes of {@link ReleaseStanding}, as the release item stores them. */
const STANDING_FIELDS = [
  'id',
  'status',
  'teamId',
  'releaseType',
  'packageType',
  'urgency',
  'businessPriority',
] as const satisfies readonly (keyof ReleaseStanding)[];

export class DynamoReleaseStore extends DynamoRunStore<Release> implements ReleaseStore {
  constructor(db: DynamoDBDocumentClient, tableName: string) {
    super(db, tableName, {
      kind: 'release',
      indexKeys: releaseIndexKeys,
      // The plan is most of a release item (about 300 bytes a task) and is rewritten, with the
      // item, into the table and five indexes on every move; gzipped it is a quarter of that.
      packed: ['tasks'],
      // Each linked RFC lists the release (its `releaseIds`, and the releases its state readies).
      links: (release) =>
        release.changeIds.map((changeId) => ({
          ...keys.changeRelease(changeId, release.id),
          entity: 'change-release',
          changeId,
          releaseId: release.id,
        })),
    });
  }

  /**
   * Writes the index keys of releases stored before an index existed (a local data dir of an
   * earlier version), so that filtered lists and the reconciler see them. Returns how many it fixed.
   */
  async backfillIndexKeys(): Promise<number> {
    return this.backfill(releaseLists.all);
  }

  /**
   * The release's standing: a GetItem projecting only those attributes, so the plan it holds (up to
   * the item's 400 KB) is neither sent nor unmarshalled. DynamoDB still bills the whole item's read
   * units: the projection saves time and transfer, not capacity.
   */
  async standing(id: string): Promise<ReleaseStanding | undefined> {
    const fields = STANDING_FIELDS.map((_, i) => `#f${i}`);
    const out = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.run('release', id),
        ConsistentRead: true,
        ProjectionExpression: fields.join(', '),
        ExpressionAttributeNames: Object.fromEntries(STANDING_FIELDS.map((f, i) => [`#f${i}`, f])),
      }),
    );
    return out.Item ? (out.Item as ReleaseStanding) : undefined;
  }

  async savePlan(
    release: Release,
    expectedVersion: number,
    events: readonly DomainEvent[],
    previous?: Release,
  ): Promise<void> {
    await commit(this.db, this.table, {
      writes: [{ item: this.toItem(release), expectedVersion }],
      checks: [{ key: keys.tasksReady(release.id), expect: 'absent' }],
      events,
      ...(previous ? this.linkChanges(previous, release) : {}),
    });
  }

  async list(
    filter: ReleaseFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Release>> {
    return queryPage(this.db, this.table, releaseQuery(filter), page, this.fromItem);
  }
}
