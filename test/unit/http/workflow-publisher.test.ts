/**
 * The Step Functions side of publishing: machines of the API's own (never the stack's), named with
 * the stage's prefix, logged and traced, and with the partition of the function they invoke.
 */
import { CreateStateMachineCommand, SFNClient, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SfnWorkflowPublisher } from '../../../functions/adapters/sfn/workflow-publisher.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const definition = defaultWorkflows['release-fast-track'];
const publisher = (recordStageFunctionArn: string, extra: Record<string, string> = {}) =>
  new SfnWorkflowPublisher(new SFNClient({ region: 'cn-north-1' }), {
    recordStageFunctionArn,
    roleArn: 'arn:aws-cn:iam::123456789012:role/published',
    ...extra,
  });

describe('SfnWorkflowPublisher', () => {
  it('writes the service integrations in the partition of the record-stage function', async () => {
    sfn.on(CreateStateMachineCommand).resolves({
      stateMachineArn: 'arn:aws-cn:states:cn-north-1:1:stateMachine:rd-x',
      stateMachineVersionArn: 'arn:aws-cn:states:cn-north-1:1:stateMachine:rd-x:1',
    });
    const out = await publisher('arn:aws-cn:lambda:cn-north-1:123456789012:function:record-stage').publish({
      workflowId: 'x',
      definition,
      stateMachineArn: undefined,
    });
    const sent = sfn.commandCalls(CreateStateMachineCommand)[0]?.args[0].input.definition ?? '';
    expect(sent).toContain('"arn:aws-cn:states:::lambda:invoke.waitForTaskToken"');
    expect(sent).not.toContain('"arn:aws:states:::');
    expect(JSON.stringify(out.asl)).toBe(sent);
  });

  it('names, logs and traces the machines it creates; never updates the stack’s machine', async () => {
    sfn.on(CreateStateMachineCommand).resolves({
      stateMachineArn: 'arn:aws:states:eu-central-1:1:stateMachine:rd-staging-release-default',
      stateMachineVersionArn: 'arn:aws:states:eu-central-1:1:stateMachine:rd-staging-release-default:1',
    });
    await publisher('arn:aws:lambda:eu-central-1:1:function:record-stage', {
      namePrefix: 'rd-staging-',
      logGroupArn: 'arn:aws:logs:eu-central-1:1:log-group:/aws/vendedlogs/states/x:*',
    }).publish({
      workflowId: 'release-default',
      definition: defaultWorkflows['release-default'],
      stateMachineArn: 'arn:aws:states:eu-central-1:1:stateMachine:ReleaseDeskWorkflowsReleaseDefault1A2B3C',
    });
    expect(sfn).toHaveReceivedCommandTimes(UpdateStateMachineCommand, 0);
    expect(sfn).toHaveReceivedCommandWith(CreateStateMachineCommand, {
      name: 'rd-staging-release-default',
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: false,
        destinations: [
          {
            cloudWatchLogsLogGroup: {
              logGroupArn: 'arn:aws:logs:eu-central-1:1:log-group:/aws/vendedlogs/states/x:*',
            },
          },
        ],
      },
      tracingConfiguration: { enabled: true },
    });
  });
});
