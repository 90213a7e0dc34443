/**
 * X-Ray tracing of every function through Powertools Tracer, created lazily and only where
 * tracing is on: in Lambda, unless POWERTOOLS_TRACE_ENABLED is false. Elsewhere (tests, scripts,
 * the local cloud) the Tracer and the X-Ray SDK are never loaded, so they cost nothing and print
 * nothing. In Lambda they come from the Powertools layer (infra/constructs/powertools-layer.ts),
 * through `require`: docs/decisions.md, "Telemetry", says why.
 */
import { createRequire } from 'node:module';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Correlation } from './invocation.ts';
import { serviceName } from './service-name.ts';

/** The part of Powertools Tracer this module uses (a test may give a Tracer it observes). */
export type TracerLike = Pick<
  Tracer,
  | 'provider'
  | 'isTracingEnabled'
  | 'annotateColdStart'
  | 'addServiceNameAnnotation'
  | 'putAnnotation'
  | 'addErrorAsMetadata'
  | 'captureAWSv3Client'
>;

/**
 * Whether functions are traced: POWERTOOLS_TRACE_ENABLED (Powertools' own switch) turns it off
 * when `false`; otherwise only in Lambda (`AWS_LAMBDA_FUNCTION_NAME`), as Tracer itself decides.
 */
export function tracingEnabled(env: Record<string, string | undefined> = process.env): boolean {
  if (/^(false|0)$/i.test(env.POWERTOOLS_TRACE_ENABLED ?? '')) return false;
  return env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
}

// `require`, not `import`: CommonJS resolution searches NODE_PATH, which in Lambda lists the
// layer's /opt/nodejs/node_modules; the Tracer's CommonJS build loads the X-Ray SDK (CommonJS) as
// it was written to, and only when tracing is on; esbuild leaves this call to run time, so the
// Tracer is never in a bundle whatever the external list says.
const load = (): typeof import('@aws-lambda-powertools/tracer') =>
  createRequire(import.meta.url)('@aws-lambda-powertools/tracer');

// undefined: not decided yet; null: tracing is off.
let current: TracerLike | null | undefined;

/** The Tracer of this process, created on first use; undefined when tracing is off. */
export function tracer(): TracerLike | undefined {
  if (current === undefined) {
    const created = tracingEnabled() ? new (load().Tracer)({ serviceName: serviceName() }) : undefined;
    // Tracer has the last word (it also stays off under SAM local and Amplify's mock).
    current = created?.isTracingEnabled() ? created : null;
  }
  return current ?? undefined;
}

/** Tests only: the Tracer to use (null: off; undefined: decide again on next use). */
export function setTracer(next: TracerLike | null | undefined): void {
  current = next;
}

/** An AWS SDK v3 client whose calls are X-Ray subsegments when tracing is on; else the client itself. */
export function captureClient<T>(client: T): T {
  return tracer()?.captureAWSv3Client(client) ?? client;
}

/** The correlation ids X-Ray can search by (annotations), under the keys the logs use. */
const ANNOTATED = ['correlation_id', 'request_id', 'subject_id', 'event_id', 'execution_name'] as const;

/**
 * Runs one invocation in a `## <function>` subsegment, as Powertools' `captureLambdaHandler`
 * does (cold start and service annotations, the error as metadata, closed in every case), with
 * the invocation's correlation ids as annotations. The subsegment, not the segment: Lambda's own
 * segment cannot be written to from the function. Responses are not recorded as metadata (they
 * carry releases, users' data and OpenAPI documents; the logs and the table say what happened).
 */
export function traced<R>(name: string, correlation: Correlation, run: () => Promise<R>): Promise<R> {
  const t = tracer();
  if (!t) return run();
  return t.provider.captureAsyncFunc(`## ${name}`, async (subsegment?: { close(): void }) => {
    t.annotateColdStart();
    t.addServiceNameAnnotation();
    for (const key of ANNOTATED) {
      const value = correlation[key];
      if (value !== undefined) t.putAnnotation(key, value);
    }
    try {
      return await run();
    } catch (error) {
      t.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      try {
        subsegment?.close();
      } catch {
        // A segment that cannot be closed or sent loses its trace, never the invocation.
      }
    }
  }) as Promise<R>;
}
