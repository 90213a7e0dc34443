/**
 * End to end through HTTP on the in-process local cloud (in-memory, the run's DynamoDB Local).
 */
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const received: EventBridgeEvent<string, { id: string; data: { releaseId: string } }>[] = [];

beforeAll(async () => {
  t = await startTestCloud({
    extraRules: [
      {
        name: 'test-release-created',
        eventPattern: { source: ['release-desk'], 'detail-type': ['Release Created'] },
        target: 'test-target',
        handler: async (event) => void received.push(event as never),
      },
    ],
  });
});

afterAll(async () => t?.stop());

const api = async (path: string, init: RequestInit = {}, bearer: string | null = 'rm') =>
  fetch(`${t.cloud.apiUrl}${path}`, {
    ...init,
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(bearer === null
        ? {}
        : { authorization: `Bearer ${bearer === 'rm' ? await t.tokenFor('rm') : bearer}` }),
      ...(init.headers ?? {}),
    },
  });

describe('local cloud', () => {
  it('serves health and the OpenAPI document without a token', async () => {
    expect((await api('/health', {}, null)).status).toBe(200);
    const doc = (await (await api('/openapi.json', {}, null)).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/releases/{id}');
  });

  it('answers 401 problem+json without a valid token, 404 and 405 for what no route serves', async () => {
    const none = await api('/releases', {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    const token = await t.tokenFor('rm');
    const forged = await api('/releases', {}, `${token.slice(0, -4)}abcd`);
    expect(forged.status).toBe(401);
    expect((await api('/nowhere')).status).toBe(404);
    const wrongMethod = await api('/releases/rel_x', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, PATCH');
  });

  it('creates a release whose execution is listed by the SDK and whose event reaches a rule target once', async () => {
    const res = await api('/releases', { method: 'POST', body: JSON.stringify(validRelease()) });
    expect(res.status).toBe(201);
    const release = (await res.json()) as { id: string };

    const arn = t.cloud.ports.config.defaultReleaseStateMachineArn as string;
    // Started by the Release Created consumer, moments after the answer.
    await eventually(async () => {
      const listed = await t.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
      expect(listed.executions?.map((e) => e.name)).toContain(release.id);
    });

    await t.cloud.settle();
    const mine = received.filter((e) => e.detail.data.releaseId === release.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ source: 'release-desk', 'detail-type': 'Release Created' });
  });
});
