/**
 * The Executions view's way to Step Functions in AWS (console/src/aws-credentials.ts and
 * sfnHeaders in console/src/sfn.ts): the ID token exchanged at the identity pool (GetId, then
 * GetCredentialsForIdentity, both unsigned), credentials kept until near expiry, and each call
 * signed for the Step Functions host; locally nothing is signed.
 */
import { describe, expect, it, vi } from 'vitest';
import { credentialsCache, credentialsFor, RENEW_BEFORE_MS } from '../../../console/src/aws-credentials.ts';
import { mayReadExecutions, sfnHeaders } from '../../../console/src/sfn.ts';

const pool = {
  region: 'eu-central-1',
  identityEndpoint: 'https://cognito-identity.eu-central-1.amazonaws.com/',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
  loginProvider: 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf',
};
const EXPIRES = 1_900_000_000; // epoch seconds

function cognito(calls: { target: string; body: Record<string, unknown> }[], status = 200) {
  return vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    const target = String((init?.headers as Record<string, string> | undefined)?.['x-amz-target']);
    calls.push({ target, body: JSON.parse(String(init?.body)) });
    if (status !== 200)
      return Response.json({ __type: 'NotAuthorizedException', message: 'Token is expired' }, { status });
    return target.endsWith('.GetId')
      ? Response.json({ IdentityId: 'eu-central-1:identity-1' })
      : Response.json({
          IdentityId: 'eu-central-1:identity-1',
          Credentials: {
            AccessKeyId: 'ASIAKEY',
            SecretKey: 'SECRET',
            SessionToken: 'SESSION',
            Expiration: EXPIRES,
          },
        });
  });
}

describe('credentialsFor', () => {
  it('asks GetId then GetCredentialsForIdentity with the ID token as the user pool login', async () => {
    const calls: { target: string; body: Record<string, unknown> }[] = [];
    const fetchFn = cognito(calls);
    const c = await credentialsFor(pool, 'ID-TOKEN', fetchFn);
    expect(c).toEqual({
      accessKeyId: 'ASIAKEY',
      secretAccessKey: 'SECRET',
      sessionToken: 'SESSION',
      expiresAt: EXPIRES * 1000,
    });
    expect(fetchFn.mock.calls.map(([url]) => String(url))).toEqual([
      'https://cognito-identity.eu-central-1.amazonaws.com/',
      'https://cognito-identity.eu-central-1.amazonaws.com/',
    ]);
    expect(calls).toEqual([
      {
        target: 'AWSCognitoIdentityService.GetId',
        body: { IdentityPoolId: pool.identityPoolId, Logins: { [pool.loginProvider]: 'ID-TOKEN' } },
      },
      {
        target: 'AWSCognitoIdentityService.GetCredentialsForIdentity',
        body: { IdentityId: 'eu-central-1:identity-1', Logins: { [pool.loginProvider]: 'ID-TOKEN' } },
      },
    ]);
  });

  it('says what Cognito refused', async () => {
    await expect(credentialsFor(pool, 'OLD', cognito([], 400))).rejects.toThrow(
      'Cognito GetId answered 400: NotAuthorizedException Token is expired',
    );
  });
});

describe('credentialsCache', () => {
  it('exchanges a token once, again near expiry, and again for another token', async () => {
    const calls: { target: string; body: Record<string, unknown> }[] = [];
    const get = credentialsCache(cognito(calls));
    await get(pool, 'A', 0);
    await get(pool, 'A', EXPIRES * 1000 - RENEW_BEFORE_MS - 1);
    expect(calls).toHaveLength(2);
    await get(pool, 'A', EXPIRES * 1000 - RENEW_BEFORE_MS);
    expect(calls).toHaveLength(4);
    await get(pool, 'B', 0);
    expect(calls).toHaveLength(6);
  });
});

describe('sfnHeaders', () => {
  const signing = { ...pool, host: 'states.eu-central-1.amazonaws.com', group: 'admin' };
  const creds = async () => ({ accessKeyId: 'ASIAKEY', secretAccessKey: 'SECRET', sessionToken: 'SESSION' });

  it('sends the target unsigned to the local endpoint', async () => {
    expect(await sfnHeaders('ListStateMachines', '{}', undefined, null)).toEqual({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.ListStateMachines',
    });
  });

  it('signs for the Step Functions host in AWS, with the session token', async () => {
    const headers = await sfnHeaders(
      'DescribeExecution',
      '{"executionArn":"x"}',
      signing,
      'ID',
      creds,
      new Date('2026-11-27T10:00:00Z'),
    );
    expect(headers['x-amz-target']).toBe('AWSStepFunctions.DescribeExecution');
    expect(headers['x-amz-security-token']).toBe('SESSION');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAKEY\/20261127\/eu-central-1\/states\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, /,
    );
  });

  it('refuses, saying why, without an ID token (a pasted access token)', async () => {
    await expect(sfnHeaders('ListStateMachines', '{}', signing, null, creds)).rejects.toMatchObject({
      status: 401,
      title: 'Sign in with the hosted UI',
    });
  });
});

describe('mayReadExecutions', () => {
  const signing = { ...pool, host: 'states.eu-central-1.amazonaws.com', group: 'admin' };
  const idToken = (claims: Record<string, unknown>) =>
    `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

  it('lets everyone on the local cloud, and in AWS only members of the group the pool serves', () => {
    expect(mayReadExecutions(undefined, null)).toBe(true);
    expect(mayReadExecutions(signing, idToken({ 'cognito:groups': ['admin'] }))).toBe(true);
    expect(mayReadExecutions(signing, idToken({ 'cognito:groups': ['sysadmins'] }))).toBe(false);
    expect(mayReadExecutions(signing, idToken({}))).toBe(false);
    expect(mayReadExecutions(signing, null)).toBe(false);
    expect(mayReadExecutions(signing, 'not a token')).toBe(false);
  });
});
