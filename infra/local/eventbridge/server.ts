/**
 * HTTP front of the local bus. Speaks the AWS JSON 1.1 protocol for PutEvents and TestEventPattern
 * (the latter answered by the same matcher the bus routes with, {@link ./pattern.ts}) and for the rule
 * operations (PutRule, ListRules, DescribeRule, DeleteRule, EnableRule, DisableRule, PutTargets,
 * ListTargetsByRule, RemoveTargets, ListRuleNamesByTarget: {@link ./rules.ts}), so the real `@aws-sdk/client-eventbridge`
 * (and `aws events … --endpoint-url`) work unchanged; signatures are not checked. Plain-HTTP extras
 * for people:
 * - `GET /_local/events/stream`: Server-Sent Events, one `data:` line of JSON per accepted event;
 * - `GET /_local/events?limit=N`: `{ events }`, the most recent accepted events, oldest first;
 * - `GET /_local/dead-letters`: `{ deadLetters }`, deliveries that failed every attempt;
 * - `POST /_local/dead-letters/replay`: puts every dead-lettered event on the bus again and empties
 *   the list (`npm run replay-dead-letters`); answers `{ replayed, eventIds }`;
 * - `GET /_local/failed-invocations`: `{ failedInvocations }`, events that Lambda-function targets
 *   received but kept failing on (Lambda's on-failure destination records);
 * - `GET /_local/rules/deliveries?rule=NAME&limit=N`: `{ deliveries }`, what the targets of rules you
 *   put received ({@link ./targets.ts}), oldest first.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus } from './bus.ts';
import { compilePattern, InvalidEventPatternError } from './pattern.ts';
import { type PutEventsEntry, PutEventsValidationError } from './put-events.ts';
import { EventBridgeApiError, type RuleRegistry } from './rules.ts';

/** A running local EventBridge endpoint. */
export interface LocalEventBridge {
  /** `http://127.0.0.1:<port>`, for `new EventBridgeClient({ endpoint })`. */
  readonly endpoint: string;
  readonly port: number;
  /** Closes live streams and the server. Pending deliveries are the bus's business (`bus.idle()`). */
  stop(): Promise<void>;
}

export interface LocalEventBridgeOptions {
  /** Port on 127.0.0.1; 0 or omitted picks a free one. */
  readonly port?: number;
  readonly bus: LocalEventBus;
}

const JSON_11 = 'application/x-amz-json-1.1';
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_EVENTS_LIMIT = 100;
const HEARTBEAT_MS = 15_000;

/** Starts the endpoint and resolves once it listens. */
export async function startLocalEventBridge(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  const { bus } = options;
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    handle(bus, streams, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendAwsError(res, 500, 'InternalException', errorMessage(error));
      else res.destroy();
    });
  });
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(heartbeat);
        for (const stream of streams) stream.end();
        streams.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  bus: LocalEventBus,
  streams: Set<ServerResponse>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const target = req.headers['x-amz-target'];
  if (req.method === 'POST' && typeof target === 'string') {
    await handleAwsJson(bus, target, req, res);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/_local/events/stream') {
    openStream(bus, streams, req, res);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/_local/events') {
    const requested = Number(url.searchParams.get('limit') ?? DEFAULT_EVENTS_LIMIT);
    const limit = Number.isFinite(requested) && requested >= 0 ? requested : DEFAULT_EVENTS_LIMIT;
    sendJson(res, 200, { events: bus.recentEvents(limit) });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/_local/dead-letters') {
    sendJson(res, 200, { deadLetters: bus.deadLetters() });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/_local/dead-letters/replay') {
    sendJson(res, 200, bus.replayDeadLetters());
    return;
  }
  if (req.method === 'GET' && url.pathname === '/_local/failed-invocations') {
    sendJson(res, 200, { failedInvocations: bus.failedInvocations() });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/_local/rules/deliveries') {
    const rule = url.searchParams.get('rule') ?? undefined;
    const requested = Number(url.searchParams.get('limit') ?? DEFAULT_EVENTS_LIMIT);
    const limit = Number.isFinite(requested) && requested >= 0 ? requested : DEFAULT_EVENTS_LIMIT;
    sendJson(res, 200, { deliveries: bus.ruleDeliveries({ ...(rule ? { rule } : {}), limit }) });
    return;
  }
  sendJson(res, 404, {
    message: `No route for ${req.method} ${url.pathname}. AWS calls are POST / with X-Amz-Target; see also GET /_local/events, /_local/events/stream, /_local/dead-letters, /_local/failed-invocations, /_local/rules/deliveries.`,
  });
}

