/**
 * The operator console on the local cloud (issue 16): its static assets at /console/ (built with
 * esbuild on the first request, kept in memory) and the local sign-in — choosing a user, for whom
 * the local identity mints a token. The sign-in routes are local-only extras of the gateway
 * (infra/local/gateway.ts): the stack deploys no such thing, and in AWS signing in goes through
 * Cognito.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildConsole, type ConsoleAssets } from '../../console/build.ts';
import type { ConsoleConfig } from '../../console/src/config.ts';
import { logger } from '../../functions/app/logger.ts';
import type { UserRepository } from '../../functions/domain/user/service.ts';
import { INTERNAL_PROBLEM, problemType } from '../../functions/http/edge/problem.ts';
import { answerProblem } from './gateway.ts';
import type { LocalIdentity } from './identity.ts';

/**
 * Headers of every console asset: scripts, styles and connections from this origin only, no
 * framing (clickjacking), no sniffing, no referrer beyond the origin.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-cache',
};

const MAX_SIGN_IN_BODY = 1024;

/**
 * The console's `config.json` on the local cloud: by default it names no hosted UI, so the
 * console offers the local sign-in and calls the API on its own origin. A test may name a hosted
 * UI (a fake Cognito) to drive the AWS sign-in against the local cloud. Its `sfnEndpoint` is the
 * local Step Functions endpoint, called unsigned (so never `sfnSigning`, which is AWS's).
 */
export type LocalConsoleConfig = Omit<ConsoleConfig, 'sfnSigning'>;

/**
 * The security headers for a console whose hosted UI is at `authDomain`: the console POSTs codes
 * to its token endpoint, so connect-src must name it (as console-site.ts does in AWS).
 */
export function consoleSecurityHeaders(
  authDomain?: string,
  sfnEndpoint?: string,
): Readonly<Record<string, string>> {
  // The local Step Functions endpoint too, when the Executions view may call it.
  const origins = [authDomain, sfnEndpoint].filter((u): u is string => !!u).map((u) => new URL(u).origin);
  if (origins.length === 0) return CONSOLE_SECURITY_HEADERS;
  const csp = CONSOLE_SECURITY_HEADERS['content-security-policy'] ?? '';
  return {
    ...CONSOLE_SECURITY_HEADERS,
    'content-security-policy': csp.replace("connect-src 'self'", `connect-src 'self' ${origins.join(' ')}`),
  };
}

export interface ConsoleRoutesOptions {
  readonly users: Pick<UserRepository, 'get' | 'list'>;
  readonly identity: Pick<LocalIdentity, 'issue'>;
  /** Builds the assets; the default builds console/src with esbuild. */
  readonly build?: () => Promise<ConsoleAssets>;
  /** Served as `/console/config.json`; the default names no hosted UI. */
  readonly config?: LocalConsoleConfig;
}

/**
 * The console's routes as a gateway extra: true when the request was one of them (answered, or
 * being answered).
 */
export function consoleRoutes(
  options: ConsoleRoutesOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  let assets: Promise<ConsoleAssets> | undefined;
  const load = () => {
    // Built once, on first use, so the many test clouds that never open the console pay nothing.
    assets ??= (options.build ?? buildConsole)().catch((error: unknown) => {
      assets = undefined; // a failed build is tried again on the next request
      throw error;
    });
    return assets;
  };
  const fail = (res: ServerResponse) => (error: unknown) => {
    logger.error('The console route failed', { error: error as Error });
    if (!res.headersSent) answerProblem(res, INTERNAL_PROBLEM);
    else res.end();
  };
  const config = options.config ?? {};
  const headers = consoleSecurityHeaders(config.authDomain, config.sfnEndpoint);
  return (req, res, url) => {
    if (url.pathname === '/console') {
      res.writeHead(308, { location: '/console/', ...headers });
      res.end();
      return true;
    }
    if (url.pathname === '/console/config.json') {
      serveConfig(req, res, config);
      return true;
    }
    if (url.pathname.startsWith('/console/')) {
      serveAsset(req, res, url, load, headers).catch(fail(res));
      return true;
    }
    if (url.pathname === '/_local/console/users') {
      listUsers(req, res, options).catch(fail(res));
      return true;
    }
    if (url.pathname === '/_local/console/sign-in') {
      signIn(req, res, options).catch(fail(res));
      return true;
    }
    return false;
  };
}

