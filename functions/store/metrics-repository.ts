/**
 * DynamoDB adapter of release metrics: incidents and each release's metrics fact beside the
 * release (`REL#<id>`, `INC#<reference>` and `#METRICS`), and one counter item per period and team
 * in its granularity's partition (`METRICS#month` / `METRICS#week`, `<period>#<team>`), so a range
 * of periods is one Query (docs/data-model.md). Writes go through `commit()`: an incident with its
 * event; a fact with the counters it changes, each at the version read.
 */
import type { DomainEvent } from '#domain/events';
import { type Counter, type CounterKey, emptyCounter } from '#domain/metrics/counters';
import type { ReleaseFact } from '#domain/metrics/fact';
import type { Incident } from '#domain/metrics/incident';
import type { Granularity } from '#domain/metrics/periods';
import type { MetricsStore, StoredFact } from '#domain/metrics/ports';
import type { IdempotencyRequest, IdempotentWrite } from '#domain/ports';
import { commit, commitOnce } from './commit.ts';
import { keys, metricsCounterRange } from './keys.ts';
import { queryPage } from './query-page.ts';
import { TableStore } from './table-store.ts';

const ITEM_ONLY = ['pk', 'sk', 'entity'] as const;

function withoutKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...item };
  for (const k of ITEM_ONLY) delete copy[k];
  return copy as T;
}

function counterItem(counter: Counter, version: number) {
  return {
    ...keys.metricsCounter(counter.granularity, counter.period, counter.teamId),
    entity: 'metrics-counter',
    granularity: counter.granularity,
    period: counter.period,
    teamId: counter.teamId,
    deployed: counter.deployed,
    onTime: counter.onTime,
    backedOut: counter.backedOut,
    withIncidents: counter.withIncidents,
    incidents: counter.incidents,
    failed: counter.failed,
    leadTimes: counter.leadTimes,
    version,
  };
}

const fromCounterItem = (item: Record<string, unknown>): Counter => withoutKeys<Counter>(item);

export class DynamoMetricsStore extends TableStore implements MetricsStore {
  async attribute(
    incident: Incident,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite> {
    const { replayedId } = await commitOnce(
      this.db,
      this.table,
      {
        writes: [
          {
            item: {
              ...keys.incident(incident.releaseId, incident.reference),
              entity: 'incident',
              ...incident,
            },
            expectedVersion: undefined,
          },
        ],
        events: [event],
      },
      idempotency,
      incident.reference,
    );
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async incident(releaseId: string, reference: string): Promise<Incident | undefined> {
    return this.read(keys.incident(releaseId, reference), (item) => withoutKeys<Incident>(item));
  }

  async fact(releaseId: string): Promise<StoredFact | undefined> {
    return this.read(keys.metricsFact(releaseId), (item) => ({
      fact: (item.fact ?? null) as ReleaseFact | null,
      version: Number(item.version),
    }));
  }

  async counters(wanted: readonly CounterKey[]): Promise<Counter[]> {
    // A handful of items (a fact touches at most four counters), each read consistently.
    return Promise.all(
      wanted.map(
        async (key) =>
          (await this.read(keys.metricsCounter(key.granularity, key.period, key.teamId), fromCounterItem)) ??
          emptyCounter(key),
      ),
    );
  }

  async applyFact(
    releaseId: string,
    fact: ReleaseFact | null,
    factVersion: number,
    counters: readonly Counter[],
  ): Promise<void> {
    const expected = (version: number) => (version === 0 ? undefined : version);
    await commit(this.db, this.table, {
      writes: [
        {
          item: {
            ...keys.metricsFact(releaseId),
            entity: 'metrics-fact',
            releaseId,
            fact,
            version: factVersion + 1,
          },
          expectedVersion: expected(factVersion),
        },
        ...counters.map((c) => ({
          item: counterItem(c, c.version + 1),
          expectedVersion: expected(c.version),
        })),
      ],
      events: [],
    });
  }

  async countersIn(
    granularity: Granularity,
    range: { from: string; to: string },
    teamId?: string | undefined,
  ): Promise<Counter[]> {
    const counters: Counter[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryPage(
        this.db,
        this.table,
        {
          ...metricsCounterRange(granularity, range.from, range.to),
          ...(teamId !== undefined
            ? {
                filter: {
                  expression: '#team = :team',
                  names: { '#team': 'teamId' },
                  values: { ':team': teamId },
                },
              }
            : {}),
        },
        { limit: 100, cursor },
        fromCounterItem,
      );
      counters.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return counters;
  }
}
