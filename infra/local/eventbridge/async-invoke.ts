/**
 * Lambda's asynchronous invocation, locally: what an EventBridge rule whose target is a Lambda
 * function really does. The invoke succeeds as soon as Lambda has queued the event, so the rule's
 * delivery is over; the function runs afterwards, and when it throws it is Lambda — not the rule —
 * that retries it, up to the function's `maximumRetryAttempts` (0–2) and while the event is younger
 * than its `maximumEventAgeMs`. An event whose attempts are used up (or that grew too old) goes to
 * the function's on-failure destination as an invocation record, or is discarded when the function
 * has none. Here the destination is a list, kept in memory and, with a data dir, in
 * `<dataDir>/lambda/failed-invocations.jsonl` (private to the user, like the rest of the data dir).
 *
 * AWS: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AsyncInvokeSettings, consumerAsyncInvoke, type EventTargetName } from '../../rules.ts';

/** A function as the local cloud runs it: a rejected promise is a function error. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** How Lambda handles one function's asynchronous invocations (its event invoke config). */
export interface AsyncInvokeConfig {
  /** Lambda's `MaximumRetryAttempts`: retries after a function error, 0 to 2. */
  readonly maximumRetryAttempts: number;
  /** Lambda's `MaximumEventAgeInSeconds`, in milliseconds: an older event is not run again. */
  readonly maximumEventAgeMs: number;
  /**
   * Wait before the first and before the second retry. Lambda does not let you set these (about 1
   * and 2 minutes); the local cloud does, so that tests and laptops need not wait that long.
   */
  readonly retryDelaysMs: readonly [number, number];
  /**
   * Where an event goes when it failed for good: `destination` is the on-failure destination (an
   * SQS queue in the stack, {@link LocalAsyncLambda.failedInvocations} here); `discard` is Lambda's
   * behaviour without one.
   */
  readonly onFailure: 'destination' | 'discard';
}

/** Lambda's own defaults: 2 retries about 1 and 2 minutes apart, events kept 6 hours, no destination. */
export const AWS_ASYNC_INVOKE_DEFAULTS: AsyncInvokeConfig = {
  maximumRetryAttempts: 2,
  maximumEventAgeMs: 6 * 60 * 60 * 1000,
  retryDelaysMs: [60_000, 120_000],
  onFailure: 'discard',
};

/** Local defaults: Lambda's, with the retry waits in seconds instead of minutes. */
export const LOCAL_ASYNC_INVOKE_DEFAULTS: AsyncInvokeConfig = {
  ...AWS_ASYNC_INVOKE_DEFAULTS,
  retryDelaysMs: [1_000, 2_000],
};

/** A function's settings as the stack deploys them (an EventInvokeConfig with an on-failure queue). */
export function fromStackSettings(settings: AsyncInvokeSettings): Partial<AsyncInvokeConfig> {
  return {
    maximumRetryAttempts: settings.maximumRetryAttempts,
    maximumEventAgeMs: settings.maximumEventAgeSeconds * 1000,
    onFailure: 'destination',
  };
}

/**
 * What the local cloud gives each function that rules and schedules target: the stack's own
 * numbers (`consumerAsyncInvoke` in `infra/rules.ts`, which the CDK stack reads too), each with an
 * on-failure destination as in the stack.
 */
export const CONSUMER_ASYNC_INVOKE = Object.fromEntries(
  Object.entries(consumerAsyncInvoke).map(([name, settings]) => [name, fromStackSettings(settings)]),
) as Readonly<Record<EventTargetName, Partial<AsyncInvokeConfig>>>;

/** Why Lambda gave up on an event, as in the invocation record. */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** The record Lambda sends to an on-failure destination (the shape of the SQS message body). */
export interface FailedInvocation {
  readonly version: '1.0';
  /** When Lambda gave up. */
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailureCondition;
    /** How many times the function ran. */
    readonly approximateInvokeCount: number;
  };
  /** The event, as the invoker handed it over. */
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  /** The last error the function threw. */
  readonly responsePayload: { readonly errorType: string; readonly errorMessage: string };
}

