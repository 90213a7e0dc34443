/**
 * Telemetry of every function, in one wrapper: each invocation runs in a scope of its own
 * (functions/app/invocation.ts) whose correlation ids every log line carries; in Lambda the
 * Powertools Logger gets the Lambda context, as `injectLambdaContext` gives it, and its appended
 * keys are reset after the invocation; the business facts the invocation's use cases counted
 * ({@link meter}) are published once, at its end, as one CloudWatch embedded metric format (EMF)
 * line: namespace `ReleaseDesk`, dimension `service` (the stage's POWERTOOLS_SERVICE_NAME), as
 * infra/constructs/monitoring.ts reads them. Where tracing is on (Lambda), the invocation is an
 * X-Ray subsegment annotated with its correlation ids (functions/app/tracer.ts). docs/decisions.md,
 * "Telemetry", says why EMF is written here rather than by Powertools Metrics.
 */
import type { Context } from 'aws-lambda';
import type { BusinessMetric, Meter } from '#domain/ports';
import { type Correlation, currentInvocation, inInvocation } from './invocation.ts';
import { logger } from './logger.ts';
import { traced } from './tracer.ts';

export type { Correlation } from './invocation.ts';

/** The namespace of every Release Desk metric (the reconciler's too). */
export const METRICS_NAMESPACE = 'ReleaseDesk';

/** What the EMF line of one invocation is written to (stdout, which Lambda sends to CloudWatch Logs). */
export type MetricsWriter = (line: string) => void;

let writer: MetricsWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Tests only: where the EMF lines go; returns the previous writer. */
export function setMetricsWriter(next: MetricsWriter): MetricsWriter {
  const previous = writer;
  writer = next;
  return previous;
}

/**
 * Whether metrics are published: POWERTOOLS_METRICS_DISABLED (Powertools' own switch) decides
 * when set; unset, only in Lambda, so that tests and scripts print no EMF. Read on each use: the
 * local cloud sets it after the modules loaded.
 */
export function metricsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED;
  return disabled ? !/^(true|1)$/i.test(disabled) : env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
}

/** One EMF document with the counts (those above zero), or undefined when there is none. */
export function emfDocument(
  counts: ReadonlyMap<BusinessMetric, number>,
  service: string,
  timestamp: number,
): Record<string, unknown> | undefined {
  const counted = [...counts].filter(([, value]) => value > 0);
  if (counted.length === 0) return undefined;
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['service']],
          Metrics: counted.map(([name]) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    service,
    ...Object.fromEntries(counted),
  };
}

function publish(counts: ReadonlyMap<BusinessMetric, number>): void {
  if (!metricsEnabled()) return;
  const document = emfDocument(counts, process.env.POWERTOOLS_SERVICE_NAME ?? 'release-desk', Date.now());
  if (document) writer(JSON.stringify(document));
}

/**
 * The meter the composition root gives the use cases: a count adds to the running invocation's
 * counts (published at its end); outside an invocation (a script, the local cloud's start-up) it
 * is published at once.
 */
export const meter: Meter = {
  count(metric, value = 1) {
    if (value <= 0) return;
    const invocation = currentInvocation();
    if (!invocation) {
      publish(new Map([[metric, value]]));
      return;
    }
    invocation.counts.set(metric, (invocation.counts.get(metric) ?? 0) + value);
  },
};

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
