/**
 * Tracing of every function (functions/app/tracer.ts, through withTelemetry in
 * functions/app/telemetry.ts): off outside Lambda, where the Tracer is not even loaded; in Lambda
 * each invocation is a `## <function>` subsegment of the segment X-Ray gives it, annotated with its
 * correlation ids and closed whether the handler returns or throws. The segment here is one the
 * test builds and sets as the X-Ray SDK's current segment, as Lambda's facade segment is set.
 */
import { createRequire } from 'node:module';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import AWSXRay from 'aws-xray-sdk-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stepCorrelation, withTelemetry } from '../../../functions/app/telemetry.ts';
import { captureClient, setTracer, tracer, tracingEnabled } from '../../../functions/app/tracer.ts';

const loadedTracer = () =>
  Object.keys(createRequire(import.meta.url).cache).some((path) =>
    path.includes('@aws-lambda-powertools/tracer'),
  );
const middlewareNames = (client: EventBridgeClient) =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

const recordStage = (handler: (payload: unknown) => Promise<string>) =>
  withTelemetry('record-stage', stepCorrelation, handler);
const payload = { subject: { id: 'rel_01' } };

beforeEach(() => {
  // Decided again from the environment each test sets up.
  setTracer(undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  setTracer(undefined);
});

describe('tracing is on in Lambda only', () => {
  it('follows POWERTOOLS_TRACE_ENABLED, else whether this is Lambda', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBe(true);
    expect(tracingEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'fn', POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(tracingEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'fn', POWERTOOLS_TRACE_ENABLED: '0' })).toBe(false);
    expect(tracingEnabled({ POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(false);
  });

  it('locally: the handler runs as it is, clients are left alone and the Tracer is never loaded', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', undefined);
    await expect(recordStage(async () => 'done')(payload)).resolves.toBe('done');
    expect(tracer()).toBeUndefined();
    const client = new EventBridgeClient({ region: 'eu-west-1' });
    expect(captureClient(client)).toBe(client);
    expect(middlewareNames(client)).not.toContain('XRaySDKInstrumentation');
    expect(loadedTracer()).toBe(false);
  });

  it('switched off in Lambda by POWERTOOLS_TRACE_ENABLED=false', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'record-stage-fn');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    await expect(recordStage(async () => 'done')(payload)).resolves.toBe('done');
    expect(tracer()).toBeUndefined();
  });

  it('off when Tracer itself finds no Lambda execution environment (AWS_EXECUTION_ENV)', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'record-stage-fn');
    vi.stubEnv('AWS_EXECUTION_ENV', undefined);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    await expect(recordStage(async () => 'done')(payload)).resolves.toBe('done');
    expect(tracer()).toBeUndefined();
  });
});

describe('in Lambda', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'record-stage-fn');
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'release-desk-test');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', undefined);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  });

  /** Runs `work` with `segment` as the X-Ray SDK's current segment, as Lambda's facade segment is. */
  const inSegment = <T>(segment: AWSXRay.Segment, work: () => Promise<T>): Promise<T> =>
    AWSXRay.getNamespace().runPromise(() => {
      AWSXRay.setSegment(segment);
      return work();
    });

  it('an invocation is a ## <function> subsegment with its correlation ids, closed when it returns', async () => {
    const segment = new AWSXRay.Segment('record-stage-fn');
    let open: boolean | undefined;
    const result = await inSegment(segment, () =>
      recordStage(async () => {
        open = (AWSXRay.getSegment() as AWSXRay.Subsegment | undefined)?.name === '## record-stage';
        return 'done';
      })(payload),
    );
    expect(result).toBe('done');
    expect(open).toBe(true);
    const [subsegment] = (segment.subsegments ?? []) as (AWSXRay.Subsegment & Record<string, unknown>)[];
    expect(subsegment?.name).toBe('## record-stage');
    expect(subsegment?.annotations).toEqual({
      ColdStart: true,
      Service: 'release-desk-test',
      correlation_id: 'rel_01',
      subject_id: 'rel_01',
      execution_name: 'rel_01',
    });
    expect(subsegment?.in_progress).toBeFalsy();
    expect(subsegment?.end_time).toEqual(expect.any(Number));

    // The next invocation of the same environment is warm.
    const next = new AWSXRay.Segment('record-stage-fn');
    await inSegment(next, () => recordStage(async () => 'done')(payload));
    expect(
      (next.subsegments?.[0] as (AWSXRay.Subsegment & Record<string, unknown>) | undefined)?.annotations,
    ).toMatchObject({
      ColdStart: false,
    });
  });

  it('a failing invocation: its subsegment is closed with the error, which the caller still gets', async () => {
    const segment = new AWSXRay.Segment('record-stage-fn');
    const failure = new Error('store unavailable');
    await expect(
      inSegment(segment, () =>
        recordStage(async () => {
          throw failure;
        })(payload),
      ),
    ).rejects.toBe(failure);
    const [subsegment] = (segment.subsegments ?? []) as (AWSXRay.Subsegment & Record<string, unknown>)[];
    expect(subsegment?.name).toBe('## record-stage');
    expect(subsegment?.end_time).toEqual(expect.any(Number));
    expect(subsegment?.fault || subsegment?.error).toBe(true);
  });

  it('SDK clients get the X-Ray middleware, so each call is a subsegment', () => {
    const client = captureClient(new EventBridgeClient({ region: 'eu-west-1' }));
    expect(middlewareNames(client)).toContain('XRaySDKInstrumentation');
  });
});
