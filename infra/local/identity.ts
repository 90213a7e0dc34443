/**
 * Local identities: an RS256 signing key generated into DATA_DIR on first start (kept in memory
 * for tests), the JWKS the local gateway verifies with, and access tokens shaped like Cognito's:
 * a UUID `sub`, the user name as `username`, `client_id` (access tokens carry no `aud`),
 * `token_use: access` and `cognito:groups`. RS256 because API Gateway's JWT authorizer supports
 * only RSA-based algorithms.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

/** The local app client id: what the gateway's authorizer accepts as `client_id`, as in AWS. */
export const LOCAL_AUDIENCE = 'release-desk';
const ALG = 'RS256';

/**
 * A stable UUID for a user name (Cognito's `sub` is a UUID that is not the user name; the local
 * one is derived from it so that every token of one user has the same `sub`).
 */
export function localSubject(username: string): string {
  const h = createHash('sha256').update(`release-desk-local:${username}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface LocalIdentity {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JSONWebKeySet;
  /** Signs an access token for user `username`; `admin` adds `cognito:groups: ['admin']`. */
  issue(username: string, options?: { admin?: boolean; ttlSeconds?: number }): Promise<string>;
}

async function loadOrCreateKey(dataDir: string | undefined): Promise<JWK> {
  const file = dataDir ? join(dataDir, 'signing-key.jwk.json') : undefined;
  if (file) {
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as JWK;
      // A key of an older version (ES256) is replaced: tokens it signed are refused from now on.
      if (stored.alg === ALG) return stored;
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
    issue: (username, opts = {}) =>
      new SignJWT({
        ...(opts.admin ? { 'cognito:groups': ['admin'] } : {}),
        token_use: 'access',
        scope: 'openid profile',
        auth_time: Math.floor(Date.now() / 1000),
        client_id: LOCAL_AUDIENCE,
        username,
      })
        .setProtectedHeader({ alg: ALG, kid: jwk.kid as string })
        .setSubject(localSubject(username))
        .setIssuer(options.issuer)
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .setExpirationTime(`${opts.ttlSeconds ?? 12 * 3600}s`)
        .sign(key),
  };
}
