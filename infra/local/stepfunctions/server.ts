/**
 * The local Step Functions endpoint: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Action>`), so `@aws-sdk/client-sfn` and the AWS CLI (with
 * `--endpoint-url`) work against it. Request signatures are not checked.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnDataDir } from './data-dir.ts';
import type { InvokeFunction } from './execution-runner.ts';
import { SfnServiceError } from './service-error.ts';
import { type PublishEvent, StepFunctionsService } from './sfn-service.ts';
import { parseTimeScale, TIME_SCALE_VARIABLE } from './time-scale.ts';

/** The port `npm start` uses unless `SFN_PORT` says otherwise (DESIGN §3). */
export const DEFAULT_STEP_FUNCTIONS_PORT = 8083;

/** Options of {@link startLocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  readonly port?: number;
  /** Where state machines and executions persist (and resume from); absent keeps everything in memory. */
  readonly dataDir?: string;
  /** Runs a Lambda function of a Task state: `FunctionName` (or the Lambda ARN resource) and payload. */
  readonly invokeFunction: InvokeFunction;
  /** Region in ARNs; default `local`. */
  readonly region?: string;
  /** Account in ARNs; default `000000000000`. */
  readonly accountId?: string;
  /**
   * Factor for Wait states, task timeouts and heartbeats and execution timeouts (0.01: an hour lasts
   * 36 s); default: the `SFN_TIME_SCALE` environment variable, else 1.
   */
  readonly timeScale?: number;
  /**
   * Receives each `Step Functions Execution Status Change` event (the local cloud puts them on its
   * EventBridge bus, as AWS puts them on the default bus); none are sent without it.
   */
  readonly publishEvent?: PublishEvent;
  /**
   * Browser origins allowed to call the endpoint (CORS), asked on each request because the local
   * cloud learns its console's origin only after this endpoint is up; none when absent, so no web
   * page can drive the local Step Functions unless named here.
   */
  readonly allowedOrigins?: () => readonly string[];
}

/** A running local Step Functions endpoint. */
export interface LocalStepFunctions {
  /** e.g. `http://127.0.0.1:8083`, for `new SFNClient({ endpoint })` or `--endpoint-url`. */
  readonly endpoint: string;
  readonly port: number;
  /** Closes the endpoint; RUNNING executions stay RUNNING on disk and resume on the next start. */
  stop(): Promise<void>;
}

const contentType = 'application/x-amz-json-1.0';
const targetPrefix = 'AWSStepFunctions.';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, statusCode: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: SfnServiceError): void {
  send(response, error.statusCode, { __type: error.type, message: error.message }, error.type);
}

/** The headers a preflight may ask for: what the AWS JSON protocol sends from a browser. */
const CORS_ALLOWED_HEADERS =
  'content-type, x-amz-target, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request';

/**
 * Answers CORS: the `Origin` gets access only when it is one of `allowedOrigins`; a preflight is
 * answered here (true: nothing more to do). Others get no CORS headers, so their browser refuses.
 */
function cors(
  request: IncomingMessage,
  response: ServerResponse,
  allowedOrigins: (() => readonly string[]) | undefined,
): boolean {
  const origin = request.headers.origin;
  const allowed = typeof origin === 'string' && (allowedOrigins?.() ?? []).includes(origin);
  if (allowed) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'Origin');
  }
  if (request.method !== 'OPTIONS') return false;
  if (allowed) {
    response.writeHead(204, {
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': '600',
    });
  } else {
    response.writeHead(403, { 'content-type': 'text/plain' });
  }
  response.end(allowed ? undefined : 'This origin may not call the local Step Functions endpoint.');
  return true;
}

async function handleRequest(
  service: StepFunctionsService,
  request: IncomingMessage,
  response: ServerResponse,
  allowedOrigins?: () => readonly string[],
) {
  if (cors(request, response, allowedOrigins)) return;
  try {
    const target = request.headers['x-amz-target'];
    const body = await readBody(request);
    if (request.method !== 'POST' || typeof target !== 'string' || !target.startsWith(targetPrefix)) {
      throw new SfnServiceError(
        'UnknownOperationException',
        'Expected a POST with X-Amz-Target: AWSStepFunctions.<Action>',
      );
    }
    let input: unknown;
    try {
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      throw new SfnServiceError('SerializationException', 'The request body is not valid JSON');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new SfnServiceError('SerializationException', 'The request body must be a JSON object');
    }
    const output = await service.handle(target.slice(targetPrefix.length), input as Record<string, unknown>);
    send(response, 200, output ?? {});
  } catch (error) {
    if (error instanceof SfnServiceError) {
      sendError(response, error);
      return;
    }
    console.error('[local-stepfunctions] internal error', error);
    sendError(
      response,
      new SfnServiceError('InternalFailure', (error as Error)?.message ?? 'Internal failure', 500),
    );
  }
}

/**
 * Starts the local Step Functions service (see DESIGN §3): loads and resumes what `dataDir` holds, then
 * listens on 127.0.0.1.
 */
export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctions> {
  const timeScale = options.timeScale ?? parseTimeScale(process.env[TIME_SCALE_VARIABLE]);
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a positive number, not ${timeScale}`);
  }
  const service = new StepFunctionsService({
    scope: { region: options.region ?? 'local', accountId: options.accountId ?? '000000000000' },
    invokeFunction: options.invokeFunction,
    timeScale,
    ...(options.publishEvent ? { publishEvent: options.publishEvent } : {}),
    ...(options.dataDir ? { dataDir: new SfnDataDir(options.dataDir) } : {}),
  });
  await service.load();
  const server = createServer((request, response) => {
    void handleRequest(service, request, response, options.allowedOrigins);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await service.shutdown();
      })();
      return stopped;
    },
  };
}
