/**
 * The rule operations of the local EventBridge, driven by the real `@aws-sdk/client-eventbridge`:
 * rules a user puts beside the stack's (listed read-only), their targets, AWS's validation and
 * errors, what a matched target receives, and rules surviving a restart with a data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalAsyncLambda } from '../../../infra/local/eventbridge/async-invoke.ts';
import { LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';
import { EVENT_BUS_NAME, rules as stackRules } from '../../../infra/rules.ts';

const BUS = EVENT_BUS_NAME;
const PATTERN = JSON.stringify({ source: ['my-service'], 'detail-type': ['Order Placed'] });

/** An HTTP endpoint standing for a subscribing service: records what it is POSTed, answers `status`. */
interface Receiver {
  readonly url: string;
  readonly bodies: unknown[];
  status: number;
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const bodies: unknown[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    bodies,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function clientFor(endpoint: string): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // LimitExceededException counts as throttling for the SDK, which would retry it with backoff.
    maxAttempts: 1,
  });
}

const invoked: { name: string; event: unknown }[] = [];
let lambda: LocalAsyncLambda;
let bus: LocalEventBus;
let server: LocalEventBridge;
let client: EventBridgeClient;
let hook: Receiver;

beforeAll(async () => {
  hook = await receiver();
});

afterAll(async () => {
  await hook.close();
});

beforeEach(async () => {
  invoked.length = 0;
  hook.bodies.length = 0;
  hook.status = 200;
  lambda = new LocalAsyncLambda({
    functions: {
      'apply-ci-updates': async (event) => {
        invoked.push({ name: 'apply-ci-updates', event });
      },
    },
  });
  bus = new LocalEventBus({
    rules: stackRules,
    functions: lambda,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  });
  server = await startLocalEventBridge({ bus });
  client = clientFor(server.endpoint);
});

afterEach(async () => {
  client.destroy();
  await server.stop();
  await bus.close();
  await lambda.close();
});

const put = (
  detail: Record<string, unknown>,
  eventBusName: string | undefined = BUS,
  source = 'my-service',
) =>
  client.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: source,
          DetailType: 'Order Placed',
          Detail: JSON.stringify(detail),
          ...(eventBusName ? { EventBusName: eventBusName } : {}),
        },
      ],
    }),
  );

async function ruleWithTarget(target: Record<string, unknown>, name = 'orders') {
  await client.send(new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: PATTERN }));
  const answer = await client.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: BUS,
      Targets: [{ Id: 't1', Arn: hook.url, ...target }],
    }),
  );
  expect(answer.FailedEntryCount).toBe(0);
}