/** Invoking a function that does not exist: Lambda's `ResourceNotFoundException`, a delivery failure. */
export class FunctionNotFoundError extends Error {
  /** Retrying cannot help: EventBridge sends such an event to the rule's DLQ at once. */
  readonly retryable = false;
  constructor(functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = 'ResourceNotFoundException';
  }
}

/** One accepted asynchronous invocation. */
export interface AsyncInvocation {
  readonly requestId: string;
  /** Settles (never rejects) once the function succeeded or Lambda gave up on the event. */
  readonly finished: Promise<void>;
}

export interface LocalAsyncLambdaOptions {
  /** The functions, by name. */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  /** Per function, over {@link LOCAL_ASYNC_INVOKE_DEFAULTS} (e.g. {@link CONSUMER_ASYNC_INVOKE}). */
  readonly config?: Readonly<Record<string, Partial<AsyncInvokeConfig>>>;
  /** For every function, over `config` (tests shorten the waits this way). */
  readonly override?: Partial<AsyncInvokeConfig>;
  /** The ARN a record names a function by. */
  readonly functionArn?: (functionName: string) => string;
  /** When set, failed invocations are appended to `<dataDir>/lambda/failed-invocations.jsonl` and reloaded. */
  readonly dataDir?: string;
  /** Told about every event sent to an on-failure destination (e.g. to log it). */
  readonly onFailedInvocation?: (record: FailedInvocation) => void;
  /** Told about every event Lambda discarded because its function has no on-failure destination. */
  readonly onDiscarded?: (record: FailedInvocation) => void;
}

/** The local Lambda service's asynchronous invocations. */
export class LocalAsyncLambda {
  readonly #functions: ReadonlyMap<string, { handler: LambdaHandler; config: AsyncInvokeConfig }>;
  readonly #functionArn: (functionName: string) => string;
  readonly #file: string | undefined;
  readonly #failed: FailedInvocation[] = [];
  readonly #inflight = new Set<Promise<void>>();
  readonly #onFailedInvocation: ((record: FailedInvocation) => void) | undefined;
  readonly #onDiscarded: ((record: FailedInvocation) => void) | undefined;
  #closed = false;

