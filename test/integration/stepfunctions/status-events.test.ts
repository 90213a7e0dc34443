/**
 * `Step Functions Execution Status Change` events as AWS emits them, put on a local EventBridge bus
 * through its PutEvents path (so its watchers and rules see them): RUNNING at the start and after a
 * redrive, then SUCCEEDED, FAILED, TIMED_OUT or ABORTED (docs/decisions.md, "Local Step Functions:
 * redrive, stop, heartbeats, time scale, status events").
 */
import {
  CreateStateMachineCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedEventInfo, type LocalEvent, LocalEventBus } from '#local/eventbridge/bus';
import { type SfnHarness, startHarness, twoStageDefinition, waitFor } from './support.ts';

let harness: SfnHarness;
let bus: LocalEventBus;
const seen: { event: LocalEvent; info: AcceptedEventInfo }[] = [];
let machines = 0;

beforeAll(async () => {
  bus = new LocalEventBus({ rules: [] });
  bus.subscribe((event, info) => seen.push({ event, info }));
  harness = await startHarness({ timeScale: 0.01, publishEvent: (event) => bus.putEvents([event]) });
});
afterAll(async () => {
  await harness.stop();
  await bus.close();
});

async function run(definition: unknown, input: unknown = {}): Promise<string> {
  machines++;
  const { stateMachineArn } = await harness.client.send(
    new CreateStateMachineCommand({
      name: `status-${machines}`,
      definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
      roleArn: 'arn:aws:iam::0:role/r',
    }),
  );
  const { executionArn } = await harness.client.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  return executionArn ?? '';
}

/** The status events of one execution seen so far, in order. */
const eventsOf = (executionArn: string) =>
  seen.filter(({ event }) => event.detail.executionArn === executionArn).map(({ event }) => event);

async function statuses(executionArn: string, count: number): Promise<LocalEvent[]> {
  return waitFor(() => {
    const events = eventsOf(executionArn);
    return events.length >= count ? events : undefined;
  });
}

describe('Step Functions Execution Status Change', () => {
  it('is RUNNING then SUCCEEDED, shaped as AWS emits it, on the default bus', async () => {
    const executionArn = await run(
      { StartAt: 'Done', States: { Done: { Type: 'Pass', Result: { ok: true }, End: true } } },
      { hello: 'world' },
    );
    const [running, succeeded] = await statuses(executionArn, 2);
    const stateMachineArn = executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    expect(running).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '000000000000',
      region: 'local',
      resources: [executionArn],
    });
    expect(running?.detail).toEqual({
      executionArn,
      stateMachineArn,
      name: executionArn.split(':').at(-1),
      status: 'RUNNING',
      startDate: expect.any(Number),
      stopDate: null,
      input: '{"hello":"world"}',
      output: null,
      inputDetails: { included: true },
      outputDetails: null,
      error: null,
      cause: null,
      redriveCount: 0,
      redriveDate: null,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    });
    expect(succeeded?.detail).toMatchObject({
      status: 'SUCCEEDED',
      startDate: running?.detail.startDate,
      stopDate: expect.any(Number),
      output: '{"ok":true}',
      outputDetails: { included: true },
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    // As in AWS, Step Functions sends them to the account's default bus.
    expect(seen.find(({ event }) => event.id === running?.id)?.info.eventBusName).toBe('default');
    expect(bus.recentEvents().some((event) => event.id === succeeded?.id)).toBe(true);
  });

  it('is FAILED with error and cause, then RUNNING again when redriven', async () => {
    const executionArn = await run({
      StartAt: 'Boom',
      States: { Boom: { Type: 'Fail', Error: 'Release.Broken', Cause: 'on purpose' } },
    });
    const [, failed] = await statuses(executionArn, 2);
    expect(failed?.detail).toMatchObject({
      status: 'FAILED',
      error: 'Release.Broken',
      cause: 'on purpose',
      output: null,
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
      redriveStatusReason: null,
    });
    await harness.client.send(new RedriveExecutionCommand({ executionArn }));
    const [, , redriven, failedAgain] = await statuses(executionArn, 4);
    expect(redriven?.detail).toMatchObject({
      status: 'RUNNING',
      stopDate: null,
      error: null,
      redriveCount: 1,
      redriveDate: expect.any(Number),
    });
    expect(failedAgain?.detail).toMatchObject({ status: 'FAILED', redriveCount: 1 });
  });

  it('is ABORTED when stopped and TIMED_OUT when the execution times out', async () => {
    const waiting = await run(twoStageDefinition, { subject: { id: 'x' } });
    await statuses(waiting, 1);
    await harness.client.send(
      new StopExecutionCommand({ executionArn: waiting, error: 'Stop', cause: 'now' }),
    );
    const [, aborted] = await statuses(waiting, 2);
    expect(aborted?.detail).toMatchObject({ status: 'ABORTED', error: 'Stop', cause: 'now' });

    const slow = await run({
      TimeoutSeconds: 20,
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', Seconds: 10_000, End: true } },
    });
    const [, timedOut] = await statuses(slow, 2);
    expect(timedOut?.detail).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(eventsOf(slow).map((event) => event.detail.status)).toEqual(['RUNNING', 'TIMED_OUT']);
  });
});
