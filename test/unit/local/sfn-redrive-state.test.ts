/**
 * When the local Step Functions service lets an execution be redriven, with the reasons AWS's
 * DescribeExecution gives (infra/local/stepfunctions/sfn-service.ts, `redriveState`).
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../infra/local/stepfunctions/records.ts';
import { REDRIVABLE_PERIOD_MS, redriveState } from '../../../infra/local/stepfunctions/sfn-service.ts';

const day = 24 * 60 * 60 * 1000;
const now = Date.parse('2026-11-27T12:00:00Z');

function execution(fields: Partial<ExecutionRecord>): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:local:000000000000:execution:m:e',
    name: 'e',
    stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:m',
    stateMachineName: 'm',
    definition: '{}',
    roleArn: 'arn:aws:iam::0:role/r',
    revisionId: 'r',
    stateMachineUpdateDate: now - 2 * day,
    input: '{}',
    startDate: now - 2 * day,
    stopDate: now - day,
    status: 'FAILED',
    history: [],
    taskOutcomes: [],
    waitingTasks: [],
    ...fields,
  };
}

describe('redriveState', () => {
  it('lets a failed, timed-out or aborted execution be redriven for 14 days after it stopped', () => {
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
      expect(redriveState(execution({ status }), true, now)).toEqual({ redriveStatus: 'REDRIVABLE' });
    }
    expect(redriveState(execution({ stopDate: now - REDRIVABLE_PERIOD_MS }), true, now).redriveStatus).toBe(
      'REDRIVABLE',
    );
    expect(redriveState(execution({ stopDate: now - REDRIVABLE_PERIOD_MS - 1 }), true, now)).toEqual({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded',
    });
  });

  it("gives AWS's reasons otherwise", () => {
    const reason = (record: ExecutionRecord, machineExists = true) =>
      redriveState(record, machineExists, now).redriveStatusReason;
    expect(reason(execution({ status: 'RUNNING' }))).toBe('Execution is RUNNING and cannot be redriven');
    expect(reason(execution({ status: 'SUCCEEDED' }))).toBe('Execution is SUCCEEDED and cannot be redriven');
    expect(reason(execution({}), false)).toBe('State machine is in DELETING status');
    const history = Array.from({ length: 25_000 }, (_, i) => ({
      timestamp: now,
      type: 'PassStateEntered',
      id: i + 1,
      previousEventId: i,
    }));
    expect(reason(execution({ history }))).toBe('Execution history event limit exceeded');
    expect(reason(execution({ startDate: now - 366 * day }))).toBe(
      'Execution has exceeded the max execution time',
    );
  });
});
