/**
 * Telemetry of every function, in one wrapper: each invocation runs in a scope of its own
 * (functions/app/invocation.ts) whose correlation ids every log line carries; in Lambda the
 * Powertools Logger gets the Lambda context, as `injectLambdaContext` gives it, and its appended
 * keys are reset after the invocation; what the invocation counted (the use cases' business facts
 * through {@link meter}, the platform's own through {@link countOperational}) is published once, at
 * its end, by the function's one Powertools Metrics: one CloudWatch embedded metric format (EMF)
 * line, namespace `ReleaseDesk`, dimension `service` (the stage's POWERTOOLS_SERVICE_NAME), as
 * infra/constructs/monitoring.ts reads them. Where tracing is on (Lambda), the invocation is an
 * X-Ray subsegment annotated with its correlation ids (functions/app/tracer.ts).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { BusinessMetric, Meter } from '#domain/ports';
import { type Correlation, currentInvocation, inInvocation } from './invocation.ts';
import { logger } from './logger.ts';
import { serviceName } from './service-name.ts';
import { traced } from './tracer.ts';

export type { Correlation } from './invocation.ts';

/** The namespace of every Release Desk metric. */
export const METRICS_NAMESPACE = 'ReleaseDesk';

/**
 * Metrics of the platform's own health rather than business facts, counted outside the use cases:
 * the reconciler's pass (functions/events/reconcile-executions.ts) and record-stage's divergences
 * (functions/steps/record-stage.ts), which the divergence alarm watches; and `DeadLetters`, which
 * only the local cloud counts (infra/local/cloud.ts): in AWS no function sees a dead letter, the
 * queues' depth shows them.
 */
export type OperationalMetric =
  | 'ReleaseExecutionDivergences'
  | 'ReleaseExecutionsEnded'
  | 'ReleaseExecutionRepairs'
  | 'DeadLetters';

/** Every metric a function publishes. */
export type MetricName = BusinessMetric | OperationalMetric;

/**
 * Whether metrics are published: POWERTOOLS_METRICS_DISABLED (Powertools' own switch) decides
 * when set; unset, only in Lambda, so that tests and scripts print no EMF (Powertools alone would
 * publish wherever POWERTOOLS_DEV is unset). Read on each use: the local cloud sets it after the
 * modules loaded.
 */
export function metricsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED;
  return disabled ? !/^(true|1)$/i.test(disabled) : env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
}

let metrics: Metrics | undefined;

/**
 * The function's one Powertools Metrics, created on first publication (after the local cloud had
 * its say about POWERTOOLS_METRICS_DISABLED, which Powertools reads once, when it is created). Its
 * warnings go through the Logger, as JSON.
 */
function functionMetrics(): Metrics {
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: serviceName(), logger });
  return metrics;
}

/**
 * Publishes `counts` as one EMF document, nothing when there is none (so Powertools has no empty
 * store to warn about). Each name is added once, with its total (a name added twice would be an
 * array of values), and published in the same synchronous step: where invocations share a process
 * (the local cloud) none can add to another's document.
 */
function publish(counts: ReadonlyMap<MetricName, number>): void {
  if (counts.size === 0 || !metricsEnabled()) return;
  const m = functionMetrics();
  for (const [name, value] of counts) m.addMetric(name, MetricUnit.Count, value);
  m.publishStoredMetrics();
}

/** Adds to the running invocation's counts (published at its end); outside one, publishes at once. */
function tally(counts: Iterable<readonly [MetricName, number]>): void {
  const invocation = currentInvocation();
  if (!invocation) {
    publish(new Map(counts));
    return;
  }
  for (const [name, value] of counts) invocation.counts.set(name, (invocation.counts.get(name) ?? 0) + value);
}

/**
 * The meter the composition root gives the use cases: a count adds to the running invocation's
 * counts (published at its end); outside an invocation (a script) it is published at once. A
 * count of zero is no fact: nothing is published for it.
 */
