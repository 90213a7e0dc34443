/**
 * The console's own Signature Version 4 (console/src/sigv4.ts) against the AWS SDK's signer
 * (@smithy/signature-v4, an independent implementation of the same algorithm): for any body,
 * target, instant, region and credentials, both sign a Step Functions JSON call the same way.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../../console/src/sigv4.ts';

const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The SDK's hash interface, on Node's crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

async function sdkSignature(input: {
  host: string;
  body: string;
  target: string;
  region: string;
  now: Date;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}) {
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: 'states',
    sha256: Sha256,
    // The SDK signs an x-amz-content-sha256 header too unless told not to; Step Functions needs none.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: input.host,
      path: '/',
      query: {},
      headers: {
        host: input.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': input.target,
      },
      body: input.body,
    },
    { signingDate: input.now },
  );
  return signed.headers as Record<string, string>;
}

const credentials = fc.record(
  {
    accessKeyId: fc.stringMatching(/^ASIA[A-Z0-9]{16}$/),
    secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/),
    sessionToken: fc.stringMatching(/^[A-Za-z0-9/+=]{20,120}$/),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

describe('signRequest', () => {
  it('signs a Step Functions JSON call exactly as the AWS SDK does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.json(),
        fc.constantFrom('ListStateMachines', 'DescribeExecution', 'GetExecutionHistory'),
        fc.constantFrom('eu-central-1', 'us-east-1', 'ap-southeast-2'),
        fc.date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2035-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        credentials,
        async (body, action, region, date, creds) => {
          // Whole seconds: the signature's time has no milliseconds.
          const now = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const host = `states.${region}.amazonaws.com`;
          const target = `AWSStepFunctions.${action}`;
          const ours = await signRequest({
            method: 'POST',
            host,
            path: '/',
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
            body,
            region,
            service: 'states',
            credentials: creds,
            now,
          });
          const sdk = await sdkSignature({ host, body, target, region, now, credentials: creds });
          expect(ours.authorization).toBe(sdk.authorization);
          expect(ours['x-amz-date']).toBe(sdk['x-amz-date']);
          expect(ours['x-amz-security-token']).toBe(sdk['x-amz-security-token']);
          // The browser sets Host itself; a fetch that tried would be refused.
          expect(ours).not.toHaveProperty('host');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('names the scope, the signed headers and the session token', async () => {
    const headers = await signRequest({
      method: 'POST',
      host: 'states.eu-central-1.amazonaws.com',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.ListStateMachines',
      },
      body: '{}',
      region: 'eu-central-1',
      service: 'states',
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
      now: new Date('2026-11-27T10:11:12Z'),
    });
    expect(headers['x-amz-date']).toBe('20261127T101112Z');
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/20261127\/eu-central-1\/states\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });
});
