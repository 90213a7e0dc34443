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
import { createReleaseDeskClient } from '../../client/index.ts';
import { type LocalCloud, startLocalCloud } from '../../infra/local/cloud.ts';
import { releaseBody } from '../support/api-bodies.ts';
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

/** The typed client of this start of the cloud (each start has its own port). */
const api = (c: LocalCloud, token: string) => createReleaseDeskClient({ baseUrl: c.apiUrl, token });
const at = (id: string) => ({ params: { path: { id } } });

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
    const created = await api(cloud, token).POST('/releases', { body: releaseBody({ tasks: [] }) });
    expect(created.response.status).toBe(201);
    const id = created.data?.id as string;
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
    const read = await api(cloud, token).GET('/releases/{id}', at(id));
    expect(read.response.status).toBe(200);
    expect(read.data).toMatchObject({ id, stage: 'Assessment', version: 1 });

    await cloud.settle();
    expect(published).toEqual(before);

    // The execution waiting in Assessment before the restart takes the next transition.
    const moved = await api(cloud, token).POST('/releases/{id}/transitions', {
      params: { path: { id }, header: { Prefer: 'wait=5' } },
      body: { to: 'Development', expectedVersion: 1 },
    });
    expect(moved.response.status).toBe(200);
    expect(moved.data).toMatchObject({ stage: 'Development', execution: { inStep: true } });
    const execution = await api(cloud, token).GET('/releases/{id}/execution', at(id));
    expect(execution.data).toMatchObject({ status: 'RUNNING', currentState: 'Development' });
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
