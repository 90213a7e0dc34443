/**
 * What the store read ahead for one HTTP request, across the awaits of its middlewares and its use
 * case: kept in the scope of the invocation (functions/app/invocation.ts; the local cloud serves
 * many requests at once in one process, so a module variable would mix them up). The store keeps
 * there the items it read ahead with the caller (`getWith` in functions/store/user-repository.ts)
 * until the use case asks for them.
 */
import { currentInvocation } from './invocation.ts';

/** What the `{id}` path parameter of a route names, read together with the caller. */
export type ReadAheadKind = 'release' | 'change' | 'task' | 'ci';

/** An item (or, for a CI with `at`, the CI as it was then) to read together with the caller. */
export interface ReadAhead {
  readonly kind: ReadAheadKind;
  readonly id: string;
  /** A CI as it was at this instant (ISO 8601), not as it is. */
  readonly at?: string;
}

/** Keeps a read made ahead for the request, under the key the reader will ask for it by. */
export function offerRead(key: string, value: Promise<unknown>): void {
  // A rejection surfaces where the read is taken (or not at all if it never is).
  value.catch(() => undefined);
  currentInvocation()?.reads.set(key, value);
}

/**
 * The read made ahead under `key`, once: a second read in the same request (after a write, say)
 * goes to the table again. Undefined outside a request or when nothing was read ahead.
 */
export function takeRead<T>(key: string): Promise<T> | undefined {
  const reads = currentInvocation()?.reads;
  const value = reads?.get(key);
  if (value === undefined) return undefined;
  reads?.delete(key);
  return value as Promise<T>;
}
