/**
 * What the metrics use cases need: the metrics store (incidents, each release's fact and the
 * counters), the releases with their histories, and the workflows' definitions (a release's deploy
 * stage).
 */
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator } from '../ports.ts';
import type { ReleaseStore } from '../release/ports.ts';
import type { WorkflowDefinitions } from '../workflow-run/ports.ts';
import type { Counter, CounterKey } from './counters.ts';
import type { ReleaseFact } from './fact.ts';
import type { Incident } from './incident.ts';
import type { Granularity } from './periods.ts';

/** A release's fact as stored: what the counters hold of it (`null`: nothing yet), and its version. */
export interface StoredFact {
  readonly fact: ReleaseFact | null;
  readonly version: number;
}

export interface MetricsStore {
  /**
   * Stores a new incident with its event (and the POST's Idempotency-Key): a VersionConflictError
   * when the release has an incident with that reference already. Under a key used before for the
   * same request it stores nothing and names the first request's incident (its reference).
   */
  attribute(
    incident: Incident,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite>;
  incident(releaseId: string, reference: string): Promise<Incident | undefined>;
  /** The release's fact as the counters hold it, or undefined when none was ever stored. */
  fact(releaseId: string): Promise<StoredFact | undefined>;
  /** The counters asked for, each as stored or empty (version 0), in the order asked. */
  counters(keys: readonly CounterKey[]): Promise<Counter[]>;
  /**
   * Stores the release's new fact and the counters it changes, in one transaction: only if the fact
   * and every counter are still at the versions read (a VersionConflictError otherwise).
   */
  applyFact(
    releaseId: string,
    fact: ReleaseFact | null,
    factVersion: number,
    counters: readonly Counter[],
  ): Promise<void>;
  /** Every counter of `granularity` from period `from` to period `to` (keys), of one team or all. */
  countersIn(
    granularity: Granularity,
    range: { from: string; to: string },
    teamId?: string | undefined,
  ): Promise<Counter[]>;
}

export interface MetricsPorts {
  readonly metrics: MetricsStore;
  /** Releases, their histories, and (for the recount) the list of them all — a Query, never a Scan. */
  readonly releases: Pick<ReleaseStore, 'get' | 'history' | 'list'>;
  readonly workflows: WorkflowDefinitions;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
