/**
 * AWSEvents.TestEventPattern on the local EventBridge, driven by the real SDK's
 * `TestEventPatternCommand`: answers `{ Result }` from the matcher the bus routes with, and fails the
 * way AWS does for a bad pattern (`InvalidEventPatternException`) or an event without its envelope
 * (`ValidationException: Parameter Event is not valid.`).
 */
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';

let bus: LocalEventBus;
let server: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  bus = new LocalEventBus({ rules: [], resolveTarget: () => async () => {} });
  server = await startLocalEventBridge({ bus });
  client = new EventBridgeClient({
    endpoint: server.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await bus.close();
});

const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const test = (pattern: unknown, ev: unknown = event) =>
  client.send(
    new TestEventPatternCommand({
      EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
      Event: typeof ev === 'string' ? ev : JSON.stringify(ev),
    }),
  );

describe('TestEventPattern on the local endpoint', () => {
  it('answers true for a matching pattern and false otherwise', async () => {
    expect((await test({ source: ['aws.ec2'], detail: { state: ['terminated'] } })).Result).toBe(true);
    expect(
      (await test({ source: ['aws.ec2'], detail: { state: [{ 'anything-but': 'terminated' }] } })).Result,
    ).toBe(false);
  });

  it('answers as AWS for the edge cases of the user guide (null under anything-but, dotted keys)', async () => {
    const withState = { ...event, detail: { state: null } };
    expect(
      (await test({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withState)).Result,
    ).toBe(true);
    expect((await test({ 'detail.state': ['terminated'] })).Result).toBe(true);
  });

  it('refuses what AWS refuses: an empty prefix, a too complex wildcard', async () => {
    await expect(test({ source: [{ prefix: '' }] })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
    await expect(test({ source: [{ wildcard: '*:*:*:*:*:event-bus/*' }] })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringContaining('Rule is too complex'),
    });
  });

  it('rejects a malformed pattern with InvalidEventPatternException', async () => {
    await expect(test({ source: 'aws.ec2' })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: /),
    });
    await expect(test('{not json')).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
  });

  it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])(
    'rejects an event without %s as AWS does',
    async (field) => {
      const { [field as keyof typeof event]: _dropped, ...rest } = event;
      await expect(test({ source: ['aws.ec2'] }, rest)).rejects.toMatchObject({
        name: 'ValidationException',
        message: 'Parameter Event is not valid.',
      });
    },
  );

  it('rejects an event that is not a JSON object', async () => {
    await expect(test({ source: ['aws.ec2'] }, 'nope')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter Event is not valid.',
    });
  });
});