describe('PutRule, DescribeRule, ListRules', () => {
  it('answers rule ARNs as AWS forms them: with the bus name on a custom bus, without on the default one', async () => {
    const custom = await client.send(
      new PutRuleCommand({ Name: 'orders', EventBusName: BUS, EventPattern: PATTERN }),
    );
    expect(custom.RuleArn).toBe(`arn:aws:events:local:000000000000:rule/${BUS}/orders`);
    const byArn = await client.send(
      new PutRuleCommand({
        Name: 'orders-by-bus-arn',
        EventBusName: `arn:aws:events:local:000000000000:event-bus/${BUS}`,
        EventPattern: PATTERN,
      }),
    );
    expect(byArn.RuleArn).toBe(`arn:aws:events:local:000000000000:rule/${BUS}/orders-by-bus-arn`);
    const onDefault = await client.send(new PutRuleCommand({ Name: 'orders', EventPattern: PATTERN }));
    expect(onDefault.RuleArn).toBe('arn:aws:events:local:000000000000:rule/orders');
  });

  it('describes a rule with every field it was put with, and replaces it whole on a second PutRule', async () => {
    await client.send(
      new PutRuleCommand({
        Name: 'orders',
        EventBusName: BUS,
        EventPattern: PATTERN,
        Description: 'orders of my service',
        State: 'DISABLED',
      }),
    );
    const described = await client.send(new DescribeRuleCommand({ Name: 'orders', EventBusName: BUS }));
    expect(described).toMatchObject({
      Name: 'orders',
      Arn: `arn:aws:events:local:000000000000:rule/${BUS}/orders`,
      EventPattern: PATTERN,
      State: 'DISABLED',
      Description: 'orders of my service',
      EventBusName: BUS,
      CreatedBy: '000000000000',
    });
    // "If you omit arguments in PutRule, the old values for those arguments are not kept."
    await client.send(new PutRuleCommand({ Name: 'orders', EventBusName: BUS, EventPattern: PATTERN }));
    const replaced = await client.send(new DescribeRuleCommand({ Name: 'orders', EventBusName: BUS }));
    expect(replaced.State).toBe('ENABLED');
    expect(replaced.Description).toBeUndefined();
  });

  it("lists the stack's rules beside the user's, in name order, by prefix, in pages", async () => {
    for (const name of ['zz-c', 'zz-a', 'zz-b']) {
      await client.send(new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: PATTERN }));
    }
    const all = await client.send(new ListRulesCommand({ EventBusName: BUS }));
    const names = (all.Rules ?? []).map((r) => r.Name);
    expect(names).toEqual([...stackRules.map((r) => r.name), 'zz-a', 'zz-b', 'zz-c'].sort());
    const stack = all.Rules?.find((r) => r.Name === 'start-release-execution');
    expect(stack).toMatchObject({
      Arn: `arn:aws:events:local:000000000000:rule/${BUS}/start-release-execution`,
      State: 'ENABLED',
      EventBusName: BUS,
    });
    expect(JSON.parse(stack?.EventPattern ?? '{}')).toEqual(
      stackRules.find((r) => r.name === 'start-release-execution')?.eventPattern,
    );

    const first = await client.send(new ListRulesCommand({ EventBusName: BUS, NamePrefix: 'zz-', Limit: 2 }));
    expect(first.Rules?.map((r) => r.Name)).toEqual(['zz-a', 'zz-b']);
    expect(first.NextToken).toBeDefined();
    const second = await client.send(
      new ListRulesCommand({ EventBusName: BUS, NamePrefix: 'zz-', Limit: 2, NextToken: first.NextToken }),
    );
    expect(second.Rules?.map((r) => r.Name)).toEqual(['zz-c']);
    expect(second.NextToken).toBeUndefined();
    await expect(
      client.send(new ListRulesCommand({ EventBusName: BUS, NextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidToken', $metadata: { httpStatusCode: 400 } });
    // The default bus has only what was put on it.
    expect((await client.send(new ListRulesCommand({}))).Rules).toEqual([]);
  });

  it('refuses what AWS refuses, with its error types and messages', async () => {
    await expect(
      client.send(new PutRuleCommand({ Name: 'bad name', EventBusName: BUS, EventPattern: PATTERN })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    });
    await expect(
      client.send(new PutRuleCommand({ Name: 'x'.repeat(65), EventPattern: PATTERN })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 64'),
    });
    await expect(
      client.send(new PutRuleCommand({ Name: 'no-pattern', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    });
    await expect(
      client.send(
        new PutRuleCommand({ Name: 'sched', EventBusName: BUS, ScheduleExpression: 'rate(5 minutes)' }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'ScheduleExpression is supported only on the default event bus.',
    });
    await expect(
      client.send(
        new PutRuleCommand({ Name: 'bad-pattern', EventBusName: BUS, EventPattern: '{"source":"x"}' }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: /),
    });
    await expect(
      client.send(
        new PutRuleCommand({
          Name: 'empty-prefix',
          EventBusName: BUS,
          EventPattern: '{"source":[{"prefix":""}]}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    await expect(
      client.send(new PutRuleCommand({ Name: 'orders', EventBusName: 'nope', EventPattern: PATTERN })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' });
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'nope', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Rule nope does not exist on EventBus ${BUS}.`,
    });
    await expect(client.send(new DescribeRuleCommand({ Name: 'nope' }))).rejects.toMatchObject({
      message: 'Rule nope does not exist on EventBus default.',
    });
    await expect(client.send(new ListRulesCommand({ EventBusName: BUS, Limit: 101 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have value less than or equal to 100'),
    });
  });

  it("refuses to change the stack's rules: they belong to infra/rules.ts", async () => {
    await expect(
      client.send(
        new PutRuleCommand({ Name: 'start-release-execution', EventBusName: BUS, EventPattern: PATTERN }),
      ),
    ).rejects.toMatchObject({ name: 'ManagedRuleException' });
    await expect(
      client.send(new DisableRuleCommand({ Name: 'start-release-execution', EventBusName: BUS })),
    ).rejects.toMatchObject({ name: 'ManagedRuleException' });
    await expect(
      client.send(new DeleteRuleCommand({ Name: 'start-release-execution', EventBusName: BUS })),
    ).rejects.toMatchObject({ name: 'ManagedRuleException' });
    const targets = await client.send(
      new ListTargetsByRuleCommand({ Rule: 'start-release-execution', EventBusName: BUS }),
    );
    expect(targets.Targets).toEqual([
      { Id: 'Target0', Arn: 'arn:aws:lambda:local:000000000000:function:start-execution' },
    ]);
    // A rule of the same name on the default bus is another rule, and the user's.
    await client.send(new PutRuleCommand({ Name: 'start-release-execution', EventPattern: PATTERN }));
  });
});

describe('PutTargets, ListTargetsByRule, RemoveTargets, DeleteRule', () => {
  it('adds, replaces by Id, lists and removes targets; failed entries as AWS reports them', async () => {
    await client.send(new PutRuleCommand({ Name: 'orders', EventBusName: BUS, EventPattern: PATTERN }));
    const added = await client.send(
      new PutTargetsCommand({
        Rule: 'orders',
        EventBusName: BUS,
        Targets: [
          { Id: 'queue', Arn: 'arn:aws:sqs:local:000000000000:orders' },
          { Id: 'broken', Arn: 'not-an-arn' },
        ],
      }),
    );
    expect(added.FailedEntryCount).toBe(1);
    expect(added.FailedEntries).toEqual([
      {
        TargetId: 'broken',
        ErrorCode: 'ValidationException',
        ErrorMessage: 'Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.',
      },
    ]);
    await client.send(
      new PutTargetsCommand({
        Rule: 'orders',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: 'arn:aws:sqs:local:000000000000:orders-v2', InputPath: '$.detail' }],
      }),
    );
    const listed = await client.send(new ListTargetsByRuleCommand({ Rule: 'orders', EventBusName: BUS }));
    expect(listed.Targets).toEqual([
      { Id: 'queue', Arn: 'arn:aws:sqs:local:000000000000:orders-v2', InputPath: '$.detail' },
    ]);

    await expect(
      client.send(new DeleteRuleCommand({ Name: 'orders', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
    });
    const removed = await client.send(
      new RemoveTargetsCommand({ Rule: 'orders', EventBusName: BUS, Ids: ['queue', 'ghost'] }),
    );
    expect(removed.FailedEntryCount).toBe(1);
    expect(removed.FailedEntries).toEqual([
      {
        TargetId: 'ghost',
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: "Rule 'orders' does not have a target with the Id 'ghost'.",
      },
    ]);
    await client.send(new DeleteRuleCommand({ Name: 'orders', EventBusName: BUS }));
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'orders', EventBusName: BUS })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // Deleting a rule that does not exist is a silent success in AWS.
    await client.send(new DeleteRuleCommand({ Name: 'orders', EventBusName: BUS }));
  });

  it("lists the rules that deliver to a target ARN, the stack's among them", async () => {
    const queue = 'arn:aws:sqs:local:000000000000:orders';
    for (const name of ['b-orders', 'a-orders', 'other']) {
      await client.send(new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: PATTERN }));
      const Arn = name === 'other' ? 'arn:aws:sqs:local:000000000000:other' : queue;
      await client.send(
        new PutTargetsCommand({ Rule: name, EventBusName: BUS, Targets: [{ Id: 'q', Arn }] }),
      );
    }
    const byQueue = await client.send(
      new ListRuleNamesByTargetCommand({ TargetArn: queue, EventBusName: BUS }),
    );
    expect(byQueue.RuleNames).toEqual(['a-orders', 'b-orders']);
    const byFunction = await client.send(
      new ListRuleNamesByTargetCommand({
        TargetArn: 'arn:aws:lambda:local:000000000000:function:create-deployment-tasks',
        EventBusName: BUS,
      }),
    );
    expect(byFunction.RuleNames).toEqual(
      stackRules
        .filter((r) => r.target === 'create-deployment-tasks')
        .map((r) => r.name)
        .sort(),
    );
    expect((await client.send(new ListRuleNamesByTargetCommand({ TargetArn: queue }))).RuleNames).toEqual([]);
  });

  it('refuses a sixth target with LimitExceededException, and targets of a rule that does not exist', async () => {
    await client.send(new PutRuleCommand({ Name: 'orders', EventBusName: BUS, EventPattern: PATTERN }));
    const five = Array.from({ length: 5 }, (_, i) => ({
      Id: `t${i}`,
      Arn: `arn:aws:sqs:local:000000000000:q${i}`,
    }));
    await client.send(new PutTargetsCommand({ Rule: 'orders', EventBusName: BUS, Targets: five }));
    await expect(
      client.send(
        new PutTargetsCommand({
          Rule: 'orders',
          EventBusName: BUS,
          Targets: [{ Id: 't5', Arn: 'arn:aws:sqs:local:000000000000:q5' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: 'The requested resource exceeds the maximum number allowed.',
    });
    await expect(
      client.send(
        new PutTargetsCommand({
          Rule: 'ghost',
          EventBusName: BUS,
          Targets: [{ Id: 'a', Arn: 'arn:aws:sqs:local:0:q' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Rule ghost does not exist on EventBus ${BUS}.`,
    });
    await expect(client.send(new ListTargetsByRuleCommand({ Rule: 'ghost' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Rule ghost does not exist on EventBus default.',
    });
  });
});

describe('what the targets of a user rule receive', () => {
  it('POSTs each matching event to an http(s) target, and only matching ones', async () => {
    await ruleWithTarget({});
    await put({ orderId: 'o-1' });
    await client.send(
      new PutEventsCommand({
        Entries: [{ Source: 'my-service', DetailType: 'Order Cancelled', Detail: '{}', EventBusName: BUS }],
      }),
    );
    await bus.idle();
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]).toMatchObject({
      source: 'my-service',
      'detail-type': 'Order Placed',
      detail: { orderId: 'o-1' },
      account: '000000000000',
      region: 'local',
    });
    const deliveries = (await (
      await fetch(`${server.endpoint}/_local/rules/deliveries?rule=orders`)
    ).json()) as {
      deliveries: { rule: string; targetId: string; via: string; input: unknown }[];
    };
    expect(deliveries.deliveries).toMatchObject([
      { rule: 'orders', targetId: 't1', via: 'http', input: hook.bodies[0] },
    ]);
  });

  it('applies Input, InputPath and InputTransformer', async () => {
    await ruleWithTarget({ InputPath: '$.detail' }, 'by-path');
    await put({ orderId: 'o-2', items: [{ sku: 'A' }] });
    await bus.idle();
    expect(hook.bodies).toEqual([{ orderId: 'o-2', items: [{ sku: 'A' }] }]);

    hook.bodies.length = 0;
    await client.send(new RemoveTargetsCommand({ Rule: 'by-path', EventBusName: BUS, Ids: ['t1'] }));
    await client.send(
      new PutTargetsCommand({
        Rule: 'by-path',
        EventBusName: BUS,
        Targets: [
          { Id: 'constant', Arn: hook.url, Input: '{"ping":true}' },
          {
            Id: 'shaped',
            Arn: hook.url,
            InputTransformer: {
              InputPathsMap: { order: '$.detail.orderId', sku: '$.detail.items[0].sku' },
              InputTemplate:
                '{"order": <order>, "text": "order <order> of <sku>", "rule": "<aws.events.rule-name>"}',
            },
          },
        ],
      }),
    );
    await put({ orderId: 'o-3', items: [{ sku: 'B' }] });
    await bus.idle();
    expect(hook.bodies).toHaveLength(2);
    expect(hook.bodies).toContainEqual({ ping: true });
    expect(hook.bodies).toContainEqual({ order: 'o-3', text: 'order o-3 of B', rule: 'by-path' });
  });

  it('invokes a Lambda function of the local cloud named by its ARN, asynchronously', async () => {
    await client.send(new PutRuleCommand({ Name: 'to-lambda', EventBusName: BUS, EventPattern: PATTERN }));
    await client.send(
      new PutTargetsCommand({
        Rule: 'to-lambda',
        EventBusName: BUS,
        Targets: [{ Id: 'fn', Arn: 'arn:aws:lambda:local:000000000000:function:apply-ci-updates' }],
      }),
    );
    await put({ orderId: 'o-4' });
    await bus.idle();
    expect(invoked).toMatchObject([{ name: 'apply-ci-updates', event: { detail: { orderId: 'o-4' } } }]);
  });

  it('dead-letters what a target keeps refusing, and what names a function the local cloud has not', async () => {
    hook.status = 503;
    await ruleWithTarget({});
    await client.send(
      new PutTargetsCommand({
        Rule: 'orders',
        EventBusName: BUS,
        Targets: [{ Id: 'ghost-fn', Arn: 'arn:aws:lambda:local:000000000000:function:nobody' }],
      }),
    );
    await put({ orderId: 'o-5' });
    await bus.idle();
    expect(hook.bodies).toHaveLength(2); // both attempts of the retry policy
    expect(bus.deadLetters()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'orders', target: hook.url, attempts: 2 }),
        expect.objectContaining({
          rule: 'orders',
          target: 'arn:aws:lambda:local:000000000000:function:nobody',
          attempts: 1,
        }),
      ]),
    );
  });

  it('replays a dead letter of a rule on the default bus onto the default bus', async () => {
    hook.status = 500;
    await client.send(new PutRuleCommand({ Name: 'orders', EventPattern: PATTERN }));
    await client.send(new PutTargetsCommand({ Rule: 'orders', Targets: [{ Id: 'hook', Arn: hook.url }] }));
    await put({ orderId: 'o-6' }, ''); // no EventBusName: the default bus
    await bus.idle();
    expect(bus.deadLetters()).toMatchObject([{ rule: 'orders', eventBusName: 'default' }]);
    hook.status = 200;
    hook.bodies.length = 0;
    expect(bus.replayDeadLetters().replayed).toBe(1);
    await bus.idle();
    expect(hook.bodies).toMatchObject([{ detail: { orderId: 'o-6' } }]);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('stops delivering while the rule is disabled, and starts again once enabled', async () => {
    await ruleWithTarget({});
    await client.send(new DisableRuleCommand({ Name: 'orders', EventBusName: BUS }));
    await put({ orderId: 'while-disabled' });
    await bus.idle();
    expect(hook.bodies).toEqual([]);
    await client.send(new EnableRuleCommand({ Name: 'orders', EventBusName: BUS }));
    await put({ orderId: 'after' });
    await bus.idle();
    expect(hook.bodies).toMatchObject([{ detail: { orderId: 'after' } }]);
  });

  it("matches Step Functions' status events on the default bus with a rule on source aws.states", async () => {
    await client.send(new PutRuleCommand({ Name: 'executions', EventPattern: '{"source":["aws.states"]}' }));
    await client.send(
      new PutTargetsCommand({ Rule: 'executions', Targets: [{ Id: 'hook', Arn: hook.url }] }),
    );
    // As the local Step Functions side puts them: through the bus's normal PutEvents path, on the default bus.
    await bus.putEvents([
      {
        Source: 'aws.states',
        DetailType: 'Step Functions Execution Status Change',
        Detail: JSON.stringify({
          status: 'FAILED',
          executionArn: 'arn:aws:states:local:000000000000:execution:m:e',
        }),
        Resources: ['arn:aws:states:local:000000000000:execution:m:e'],
      },
    ]);
    await bus.idle();
    expect(hook.bodies).toMatchObject([{ source: 'aws.states', detail: { status: 'FAILED' } }]);
    // The same pattern through TestEventPattern.
    const tested = await client.send(
      new TestEventPatternCommand({
        EventPattern: '{"source":["aws.states"]}',
        Event: JSON.stringify(hook.bodies[0]),
      }),
    );
    expect(tested.Result).toBe(true);
  });
});

describe('rules across a restart', () => {
  it('keeps user rules, their state and targets in the data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eb-rules-'));
    try {
      const first = new LocalEventBus({ rules: stackRules, dataDir });
      const firstServer = await startLocalEventBridge({ bus: first });
      const firstClient = clientFor(firstServer.endpoint);
      await firstClient.send(
        new PutRuleCommand({ Name: 'orders', EventBusName: BUS, EventPattern: PATTERN }),
      );
      await firstClient.send(
        new PutTargetsCommand({ Rule: 'orders', EventBusName: BUS, Targets: [{ Id: 't1', Arn: hook.url }] }),
      );
      await firstClient.send(
        new PutRuleCommand({ Name: 'paused', EventPattern: PATTERN, State: 'DISABLED' }),
      );
      firstClient.destroy();
      await firstServer.stop();
      await first.close();

      const second = new LocalEventBus({ rules: stackRules, dataDir });
      const secondServer = await startLocalEventBridge({ bus: second });
      const secondClient = clientFor(secondServer.endpoint);
      try {
        expect((await secondClient.send(new DescribeRuleCommand({ Name: 'paused' }))).State).toBe('DISABLED');
        expect(
          (await secondClient.send(new ListTargetsByRuleCommand({ Rule: 'orders', EventBusName: BUS })))
            .Targets,
        ).toEqual([{ Id: 't1', Arn: hook.url }]);
        await second.putEvents([
          { Source: 'my-service', DetailType: 'Order Placed', Detail: '{"n":1}', EventBusName: BUS },
        ]);
        await second.idle();
        expect(hook.bodies).toMatchObject([{ detail: { n: 1 } }]);
      } finally {
        secondClient.destroy();
        await secondServer.stop();
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
