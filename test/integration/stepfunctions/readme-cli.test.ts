/**
 * The README's `aws stepfunctions …` examples, run with @aws-sdk/client-sfn against the local
 * endpoint: the same operations with the same inputs (each `--kebab-flag value` becomes the
 * `kebabFlag` input member, as the CLI maps them), in the README's order, on an execution named as
 * the README's `EXECUTION` says. A README example the local service cannot answer fails here.
 */
import { readFileSync } from 'node:fs';
import * as sfn from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SfnHarness, startHarness, twoStageDefinition, waitFor } from './support.ts';

interface CliCall {
  readonly line: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

/** Splits a shell line into words (double and single quotes, no expansion). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const pascal = (command: string) => command.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** The integer members of the Step Functions requests the README's commands may carry. */
const INTEGER_MEMBERS = new Set(['maxResults']);

/** Every `aws stepfunctions` command of the README's sh blocks, with `$VAR`s set earlier in them. */
function readmeCalls(): CliCall[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const variables = new Map<string, string>();
  const calls: CliCall[] = [];
  for (const block of blocks) {
    for (const line of block.replace(/\\\n\s*/g, ' ').split('\n')) {
      const assignment = /^([A-Z_][A-Z0-9_]*)=(\S+)\s*$/.exec(line.trim());
      if (assignment?.[1] && assignment[2]) variables.set(assignment[1], assignment[2]);
      const tokens = words(line.replace(/#.*$/, ''));
      const at = tokens.indexOf('stepfunctions');
      if (at < 1 || tokens[at - 1] !== 'aws') continue;
      const command = tokens[at + 1] ?? '';
      const input: Record<string, unknown> = {};
      for (let i = at + 2; i < tokens.length; i++) {
        const flag = tokens[i] ?? '';
        if (!flag.startsWith('--')) throw new Error(`README: unexpected word '${flag}' in: ${line}`);
        const next = tokens[i + 1];
        const value = next === undefined || next.startsWith('--') ? true : next;
        if (value !== true) i++;
        if (flag === '--endpoint-url') continue;
        const member = camel(flag.slice(2));
        const text =
          typeof value === 'string'
            ? value.replace(/^\$([A-Z_]+)$/, (_, name: string) => variables.get(name) ?? '')
            : value;
        // The CLI sends an integer member as a JSON number, as the service model types it.
        input[member] = INTEGER_MEMBERS.has(member) && typeof text === 'string' ? Number(text) : text;
      }
      calls.push({ line: line.trim(), operation: pascal(command), input });
    }
  }
  return calls;
}

let harness: SfnHarness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.stop());

describe("the README's aws stepfunctions examples", () => {
  it('run with the SDK against the local endpoint', async () => {
    const calls = readmeCalls();
    expect(calls.map((call) => call.operation)).toEqual(
      expect.arrayContaining([
        'ListExecutions',
        'DescribeExecution',
        'GetExecutionHistory',
        'StopExecution',
        'RedriveExecution',
      ]),
    );
    // The state machine and the execution the README names.
    const executionArn = calls.find((call) => call.operation === 'DescribeExecution')?.input
      .executionArn as string;
    const [, , , , , , machineName, executionName] = executionArn.split(':');
    const { stateMachineArn } = await harness.client.send(
      new sfn.CreateStateMachineCommand({
        name: machineName,
        definition: twoStageDefinition,
        roleArn: 'arn:aws:iam::0:role/r',
      }),
    );
    await harness.client.send(
      new sfn.StartExecutionCommand({
        stateMachineArn,
        name: executionName,
        input: '{"subject":{"id":"readme"}}',
      }),
    );
    await waitFor(() => harness.invocations[0]);

    const commands = sfn as unknown as Record<string, new (input: unknown) => sfn.DescribeExecutionCommand>;
    const answers = new Map<string, unknown>();
    for (const call of calls) {
      const Command = commands[`${call.operation}Command`];
      expect(Command, call.line).toBeDefined();
      if (!Command) continue;
      answers.set(call.operation, await harness.client.send(new Command(call.input)));
    }
    expect(answers.get('DescribeExecution')).toMatchObject({ executionArn, status: 'RUNNING' });
    expect(answers.get('StopExecution')).toMatchObject({ stopDate: expect.any(Date) });
    expect(answers.get('RedriveExecution')).toMatchObject({ redriveDate: expect.any(Date) });
    // The last list-executions of the README filters by REDRIVEN: the execution just redriven.
    expect(answers.get('ListExecutions')).toMatchObject({ executions: [{ executionArn, redriveCount: 1 }] });
    await harness.client.send(new sfn.StopExecutionCommand({ executionArn }));
  });
});
