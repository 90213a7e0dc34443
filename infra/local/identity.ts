/**
 * Local identities: an ES256 signing key generated into DATA_DIR on first start (kept in memory
 * for tests), the JWKS the local gateway verifies with, and tokens shaped like Cognito's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

export const LOCAL_AUDIENCE = 'release-desk';
const ALG = 'ES256';

export interface LocalIdentity {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JSONWebKeySet;
  /** Signs a token for `sub`; `admin` adds the Cognito-style `cognito:groups: ['admin']`. */
  issue(sub: string, options?: { admin?: boolean; ttlSeconds?: number }): Promise<string>;
}

async function loadOrCreateKey(dataDir: string | undefined): Promise<JWK> {
  const file = dataDir ? join(dataDir, 'signing-key.jwk.json') : undefined;
  if (file) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as JWK;
    } catch {
      // first start: fall through and create one
    }
  }
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `local-${Date.now().toString(36)}`,
    alg: ALG,
    use: 'sig',
  };
  if (file && dataDir) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

export async function localIdentity(options: {
  dataDir?: string | undefined;
  issuer: string;
}): Promise<LocalIdentity> {
  const jwk = await loadOrCreateKey(options.dataDir);
  const { d: _private, ...publicJwk } = jwk;
  const key = await importJWK(jwk, ALG);
  return {
    issuer: options.issuer,
    audience: LOCAL_AUDIENCE,
    jwks: { keys: [publicJwk] },
    issue: (sub, opts = {}) =>
      new SignJWT({ ...(opts.admin ? { 'cognito:groups': ['admin'] } : {}), token_use: 'access' })
        .setProtectedHeader({ alg: ALG, kid: jwk.kid as string })
        .setSubject(sub)
        .setIssuer(options.issuer)
        .setAudience(LOCAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${opts.ttlSeconds ?? 12 * 3600}s`)
        .sign(key),
  };
}
