/**
 * What a user rule's target receives: `Input`, `InputPath` and `InputTransformer` as the user guide's
 * "Amazon EventBridge input transformation" describes them
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html), and the
 * delivery kinds of infra/local/eventbridge/targets.ts without a network.
 */
import { describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../../infra/local/eventbridge/bus.ts';
import type { RuleTarget, UserRule } from '../../../infra/local/eventbridge/rules.ts';
import { deliverToTarget, select, targetInput } from '../../../infra/local/eventbridge/targets.ts';

const event: LocalEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'running', items: [{ sku: 'A' }, { sku: 'B' }], count: 3 },
};

const RULE_ARN = 'arn:aws:events:local:000000000000:rule/my-rule';
const input = (target: Omit<RuleTarget, 'Id' | 'Arn'>) =>
  targetInput({ Id: 't', Arn: 'arn:aws:sqs:local:0:q', ...target }, event, 'my-rule', RULE_ARN);

describe('targetInput', () => {
  it('is the whole event without input settings', () => {
    expect(input({})).toEqual(event);
  });

  it('is the constant Input, or what InputPath selects (null when it selects nothing)', () => {
    expect(input({ Input: '{"fixed":[1,2]}' })).toEqual({ fixed: [1, 2] });
    expect(input({ InputPath: '$.detail' })).toEqual(event.detail);
    expect(input({ InputPath: '$.detail.items[1].sku' })).toBe('B');
    expect(input({ InputPath: '$.detail.missing' })).toBeNull();
  });

  it('fills a JSON template: values as JSON outside quotes, as text inside them', () => {
    expect(
      input({
        InputTransformer: {
          InputPathsMap: {
            instance: '$.detail.instance-id',
            state: '$.detail.state',
            count: '$.detail.count',
          },
          InputTemplate:
            '{"myInstance": <instance>, "myStatus": "<instance> is in state \\"<state>\\"", "n": <count>, "list": [9, <state>, true]}',
        },
      }),
    ).toEqual({
      myInstance: 'i-abcd1111',
      myStatus: 'i-abcd1111 is in state "running"',
      n: 3,
      list: [9, 'running', true],
    });
  });

  it('fills a text template as text (the user guide example "<instance> is in state <status>")', () => {
    expect(
      input({
        InputTransformer: {
          InputPathsMap: { instance: '$.detail.instance-id', status: '$.detail.state' },
          InputTemplate: '<instance> is in state <status>',
        },
      }),
    ).toBe('i-abcd1111 is in state running');
  });

  it("leaves a name that is not one of the template's variables as written, even an object's own method", () => {
    expect(
      input({
        InputTransformer: {
          InputPathsMap: { status: '$.detail.state' },
          InputTemplate: '<toString> and <constructor> are <status>',
        },
      }),
    ).toBe('<toString> and <constructor> are running');
  });

  it('knows the predefined variables', () => {
    const shaped = input({
      InputTransformer: {
        InputTemplate:
          '{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>", "original": <aws.events.event.json>, "envelope": <aws.events.event>}',
      },
    }) as Record<string, unknown>;
    expect(shaped.rule).toBe('my-rule');
    expect(shaped.arn).toBe(RULE_ARN);
    expect(shaped.original).toEqual(event);
    // aws.events.event is the event without its detail.
    expect(shaped.envelope).not.toHaveProperty('detail');
    expect(shaped.envelope).toMatchObject({
      id: event.id,
      source: 'aws.ec2',
      'detail-type': event['detail-type'],
    });
  });
});

describe('select', () => {
  it('follows dot paths with array indices and stops at what is absent', () => {
    expect(select(event, '$')).toBe(event);
    expect(select(event, '$.detail.items[0].sku')).toBe('A');
    expect(select(event, '$.detail.items[5].sku')).toBeUndefined();
    expect(select(event, '$.resources[0]')).toBe(event.resources[0]);
    expect(select(event, 'detail')).toBeUndefined();
    // Only the event's own keys: nothing inherited from Object.prototype.
    expect(select(event, '$.constructor')).toBeUndefined();
    expect(select(event, '$.detail.__proto__')).toBeUndefined();
    expect(select(event, '$.detail.toString')).toBeUndefined();
  });
});

describe('deliverToTarget', () => {
  const rule: UserRule = { Name: 'my-rule', EventBusName: 'default', State: 'ENABLED', Targets: [] };

  it('records a delivery to an ARN nothing runs locally', async () => {
    const delivery = await deliverToTarget(
      {
        rule,
        ruleArn: RULE_ARN,
        target: { Id: 'q', Arn: 'arn:aws:sqs:local:000000000000:q', InputPath: '$.detail.state' },
      },
      event,
      undefined,
    );
    expect(delivery).toMatchObject({
      rule: 'my-rule',
      targetId: 'q',
      via: 'recorded',
      eventId: event.id,
      input: 'running',
    });
  });

  it('refuses, without retry, a Lambda function the local cloud has not', async () => {
    await expect(
      deliverToTarget(
        {
          rule,
          ruleArn: RULE_ARN,
          target: { Id: 'f', Arn: 'arn:aws:lambda:local:000000000000:function:nobody' },
        },
        event,
        undefined,
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', retryable: false });
  });
});
