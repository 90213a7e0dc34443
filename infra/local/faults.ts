/**
 * The local cloud's fault injector, switched on by `FAULTS` (see docs/operations.md): faults as
 * they happen to the managed services in AWS, injected at the local cloud's seams so that the
 * application's own retries (the SDK's, Lambda's asynchronous retries, EventBridge's delivery
 * retries, the stream relay's) are what must make them converge.
 *
 *   FAULTS=dynamodb:throttle:0.1,dynamodb:error:0.05,sfn:error:0.05,sfn:latency:200,target:error:0.1,relay:crash:0.01
 *   FAULTS_SEED=42   (the same seed and the same requests inject the same faults)
 *
 * Every fault is injected before the call reaches the service (a throttled or failed request was
 * not applied, as DynamoDB and Step Functions promise for throttling and 5xx before processing),
 * except the relay crash, which dies half-way through a batch it has partly published.
 */
/** The faults the injector knows, by `service:kind`. */
export const FAULT_KINDS = {
  /** Probability that a DynamoDB call answers 400 ProvisionedThroughputExceededException / ThrottlingException. */
  'dynamodb:throttle': 'probability',
  /** Probability that a DynamoDB call answers 500 InternalServerError. */
  'dynamodb:error': 'probability',
  /** Probability that a Step Functions call answers 500 ServiceUnavailable. */
  'sfn:error': 'probability',
  /** Extra milliseconds, up to, before each Step Functions call is sent (uniformly drawn). */
  'sfn:latency': 'milliseconds',
  /** Probability that an EventBridge delivery to a rule's target fails (retried, then dead-lettered). */
  'target:error': 'probability',
  /** Probability that the stream relay dies in the middle of a batch and is restarted. */
  'relay:crash': 'probability',
} as const;

export type FaultName = keyof typeof FAULT_KINDS;

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** Parses `FAULTS`: comma-separated `service:kind:value`; a name given twice keeps the last. */
export function parseFaults(spec: string | undefined): Partial<Record<FaultName, number>> {
  const faults: Partial<Record<FaultName, number>> = {};
  for (const part of (spec ?? '').split(',').map((p) => p.trim())) {
    if (!part) continue;
    const at = part.lastIndexOf(':');
    const name = part.slice(0, at) as FaultName;
    const raw = part.slice(at + 1);
    const kind = FAULT_KINDS[name];
    if (at < 0 || !kind)
      throw new FaultSpecError(
        `FAULTS: unknown fault "${part}"; known: ${Object.keys(FAULT_KINDS)
          .map((k) => `${k}:<${FAULT_KINDS[k as FaultName]}>`)
          .join(', ')}`,
      );
    const value = Number(raw);
    const valid =
      raw !== '' &&
      Number.isFinite(value) &&
      (kind === 'probability' ? value >= 0 && value <= 1 : value >= 0 && value <= 60_000);
    if (!valid)
      throw new FaultSpecError(
        `FAULTS: ${name} takes ${kind === 'probability' ? 'a probability from 0 to 1' : 'milliseconds from 0 to 60000'}, got "${raw}"`,
      );
    faults[name] = value;
  }
  return faults;
}

/** mulberry32: small, fast and good enough to draw faults from; the same seed, the same draws. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultInjector {
  /** Whether any fault is switched on. */
  readonly enabled: boolean;
  readonly faults: Readonly<Partial<Record<FaultName, number>>>;
  readonly seed: number;
  /** Draws whether the fault (a probability) strikes now, and counts it when it does. */
  strikes(name: FaultName): boolean;
  /** Draws a delay in [0, value] ms for a latency fault (0 when it is off); a delay counts as a strike. */
  delayMs(name: FaultName): number;
  /** How many times each fault struck so far (a latency fault: how many calls it delayed). */
  counts(): Readonly<Partial<Record<FaultName, number>>>;
  /** Tests: no fault strikes while paused (seeding data, checking the outcome). */
  pause(): void;
  resume(): void;
}

