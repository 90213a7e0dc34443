/**
 * The local gateway hands a verified token's claims to the handler the way API Gateway's HTTP API
 * JWT authorizer does (docs/decisions.md "JWT claims as API Gateway passes them"): in
 * `requestContext.authorizer.jwt.claims`, every value a string, a list as `"[a b]"`.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../../functions/http/edge/handler.ts';
import { inAdminGroup } from '../../../functions/http/edge/middlewares.ts';
import { type LocalGateway, startGateway } from '../../../infra/local/gateway.ts';

const ISSUER = 'release-desk-local';
const AUDIENCE = 'release-desk-test';
let gateway: LocalGateway;
let token: string;
const seen: HttpEvent[] = [];

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  token = await new SignJWT({
    username: 'alice',
    client_id: AUDIENCE,
    token_use: 'access',
    'cognito:groups': ['admin', 'ops'],
    auth_time: 1764153600,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('7f0c1b9e-0000-4000-8000-000000000001')
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
  // Every route goes to the echo: only what the gateway builds is under test here.
  gateway = await startGateway({
    port: 0,
    auth: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] } },
    handlers: {
      fallback: async (event) => {
        seen.push(event);
        return { statusCode: 204 };
      },
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
});

describe('local gateway claims', () => {
  it('passes claims as strings, cognito:groups as "[admin ops]", numbers as their digits', async () => {
    const res = await fetch(`${gateway.url}/releases`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    const event = seen.at(-1);
    const claims = event?.requestContext.authorizer?.jwt?.claims as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: '7f0c1b9e-0000-4000-8000-000000000001',
      username: 'alice',
      token_use: 'access',
      'cognito:groups': '[admin ops]',
      auth_time: '1764153600',
    });
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
    expect(typeof claims.exp).toBe('string');
    expect(event?.requestContext.authorizer?.jwt?.scopes).toEqual([]);
    // The handlers' edge reads that shape.
    expect(inAdminGroup(claims)).toBe(true);
  });
});