async function handleAwsJson(
  bus: LocalEventBus,
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) {
    sendAwsError(res, 413, 'ValidationException', 'Request body is too large.');
    return;
  }
  const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
  // Own keys only: `AWSEvents.toString` must not reach Object.prototype.
  const ruleOperation = Object.hasOwn(RULE_OPERATIONS, operation) ? RULE_OPERATIONS[operation] : undefined;
  if (target !== 'AWSEvents.PutEvents' && target !== 'AWSEvents.TestEventPattern' && !ruleOperation) {
    sendAwsError(
      res,
      400,
      'UnknownOperationException',
      `The local EventBridge does not implement ${target}.`,
    );
    return;
  }
  let input: unknown;
  try {
    input = body.length > 0 ? JSON.parse(body) : {};
  } catch {
    sendAwsError(res, 400, 'SerializationException', 'Request body is not valid JSON.');
    return;
  }
  if (ruleOperation) {
    try {
      send(res, 200, JSON_11, JSON.stringify(ruleOperation(bus.ruleRegistry, input)));
    } catch (error) {
      if (error instanceof EventBridgeApiError) sendAwsError(res, error.status, error.type, error.message);
      else throw error;
    }
    return;
  }
  if (target === 'AWSEvents.TestEventPattern') {
    const answer = testEventPattern(input);
    if ('error' in answer) sendAwsError(res, 400, answer.error, answer.message);
    else send(res, 200, JSON_11, JSON.stringify({ Result: answer.result }));
    return;
  }
  const entries = (input as { Entries?: unknown } | null)?.Entries;
  if (!Array.isArray(entries)) {
    sendAwsError(
      res,
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'entries' must not be null",
    );
    return;
  }
  try {
    const result = await bus.putEvents(entries as PutEventsEntry[]);
    send(res, 200, JSON_11, JSON.stringify(result));
  } catch (error) {
    if (error instanceof PutEventsValidationError)
      sendAwsError(res, 400, 'ValidationException', error.message);
    else throw error;
  }
}

/** The rule operations, each answered by the bus's rule registry. */
const RULE_OPERATIONS: Readonly<Record<string, (rules: RuleRegistry, input: unknown) => unknown>> = {
  PutRule: (rules, input) => rules.putRule(input),
  ListRules: (rules, input) => rules.listRules(input),
  DescribeRule: (rules, input) => rules.describeRule(input),
  DeleteRule: (rules, input) => rules.deleteRule(input),
  EnableRule: (rules, input) => rules.setState(input, 'ENABLED'),
  DisableRule: (rules, input) => rules.setState(input, 'DISABLED'),
  PutTargets: (rules, input) => rules.putTargets(input),
  ListTargetsByRule: (rules, input) => rules.listTargetsByRule(input),
  RemoveTargets: (rules, input) => rules.removeTargets(input),
  ListRuleNamesByTarget: (rules, input) => rules.listRuleNamesByTarget(input),
};

/** TestEventPattern's documented limit on the pattern's length. */
const MAX_PATTERN_LENGTH = 4096;

/**
 * The envelope fields TestEventPattern insists on. The API reference also lists `resources`, but AWS
 * accepts events without it (LocalStack's parity tests, recorded against AWS, say so: see
 * docs/decisions.md), so it is not required here either.
 */
const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

type TestEventPatternAnswer = { result: boolean } | { error: string; message: string };

/**
 * AWSEvents.TestEventPattern: `{ EventPattern, Event }` (both JSON text) → whether the event matches.
 * A bad pattern is `InvalidEventPatternException` with the matcher's "Event pattern is not valid.
 * Reason: …"; an event that is not JSON or lacks an envelope field is AWS's
 * `ValidationException: Parameter Event is not valid.`
 */
export function testEventPattern(input: unknown): TestEventPatternAnswer {
  const { EventPattern: patternText, Event: eventText } = (input ?? {}) as Record<string, unknown>;
  for (const [name, value] of [
    ['eventPattern', patternText],
    ['event', eventText],
  ] as const) {
    if (typeof value !== 'string') {
      return {
        error: 'ValidationException',
        message: `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      };
    }
  }
  if ((patternText as string).length > MAX_PATTERN_LENGTH) {
    return {
      error: 'ValidationException',
      message: `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`,
    };
  }
  let matcher: (event: unknown) => boolean;
  try {
    matcher = compilePattern(JSON.parse(patternText as string));
  } catch (error) {
    const message =
      error instanceof InvalidEventPatternError
        ? error.message
        : `Event pattern is not valid. Reason: ${errorMessage(error)}`;
    return { error: 'InvalidEventPatternException', message };
  }
  let event: unknown;
  try {
    event = JSON.parse(eventText as string);
  } catch {
    return { error: 'ValidationException', message: 'Parameter Event is not valid.' };
  }
  if (
    typeof event !== 'object' ||
    event === null ||
    Array.isArray(event) ||
    REQUIRED_EVENT_FIELDS.some((field) => !(field in event))
  ) {
    return { error: 'ValidationException', message: 'Parameter Event is not valid.' };
  }
  return { result: matcher(event) };
}

function openStream(
  bus: LocalEventBus,
  streams: Set<ServerResponse>,
  req: IncomingMessage,
  res: ServerResponse,
) {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // A first comment flushes the headers, so clients know the stream is open before any event.
  res.write(': connected to the local EventBridge\n\n');
  streams.add(res);
  const unsubscribe = bus.subscribe((event) => {
    res.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
  });
  const close = () => {
    unsubscribe();
    streams.delete(res);
  };
  req.on('close', close);
  res.on('close', close);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendAwsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.setHeader('x-amzn-errortype', type);
  send(res, status, JSON_11, JSON.stringify({ __type: type, message }));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