export function createFaultInjector(spec: string | undefined, seedText?: string): FaultInjector {
  const faults = parseFaults(spec);
  const seed = seedText === undefined || seedText === '' ? Date.now() >>> 0 : Number(seedText) >>> 0;
  if (seedText !== undefined && seedText !== '' && !Number.isFinite(Number(seedText)))
    throw new FaultSpecError(`FAULTS_SEED must be a number, got "${seedText}"`);
  // One stream of draws per fault, so that switching one fault on or off leaves the others' draws as they were.
  const streams = new Map<FaultName, () => number>();
  const draw = (name: FaultName) => {
    let stream = streams.get(name);
    if (!stream) {
      let h = seed;
      for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      stream = random(h);
      streams.set(name, stream);
    }
    return stream();
  };
  const counts: Partial<Record<FaultName, number>> = {};
  let paused = false;
  return {
    enabled: Object.values(faults).some((v) => v > 0),
    faults,
    seed,
    strikes(name) {
      const p = faults[name] ?? 0;
      if (p <= 0 || paused) return false;
      const hit = draw(name) < p;
      if (hit) counts[name] = (counts[name] ?? 0) + 1;
      return hit;
    },
    delayMs(name) {
      const max = faults[name] ?? 0;
      const delay = max > 0 && !paused ? Math.floor(draw(name) * (max + 1)) : 0;
      // Counted like a strike, so that a test can show the latency was really injected.
      if (delay > 0) counts[name] = (counts[name] ?? 0) + 1;
      return delay;
    },
    counts: () => ({ ...counts }),
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
  };
}

/** No faults: the local cloud's default. */
export const noFaults: FaultInjector = createFaultInjector(undefined, '0');

/** What the injector makes a service answer instead of calling it. */
interface InjectedAnswer {
  readonly statusCode: number;
  readonly type: string;
  readonly message: string;
}

/** The part of an SDK v3 client this needs: its request handler, reached through its config. */
interface SdkClient {
  readonly config: { requestHandler?: unknown };
}

interface Handler {
  handle(request: unknown, options?: unknown): Promise<{ response: unknown }>;
}

/**
 * Puts the injector between an AWS SDK v3 client and the network: a struck call gets the answer
 * the service would give (an AWS JSON error, with its HTTP status), parsed and retried by the
 * client's own deserialiser and retry strategy exactly like the real one. Only the calls of this
 * client are affected (the application's, not the local cloud's own bootstrap clients).
 */
export function injectIntoClient(
  client: SdkClient,
  injector: FaultInjector,
  decide: () => InjectedAnswer | undefined,
  delayMs: () => number = () => 0,
): void {
  if (!injector.enabled) return;
  const handler = client.config.requestHandler as Handler | undefined;
  if (!handler || typeof handler.handle !== 'function')
    throw new Error('This SDK client exposes no request handler to inject faults into');
  const send = handler.handle.bind(handler);
  // The smithy HttpResponse shape (statusCode, headers, body); a Uint8Array body is read as is.
  handler.handle = async (request, options) => {
    const delay = delayMs();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const answer = decide();
    if (!answer) return send(request, options);
    const body = new TextEncoder().encode(JSON.stringify({ __type: answer.type, message: answer.message }));
    return {
      response: {
        statusCode: answer.statusCode,
        reason: undefined,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': answer.type,
          'x-amzn-requestid': `injected-${Date.now()}`,
        },
        body,
      },
    };
  };
}

/** DynamoDB's throttling and transient errors, as DynamoDB answers them. */
export function dynamoFault(injector: FaultInjector): InjectedAnswer | undefined {
  if (injector.strikes('dynamodb:throttle')) {
    // Both names the SDK classes as throttling; DynamoDB answers either.
    return (injector.counts()['dynamodb:throttle'] ?? 1) % 2 === 1
      ? {
          statusCode: 400,
          type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message:
            'Injected fault: the level of configured provisioned throughput for the table was exceeded',
        }
      : {
          statusCode: 400,
          type: 'com.amazon.coral.availability#ThrottlingException',
          message: 'Injected fault: rate of requests exceeds the allowed throughput',
        };
  }
  if (injector.strikes('dynamodb:error'))
    return {
      statusCode: 500,
      type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Injected fault: internal server error',
    };
  return undefined;
}

/** Step Functions' transient errors. */
export function sfnFault(injector: FaultInjector): InjectedAnswer | undefined {
  return injector.strikes('sfn:error')
    ? { statusCode: 500, type: 'ServiceUnavailable', message: 'Injected fault: service unavailable' }
    : undefined;
}

/** The error an EventBridge target delivery fails with under `target:error` (retryable). */
export class InjectedTargetFault extends Error {
  override readonly name = 'InjectedTargetFault';
  constructor(target: string) {
    super(`Injected fault: delivery to ${target} failed`);
  }
}