export const meter: Meter = {
  count(metric, value = 1) {
    if (value > 0) tally([[metric, value]]);
  },
};

/**
 * Counts the platform's own metrics, like {@link meter}, except that a zero is published as zero:
 * the reconciler reports each pass's tally, so its graphs show that it ran.
 */
export function countOperational(counts: Readonly<Partial<Record<OperationalMetric, number>>>): void {
  // Only numbers: Powertools throws on anything else, and publication runs in the wrapper's finally.
  tally(
    (Object.entries(counts) as [OperationalMetric, number | undefined][]).filter(
      (entry): entry is [OperationalMetric, number] => typeof entry[1] === 'number',
    ),
  );
}

// The local cloud passes no context, or one with the request id only.
const isLambdaContext = (context: unknown): context is Context =>
  typeof (context as Partial<Context> | undefined)?.functionName === 'string';

/**
 * Wraps a function's handler with its telemetry: `name` is the function's name in
 * infra/functions.ts, `correlate` reads the correlation ids from the event; it must not throw (a
 * malformed event is the handler's to refuse, its ids left out), as those below do not.
 */
export function withTelemetry<E, R, C = unknown>(
  name: string,
  correlate: (event: E) => Correlation,
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return (event, context) =>
    inInvocation(name, correlate(event), (invocation) =>
      traced(name, invocation.correlation, async () => {
        // What injectLambdaContext({ resetKeys: true }) does, for plain handlers and middy chains alike.
        if (isLambdaContext(context)) {
          logger.refreshSampleRateCalculation();
          logger.addContext(context);
        }
        try {
          return await handler(event, context as C);
        } finally {
          // Even when it failed: what it committed before counts.
          publish(invocation.counts);
          logger.resetKeys();
        }
      }),
    );
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** A caller's correlation id is kept only when it is a short token (it reaches every log line). */
const CORRELATION_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * An API Gateway (HTTP API, payload 2.0, whose header names are lower case) request: its request
 * id; the caller's `x-correlation-id`, else the trace id of its W3C `traceparent`, else the request
 * id; the `{id}` it names.
 */
export function httpCorrelation(event: unknown): Correlation {
  const e = record(event);
  const requestId = text(record(e?.requestContext)?.requestId);
  const headers = record(e?.headers);
  const given = text(headers?.['x-correlation-id']);
  const traceId = /^[\da-f]{2}-([\da-f]{32})-/.exec(text(headers?.traceparent) ?? '')?.[1];
  return {
    correlation_id: (given && CORRELATION_ID.test(given) ? given : undefined) ?? traceId ?? requestId,
    request_id: requestId,
    subject_id: text(record(e?.pathParameters)?.id),
  };
}

/**
 * An event from the bus: the domain event's id (the same on every redelivery, and what consumers
 * deduplicate on) is its correlation id; its subject; the execution of a release or RFC, which is
 * named after it.
 */
export function busEventCorrelation(event: unknown): Correlation {
  const e = record(event);
  const detail = record(e?.detail);
  const subject = record(detail?.subject);
  const eventId = text(detail?.id) ?? text(e?.id);
  const subjectId = text(subject?.id);
  const kind = text(subject?.kind);
  return {
    correlation_id: eventId,
    event_id: eventId,
    subject_id: subjectId,
    execution_name: kind === 'release' || kind === 'change' ? subjectId : undefined,
  };
}

/** A Step Functions task's input (record-stage): its subject, whose execution bears its name. */
export function stepCorrelation(payload: unknown): Correlation {
  const subjectId = text(record(record(payload)?.subject)?.id);
  return { correlation_id: subjectId, subject_id: subjectId, execution_name: subjectId };
}

/** A scheduled event or a CloudFormation custom resource request: its id. */
export function requestCorrelation(event: unknown): Correlation {
  const e = record(event);
  const id = text(e?.RequestId) ?? text(e?.id);
  return { correlation_id: id };
}
