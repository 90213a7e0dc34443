/**
 * The README's "Your own rules on the local bus" commands, run as written: each `aws events …` line
 * of its shell block becomes the same operation with the same input through
 * `@aws-sdk/client-eventbridge` (the CLI's `--kebab-case` options are the API's PascalCase
 * members), each `curl` a fetch, against a local bus; the README's service URL is a test receiver.
 * A command the README gains or changes is run too, so the section cannot drift from the bus.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sdk from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';
import { rules as stackRules } from '../../../infra/rules.ts';

const README_ENDPOINT = 'http://localhost:8088';
const README_SERVICE = 'http://localhost:4000/events';

/** The shell block of the README's section on rules. */
function readmeCommands(): string[][] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.indexOf('### Your own rules on the local bus');
  expect(section).toBeGreaterThan(0);
  const start = readme.indexOf('```sh\n', section) + '```sh\n'.length;
  const block = readme.slice(start, readme.indexOf('\n```', start));
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('export '))
    .map(shellWords);
}

/** Splits a command line as the shell does for what the README uses: quotes, escaped quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line.charAt(i);
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (line.charAt(i + 1) === '"' || line.charAt(i + 1) === '\\'))
        word += line.charAt(++i);
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      started = true;
    } else if (char === ' ') {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += char;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** `aws events put-rule --name x …` as the SDK's `PutRuleCommand` input (lists: JSON or words). */
function toCommand(words: string[]): { name: string; input: Record<string, unknown> } {
  const [, , operation = '', ...options] = words;
  const input: Record<string, unknown> = {};
  for (let i = 0; i < options.length; i++) {
    const option = options[i] as string;
    expect(option.startsWith('--'), option).toBe(true);
    const values: string[] = [];
    while (i + 1 < options.length && !(options[i + 1] as string).startsWith('--'))
      values.push(options[++i] as string);
    if (option === '--endpoint-url') continue;
    const member = pascal(option.slice(2));
    const [first = ''] = values;
    if (member === 'Ids') input[member] = values;
    else if (member === 'Targets' || member === 'Entries') input[member] = JSON.parse(first);
    else if (member === 'Limit') input[member] = Number(first);
    else input[member] = first;
  }
  return { name: `${pascal(operation)}Command`, input };
}

let bus: LocalEventBus;
let server: LocalEventBridge;
let client: sdk.EventBridgeClient;
let service: Server;
let serviceUrl: string;
const received: unknown[] = [];

beforeAll(async () => {
  service = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/events`;
  bus = new LocalEventBus({ rules: stackRules, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  server = await startLocalEventBridge({ bus });
  client = new sdk.EventBridgeClient({
    endpoint: server.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await bus.close();
  await new Promise<void>((resolve) => service.close(() => resolve()));
});

describe("the README's commands for rules on the local bus", () => {
  it('run through the SDK as written, with the answers the README promises', async () => {
    const answers: { operation: string; output: Record<string, unknown> }[] = [];
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(5);
    for (const words of commands) {
      const text = words.map((w) => w.replaceAll(README_SERVICE, serviceUrl));
      if (text[0] === 'curl') {
        await bus.idle(); // what the shell user gets by the time they type the next command
        const url = (text.find((w) => w.startsWith('http')) as string).replace(
          README_ENDPOINT,
          server.endpoint,
        );
        answers.push({
          operation: 'curl',
          output: (await (await fetch(url)).json()) as Record<string, unknown>,
        });
        continue;
      }
      expect(text.slice(0, 2), text.join(' ')).toEqual(['aws', 'events']);
      expect(text).toContain(README_ENDPOINT);
      const { name, input } = toCommand(text);
      type AnyCommand = new (input: unknown) => Parameters<sdk.EventBridgeClient['send']>[0];
      const Command = (sdk as unknown as Record<string, AnyCommand | undefined>)[name];
      expect(Command, name).toBeDefined();
      const output = (await client.send(
        new (Command as AnyCommand)(input) as sdk.PutRuleCommand,
      )) as unknown as Record<string, unknown>;
      answers.push({ operation: name, output });
    }
    const byOperation = (operation: string) =>
      answers.filter((a) => a.operation === operation).map((a) => a.output);

    expect(byOperation('TestEventPatternCommand')).toMatchObject([{ Result: true }]);
    expect(byOperation('PutRuleCommand')).toMatchObject([
      { RuleArn: 'arn:aws:events:local:000000000000:rule/release-desk/my-service-deployments' },
    ]);
    expect(byOperation('PutTargetsCommand')).toMatchObject([{ FailedEntryCount: 0 }]);
    expect(byOperation('ListRulesCommand')).toMatchObject([
      { Rules: [{ Name: 'my-service-deployments', State: 'ENABLED' }] },
    ]);
    expect(byOperation('ListTargetsByRuleCommand')).toMatchObject([
      { Targets: [{ Id: 'my-service', Arn: serviceUrl, InputPath: '$.detail.data' }] },
    ]);
    expect(byOperation('PutEventsCommand')).toMatchObject([{ FailedEntryCount: 0 }]);
    // The service got the event's `detail.data` (InputPath), and the delivery is listed.
    expect(received).toEqual([{ to: 'Deployment', deployStage: true }]);
    expect(byOperation('curl')).toMatchObject([
      {
        deliveries: [
          { rule: 'my-service-deployments', targetId: 'my-service', via: 'http', input: received[0] },
        ],
      },
    ]);
    expect(byOperation('RemoveTargetsCommand')).toMatchObject([{ FailedEntryCount: 0 }]);
    // After the clean-up only the stack's rules are left.
    const left = await client.send(new sdk.ListRulesCommand({ EventBusName: 'release-desk' }));
    expect(left.Rules?.map((r) => r.Name)).toEqual(stackRules.map((r) => r.name).sort());
  });
});