function methodNotAllowed(res: ServerResponse, method: string | undefined, allow: string): void {
  answerProblem(
    res,
    {
      type: problemType('method-not-allowed'),
      title: 'Method Not Allowed',
      status: 405,
      detail: `${method} is not allowed here; use ${allow}.`,
    },
    { allow },
  );
}

function serveConfig(req: IncomingMessage, res: ServerResponse, config: LocalConsoleConfig): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    methodNotAllowed(res, req.method, 'GET, HEAD');
    return;
  }
  const body = JSON.stringify(config);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function serveAsset(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  load: () => Promise<ConsoleAssets>,
  headers: Readonly<Record<string, string>>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, req.method, 'GET, HEAD');
  const name = url.pathname.slice('/console/'.length) || 'index.html';
  const asset = (await load()).get(name);
  if (!asset) {
    answerProblem(res, {
      type: problemType('not-found'),
      title: 'Not Found',
      status: 404,
      detail: `The console has no ${name}.`,
    });
    return;
  }
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': String(asset.body.length),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

/**
 * Only a page of this very origin may use the sign-in: a browser sends `Origin` on a POST (and
 * on a cross-origin GET fetch), so a foreign page's request is refused here; its Host must be a
 * loopback name, so a DNS-rebinding page cannot read a token either.
 */
function sameOriginLoopback(req: IncomingMessage, res: ServerResponse): boolean {
  const host = req.headers.host ?? '';
  const loopback = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const origin = req.headers.origin;
  if (loopback && (origin === undefined || origin === `http://${host}`)) return true;
  answerProblem(res, {
    type: problemType('forbidden'),
    title: 'Forbidden',
    status: 403,
    detail: 'The local sign-in answers only pages of the local cloud itself, on localhost.',
  });
  return false;
}

async function listUsers(req: IncomingMessage, res: ServerResponse, options: ConsoleRoutesOptions) {
  if (req.method !== 'GET') return methodNotAllowed(res, req.method, 'GET');
  if (!sameOriginLoopback(req, res)) return;
  const items: { id: string; displayName?: string; processes: readonly string[]; admin: boolean }[] = [];
  let cursor: string | undefined;
  // A local organisation is small (the demo one has 10 users): the whole list, page by page.
  do {
    const page = await options.users.list({ limit: 100, cursor });
    for (const u of page.items)
      items.push({
        id: u.id,
        ...(u.displayName ? { displayName: u.displayName } : {}),
        processes: u.processes,
        admin: u.admin,
      });
    cursor = page.nextCursor;
  } while (cursor && items.length < 1000);
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify({ items }));
}

async function signIn(req: IncomingMessage, res: ServerResponse, options: ConsoleRoutesOptions) {
  if (req.method !== 'POST') return methodNotAllowed(res, req.method, 'POST');
  if (!sameOriginLoopback(req, res)) return;
  const bad = (detail: string) =>
    answerProblem(res, { type: problemType('validation'), title: 'Bad Request', status: 400, detail });
  // JSON only: a foreign form cannot send it without a CORS preflight, which this never grants.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return bad('Send Content-Type: application/json with { "user": "<id>" }.');
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > MAX_SIGN_IN_BODY) return bad('The body is too large.');
  }
  let user: unknown;
  try {
    user = (JSON.parse(raw) as { user?: unknown }).user;
  } catch {
    return bad('The body is not JSON.');
  }
  if (typeof user !== 'string' || user === '') return bad('Name the user: { "user": "<id>" }.');
  const found = await options.users.get(user);
  if (!found) {
    answerProblem(res, {
      type: problemType('not-found'),
      title: 'Not Found',
      status: 404,
      detail: `There is no user ${user}; create them first (PUT /users/{id}, or npm run token).`,
    });
    return;
  }
  const token = await options.identity.issue(found.id, { admin: found.admin });
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify({ token, user: found.id }));
}
