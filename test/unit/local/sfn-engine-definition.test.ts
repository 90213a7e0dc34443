/**
 * What the local Step Functions engine runs instead of the definition (infra/local/stepfunctions/
 * definition.ts) and SFN_TIME_SCALE parsing: Wait states as Task overrides, `*SecondsPath` values
 * carried in `Parameters`, `States.HeartbeatTimeout` beside `States.Timeout`, the scaled execution
 * timeout.
 */
import { describe, expect, it } from 'vitest';
import {
  engineDefinition,
  LOCAL_KEYS,
  readDefinition,
  taskStates,
  unwrapParameters,
  waitStates,
} from '../../../infra/local/stepfunctions/definition.ts';
import { parseTimeScale, scaledMs } from '../../../infra/local/stepfunctions/time-scale.ts';

const definition = readDefinition(
  JSON.stringify({
    TimeoutSeconds: 3600,
    StartAt: 'Pause',
    States: {
      Pause: { Type: 'Wait', SecondsPath: '$.pause', InputPath: '$.in', OutputPath: '$.out', Next: 'Ask' },
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
        TimeoutSecondsPath: '$.limits.timeout',
        HeartbeatSeconds: 60,
        Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  }),
);

type States = Record<string, Record<string, unknown>>;

describe('engineDefinition', () => {
  const engine = engineDefinition(definition, 0.01) as unknown as { TimeoutSeconds: number; States: States };

  it('scales the execution timeout', () => {
    expect(engine.TimeoutSeconds).toBe(36);
  });

  it('runs a Wait as a Task of the same name that gets the input and the path values', () => {
    expect(engine.States.Pause).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::local:wait',
      TimeoutSeconds: expect.any(Number),
      Parameters: { [`${LOCAL_KEYS.input}.$`]: '$', [`${LOCAL_KEYS.waitSeconds}.$`]: '$.pause' },
      InputPath: '$.in',
      OutputPath: '$.out',
      Next: 'Ask',
    });
    expect(waitStates(definition).get('Pause')).toEqual({ name: 'Pause' });
  });

  it('carries TimeoutSecondsPath in Parameters and adds States.HeartbeatTimeout to States.Timeout handlers', () => {
    const ask = engine.States.Ask as Record<string, unknown>;
    expect(ask.Parameters).toEqual({
      [LOCAL_KEYS.parameters]: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
      [`${LOCAL_KEYS.timeoutSeconds}.$`]: '$.limits.timeout',
    });
    expect(ask.TimeoutSecondsPath).toBeUndefined();
    expect(ask.Retry).toEqual([
      { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], MaxAttempts: 1 },
    ]);
    expect(ask.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Done' }]);
    expect(taskStates(definition).get('Ask')).toMatchObject({ heartbeatSeconds: 60, dynamicTimeouts: true });
    // The definition itself is left alone.
    expect((definition as unknown as { States: States }).States.Ask?.TimeoutSecondsPath).toBe(
      '$.limits.timeout',
    );
  });

  it('unwraps what the engine evaluated', () => {
    expect(
      unwrapParameters({ [LOCAL_KEYS.parameters]: { FunctionName: 'f' }, [LOCAL_KEYS.timeoutSeconds]: 5 }),
    ).toEqual({ parameters: { FunctionName: 'f' }, timeoutSeconds: 5 });
    expect(unwrapParameters({ [LOCAL_KEYS.input]: { a: 1 }, [LOCAL_KEYS.waitSeconds]: 3 })).toMatchObject({
      parameters: { a: 1 },
      waitSeconds: 3,
    });
  });
});

describe('SFN_TIME_SCALE', () => {
  it('defaults to real time and takes positive numbers', () => {
    expect(parseTimeScale(undefined)).toBe(1);
    expect(parseTimeScale(' ')).toBe(1);
    expect(parseTimeScale('0.01')).toBe(0.01);
    expect(scaledMs(3600, 0.01)).toBe(36_000);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['0', '-1', 'fast', 'Infinity']) {
      expect(() => parseTimeScale(bad)).toThrow(/SFN_TIME_SCALE must be a positive number/);
    }
  });
});
