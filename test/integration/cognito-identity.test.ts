/**
 * Users are found by the access token's `username`, as Cognito issues it (the `sub` of a Cognito
 * token is a UUID, not the user name), with the claims shaped as API Gateway's JWT authorizer
 * hands them to Lambda: strings, `cognito:groups` as `"[admin]"`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { createHandler as usersHandler } from '../../functions/http/users.ts';
import { bodyOf, httpEvent } from '../support/http-events.ts';
import { createTestTable } from '../support/table.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
let users: ReturnType<typeof usersHandler>;

/** Claims of a Cognito access token, as API Gateway passes them on (every value a string). */
const cognitoClaims = (username: string, sub: string, groups?: string) => ({
  sub,
  username,
  client_id: '4l9k2r1example0client0id0abc',
  token_use: 'access',
  scope: 'openid profile email',
  auth_time: '1764150000',
  iss: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEfGhI',
  exp: '1764153600',
  iat: '1764150000',
  jti: '0f3c2d1e-5b6a-4c7d-8e9f-a0b1c2d3e4f5',
  ...(groups ? { 'cognito:groups': groups } : {}),
});

const as = (event: ReturnType<typeof httpEvent>, claims: Record<string, string>) => {
  (event.requestContext.authorizer as { jwt: { claims: Record<string, string> } }).jwt.claims = claims;
  return event;
};

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
  users = usersHandler(() => ports);
});
afterAll(async () => drop());

describe('identity from a Cognito access token', () => {
  const admin = cognitoClaims('admin', '7d9c2b4e-1f3a-4c5b-9e8d-6a7b8c9d0e1f', '[admin]');
  const bob = cognitoClaims('bob', 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');

  it('an administrator (by the "[admin]" group string) creates bob by his user name; bob then reads himself', async () => {
    const put = await users(
      as(httpEvent('PUT /users/{id}', '/users/bob', { body: { processes: ['release'] } }), admin),
    );
    expect(put.statusCode).toBe(201);
    const read = await users(as(httpEvent('GET /users/{id}', '/users/bob'), bob));
    expect(read.statusCode).toBe(200);
    expect(bodyOf(read)).toMatchObject({ id: 'bob', processes: ['release', 'deployment'] });
    // Not by the UUID: there is no user of that id.
    expect((await users(as(httpEvent('GET /users/{id}', `/users/${bob.sub}`), bob))).statusCode).toBe(403);
  });

  it('refuses an ID token with a clear 401 (it names its user as cognito:username)', async () => {
    const idToken = { ...bob, token_use: 'id', 'cognito:username': 'bob' } as Record<string, string>;
    delete idToken.username;
    const res = await users(as(httpEvent('GET /users/{id}', '/users/bob'), idToken));
    expect(res.statusCode).toBe(401);
    expect(bodyOf<{ detail: string }>(res).detail).toMatch(/access token/);
  });

  it('a group list without admin grants nothing', async () => {
    const notAdmin = cognitoClaims('bob', bob.sub, '[release-managers auditors]');
    expect((await users(as(httpEvent('GET /users', '/users'), notAdmin))).statusCode).toBe(403);
  });
});
