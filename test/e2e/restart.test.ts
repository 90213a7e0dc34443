/**
 * Restart: what was written before a stop is there after a start on the same data dir; the outbox
 * does not publish again what it already published; a waiting execution resumes; tokens still work.
 * (This file starts its own persisted DynamoDB Local: the shared one keeps everything in memory.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/cloud.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';
import { seedUser } from '../support/users.ts';

let dataDir: string;
let cloud: LocalCloud | undefined;
const published: string[] = [];

const start = () =>
  startLocalCloud({
    dataDir,
    busRetry: { baseDelayMs: 20, maxDelayMs: 200 },
    extraRules: [
      {
        name: 'count-everything',
        eventPattern: { source: ['release-desk'] },
        target: 'counter',
        handler: async (event: EventBridgeEvent<string, unknown>) => {
          published.push(`${event['detail-type']}:${(event.detail as { id: string }).id}`);
        },
      },
    ],
  });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'release-desk-restart-'));
});

afterAll(async () => {
  await cloud?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const events = (c: LocalCloud) =>
  new EventBridgeClient({
    endpoint: c.eventsEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

async function call(
  c: LocalCloud,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${c.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('npm start on the same data dir', () => {
  it('finds everything again, publishes nothing twice and resumes the waiting execution', async () => {
    cloud = await start();
    const now = new Date().toISOString();
    await seedUser(cloud.ports, {
      id: 'rm',
      processes: ['release'],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await joinTeam(cloud.ports, ['rm']);
    const token = await cloud.identity.issue('rm');
    const created = await call(cloud, token, 'POST', '/releases', validRelease({ tasks: [] }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await cloud.settle();
    const before = [...published];
    expect(before.filter((e) => e.startsWith('Release Created:'))).toHaveLength(1);
    // A rule of a subscriber's own, put on the local bus before the restart (README "Your own rules").
    const subscriber = events(cloud);
    await subscriber.send(
      new PutRuleCommand({
        Name: 'my-stage-watch',
        EventBusName: 'release-desk',
        EventPattern: JSON.stringify({ source: ['release-desk'], 'detail-type': ['Release Stage Entered'] }),
      }),
    );
    await subscriber.send(
      new PutTargetsCommand({
        Rule: 'my-stage-watch',
        EventBusName: 'release-desk',
        Targets: [
          { Id: 'queue', Arn: 'arn:aws:sqs:local:000000000000:my-stage-watch', InputPath: '$.detail.data' },
        ],
      }),
    );
    subscriber.destroy();
    await cloud.stop();
    cloud = undefined;

    cloud = await start();
    // The token signed before the restart is still valid: the key lives in the data dir.
    const read = await call(cloud, token, 'GET', `/releases/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, stage: 'Assessment', version: 1 });

    await cloud.settle();
    expect(published).toEqual(before);

    // The execution waiting in Assessment before the restart takes the next transition.
    const moved = await call(
      cloud,
      token,
      'POST',
      `/releases/${id}/transitions`,
      { to: 'Development', expectedVersion: 1 },
      { prefer: 'wait=5' },
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    const execution = await call(cloud, token, 'GET', `/releases/${id}/execution`);
    expect(execution.body).toMatchObject({ status: 'RUNNING', currentState: 'Development' });
    await cloud.settle();
    await eventually(() =>
      expect(published.filter((e) => e.startsWith('Release Stage Entered:'))).toHaveLength(1),
    );
    // The subscriber's rule came back with the data dir and got the move.
    const after = events(cloud);
    const rule = await after.send(
      new DescribeRuleCommand({ Name: 'my-stage-watch', EventBusName: 'release-desk' }),
    );
    after.destroy();
    expect(rule.State).toBe('ENABLED');
    const deliveries = (await (
      await fetch(`${cloud.eventsEndpoint}/_local/rules/deliveries?rule=my-stage-watch`)
    ).json()) as {
      deliveries: { input: { to?: string } }[];
    };
    expect(deliveries.deliveries.map((d) => d.input.to)).toEqual(['Development']);
    // Two starts of a persisted DynamoDB Local (Java) take a while on a busy 2-core machine.
  }, 120_000);
});
