/**
 * The embedded local cloud: DynamoDB Local, the local Step Functions service, the local
 * EventBridge bus, the stream relay and the API gateway — wired to the very handler modules,
 * rule patterns, table definition and state-machine definitions the CDK stack deploys.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  ListStateMachinesCommand,
  type SFNClient,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import { readConfig } from '../../functions/app/config.ts';
import { logger } from '../../functions/app/logger.ts';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { countOperational } from '../../functions/app/telemetry.ts';
import { requireAdmin } from '../../functions/domain/actor.ts';
import { ensureBootstrap as bootstrap } from '../../functions/domain/team/service.ts';
import { actorFor } from '../../functions/domain/user/user.ts';
import { createHandler as createRelayHandler } from '../../functions/events/outbox-relay.ts';
import { type ReconcileSummary, reconcileAll } from '../../functions/events/reconcile-executions.ts';
import { type HttpHandlerName, httpFunctions } from '../../functions/http/contract/index.ts';
import { inAdminGroup, userIdOf } from '../../functions/http/edge/middlewares.ts';
import { INTERNAL_PROBLEM, problemType, toProblem } from '../../functions/http/edge/problem.ts';
import {
  createHandler as createRecordStage,
  type RecordStagePayload,
} from '../../functions/steps/record-stage.ts';
import { createTableInput } from '../../functions/store/table-definition.ts';
import { compileWorkflow } from '../../workflows/compile.ts';
import { defaultWorkflows } from '../../workflows/defaults/index.ts';
import { functionSpecs } from '../functions.ts';
import {
  consumerAsyncInvoke,
  EVENT_BUS_NAME,
  type EventTargetName,
  schedules,
  rules as stackRules,
} from '../rules.ts';
import { consoleRoutes } from './console.ts';
import { localDynamoClient, startDynamoDbLocal } from './dynamodb-local.ts';
import {
  type AsyncInvokeConfig,
  CONSUMER_ASYNC_INVOKE,
  type LambdaHandler,
  LocalAsyncLambda,
} from './eventbridge/async-invoke.ts';
import { type BusRule, LocalEventBus } from './eventbridge/bus.ts';
import { formatEventTime } from './eventbridge/put-events.ts';
import { startLocalEventBridge } from './eventbridge/server.ts';
import {
  dynamoFault,
  type FaultInjector,
  InjectedTargetFault,
  injectIntoClient,
  noFaults,
  sfnFault,
} from './faults.ts';
import { answerProblem, type GatewayGate, type HttpLambda, startGateway } from './gateway.ts';
import { type LocalIdentity, localIdentity } from './identity.ts';
import { claimDataDir } from './instance-lock.ts';
import { makePrivate } from './private-dir.ts';
import { startLocalStepFunctions } from './stepfunctions/index.ts';
import { type StreamRelay, startStreamRelay } from './stream-relay.ts';

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_ISSUER = 'release-desk-local';
export const DEFAULT_TABLE_NAME = 'release-desk';

/** The ARN a state machine definition names a local function by. */
export const localFunctionArn = (name: string) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

