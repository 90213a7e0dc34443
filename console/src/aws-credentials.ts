/**
 * Temporary AWS credentials for the console in AWS, from the stack's Cognito identity pool: the
 * signed-in user's ID token is exchanged (GetId, then GetCredentialsForIdentity — the "enhanced"
 * flow, https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html) for
 * credentials of the role the pool's rules give administrators, which may only read executions
 * (infra/constructs/console-site.ts). Both calls are unsigned, and Cognito Identity answers CORS.
 */
import type { AwsCredentials } from './sigv4.ts';

/** What config.json says of the identity pool (console-site.ts, `ConsoleConfig.sfnSigning`). */
export interface IdentityPoolConfig {
  readonly region: string;
  /** Cognito Identity's regional endpoint, `https://cognito-identity.<region>.amazonaws.com/`. */
  readonly identityEndpoint: string;
  readonly identityPoolId: string;
  /** The user pool as a login provider: `cognito-idp.<region>.amazonaws.com/<user pool id>`. */
  readonly loginProvider: string;
}

/** Credentials and when they stop working (epoch milliseconds). */
export interface ExpiringCredentials extends AwsCredentials {
  readonly expiresAt: number;
}

/** Renewed this long before they expire, so a call never goes out with credentials about to lapse. */
export const RENEW_BEFORE_MS = 5 * 60_000;

async function cognitoIdentity<T>(
  fetchFn: typeof fetch,
  endpoint: string,
  action: 'GetId' | 'GetCredentialsForIdentity',
  input: Record<string, unknown>,
): Promise<T> {
  const res = await fetchFn(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityService.${action}`,
    },
    body: JSON.stringify(input),
  });
  const body = (await res.json().catch(() => ({}))) as T & { __type?: string; message?: string };
  if (!res.ok)
    throw new Error(
      `Cognito ${action} answered ${res.status}: ${(body.__type ?? '').split('#').pop()} ${body.message ?? ''}`.trim(),
    );
  return body;
}

/** Exchanges `idToken` for credentials; `fetchFn` is the browser's fetch (a fake in tests). */
export async function credentialsFor(
  pool: IdentityPoolConfig,
  idToken: string,
  fetchFn: typeof fetch = fetch,
): Promise<ExpiringCredentials> {
  const logins = { [pool.loginProvider]: idToken };
  const { IdentityId } = await cognitoIdentity<{ IdentityId: string }>(
    fetchFn,
    pool.identityEndpoint,
    'GetId',
    {
      IdentityPoolId: pool.identityPoolId,
      Logins: logins,
    },
  );
  const { Credentials: c } = await cognitoIdentity<{
    Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string; Expiration: number };
  }>(fetchFn, pool.identityEndpoint, 'GetCredentialsForIdentity', { IdentityId, Logins: logins });
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretKey,
    sessionToken: c.SessionToken,
    // The JSON protocol sends dates as epoch seconds.
    expiresAt: c.Expiration * 1000,
  };
}

/** One set of credentials per ID token, renewed when near expiry. */
export function credentialsCache(fetchFn: typeof fetch = (...a) => fetch(...a)) {
  let held: { token: string; credentials: Promise<ExpiringCredentials> } | undefined;
  return async (pool: IdentityPoolConfig, idToken: string, now = Date.now()): Promise<AwsCredentials> => {
    if (held?.token === idToken) {
      const c = await held.credentials.catch(() => undefined);
      if (c && c.expiresAt - RENEW_BEFORE_MS > now) return c;
    }
    held = { token: idToken, credentials: credentialsFor(pool, idToken, fetchFn) };
    return held.credentials;
  };
}
