/**
 * The local API gateway: turns HTTP requests into API Gateway HTTP API payload 2.0 events for the
 * same handler modules Lambda runs, after the same JWT check the HTTP API's authorizer makes.
 * Routes come from the one route table; what matches none goes to the fallback handler (404/405).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import type { HttpEvent, HttpResult } from '../../functions/http/edge/handler.ts';
import { MAX_BODY_BYTES } from '../../functions/http/edge/handler.ts';
import { SECURITY_HEADERS } from '../../functions/http/edge/middlewares.ts';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../functions/http/edge/problem.ts';
import type { HttpHandlerName } from '../../functions/http/route-table.ts';
import { resolveRoute } from '../../functions/http/route-table.ts';
import { bearerToken, createJwtVerifier } from './jwt.ts';

export type HttpLambda = (event: HttpEvent, context?: { awsRequestId?: string }) => Promise<HttpResult>;

export interface GatewayOptions {
  readonly port: number;
  readonly host?: string;
  readonly handlers: Readonly<Partial<Record<HttpHandlerName, HttpLambda>>>;
  readonly auth: { readonly issuer: string; readonly audience: string; readonly jwks: JSONWebKeySet };
  /**
   * Extra local-only routes (e.g. the JWKS), answered before the API's routes: true when answered.
   * `url` is the request's, parsed as the API's routes are (match on its `pathname`).
   */
  readonly extras?: (req: IncomingMessage, res: ServerResponse, url: URL, gate: GatewayGate) => boolean;
}

/** The gateway's own checks, for the extra routes that need a token as the API's routes do. */
export interface GatewayGate {
  /**
   * The caller's claims as the authorizer hands them to Lambda ({@link apiGatewayClaims}), after
   * the very check the API's routes get; `undefined` once it has answered 401 problem+json.
   */
  authenticate(): Promise<Record<string, string> | undefined>;
}

export interface LocalGateway {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Answers a problem (RFC 9457) with the headers every answer of the API carries. */
export function answerProblem(
  res: ServerResponse,
  problem: { type: string; title: string; status: number; detail: string },
  headers: Record<string, string> = {},
): void {
  res.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, ...headers, ...SECURITY_HEADERS });
  res.end(JSON.stringify(problem));
}

function unauthorized(res: ServerResponse, detail: string): void {
  answerProblem(
    res,
    { type: problemType('unauthorized'), title: 'Unauthorized', status: 401, detail },
    { 'www-authenticate': 'Bearer' },
  );
}

/** Reads the body, stopping early (with `tooLarge`) past the limit so a huge upload can't exhaust memory. */
async function readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES + 1) return { body: Buffer.alloc(0), tooLarge: true };
    chunks.push(chunk as Buffer);
  }
  return { body: Buffer.concat(chunks), tooLarge: false };
}

export function toHttpEvent(
  req: IncomingMessage,
  url: URL,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
  body: Buffer,
  claims: Record<string, unknown> | undefined,
): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const isText = body.length === 0 || /json|text|xml|urlencoded/i.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length ? { pathParameters } : {}),
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: url.hostname,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(claims
        ? { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } }
        : {}),
    },
  } as HttpEvent;
}

/**
 * Claims as API Gateway's JWT authorizer hands them to Lambda: every value a string, a list as
 * `[a b]` (so `cognito:groups` arrives as `"[admin]"`), an object as its JSON.
 */
export function apiGatewayClaims(payload: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    out[name] = Array.isArray(value)
      ? `[${value.map(String).join(' ')}]`
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  }
  return out;
}

export async function startGateway(options: GatewayOptions): Promise<LocalGateway> {
  const verify = createJwtVerifier(options.auth);
  // API Gateway's JWT authorizer: a 401 before any function runs, else the claims it hands on.
  const authenticate = async (req: IncomingMessage, res: ServerResponse) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      unauthorized(
        res,
        req.headers.authorization === undefined
          ? 'Send Authorization: Bearer <token> (npm run -s token -- --user <name>).'
          : 'The bearer token is not valid or has expired.',
      );
      return undefined;
    }
    try {
      return apiGatewayClaims(await verify(token));
    } catch {
      unauthorized(res, 'The bearer token is not valid or has expired.');
      return undefined;
    }
  };
  const server: Server = createServer(async (req, res) => {
    try {
      // The path alone routes; a Host header that is no host (`a b`) must not make a 500.
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      } catch {
        url = new URL(req.url ?? '/', 'http://127.0.0.1');
      }
      if (options.extras?.(req, res, url, { authenticate: () => authenticate(req, res) })) return;
      const method = req.method ?? 'GET';
      const found = resolveRoute(method, url.pathname);
      const routeKey = 'routeKey' in found ? found.routeKey : '$default';
      const handlerName: HttpHandlerName = 'spec' in found ? found.spec.handler : 'fallback';
      let claims: Record<string, unknown> | undefined;
      if ('spec' in found && !found.spec.public) {
        claims = await authenticate(req, res);
        if (!claims) return;
      }
      const { body, tooLarge } = await readBody(req);
      if (tooLarge) {
        // Refused here rather than buffered: the same answer the handler gives past the limit.
        res.writeHead(413, {
          'content-type': PROBLEM_CONTENT_TYPE,
          connection: 'close',
          ...SECURITY_HEADERS,
        });
        res.end(
          JSON.stringify({
            type: problemType('payload-too-large'),
            title: 'Payload Too Large',
            status: 413,
            detail: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
          }),
        );
        return;
      }
      const handler = options.handlers[handlerName] ?? options.handlers.fallback;
      if (!handler) throw new Error(`No handler ${handlerName}`);
      const event = toHttpEvent(
        req,
        url,
        routeKey,
        'pathParameters' in found ? found.pathParameters : undefined,
        body,
        claims,
      );
      const result = await handler(event, { awsRequestId: event.requestContext.requestId });
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    } catch (error) {
      console.error('local gateway error', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': PROBLEM_CONTENT_TYPE, ...SECURITY_HEADERS });
      res.end(
        JSON.stringify({
          type: problemType('internal'),
          title: 'Internal Server Error',
          status: 500,
          detail: 'Gateway error.',
        }),
      );
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
