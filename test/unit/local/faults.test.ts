/**
 * The local cloud's fault injector (infra/local/faults.ts): FAULTS parsing, reproducible draws
 * for a seed, faults answered through the SDK's own deserialiser and retries, and the bus's
 * dead letters with their reason replayed by `npm run replay-dead-letters`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { type LocalEvent, LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import {
  createFaultInjector,
  dynamoFault,
  FaultSpecError,
  InjectedTargetFault,
  injectIntoClient,
  parseFaults,
  sfnFault,
} from '../../../infra/local/faults.ts';
import { EVENT_BUS_NAME } from '../../../infra/rules.ts';

describe('FAULTS', () => {
  it('parses the documented example', () => {
    expect(
      parseFaults(
        'dynamodb:throttle:0.1,dynamodb:error:0.05,sfn:error:0.05,sfn:latency:200,target:error:0.1,relay:crash:0.01',
      ),
    ).toEqual({
      'dynamodb:throttle': 0.1,
      'dynamodb:error': 0.05,
      'sfn:error': 0.05,
      'sfn:latency': 200,
      'target:error': 0.1,
      'relay:crash': 0.01,
    });
    expect(parseFaults('')).toEqual({});
    expect(parseFaults(undefined)).toEqual({});
  });

  it.each(['dynamodb:melt:0.1', 'dynamodb:throttle:2', 'dynamodb:throttle:', 'sfn:latency:-1', 'nonsense'])(
    'refuses %s, naming it',
    (spec) => {
      expect(() => parseFaults(spec)).toThrow(FaultSpecError);
      expect(() => parseFaults(spec)).toThrow(/FAULTS/);
    },
  );

  it('draws the same faults for the same seed, and about as often as asked', () => {
    const draws = (seed: string) => {
      const f = createFaultInjector('dynamodb:throttle:0.3', seed);
      return Array.from({ length: 1000 }, () => f.strikes('dynamodb:throttle'));
    };
    expect(draws('42')).toEqual(draws('42'));
    expect(draws('42')).not.toEqual(draws('43'));
    const hits = draws('7').filter(Boolean).length;
    expect(hits).toBeGreaterThan(230);
    expect(hits).toBeLessThan(370);
    expect(() => createFaultInjector('', 'abc')).toThrow(FaultSpecError);
    expect(createFaultInjector('', '1').enabled).toBe(false);
  });
});

describe('faults injected into an SDK client', () => {
  it('answers DynamoDB throttling the SDK recognises and retries (never reaching the network)', async () => {
    const faults = createFaultInjector('dynamodb:throttle:1', '1');
    const client = new DynamoDBClient({
      region: 'local',
      endpoint: 'http://127.0.0.1:9', // nothing listens: a call that got through would fail otherwise
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 2,
    });
    injectIntoClient(client, faults, () => dynamoFault(faults));
    const error = await client
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))
      .catch((e: unknown) => e as Error & { $metadata: { attempts: number; httpStatusCode: number } });
    expect(['ProvisionedThroughputExceededException', 'ThrottlingException']).toContain(
      (error as Error).name,
    );
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(2);
    expect(faults.counts()['dynamodb:throttle']).toBe(2);
    client.destroy();
  });

  it('answers Step Functions a 500 ServiceUnavailable', async () => {
    const faults = createFaultInjector('sfn:error:1', '1');
    const client = new SFNClient({
      region: 'local',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    injectIntoClient(client, faults, () => sfnFault(faults));
    const error = (await client
      .send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:local:0:stateMachine:x' }))
      .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata.httpStatusCode).toBe(500);
    client.destroy();
  });

  it('delays Step Functions calls by up to sfn:latency ms, and counts each delayed call', async () => {
    const faults = createFaultInjector('sfn:latency:40', '3');
    const client = new SFNClient({
      region: 'local',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const delays: number[] = [];
    injectIntoClient(
      client,
      faults,
      () => sfnFault(faults),
      () => {
        const delay = faults.delayMs('sfn:latency');
        delays.push(delay);
        return delay;
      },
    );
    for (let i = 0; i < 5; i++)
      await client
        .send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:local:0:stateMachine:x' }))
        .catch(() => undefined);
    expect(delays).toHaveLength(5);
    for (const d of delays) expect(d).toBeLessThanOrEqual(40);
    expect(faults.counts()['sfn:latency']).toBe(delays.filter((d) => d > 0).length);
    expect(faults.counts()['sfn:latency']).toBeGreaterThan(0);
    faults.pause();
    expect(faults.delayMs('sfn:latency')).toBe(0);
    client.destroy();
  });
});

describe('target faults, dead letters and their replay', () => {
  it('dead-letters a delivery that keeps failing with its reason; the replay delivers it and empties the list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-bus-'));
    try {
      let failing = true;
      const received: LocalEvent[] = [];
      const bus = new LocalEventBus({
        rules: [{ name: 'r', target: 't', eventPattern: { source: ['test'] } }],
        resolveTarget: () => async (event) => void received.push(event),
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
        dataDir: dir,
        beforeDelivery: (rule) => {
          if (failing) throw new InjectedTargetFault(rule.target);
        },
      });
      await bus.putEvents([
        {
          Source: 'test',
          DetailType: 'Thing Happened',
          Detail: JSON.stringify({ id: 'a' }),
          Resources: ['thing/a'],
          EventBusName: EVENT_BUS_NAME,
        },
      ]);
      await bus.idle();
      expect(received).toHaveLength(0);
      const [letter] = bus.deadLetters();
      expect(letter).toMatchObject({ rule: 'r', target: 't', attempts: 3 });
      expect(letter?.error).toMatch(/Injected fault: delivery to t failed/);

      failing = false;
      expect(bus.replayDeadLetters().replayed).toBe(1);
      await bus.idle();
      expect(received.map((e) => [e['detail-type'], e.detail, e.resources])).toEqual([
        ['Thing Happened', { id: 'a' }, ['thing/a']],
      ]);
      expect(bus.deadLetters()).toEqual([]);
      // Replayed letters are not listed again after a restart.
      expect(readFileSync(join(dir, 'eventbridge', 'dead-letters.jsonl'), 'utf8')).toBe('');
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
