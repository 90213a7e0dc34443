/**
 * The console's local routes (infra/local/console.ts) without a browser or a database: the
 * assets with their headers, the local sign-in's refusals, and a token only for a stored user,
 * an administrator's carrying the admin group. In-memory fakes for the user store and the build.
 */
import { createServer, request, type Server } from 'node:http';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleAssets } from '../../../console/build.ts';
import type { User } from '../../../functions/domain/user/user.ts';
import {
  CONSOLE_SECURITY_HEADERS,
  consoleRoutes,
  consoleSecurityHeaders,
} from '../../../infra/local/console.ts';
import { localIdentity } from '../../../infra/local/identity.ts';

const user = (id: string, admin = false): User => ({
  id,
  processes: ['release'],
  admin,
  teamIds: [],
  workGroupIds: [],
  version: 1,
  createdAt: '2026-11-27T00:00:00Z',
  updatedAt: '2026-11-27T00:00:00Z',
});
const users = new Map([
  ['admin', user('admin', true)],
  ['rm', user('rm')],
]);
let builds = 0;
const assets: ConsoleAssets = new Map([
  [
    'index.html',
    { path: 'index.html', contentType: 'text/html; charset=utf-8', body: Buffer.from('<p>hi</p>') },
  ],
]);

let server: Server;
let port: number;

beforeAll(async () => {
  const identity = await localIdentity({ issuer: 'release-desk-local' });
  const route = consoleRoutes({
    users: {
      get: async (id) => users.get(id),
      list: async () => ({ items: [...users.values()] }),
    },
    identity,
    build: async () => {
      builds++;
      return assets;
    },
  });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!route(req, res, url)) {
      res.writeHead(418);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A request with the headers given (Host and Origin included, which fetch does not let one set). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `localhost:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the console assets', () => {
  it('are served with the security headers, built once', async () => {
    for (const path of ['/console/', '/console/index.html']) {
      const res = await send('GET', path);
      expect(res.status).toBe(200);
      expect(res.body).toBe('<p>hi</p>');
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS))
        expect(res.headers[name]).toBe(value);
    }
    expect(builds).toBe(1);
  });

  it('include a config.json naming no hosted UI, so the console keeps the local sign-in', async () => {
    const res = await send('GET', '/console/config.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({});
  });

  it('let connect-src reach a hosted UI the config names (as in AWS), and only then', () => {
    expect(consoleSecurityHeaders()).toBe(CONSOLE_SECURITY_HEADERS);
    expect(consoleSecurityHeaders('http://localhost:4567/')['content-security-policy']).toContain(
      "connect-src 'self' http://localhost:4567;",
    );
  });

  it('let the CSP connect to the Step Functions endpoint beside the hosted UI, when config.json names them', () => {
    expect(
      consoleSecurityHeaders('https://x.auth.eu-west-1.amazoncognito.com', 'http://127.0.0.1:8083')[
        'content-security-policy'
      ],
    ).toContain("connect-src 'self' https://x.auth.eu-west-1.amazoncognito.com http://127.0.0.1:8083;");
    expect(consoleSecurityHeaders(undefined, 'http://127.0.0.1:8083')['content-security-policy']).toContain(
      "connect-src 'self' http://127.0.0.1:8083;",
    );
  });

  it('redirect /console to /console/, 404 an unknown file and refuse writes', async () => {
    const redirect = await send('GET', '/console');
    expect([redirect.status, redirect.headers.location]).toEqual([308, '/console/']);
    expect((await send('GET', '/console/missing.js')).status).toBe(404);
    const post = await send('POST', '/console/');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('leaves every other path to the API', async () => {
    expect((await send('GET', '/releases')).status).toBe(418);
  });
});

describe('the local sign-in', () => {
  const json = { 'content-type': 'application/json' };

  it('lists the users with their processes', async () => {
    const res = await send('GET', '/_local/console/users');
    expect(JSON.parse(res.body).items).toEqual([
      { id: 'admin', processes: ['release'], admin: true },
      { id: 'rm', processes: ['release'], admin: false },
    ]);
  });

  it("mints a token for a stored user, an administrator's in the admin group", async () => {
    const rm = JSON.parse((await send('POST', '/_local/console/sign-in', json, '{"user":"rm"}')).body);
    expect(decodeJwt(rm.token)).toMatchObject({ username: 'rm', token_use: 'access' });
    expect(decodeJwt(rm.token)['cognito:groups']).toBeUndefined();
    const admin = JSON.parse((await send('POST', '/_local/console/sign-in', json, '{"user":"admin"}')).body);
    expect(decodeJwt(admin.token)['cognito:groups']).toEqual(['admin']);
  });

  it('refuses foreign pages, foreign hosts, non-JSON bodies, unknown users and other methods', async () => {
    const signIn = (headers: Record<string, string>, body = '{"user":"rm"}') =>
      send('POST', '/_local/console/sign-in', headers, body);
    expect((await signIn({ ...json, origin: 'http://evil.example' })).status).toBe(403);
    expect((await signIn({ ...json, host: 'evil.example' })).status).toBe(403);
    expect((await signIn({ 'content-type': 'text/plain' })).status).toBe(400);
    expect((await signIn(json, 'not json')).status).toBe(400);
    expect((await signIn(json, '{"user":""}')).status).toBe(400);
    expect((await signIn(json, `{"user":"${'x'.repeat(2000)}"}`)).status).toBe(400);
    const unknown = await signIn(json, '{"user":"nobody"}');
    expect([unknown.status, JSON.parse(unknown.body).title]).toEqual([404, 'Not Found']);
    expect((await send('GET', '/_local/console/sign-in')).status).toBe(405);
    expect((await send('POST', '/_local/console/users')).status).toBe(405);
  });
});
