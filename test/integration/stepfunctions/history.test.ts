import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SfnHarness, startHarness, waitFor } from './support.ts';

let harness: SfnHarness;

beforeAll(async () => {
  harness = await startHarness({
    respond: ({ functionName, payload }) => {
      if (functionName === 'flaky')
        throw Object.assign(new Error('service hiccup'), { name: 'Lambda.ServiceException' });
      return { greeting: `hello ${String(payload.who)}` };
    },
  });
});

afterAll(() => harness.stop());

async function run(name: string, definition: unknown, input: unknown) {
  const { stateMachineArn } = await harness.client.send(
    new CreateStateMachineCommand({
      name,
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::0:role/r',
    }),
  );
  const { executionArn } = await harness.client.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const arn = executionArn ?? '';
  await waitFor(async () => {
    const { status } = await harness.client.send(new DescribeExecutionCommand({ executionArn: arn }));
    return status === 'RUNNING' ? undefined : status;
  });
  return arn;
}

describe('GetExecutionHistory', () => {
  it('returns AWS-shaped events for a Pass → lambda:invoke → Succeed machine', async () => {
    const executionArn = await run(
      'history-shape',
      {
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Result: 'world', ResultPath: '$.who', Next: 'Greet' },
          Greet: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'greet', 'Payload.$': '$' },
            ResultSelector: { 'greeting.$': '$.Payload.greeting', 'status.$': '$.StatusCode' },
            ResultPath: '$.result',
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      { n: 1 },
    );
    const { events = [] } = await harness.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((event, index) => {
      expect(event.id).toBe(index + 1);
      // As AWS records it: the first state's StateEntered starts its own chain (previousEventId 0).
      expect(event.previousEventId).toBe(event.type === 'PassStateEntered' ? 0 : index);
      expect(event.timestamp).toBeInstanceOf(Date);
    });
    const [started, passEntered, passExited, , scheduled, taskStarted, succeeded, taskExited] = events;
    expect(started?.executionStartedEventDetails).toEqual({
      input: '{"n":1}',
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::0:role/r',
    });
    expect(passEntered?.stateEnteredEventDetails).toEqual({
      name: 'Prepare',
      input: '{"n":1}',
      inputDetails: { truncated: false },
    });
    expect(passExited?.stateExitedEventDetails).toEqual({
      name: 'Prepare',
      output: '{"n":1,"who":"world"}',
      outputDetails: { truncated: false },
    });
    expect(scheduled?.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'local',
      parameters: JSON.stringify({ FunctionName: 'greet', Payload: { n: 1, who: 'world' } }),
    });
    expect(taskStarted?.taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    expect(JSON.parse(succeeded?.taskSucceededEventDetails?.output ?? '{}')).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { greeting: 'hello world' },
      StatusCode: 200,
    });
    expect(JSON.parse(taskExited?.stateExitedEventDetails?.output ?? '{}')).toEqual({
      n: 1,
      who: 'world',
      result: { greeting: 'hello world', status: 200 },
    });
    expect(events.at(-1)?.executionSucceededEventDetails?.output).toBe(
      taskExited?.stateExitedEventDetails?.output,
    );
  });

  it('pages, reverses and leaves out execution data on request', async () => {
    const executionArn = await run(
      'history-paging',
      { StartAt: 'One', States: { One: { Type: 'Pass', Next: 'Two' }, Two: { Type: 'Pass', End: true } } },
      { secret: 1 },
    );
    const first = await harness.client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 2,
        reverseOrder: true,
        includeExecutionData: false,
      }),
    );
    expect(first.events?.map((event) => event.id)).toEqual([6, 5]);
    expect(first.events?.[0]?.executionSucceededEventDetails).toEqual({});
    expect(first.events?.[1]?.stateExitedEventDetails).toEqual({ name: 'Two' });
    const rest = await harness.client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 10,
        reverseOrder: true,
        nextToken: first.nextToken,
      }),
    );
    expect(rest.events?.map((event) => event.id)).toEqual([4, 3, 2, 1]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('describes executions and state machines with the redrive and encryption fields AWS gives', async () => {
    const succeededArn = await run(
      'describe-succeeded',
      { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } },
      {},
    );
    expect(
      await harness.client.send(new DescribeExecutionCommand({ executionArn: succeededArn })),
    ).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    // A failed execution can be redriven (RedriveExecution), as in AWS: no reason is given then.
    const failedArn = await run(
      'describe-failed',
      { StartAt: 'Stop', States: { Stop: { Type: 'Fail', Error: 'Nope', Cause: 'on purpose' } } },
      {},
    );
    expect(
      await harness.client.send(new DescribeExecutionCommand({ executionArn: failedArn })),
    ).toMatchObject({
      status: 'FAILED',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    const { stateMachineArn, redriveStatusReason } = await harness.client.send(
      new DescribeExecutionCommand({ executionArn: failedArn }),
    );
    expect(redriveStatusReason).toBeUndefined();
    const machine = await harness.client.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(machine.encryptionConfiguration).toEqual({ type: 'AWS_OWNED_KEY' });
  });

  it('answers maxResults above 1000 with a ValidationException, as AWS does', async () => {
    const executionArn = await run(
      'history-max-results',
      { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } },
      {},
    );
    const error = await harness.client
      .send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    });
    const { events = [] } = await harness.client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('uses LambdaFunction* events for a plain Lambda ARN and fails the task with the thrown error name', async () => {
    const executionArn = await run(
      'history-lambda-arn',
      {
        StartAt: 'Greet',
        States: {
          Greet: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:local:000000000000:function:greet',
            Next: 'Flaky',
          },
          Flaky: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'flaky', Payload: {} },
            Catch: [{ ErrorEquals: ['Lambda.ServiceException'], ResultPath: '$.error', Next: 'Recovered' }],
            End: true,
          },
          Recovered: { Type: 'Pass', End: true },
        },
      },
      { who: 'arn' },
    );
    const { events = [] } = await harness.client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events.map((event) => event.type);
    expect(types.slice(0, 7)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
    ]);
    expect(events[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: 'arn:aws:lambda:local:000000000000:function:greet',
      input: '{"who":"arn"}',
    });
    expect(events[4]?.lambdaFunctionSucceededEventDetails?.output).toBe('{"greeting":"hello arn"}');
    const failed = events.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails;
    expect(failed?.error).toBe('Lambda.ServiceException');
    expect(JSON.parse(failed?.cause ?? '{}')).toMatchObject({
      errorType: 'Lambda.ServiceException',
      errorMessage: 'service hiccup',
    });
    const output = JSON.parse(events.at(-1)?.executionSucceededEventDetails?.output ?? '{}');
    expect(output.greeting).toBe('hello arn');
    expect(output.error.Error).toBe('Lambda.ServiceException');
  });
});
