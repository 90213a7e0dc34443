/**
 * Telemetry of every function (functions/app/telemetry.ts): the correlation ids read from each
 * kind of event, the JSON log lines a handler invocation writes (with the Lambda context in AWS,
 * and nothing of one invocation on another's lines), and the metrics (the business ones and the
 * reconciler's) published once per invocation as one EMF line by Powertools Metrics.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { monotonicUlid } from '../../../functions/app/ids.ts';
import { logger } from '../../../functions/app/logger.ts';
import type { AppPorts } from '../../../functions/app/ports.ts';
import {
  busEventCorrelation,
  countOperational,
  httpCorrelation,
  meter,
  metricsEnabled,
  requestCorrelation,
  stepCorrelation,
  withTelemetry,
} from '../../../functions/app/telemetry.ts';
import { createHandler as applyCiUpdatesHandler } from '../../../functions/events/apply-ci-updates.ts';
import {
  type ReconcilerDeps,
  createHandler as reconcilerHandler,
} from '../../../functions/events/reconcile-executions.ts';
import { createHandler as usersHandler } from '../../../functions/http/users.ts';
import { captureEmf } from '../../support/emf.ts';
import { inMemoryPorts } from '../../support/fakes.ts';
import { httpEvent } from '../../support/http-events.ts';

describe('correlation ids', () => {
  const http = (headers: Record<string, string>, id?: string) => ({
    requestContext: { requestId: 'req-1' },
    headers,
    ...(id ? { pathParameters: { id } } : {}),
  });

  it('of an API request: the caller’s x-correlation-id, else its traceparent’s trace id, else the request id', () => {
    expect(httpCorrelation(http({ 'x-correlation-id': 'abc-123' }, 'rel_1'))).toEqual({
      correlation_id: 'abc-123',
      request_id: 'req-1',
      subject_id: 'rel_1',
    });
    expect(
      httpCorrelation(http({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })),
    ).toEqual({
      correlation_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      request_id: 'req-1',
      subject_id: undefined,
    });
    expect(httpCorrelation(http({}))).toMatchObject({ correlation_id: 'req-1', request_id: 'req-1' });
  });

  it('ignores a correlation id that is not a short token (it would reach every log line)', () => {
    expect(httpCorrelation(http({ 'x-correlation-id': 'a b\n{"level":"ERROR"}' }))).toMatchObject({
      correlation_id: 'req-1',
    });
    expect(httpCorrelation(http({ 'x-correlation-id': 'x'.repeat(129) }))).toMatchObject({
      correlation_id: 'req-1',
    });
  });

  it('of a bus event: the domain event id (the same on every redelivery), its subject and execution', () => {
    const event = {
      id: 'eb-1',
      'detail-type': 'Release Stage Entered',
      detail: { id: 'evt_1', subject: { kind: 'release', id: 'rel_1' } },
    };
    expect(busEventCorrelation(event)).toEqual({
      correlation_id: 'evt_1',
      event_id: 'evt_1',
      subject_id: 'rel_1',
      execution_name: 'rel_1',
    });
    // A task is not run by an execution of its own.
    expect(
      busEventCorrelation({ detail: { id: 'evt_2', subject: { kind: 'task', id: 'tsk_1' } } }),
    ).toMatchObject({ subject_id: 'tsk_1', execution_name: undefined });
  });

  it('of a Step Functions task input, a scheduled event and a custom resource request', () => {
    expect(stepCorrelation({ subject: { kind: 'change', id: 'chg_1' }, stage: 'Assessed' })).toEqual({
      correlation_id: 'chg_1',
      subject_id: 'chg_1',
      execution_name: 'chg_1',
    });
    expect(requestCorrelation({ id: 'sched-1', source: 'aws.events' })).toEqual({
      correlation_id: 'sched-1',
    });
    expect(requestCorrelation({ RequestId: 'cfn-1' })).toEqual({ correlation_id: 'cfn-1' });
  });

  it.each([undefined, null, 42, 'text', [], { detail: 'x' }, { requestContext: null, headers: 7 }])(
    'never throws, whatever arrives (%j)',
    (event) => {
      expect(() => httpCorrelation(event)).not.toThrow();
      expect(() => busEventCorrelation(event)).not.toThrow();
      expect(() => stepCorrelation(event)).not.toThrow();
      expect(() => requestCorrelation(event)).not.toThrow();
    },
  );
});

describe('log lines of an invocation', () => {
  let lines: Record<string, unknown>[];
  beforeEach(() => {
    lines = [];
    const capture = (chunk: unknown) => {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
    logger.setLogLevel('INFO');
    // Refreshing the debug sampling (as injectLambdaContext does on every invocation but the first)
    // puts the level back to the initial one, SILENT in tests: these tests need theirs to hold.
    vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  });
  afterEach(() => {
    logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'SILENT') ?? 'SILENT');
    vi.restoreAllMocks();
  });

  const lambdaContext = (requestId: string): Context =>
    ({
      functionName: 'ReleaseDesk-HandlersReleases-ABC',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ReleaseDesk-HandlersReleases-ABC',
      memoryLimitInMB: '1024',
      awsRequestId: requestId,
      getRemainingTimeInMillis: () => 10_000,
    }) as unknown as Context;

  it('are JSON with the Lambda context and the correlation ids; keys a handler appends end with it', async () => {
    const handler = withTelemetry('releases', httpCorrelation, async (_event: unknown) => {
      logger.appendKeys({ step: 'one' });
      logger.info('Doing it');
      return 'done';
    });
    const event = {
      requestContext: { requestId: 'req-1' },
      headers: { 'x-correlation-id': 'corr-1' },
      pathParameters: { id: 'rel_1' },
    };
    await handler(event, lambdaContext('aws-req-1'));
    logger.info('Between invocations');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'Doing it',
      service: 'release-desk',
      function: 'releases',
      function_name: 'ReleaseDesk-HandlersReleases-ABC',
      function_request_id: 'aws-req-1',
      function_memory_size: '1024',
      cold_start: expect.any(Boolean),
      correlation_id: 'corr-1',
      request_id: 'req-1',
      subject_id: 'rel_1',
      step: 'one',
      timestamp: expect.any(String),
    });
    // After the invocation: neither its correlation ids nor what it appended.
    expect(lines[1]).toMatchObject({ message: 'Between invocations' });
    for (const key of ['function', 'correlation_id', 'request_id', 'subject_id', 'step']) {
      expect(lines[1]).not.toHaveProperty(key);
    }
  });

  it('of a deployed consumer carry its name, the event and its subject', async () => {
    const handler = applyCiUpdatesHandler(() => inMemoryPorts());
    await handler({
      version: '0',
      id: 'eb-1',
      'detail-type': 'Deployment Task Completed',
      source: 'release-desk',
      account: '000000000000',
      time: '2026-11-26T10:00:00Z',
      region: 'local',
      resources: ['task/tsk_gone'],
      detail: {
        id: 'evt_7',
        occurredAt: '2026-11-26T10:00:00.000Z',
        actor: 'tech',
        subject: { kind: 'task', id: 'tsk_gone' },
        data: {
          taskId: 'tsk_gone',
          releaseId: 'rel_1',
          workGroupId: 'wg_dep',
          assignee: 'tech',
          version: 3,
          notes: null,
          ciIds: [],
          ciUpdates: [],
        },
      },
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Planned CI updates',
        function: 'apply-ci-updates',
        correlation_id: 'evt_7',
        event_id: 'evt_7',
        subject_id: 'tsk_gone',
        taskId: 'tsk_gone',
        outcome: 'missing',
      }),
    ]);
  });

  it('of an API request that fails carry its request and correlation ids (the 500 names the request)', async () => {
    const broken = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('table unreachable');
        },
      },
    );
    const handler = usersHandler(() => ({ users: broken }) as unknown as AppPorts);
    const event = httpEvent('GET /users/{id}', '/users/bea', { user: 'admin', groups: ['admin'] });
    const answer = await handler(
      { ...event, headers: { ...event.headers, 'x-correlation-id': 'ticket-981' } },
      lambdaContext('aws-req-9'),
    );
    expect(answer.statusCode).toBe(500);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Unhandled error',
        function: 'users',
        function_request_id: 'aws-req-9',
        correlation_id: 'ticket-981',
        request_id: event.requestContext.requestId,
        subject_id: 'bea',
        error: expect.objectContaining({ message: 'table unreachable' }),
      }),
      expect.objectContaining({
        level: 'INFO',
        message: 'Answered',
        function: 'users',
        correlation_id: 'ticket-981',
        route: 'GET /users/{id}',
        path: '/users/bea',
        status: 500,
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it("of an API request that succeeds: one line with its answer, found by the caller's x-correlation-id", async () => {
    const users = { get: async () => undefined, getWith: async () => [undefined, undefined] };
    const handler = usersHandler(() => ({ users }) as unknown as AppPorts);
    const event = httpEvent('GET /users/{id}', '/users/bea', { user: 'admin', groups: ['admin'] });
    const answer = await handler(
      { ...event, headers: { ...event.headers, 'x-correlation-id': 'my-request-42' } },
      lambdaContext('aws-req-10'),
    );
    const found = lines.filter((line) => line.correlation_id === 'my-request-42');
    expect(found).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'Answered', status: answer.statusCode }),
    ]);
  });

  it('of invocations running at once (the local cloud) each carry their own ids', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = withTelemetry('apply-ci-updates', busEventCorrelation, async (event: { n: number }) => {
      if (event.n === 1) await gate;
      logger.info('Applied', { n: event.n });
    });
    const of = (n: number) => ({ n, detail: { id: `evt_${n}`, subject: { kind: 'task', id: `tsk_${n}` } } });
    const first = handler(of(1));
    await handler(of(2));
    release();
    await first;
    expect(lines.map((l) => [l.n, l.event_id, l.subject_id, l.function])).toEqual([
      [2, 'evt_2', 'tsk_2', 'apply-ci-updates'],
      [1, 'evt_1', 'tsk_1', 'apply-ci-updates'],
    ]);
  });
});

describe('metrics', () => {
  let published: Record<string, unknown>[];
  beforeEach(() => {
    // What Powertools Metrics writes, with metrics on as inside Lambda.
    published = captureEmf();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('are published once per invocation, as one EMF document in namespace ReleaseDesk by service', async () => {
    const handler = withTelemetry('releases', httpCorrelation, async () => {
      meter.count('Transitions');
      meter.count('Transitions');
      meter.count('BlackoutOverrides');
      meter.count('CiUpdatesApplied', 0);
    });
    await handler({});
    expect(published).toHaveLength(1);
    expect(published[0]).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'ReleaseDesk',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'Transitions', Unit: 'Count' },
              { Name: 'BlackoutOverrides', Unit: 'Count' },
            ],
          },
        ],
      },
      service: 'release-desk-staging',
      Transitions: 2,
      BlackoutOverrides: 1,
    });
  });

  it('are published also when the handler fails (what it committed before counts), and not at all, nor warned about, when nothing was counted', async () => {
    // Powertools warns through the Logger when asked to publish an empty store.
    const warn = vi.spyOn(logger, 'warn');
    const failing = withTelemetry('apply-ci-updates', busEventCorrelation, async () => {
      meter.count('CiUpdatesApplied', 3);
      throw new Error('one update failed');
    });
    await expect(failing({})).rejects.toThrow('one update failed');
    await withTelemetry('users', httpCorrelation, async () => 'nothing counted')({});
    await withTelemetry('users', httpCorrelation, async () => 'nothing counted')({});
    expect(published.map((d) => d.CiUpdatesApplied)).toEqual([3]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('outside an invocation are published at once (a count left undefined is none)', () => {
    countOperational({ DeadLetters: undefined });
    countOperational({ DeadLetters: 1 });
    meter.count('Approvals');
    expect(published).toMatchObject([{ DeadLetters: 1 }, { Approvals: 1 }]);
  });

  it('of invocations running at once (the local cloud) each go to their own document', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = withTelemetry('releases', httpCorrelation, async (event: { n: number }) => {
      meter.count('Transitions', event.n);
      if (event.n === 1) await gate;
      meter.count('Approvals', event.n);
    });
    const first = handler({ n: 1 });
    await handler({ n: 2 });
    release();
    await first;
    expect(published).toMatchObject([
      { Transitions: 2, Approvals: 2 },
      { Transitions: 1, Approvals: 1 },
    ]);
  });

  it('are off when POWERTOOLS_METRICS_DISABLED says so, and by default outside Lambda', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    await withTelemetry('releases', httpCorrelation, async () => meter.count('ReleasesCreated'))({});
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', undefined);
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', undefined);
    await withTelemetry('releases', httpCorrelation, async () => meter.count('ReleasesCreated'))({});
    countOperational({ DeadLetters: 1 });
    expect(published).toEqual([]);
    expect(metricsEnabled({})).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBe(true);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'fn', POWERTOOLS_METRICS_DISABLED: 'TRUE' })).toBe(
      false,
    );
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
  });

  describe('of the reconciler', () => {
    const nothingToReconcile = (): ReconcilerDeps =>
      ({
        runs: {
          release: { active: async () => ({ items: [] }) },
          change: { active: async () => ({ items: [] }) },
        },
        workflowStore: { list: async () => ({ items: [] }) },
        clients: { sfn: { send: async () => ({ executions: [] }) } },
        config: { defaultWorkflowStateMachines: {} },
      }) as unknown as ReconcilerDeps;

    it('go with its invocation’s other counts into its one document, zeros included (the pass ran)', async () => {
      await reconcilerHandler(nothingToReconcile)({ id: 'sched-1' });
      expect(published).toEqual([
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              expect.objectContaining({
                Namespace: 'ReleaseDesk',
                Dimensions: [['service']],
                Metrics: [
                  { Name: 'ReleaseExecutionDivergences', Unit: 'Count' },
                  { Name: 'ReleaseExecutionsEnded', Unit: 'Count' },
                  { Name: 'ReleaseExecutionRepairs', Unit: 'Count' },
                ],
              }),
            ],
          }),
          service: 'release-desk-staging',
          ReleaseExecutionDivergences: 0,
          ReleaseExecutionsEnded: 0,
          ReleaseExecutionRepairs: 0,
        }),
      ]);
    });

    it('follow the same switch: none outside Lambda by default', async () => {
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', undefined);
      vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', undefined);
      await reconcilerHandler(nothingToReconcile)({ id: 'sched-1' });
      expect(published).toEqual([]);
    });
  });

  it('have one writer: only functions/app/telemetry.ts uses Powertools Metrics', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const sources = (await readdir(join(root, 'functions'), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    const users = [];
    for (const file of sources) {
      if (
        (await readFile(join(root, 'functions', file), 'utf8')).includes('@aws-lambda-powertools/metrics')
      ) {
        users.push(file);
      }
    }
    expect(users).toEqual([join('app', 'telemetry.ts')]);
  });
});

describe('ULIDs', () => {
  const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

  it('are 26 characters of Crockford base 32 whose first 10 encode the time', () => {
    const id = monotonicUlid(() => 1_700_000_000_000)();
    expect(id).toMatch(CROCKFORD);
    // 1_700_000_000_000 ms in base 32, Crockford's alphabet.
    expect(id.slice(0, 10)).toBe('01HF7YAT00');
  });

  it('sort in the order they were made, within one millisecond and when the clock steps back', () => {
    let now = 1_700_000_000_000;
    const next = monotonicUlid(() => now);
    const ids = Array.from({ length: 200 }, (_, n) => {
      if (n === 100) now -= 5;
      if (n === 150) now += 10;
      return next();
    });
    expect(new Set(ids).size).toBe(200);
    expect([...ids].sort()).toEqual(ids);
  });
});