export interface LocalCloudOptions {
  /** Persist everything here; without it everything lives in memory (tests). */
  readonly dataDir?: string | undefined;
  readonly apiPort?: number;
  readonly sfnPort?: number;
  /** Step Functions time scale (infra/local/stepfunctions/time-scale.ts); default `SFN_TIME_SCALE` or 1. */
  readonly sfnTimeScale?: number;
  readonly eventsPort?: number;
  readonly dynamoPort?: number;
  /** Use this DynamoDB Local instead of starting one (the test run shares one). */
  readonly dynamoEndpoint?: string;
  readonly tableName?: string;
  /** Extra rules with their own targets (tests subscribe to events this way). */
  readonly extraRules?: readonly (BusRule & {
    handler: (event: EventBridgeEvent<string, unknown>) => Promise<void>;
  })[];
  /** Delivery retry policy of the bus (tests use short delays). */
  readonly busRetry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /**
   * Overrides, for every function that rules and schedules target, the asynchronous-invocation
   * settings the stack gives them (`consumerAsyncInvoke` in `infra/rules.ts`) and the local retry
   * waits (1 and 2 s): tests shorten or lengthen the waits, or take the retries away.
   */
  readonly asyncInvoke?: Partial<AsyncInvokeConfig>;
  /**
   * Tests only: wraps each local function (`record-stage`, the rule targets, the scheduled
   * reconciler) to inject faults, e.g. a throttle on the first call, as they can happen to a
   * Lambda function in AWS. Given, it also wraps the `outbox-relay` and the HTTP functions (by
   * their names, e.g. `releases`; the payload is the API Gateway event), which the cost meter
   * times and attributes calls to (test/support/metering.ts).
   */
  readonly wrapFunction?: <T>(
    name: string,
    fn: (payload: T) => Promise<unknown>,
  ) => (payload: T) => Promise<unknown>;
  /**
   * Run the scheduled functions (the reconciler) on their schedule, as the stack's schedule rules
   * do in AWS. They always run once at start-up. @default true
   */
  readonly schedules?: boolean;
  /**
   * Faults to inject (`FAULTS` / `FAULTS_SEED` of `npm start`, infra/local/faults.ts): armed once
   * the cloud has started, so that start-up itself is not under test. @default no faults
   */
  readonly faults?: FaultInjector;
}

export interface LocalCloud {
  readonly apiUrl: string;
  readonly sfnEndpoint: string;
  readonly eventsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly identity: LocalIdentity;
  readonly bus: LocalEventBus;
  readonly ports: AppPorts;
  /**
   * Waits until the stream relay has published everything committed, the bus is idle and the
   * functions Step Functions invoked (record-stage) have run: what the last writes set off is done.
   */
  settle(): Promise<void>;
  /**
   * Runs the reconciler once now (it also runs at start-up and every few minutes); with a run
   * under way — scheduled, or `POST /_local/reconcile` — answers that run's summary instead.
   */
  reconcile(): Promise<ReconcileSummary>;
  /** What the reconciler found at start-up. */
  readonly startupReconciliation: ReconcileSummary;
  /** The fault injector in force (`noFaults` unless given). */
  readonly faults: FaultInjector;
  stop(): Promise<void>;
}

/**
 * A function's handler as the stack deploys it (its spec's module): its `createHandler` bound to
 * the local cloud's ports when it has one (handlers that need ports), else its `handler`.
 */
async function loadHandler<T>(entry: string, ports: () => AppPorts): Promise<T> {
  const module = (await import(new URL(`../../${entry}`, import.meta.url).href)) as {
    handler?: T;
    createHandler?: (ports: () => AppPorts) => T;
  };
  const handler = module.createHandler?.(ports) ?? module.handler;
  if (!handler) throw new Error(`${entry} exports neither createHandler nor handler`);
  return handler;
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  const wanted = createTableInput(tableName);
  try {
    await client.send(new CreateTableCommand(wanted));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  let table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  // An older data dir may lack an index added since: add what is missing (one per UpdateTable).
  const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of wanted.GlobalSecondaryIndexes.filter((i) => !present.has(i.IndexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  }
  if (!table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream`);
  return table.LatestStreamArn;
}

/** Creates (or updates to the current definition) one state machine per default workflow. */
async function publishDefaultWorkflows(sfn: SFNClient): Promise<Record<string, string>> {
  const existing = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ ...(nextToken ? { nextToken } : {}) }));
    for (const m of page.stateMachines ?? [])
      if (m.name && m.stateMachineArn) existing.set(m.name, m.stateMachineArn);
    nextToken = page.nextToken;
  } while (nextToken);
  const arns: Record<string, string> = {};
  for (const [id, def] of Object.entries(defaultWorkflows)) {
    const definition = JSON.stringify(
      compileWorkflow(def, { recordStageFunctionArn: localFunctionArn('record-stage') }),
    );
    const arn = existing.get(id);
    if (arn) {
      await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition }));
      arns[id] = arn;
    } else {
      const out = await sfn.send(
        new CreateStateMachineCommand({
          name: id,
          definition,
          roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/release-desk-workflows`,
          type: 'STANDARD',
        }),
      );
      arns[id] = out.stateMachineArn as string;
    }
  }
  return arns;
}