  /** @throws {RangeError} when a configuration is out of Lambda's range. */
  constructor(options: LocalAsyncLambdaOptions) {
    this.#functions = new Map(
      Object.entries(options.functions).map(([name, handler]) => {
        const config = {
          ...LOCAL_ASYNC_INVOKE_DEFAULTS,
          ...options.config?.[name],
          ...options.override,
        };
        checkConfig(name, config);
        return [name, { handler, config }];
      }),
    );
    this.#functionArn = options.functionArn ?? ((name) => name);
    this.#onFailedInvocation = options.onFailedInvocation;
    this.#onDiscarded = options.onDiscarded;
    if (options.dataDir) {
      this.#file = join(options.dataDir, 'lambda', 'failed-invocations.jsonl');
      this.#failed.push(...loadRecords(this.#file));
    }
  }

  /** Whether a function of that name exists. */
  has(functionName: string): boolean {
    return this.#functions.has(functionName);
  }

  /** The effective configuration of a function, or `undefined` when there is no such function. */
  configOf(functionName: string): AsyncInvokeConfig | undefined {
    return this.#functions.get(functionName)?.config;
  }

  /**
   * Lambda's `Invoke` with `InvocationType: Event`: queues the event and returns; the function runs
   * afterwards, with this layer's retries.
   * @throws {FunctionNotFoundError} when there is no such function.
   */
  invoke(functionName: string, event: unknown): AsyncInvocation {
    if (this.#closed) throw new Error('The local Lambda service is closed');
    const fn = this.#functions.get(functionName);
    if (!fn) throw new FunctionNotFoundError(functionName);
    const requestId = randomUUID();
    // The queue holds its own copy: what the caller does with the event afterwards changes nothing.
    const finished = this.#run(functionName, fn.handler, fn.config, requestId, structuredClone(event));
    this.#inflight.add(finished);
    void finished.finally(() => this.#inflight.delete(finished));
    return { requestId, finished };
  }

  /** Records sent to on-failure destinations, oldest first. */
  failedInvocations(): FailedInvocation[] {
    return [...this.#failed];
  }

  /**
   * Redrive (`npm run replay-dead-letters`): invokes each function again, asynchronously, with the
   * event of each of its failed invocations, and empties the list (and its file) — what an operator
   * does in AWS with the on-failure queue's records. Returns how many were invoked again.
   */
  redriveFailedInvocations(): number {
    const records = this.#failed.splice(0, this.#failed.length);
    let redriven = 0;
    for (const record of records) {
      const name = record.requestContext.functionArn.split(':function:').pop()?.split(':')[0] ?? '';
      if (!this.has(name)) continue;
      this.invoke(name, record.requestPayload);
      redriven++;
    }
    try {
      if (this.#file && existsSync(this.#file)) writeFileSync(this.#file, '', { mode: 0o600 });
    } catch {
      // The events are invoked again; a stale file only lists them again after a restart.
    }
    return redriven;
  }

  /** Whether an invocation is running or waiting for a retry. */
  get busy(): boolean {
    return this.#inflight.size > 0;
  }

  /** Resolves once no invocation is running or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Accepts no more invocations and waits for the pending ones (retry waits included). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #run(
    functionName: string,
    handler: LambdaHandler,
    config: AsyncInvokeConfig,
    requestId: string,
    event: unknown,
  ): Promise<void> {
    const queuedAt = Date.now();
    const expiresAt = queuedAt + config.maximumEventAgeMs;
    // The invoker has its answer before the function starts, as with InvocationType Event.
    await new Promise((resolve) => setImmediate(resolve));
    let attempts = 0;
    for (;;) {
      attempts++;
      let error: unknown;
      try {
        // Every attempt gets the event as queued, whatever an earlier attempt did to its copy.
        await handler(structuredClone(event));
        return;
      } catch (thrown) {
        error = thrown ?? new Error('Function error');
      }
      if (attempts > config.maximumRetryAttempts) {
        this.#giveUp(functionName, config, requestId, event, attempts, 'RetriesExhausted', error);
        return;
      }
      const delay = config.retryDelaysMs[attempts - 1] ?? config.retryDelaysMs[1];
      if (Date.now() + delay >= expiresAt) {
        // The event expires in the queue before its retry is due.
        await sleep(Math.max(0, expiresAt - Date.now()));
        this.#giveUp(functionName, config, requestId, event, attempts, 'EventAgeExceeded', error);
        return;
      }
      await sleep(delay);
    }
  }

  #giveUp(
    functionName: string,
    config: AsyncInvokeConfig,
    requestId: string,
    event: unknown,
    attempts: number,
    condition: FailureCondition,
    error: unknown,
  ): void {
    const record: FailedInvocation = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${this.#functionArn(functionName)}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: error instanceof Error ? error.name : typeof error,
        errorMessage: error instanceof Error ? error.message : String(error),
      },
    };
    try {
      if (config.onFailure === 'discard') {
        this.#onDiscarded?.(record);
        return;
      }
      this.#failed.push(record);
      if (this.#file) {
        mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
        appendFileSync(this.#file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      }
      this.#onFailedInvocation?.(record);
    } catch {
      // The record is kept in memory; a full disk or a failing hook must not lose it or crash the cloud.
    }
  }
}

function checkConfig(name: string, config: AsyncInvokeConfig): void {
  const { maximumRetryAttempts: retries, maximumEventAgeMs: age, retryDelaysMs: delays } = config;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
    throw new RangeError(`${name}: maximumRetryAttempts must be 0, 1 or 2 (as in Lambda), got ${retries}`);
  }
  // Lambda's minimum is 60 s; shorter ages are allowed here so tests can exercise the limit.
  if (!(age > 0)) throw new RangeError(`${name}: maximumEventAgeMs must be positive, got ${age}`);
  if (delays.length !== 2 || delays.some((d) => !(d >= 0))) {
    throw new RangeError(`${name}: retryDelaysMs must be two non-negative numbers`);
  }
}

function loadRecords(file: string): FailedInvocation[] {
  if (!existsSync(file)) return [];
  const records: FailedInvocation[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as FailedInvocation);
    } catch {
      // A line torn by a crash mid-append is skipped; the rest are still good.
    }
  }
  return records;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
