import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidDefinition,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListStateMachineVersionsCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SfnHarness, startHarness, twoStageDefinition, waitFor } from './support.ts';

let harness: SfnHarness;
const roleArn = 'arn:aws:iam::000000000000:role/sfn';
const passDefinition = (result: string) =>
  JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: result, End: true } } });

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(() => harness.stop());

describe('StartExecution idempotency', () => {
  it('returns the same execution for the same name and input while RUNNING, and refuses anything else', async () => {
    const { stateMachineArn } = await harness.client.send(
      new CreateStateMachineCommand({ name: 'idempotent', definition: twoStageDefinition, roleArn }),
    );
    const start = (input: string) =>
      harness.client.send(new StartExecutionCommand({ stateMachineArn, name: 'release-1', input }));
    const first = await start('{"subject":"r1"}');
    const again = await start('{"subject":"r1"}');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    expect(first.executionArn).toBe('arn:aws:states:local:000000000000:execution:idempotent:release-1');
    await expect(start('{"subject":"other"}')).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(harness.invocations.filter((i) => i.payload.subject === 'r1')).toHaveLength(1);

    const executionArn = first.executionArn ?? '';
    await harness.client.send(
      new SendTaskSuccessCommand({ taskToken: await tokenOf('r1'), output: '{"to":"x"}' }),
    );
    await waitFor(async () => {
      const { status } = await harness.client.send(new DescribeExecutionCommand({ executionArn }));
      return status === 'SUCCEEDED' ? status : undefined;
    });
    await expect(start('{"subject":"r1"}')).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('answers unknown resources with the AWS exceptions', async () => {
    await expect(
      harness.client.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:local:000000000000:execution:nope:nope',
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      harness.client.send(
        new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:nope' }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      harness.client.send(
        new CreateStateMachineCommand({ name: 'bad', definition: '{"StartAt":"X"}', roleArn }),
      ),
    ).rejects.toBeInstanceOf(InvalidDefinition);
  });
});

async function tokenOf(subject: string): Promise<string> {
  const invocation = await waitFor(() => harness.invocations.find((i) => i.payload.subject === subject));
  return String(invocation.payload.taskToken);
}

describe('state machines and versions', () => {
  it('creates idempotently, publishes versions, runs a version ARN and lists executions of all versions', async () => {
    const create = (definition: string) =>
      harness.client.send(
        new CreateStateMachineCommand({ name: 'versioned', definition, roleArn, publish: true }),
      );
    const created = await create(passDefinition('v1'));
    const base = created.stateMachineArn ?? '';
    expect(base).toBe('arn:aws:states:local:000000000000:stateMachine:versioned');
    expect(created.stateMachineVersionArn).toBe(`${base}:1`);
    const repeated = await create(passDefinition('v1'));
    expect(repeated).toMatchObject({ stateMachineArn: base, stateMachineVersionArn: `${base}:1` });
    await expect(create(passDefinition('other'))).rejects.toBeInstanceOf(StateMachineAlreadyExists);

    const updated = await harness.client.send(
      new UpdateStateMachineCommand({
        stateMachineArn: base,
        definition: passDefinition('v2'),
        publish: true,
      }),
    );
    expect(updated.stateMachineVersionArn).toBe(`${base}:2`);
    const v1 = await harness.client.send(new DescribeStateMachineCommand({ stateMachineArn: `${base}:1` }));
    expect(v1).toMatchObject({
      stateMachineArn: `${base}:1`,
      definition: passDefinition('v1'),
      name: 'versioned',
    });
    const latest = await harness.client.send(new DescribeStateMachineCommand({ stateMachineArn: base }));
    expect(latest.definition).toBe(passDefinition('v2'));
    const versions = await harness.client.send(
      new ListStateMachineVersionsCommand({ stateMachineArn: base }),
    );
    expect(versions.stateMachineVersions?.map((v) => v.stateMachineVersionArn)).toEqual([
      `${base}:2`,
      `${base}:1`,
    ]);
    const machines = await harness.client.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name)).toContain('versioned');

    const onV1 = await harness.client.send(
      new StartExecutionCommand({ stateMachineArn: `${base}:1`, name: 'on-v1' }),
    );
    const onLatest = await harness.client.send(
      new StartExecutionCommand({ stateMachineArn: base, name: 'on-latest' }),
    );
    const output = async (executionArn: string) =>
      waitFor(async () => {
        const described = await harness.client.send(new DescribeExecutionCommand({ executionArn }));
        return described.status === 'SUCCEEDED' ? described : undefined;
      });
    const v1Run = await output(onV1.executionArn ?? '');
    expect(v1Run).toMatchObject({
      output: '"v1"',
      stateMachineArn: base,
      stateMachineVersionArn: `${base}:1`,
    });
    expect((await output(onLatest.executionArn ?? '')).output).toBe('"v2"');
    const forExecution = await harness.client.send(
      new DescribeStateMachineForExecutionCommand({ executionArn: onV1.executionArn }),
    );
    expect(forExecution).toMatchObject({ definition: passDefinition('v1'), stateMachineArn: base });

    const all = await harness.client.send(new ListExecutionsCommand({ stateMachineArn: base }));
    expect(all.executions?.map((e) => e.name).sort()).toEqual(['on-latest', 'on-v1']);
    const ofV1 = await harness.client.send(new ListExecutionsCommand({ stateMachineArn: `${base}:1` }));
    expect(ofV1.executions?.map((e) => e.name)).toEqual(['on-v1']);
    const running = await harness.client.send(
      new ListExecutionsCommand({ stateMachineArn: base, statusFilter: 'RUNNING' }),
    );
    expect(running.executions).toEqual([]);
    const firstPage = await harness.client.send(
      new ListExecutionsCommand({ stateMachineArn: base, maxResults: 1 }),
    );
    expect(firstPage.executions).toHaveLength(1);
    const secondPage = await harness.client.send(
      new ListExecutionsCommand({ stateMachineArn: base, maxResults: 1, nextToken: firstPage.nextToken }),
    );
    expect(secondPage.executions).toHaveLength(1);
    expect(secondPage.executions?.[0]?.name).not.toBe(firstPage.executions?.[0]?.name);
    expect(secondPage.nextToken).toBeUndefined();
  });
});