/** The event a schedule rule sends its target (`Scheduled Event` from `aws.events`). */
function scheduledEvent(ruleName: string): EventBridgeEvent<'Scheduled Event', Record<string, never>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: formatEventTime(new Date()),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${ruleName}`],
    detail: {},
  };
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  // Every handler shares this process: keep their logs to warnings unless asked otherwise.
  if (!process.env.POWERTOOLS_LOG_LEVEL && !process.env.AWS_LAMBDA_LOG_LEVEL) logger.setLogLevel('WARN');
  // CloudWatch metrics (EMF lines on stdout) mean nothing here; the reconciler's log lines remain.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const stops: (() => Promise<void>)[] = [];
  const faults = options.faults ?? noFaults;
  // Armed at the end of start-up (see LocalCloudOptions.faults).
  let armed = false;
  const strikes = (name: Parameters<FaultInjector['strikes']>[0]) => armed && faults.strikes(name);
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error('stop failed', e));
  };
  try {
    // Task tokens, the signing key and the database live here: private to this user.
    if (options.dataDir) {
      makePrivate(options.dataDir);
      // Released last (stops run in reverse): the data dir is in use until everything has stopped.
      // Another live instance on it is refused before anything starts on it.
      const release = claimDataDir(options.dataDir);
      stops.push(async () => release());
    }
    // Handlers are bound to ports once those exist (below); the services only need the names.
    let ports: AppPorts | undefined;
    const currentPorts = () => {
      if (!ports) throw new Error('local cloud not ready');
      return ports;
    };
    // The functions' modules load (read, compile, run their top level) while DynamoDB Local's JVM
    // starts on another core, instead of after it: a second or more of `npm start` (issue 14).
    const loadAll = <T>(entries: readonly (readonly [string, string])[]) =>
      Promise.all(
        entries.map(async ([name, entry]) => [name, await loadHandler<T>(entry, currentPorts)] as const),
      );
    const loadingTargets = loadAll<LambdaHandler>(
      (Object.keys(consumerAsyncInvoke) as EventTargetName[]).map((name) => [
        name,
        functionSpecs[name].entry,
      ]),
    );
    const loadingHttp = loadAll<HttpLambda>(
      Object.entries(httpFunctions).map(([name, spec]) => [name, spec.entry]),
    );
    // Awaited below; a failure before then (Java missing, say) must not also be an unhandled rejection.
    loadingTargets.catch(() => {});
    loadingHttp.catch(() => {});
    const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
    let dynamoEndpoint = options.dynamoEndpoint;
    if (!dynamoEndpoint) {
      const db = await startDynamoDbLocal({
        ...(options.dynamoPort !== undefined ? { port: options.dynamoPort } : {}),
        ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
      });
      stops.push(db.stop);
      dynamoEndpoint = db.endpoint;
    }
    const admin = localDynamoClient(dynamoEndpoint);
    stops.push(async () => admin.destroy());
    const streamArn = await ensureTable(admin, tableName);

    const wrap = options.wrapFunction ?? ((_name, fn) => fn);
    const recordStage = wrap('record-stage', createRecordStage(currentPorts));

    // The functions rules and schedules target (the stack's, by their specs), invoked
    // asynchronously as in AWS: their errors are retried and recorded by Lambda's asynchronous
    // invocation, not by the rule.
    const targets = Object.fromEntries(
      (await loadingTargets).map(([name, handler]) => [name, wrap(name as EventTargetName, handler)]),
    ) as Record<EventTargetName, LambdaHandler>;
    // One reconciler run at a time, whoever asks (the schedule, start-up, `POST /_local/reconcile`,
    // tests): a caller who finds a run under way gets that run's summary rather than starting a
    // second pass that would race it, repairing the same subjects twice.
    let reconciling: Promise<ReconcileSummary> | undefined;
    const oneReconcilerRun = (run: () => Promise<ReconcileSummary>): Promise<ReconcileSummary> => {
      reconciling ??= run().finally(() => {
        reconciling = undefined;
      });
      return reconciling;
    };
    const scheduledReconciler = targets['reconcile-executions'];
    targets['reconcile-executions'] = (event) =>
      oneReconcilerRun(() => scheduledReconciler(event) as Promise<ReconcileSummary>);
    const lambda = new LocalAsyncLambda({
      functions: targets,
      config: CONSUMER_ASYNC_INVOKE,
      ...(options.asyncInvoke ? { override: options.asyncInvoke } : {}),
      functionArn: localFunctionArn,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      onFailedInvocation: (record) => {
        // In AWS the on-failure queue's depth shows it; here the DeadLetters metric (when enabled).
        countOperational({ DeadLetters: 1 });
        logger.error('Asynchronous invocation failed for good; see GET /_local/failed-invocations', {
          function: record.requestContext.functionArn,
          condition: record.requestContext.condition,
          attempts: record.requestContext.approximateInvokeCount,
          error: record.responsePayload.errorMessage,
        });
      },
    });
    // Closed after the bus (stops run in reverse), so that no delivery is left without it.
    stops.push(() => lambda.close());
    // Test rules' own targets: plain targets whose rejection is a delivery failure.
    const extra = new Map((options.extraRules ?? []).map((r) => [r.target, r.handler]));
    const bus = new LocalEventBus({
      rules: [...stackRules, ...(options.extraRules ?? [])],
      functions: lambda,
      resolveTarget: (target) => {
        const handler = extra.get(target);
        return handler && ((event) => handler(event));
      },
      ...(options.busRetry ? { retry: options.busRetry } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      beforeDelivery: (rule) => {
        if (strikes('target:error')) throw new InjectedTargetFault(rule.target);
      },
      onDeadLetter: (letter) => {
        // In AWS the dead-letter queue's depth shows it; here the DeadLetters metric (when enabled).
        countOperational({ DeadLetters: 1 });
        logger.error('Event delivery failed for good; see GET /_local/dead-letters', {
          rule: letter.rule,
          target: letter.target,
          attempts: letter.attempts,
          error: letter.error,
        });
      },
    });
    stops.push(() => bus.close());
    const events = await startLocalEventBridge({ port: options.eventsPort ?? 0, bus });
    stops.push(events.stop);

    const functions: Record<string, (payload: unknown) => Promise<unknown>> = {
      'record-stage': (payload) => recordStage(payload as RecordStagePayload),
    };
    // The functions Step Functions invokes, counted so that settle() waits for them too.
    const stepFunctionRuns = { started: 0, running: 0 };
    // The console's origins, known once the gateway listens: the only pages that may call Step
    // Functions from a browser (the console's Executions view).
    const consoleOrigins: string[] = [];
    const sfnService = await startLocalStepFunctions({
      port: options.sfnPort ?? 0,
      allowedOrigins: () => consoleOrigins,
      ...(options.sfnTimeScale !== undefined ? { timeScale: options.sfnTimeScale } : {}),
      // Execution status changes go on the bus like any PutEvents, to the default bus as in AWS.
      publishEvent: (event) => bus.putEvents([event]),
      ...(options.dataDir ? { dataDir: join(options.dataDir, 'stepfunctions') } : {}),
      invokeFunction: async (nameOrArn, payload) => {
        const name = nameOrArn.split(':function:').pop()?.split(':')[0] ?? nameOrArn;
        const fn = functions[name];
        if (!fn)
          throw Object.assign(new Error(`Function not found: ${nameOrArn}`), {
            name: 'Lambda.ResourceNotFoundException',
          });
        stepFunctionRuns.started++;
        stepFunctionRuns.running++;
        try {
          return await fn(payload);
        } finally {
          stepFunctionRuns.running--;
        }
      },
    });
    stops.push(sfnService.stop);

    const config = readConfig({
      TABLE_NAME: tableName,
      EVENT_BUS_NAME,
      AWS_REGION: LOCAL_REGION,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      SFN_ENDPOINT: sfnService.endpoint,
      EVENTS_ENDPOINT: events.endpoint,
      DEFAULT_RELEASE_STATE_MACHINE_ARN: 'pending',
      RECORD_STAGE_FUNCTION_ARN: localFunctionArn('record-stage'),
      WORKFLOW_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/release-desk-workflows`,
    });
    const bootstrapPorts = createPorts(config);
    const stateMachines = await publishDefaultWorkflows(bootstrapPorts.clients.sfn);
    ports = createPorts({
      ...config,
      defaultReleaseStateMachineArn: stateMachines['release-default'],
      defaultWorkflowStateMachines: stateMachines,
    });
    const livePorts = ports;
    stops.push(async () => {
      livePorts.clients.db.destroy();
      livePorts.clients.sfn.destroy();
      livePorts.clients.events.destroy();
      bootstrapPorts.clients.sfn.destroy();
    });

    // Releases and RFCs of an older data dir get the index keys of lists added since.
    await livePorts.releases.backfillIndexKeys();
    await livePorts.changes.backfillIndexKeys();
    // A fresh install starts with the admin user and a release and a deployment team.
    await bootstrap(livePorts);

    const relayHandler = wrap('outbox-relay', createRelayHandler(currentPorts)) as ReturnType<
      typeof createRelayHandler
    >;
    // With a data dir, what the relay checkpoints must survive a crash: in AWS, EventBridge and
    // Lambda's async queue hold an event durably once PutEvents answers; here both are in memory,
    // so a batch is checkpointed only once every delivery and function run it started is over
    // (done, or set aside in the persisted dead-letter and failed-invocation lists). Killed before
    // that, the relay publishes the batch again on restart: at-least-once, as subscribers expect.
    const durableHandler: typeof relayHandler = options.dataDir
      ? async (event) => {
          const result = await relayHandler(event);
          await bus.idle();
          return result;
        }
      : relayHandler;
    const relay: StreamRelay = await startStreamRelay({
      endpoint: dynamoEndpoint,
      streamArn,
      handler: durableHandler,
      dataDir: options.dataDir,
      crash: () => strikes('relay:crash'),
      onError: (error) => console.error('stream relay:', (error as Error).message),
    });
    stops.push(relay.stop);

    // Invariant 10 after a crash: repair or report what a restart left apart before serving.
    const reconcile = () => oneReconcilerRun(() => reconcileAll(livePorts));
    const startupReconciliation = await reconcile();
    const identity = await localIdentity({ dataDir: options.dataDir, issuer: LOCAL_ISSUER });
    // The API's functions are the stack's: each resource's handler module, found by its declaration.
    const handlers = Object.fromEntries(
      (await loadingHttp).map(([name, handler]) => {
        if (!options.wrapFunction) return [name, handler];
        // The gateway's context carries nothing but the request id, which the event holds too.
        const wrapped = wrap(name, (event: Parameters<HttpLambda>[0]) =>
          handler(event, { awsRequestId: event.requestContext.requestId }),
        );
        return [name, wrapped as HttpLambda];
      }),
    ) as Record<HttpHandlerName, HttpLambda>;
    /**
     * The reconciler by hand, as `aws lambda invoke` runs it in AWS (docs/operations.md): an
     * administrator's act there (IAM), so here it takes an administrator's token, checked as the
     * API checks it. Without one, any local process — or a web page, since a bodiless POST needs
     * no CORS preflight — could set it off.
     */
    const reconcileByHand = async (req: IncomingMessage, res: ServerResponse, gate: GatewayGate) => {
      if (req.method !== 'POST') {
        answerProblem(
          res,
          {
            type: problemType('method-not-allowed'),
            title: 'Method Not Allowed',
            status: 405,
            detail: `${req.method} is not allowed here; use POST.`,
          },
          { allow: 'POST' },
        );
        return;
      }
      const claims = await gate.authenticate();
      if (!claims) return;
      try {
        const subject = userIdOf(claims);
        requireAdmin(
          actorFor({ subject, adminClaim: inAdminGroup(claims) }, await livePorts.users.get(subject)),
        );
      } catch (error) {
        const mapped = toProblem(error);
        if (!mapped) throw error;
        answerProblem(res, mapped.problem, mapped.headers);
        return;
      }
      const summary = await reconcile();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(summary));
    };
    // The operator console and its local sign-in (infra/local/console.ts), beside the API.
    const consoleRoute = consoleRoutes({
      users: livePorts.users,
      identity,
      // The Executions view calls the local Step Functions endpoint itself (it answers CORS for us).
      config: { sfnEndpoint: sfnService.endpoint },
    });
    const gateway = await startGateway({
      port: options.apiPort ?? 0,
      handlers,
      auth: { issuer: identity.issuer, audience: identity.audience, jwks: identity.jwks },
      extras: (req, res, url, gate) => {
        if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
          res.writeHead(200, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          });
          res.end(JSON.stringify(identity.jwks));
          return true;
        }
        if (url.pathname === '/_local/reconcile') {
          reconcileByHand(req, res, gate).catch((error: Error) => {
            logger.error('Running the reconciler by hand failed', { error });
            if (!res.headersSent) answerProblem(res, INTERNAL_PROBLEM);
            else res.end();
          });
          return true;
        }
        return consoleRoute(req, res, url);
      },
    });
    stops.push(gateway.stop);
    {
      const port = new URL(gateway.url).port;
      consoleOrigins.push(`http://localhost:${port}`, `http://127.0.0.1:${port}`);
    }

    if (options.schedules !== false) {
      for (const schedule of schedules) {
        if (schedule.target !== 'reconcile-executions') continue;
        let running = false;
        const timer = setInterval(() => {
          if (running) return;
          running = true;
          // The schedule rule invokes its function asynchronously: a failing pass is retried, then
          // recorded in failed invocations, like any rule target's.
          try {
            void lambda.invoke(schedule.target, scheduledEvent(schedule.name)).finished.finally(() => {
              running = false;
            });
          } catch (error) {
            running = false;
            console.error('reconciler:', (error as Error).message);
          }
        }, schedule.everyMinutes * 60_000);
        timer.unref();
        stops.push(async () => clearInterval(timer));
      }
    }

    // The application's own clients (the functions'), not the bootstrap and admin ones.
    injectIntoClient(livePorts.clients.db, faults, () => (armed ? dynamoFault(faults) : undefined));
    injectIntoClient(
      livePorts.clients.sfn,
      faults,
      () => (armed ? sfnFault(faults) : undefined),
      () => (armed ? faults.delayMs('sfn:latency') : 0),
    );
    armed = faults.enabled;
    if (armed)
      logger.warn('Fault injection is on (FAULTS); see docs/operations.md', {
        faults: faults.faults,
        seed: faults.seed,
      });

    return {
      apiUrl: gateway.url,
      sfnEndpoint: sfnService.endpoint,
      eventsEndpoint: events.endpoint,
      dynamoEndpoint,
      tableName,
      identity,
      bus,
      ports: livePorts,
      settle: async () => {
        // Until a pass sets nothing off: a consumer's signal lets the execution run its next
        // task (record-stage) a moment after the bus is idle, and that task is part of the move.
        // A function held on purpose (tests do) is waited for 2 s at most, then left running.
        const deadline = Date.now() + 2_000;
        for (let pass = 0; pass < 100; pass++) {
          const started = stepFunctionRuns.started;
          await relay.drain();
          await bus.idle();
          while (stepFunctionRuns.running > 0 && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 5));
          }
          if (stepFunctionRuns.running > 0) break;
          await new Promise((r) => setTimeout(r, 20));
          if (stepFunctionRuns.started === started && stepFunctionRuns.running === 0) break;
        }
        await relay.drain();
        await bus.idle();
      },
      reconcile,
      startupReconciliation,
      faults,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
