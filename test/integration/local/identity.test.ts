/**
 * Local tokens look like Cognito access tokens, and the local gateway checks and passes them on
 * as API Gateway's JWT authorizer does.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { apiGatewayClaims } from '../../../infra/local/gateway.ts';
import { LOCAL_AUDIENCE, localIdentity } from '../../../infra/local/identity.ts';
import { createJwtVerifier } from '../../../infra/local/jwt.ts';

describe('local identity', () => {
  it('issues RS256 access tokens with a UUID sub, the user name, client_id and no aud', async () => {
    const identity = await localIdentity({ issuer: 'release-desk-local', dataDir: undefined });
    const token = await identity.issue('bob', { admin: true });
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      username: 'bob',
      client_id: LOCAL_AUDIENCE,
      token_use: 'access',
      'cognito:groups': ['admin'],
    });
    expect(claims.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.aud).toBeUndefined();
    expect(decodeJwt(await identity.issue('bob')).sub).toBe(claims.sub);
  });

  it('verifies like the JWT authorizer: aud when present, else client_id', async () => {
    const identity = await localIdentity({ issuer: 'release-desk-local', dataDir: undefined });
    const verify = createJwtVerifier({
      issuer: identity.issuer,
      audience: identity.audience,
      jwks: identity.jwks,
    });
    await expect(verify(await identity.issue('bob'))).resolves.toMatchObject({ username: 'bob' });
    const other = createJwtVerifier({
      issuer: identity.issuer,
      audience: 'another-client',
      jwks: identity.jwks,
    });
    await expect(other(await identity.issue('bob'))).rejects.toThrow();
  });

  it('hands claims on as strings, lists as "[a b]"', () => {
    expect(
      apiGatewayClaims({ sub: 'x', exp: 1764153600, 'cognito:groups': ['admin', 'ops'], scope: 'openid' }),
    ).toEqual({
      sub: 'x',
      exp: '1764153600',
      'cognito:groups': '[admin ops]',
      scope: 'openid',
    });
  });
});
