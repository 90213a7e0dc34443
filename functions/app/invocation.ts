/**
 * The scope of one function invocation (AsyncLocalStorage): which function runs, the correlation
 * ids of what it handles, and the business facts it counted. Held in the async context rather than
 * in the Logger's shared keys because the local cloud runs many invocations at once in one process
 * (as Lambda managed instances do): keys appended to a shared logger would show up on another
 * invocation's lines. Nothing outlives its invocation, so there is nothing to clear between two.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetricName } from './telemetry.ts';

/** Log keys naming what an invocation handles (snake case, as Powertools names its own keys). */
export interface Correlation {
  /** What ties together every line about one request or event: `x-correlation-id`, else the request id. */
  readonly correlation_id?: string | undefined;
  /** API Gateway's request id (`requestContext.requestId`). */
  readonly request_id?: string | undefined;
  /** The release, RFC, task or CI the invocation acts on (path `{id}`, `detail.subject.id`). */
  readonly subject_id?: string | undefined;
  /** The domain event a consumer handles (`detail.id`, the same on every redelivery). */
  readonly event_id?: string | undefined;
  /** The Step Functions execution (named after its release or RFC). */
  readonly execution_name?: string | undefined;
}

export interface Invocation {
  readonly functionName: string;
  readonly correlation: Correlation;
  /** What it counted, by metric (functions/app/telemetry.ts publishes them at its end). */
  readonly counts: Map<MetricName, number>;
  /** What the store read ahead for the request (functions/app/request-scope.ts). */
  readonly reads: Map<string, Promise<unknown>>;
}

const scope = new AsyncLocalStorage<Invocation>();

/** Runs `work` as one invocation of `functionName`. */
export function inInvocation<T>(
  functionName: string,
  correlation: Correlation,
  work: (invocation: Invocation) => Promise<T>,
): Promise<T> {
  const invocation: Invocation = { functionName, correlation, counts: new Map(), reads: new Map() };
  return scope.run(invocation, () => work(invocation));
}

/** The invocation running now, if any. */
export function currentInvocation(): Invocation | undefined {
  return scope.getStore();
}

/**
 * The log keys of the invocation running now (none outside one): `function`, its name in
 * infra/functions.ts (`releases`, `apply-ci-updates`; Powertools' `function_name` is the deployed
 * name, which a stack suffixes), and its correlation ids (those it has: JSON leaves out the rest).
 */
export function invocationKeys(): Correlation & { function?: string } {
  const invocation = scope.getStore();
  return invocation ? { function: invocation.functionName, ...invocation.correlation } : {};
}
