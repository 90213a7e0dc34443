/**
 * Ports the use cases need. Adapters (DynamoDB, Step Functions) implement them in functions/store
 * and functions/adapters; domain tests use in-memory fakes.
 */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new unique, time-sortable id with the given prefix, e.g. `rel_01J…`. */
  next(prefix: string): string;
}

/** One page of a list, with an opaque cursor for the next page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/**
 * What a store's write under an Idempotency-Key did: stored it, or — the key was used before for
 * the same request — stored nothing, and `replayed` names what the first request created.
 */
export interface IdempotentWrite<R = string> {
  readonly replayed?: R;
}

/** A POST's Idempotency-Key, scoped to its caller, and a fingerprint of its body. */
export interface IdempotencyRequest {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * The business facts counted for the operators' dashboard (CloudWatch, namespace `ReleaseDesk`):
 * each is counted by the use case that committed it, once per commit, never by an entity.
 */
export const BUSINESS_METRICS = [
  'ReleasesCreated',
  'Transitions',
  'Approvals',
  'TasksCompleted',
  'TasksFailed',
  'CiUpdatesApplied',
  'BackOuts',
  'BlackoutOverrides',
] as const;
export type BusinessMetric = (typeof BUSINESS_METRICS)[number];

/** Counts business facts; what it counts in one invocation is published once, at its end. */
export interface Meter {
  count(metric: BusinessMetric, value?: number): void;
}
