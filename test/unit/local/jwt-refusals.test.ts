/**
 * The local gateway's token check (infra/local/jwt.ts), the stand-in for API Gateway's JWT
 * authorizer: a token is accepted only when the local identity signed it with RS256, for this
 * issuer and audience, and it has not expired. docs/security.md cites each refusal here.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, type LocalIdentity, localIdentity } from '../../../infra/local/identity.ts';
import { createJwtVerifier, InvalidTokenError } from '../../../infra/local/jwt.ts';

const ISSUER = 'release-desk-local';
let identity: LocalIdentity;
let verify: (token: string) => Promise<JWTPayload>;

beforeAll(async () => {
  identity = await localIdentity({ issuer: ISSUER, dataDir: undefined });
  verify = createJwtVerifier({ issuer: ISSUER, audience: identity.audience, jwks: identity.jwks });
});

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** The claims of a genuine local access token. */
const claims = () => ({
  sub: '7f0c1b9e-0000-4000-8000-000000000001',
  username: 'alice',
  client_id: LOCAL_AUDIENCE,
  token_use: 'access',
  scope: 'openid profile',
  iss: ISSUER,
  iat: now(),
  exp: now() + 600,
});

async function signedWithOtherKey(payload: JWTPayload): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const kid = (identity.jwks.keys[0] as { kid?: string }).kid ?? 'k';
  // Same kid as the real key: only the signature tells them apart.
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
}

describe('the local JWT check refuses', () => {
  it('accepts a token the local identity issued (the control)', async () => {
    await expect(verify(await identity.issue('alice'))).resolves.toMatchObject({ username: 'alice' });
  });

  it('an unsigned token (alg: none)', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('a token whose signature is of another key, or whose claims were edited after signing', async () => {
    await expect(verify(await signedWithOtherKey(claims()))).rejects.toBeInstanceOf(InvalidTokenError);
    const [header, , signature] = (await identity.issue('alice')).split('.');
    const edited = `${header}.${b64({ ...claims(), username: 'admin', 'cognito:groups': ['admin'] })}.${signature}`;
    await expect(verify(edited)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('an expired token', async () => {
    await expect(verify(await identity.issue('alice', { ttlSeconds: -60 }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('a token of another issuer, or for another audience', async () => {
    const otherIssuer = createJwtVerifier({
      issuer: 'someone-else',
      audience: LOCAL_AUDIENCE,
      jwks: identity.jwks,
    });
    await expect(otherIssuer(await identity.issue('alice'))).rejects.toBeInstanceOf(InvalidTokenError);
    const otherAudience = createJwtVerifier({
      issuer: ISSUER,
      audience: 'another-client',
      jwks: identity.jwks,
    });
    await expect(otherAudience(await identity.issue('alice'))).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('the local signing key', () => {
  it('lives in DATA_DIR, readable by its owner only: whoever reads it can sign any identity', async () => {
    const root = mkdtempSync(join(tmpdir(), 'release-desk-key-'));
    try {
      const dataDir = join(root, 'data');
      await localIdentity({ issuer: ISSUER, dataDir });
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'signing-key.jwk.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
