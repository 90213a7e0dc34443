/**
 * What the SLA use cases need: the SLA store (current state, a list, and the SLAs covering each CI,
 * read from that CI's partition of links) and the CMDB (the CIs an SLA covers must exist; what
 * depends on a CI, for the blackouts that apply to it through its dependents).
 */
import type { CiStore } from '../ci/ports.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Page } from '../ports.ts';
import type { Sla } from './sla.ts';

export interface SlaStore {
  get(id: string): Promise<Sla | undefined>;
  /** The SLAs among `ids` that exist, in the order given. */
  getMany(ids: readonly string[]): Promise<Sla[]>;
  /** Every SLA, by name (then id). */
  list(page: { limit: number; cursor?: string | undefined }): Promise<Page<Sla>>;
  /** The ids of the SLAs covering the CI (a Query of its links, never a Scan), in id order. */
  covering(ciId: string): Promise<string[]>;
  /** Stores version 1 with its links and its event (and the POST's Idempotency-Key). */
  create(sla: Sla, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite>;
  /**
   * Stores the next version of `previous` (still current: a VersionConflictError otherwise) with
   * its event; the links follow the difference.
   */
  save(sla: Sla, previous: Sla, event: DomainEvent): Promise<void>;
}

export interface SlaPorts {
  readonly slas: SlaStore;
  readonly cis: Pick<CiStore, 'get' | 'getMany' | 'dependents'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
