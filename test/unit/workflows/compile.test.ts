import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AslChoiceState,
  type AslRetrier,
  type AslStateMachine,
  type AslTaskState,
  compileWorkflow,
  FAIL_STATE_NAME,
  routeStateName,
  STAGE_FAILED_ERROR,
  TASK_RETRY,
  timeoutStateName,
  WorkflowCompileError,
} from '../../../workflows/compile.ts';
import { DEFAULT_WORKFLOW_IDS, defaultWorkflows } from '../../../workflows/defaults/index.ts';
import {
  InvalidWorkflowError,
  parseWorkflowDefinition,
  type WorkflowDefinition,
} from '../../../workflows/definition.ts';
import { validateAsl } from '../../support/asl-validator.ts';
import { workflowDefinitionArbitrary } from '../../support/workflow-arbitraries.ts';
import { LONG_STAGE, RECORD_STAGE_ARN, timeoutsFixture } from './fixtures.ts';

const options = { recordStageFunctionArn: RECORD_STAGE_ARN };
const goldenUrl = (id: string) => new URL(`./golden/${id}.asl.json`, import.meta.url);
const goldenCases: [string, WorkflowDefinition][] = [
  ...DEFAULT_WORKFLOW_IDS.map((id): [string, WorkflowDefinition] => [id, defaultWorkflows[id]]),
  ['fixture-timeouts', parseWorkflowDefinition(timeoutsFixture)],
];

describe('golden files', () => {
  it.each(goldenCases)('%s compiles to its golden file', (id, def) => {
    const asl = compileWorkflow(def, options);
    // Opt-in regeneration after a deliberate change; review the diff before committing.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenUrl(id), `${JSON.stringify(asl, null, 2)}\n`);
    const golden: unknown = JSON.parse(readFileSync(goldenUrl(id), 'utf8'));
    expect(JSON.parse(JSON.stringify(asl))).toStrictEqual(golden);
    // Stable key order too, not only deep equality.
    expect(JSON.stringify(asl, null, 2)).toBe(JSON.stringify(golden, null, 2));
  });
});

describe('asl-validator', () => {
  it.each(goldenCases)('%s is valid ASL', (_id, def) => {
    const result = validateAsl(compileWorkflow(def, options));
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('random valid definitions compile to valid ASL that keeps the execution contract', () => {
    fc.assert(
      fc.property(workflowDefinitionArbitrary, (def) => {
        const asl = compileWorkflow(def, options);
        const result = validateAsl(asl);
        expect(result.errorsText()).toBe('');
        expectContract(def, asl);
      }),
      { numRuns: 100 },
    );
    // asl-validator compiles its JSON schemas on every call (~0.15 s each).
  }, 120_000);
});

describe('compileWorkflow', () => {
  it('compiles every human stage to the contract Task and Choice', () => {
    const def = defaultWorkflows['release-default'];
    const asl = compileWorkflow(def, options);
    expect(asl.StartAt).toBe('Assessment');
    expect(asl.States.Testing).toStrictEqual({
      Type: 'Task',
      Comment: expect.any(String),
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: RECORD_STAGE_ARN,
        Payload: {
          'subject.$': '$.subject',
          stage: 'Testing',
          'entry.$': '$.signal.entry',
          'taskToken.$': '$$.Task.Token',
        },
      },
      ResultPath: '$.signal',
      Retry: TASK_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAIL_STATE_NAME }],
      Next: 'Route from Testing',
    });
    expect(asl.States['Route from Testing']).toStrictEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [
        { Variable: '$.signal.to', StringEquals: 'Deployment', Next: 'Deployment' },
        { Variable: '$.signal.to', StringEquals: 'Development', Next: 'Development' },
        { Variable: '$.signal.to', StringEquals: 'Cancelled', Next: 'Cancelled' },
      ],
      Default: 'Testing',
    });
    for (const exit of ['Closure', 'Cancelled', 'Backed Out']) {
      expect(asl.States[exit]).toMatchObject({ Type: 'Succeed' });
    }
  });

  it('routes a timeout to onTimeout through a Pass state that advances the entry', () => {
    const asl = compileWorkflow(parseWorkflowDefinition(timeoutsFixture), options);
    const waiting = asl.States.Waiting as AslTaskState;
    expect(waiting.TimeoutSeconds).toBe(3600);
    expect(waiting.Catch).toStrictEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Timeout from Waiting' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAIL_STATE_NAME },
    ]);
    expect(asl.States['Timeout from Waiting']).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'subject.$': '$.subject',
        signal: { to: 'Expired', 'entry.$': 'States.MathAdd($.signal.entry, 1)', actor: 'system:timeout' },
      },
      // An exit has no task of its own: the move is recorded on the way (record-stage, no token).
      Next: 'Record exit from Waiting',
    });
    expect(asl.States['Record exit from Waiting']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        Payload: { 'subject.$': '$.subject', stage: 'Expired', 'entry.$': '$.signal.entry', terminal: true },
      },
      ResultPath: null,
      Retry: TASK_RETRY,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAIL_STATE_NAME }],
      Next: 'Expired',
    });
  });

  it('shortens generated names that would exceed 80 characters, without collisions', () => {
    expect(LONG_STAGE).toHaveLength(80);
    const route = routeStateName(LONG_STAGE, 1);
    const timeout = timeoutStateName(LONG_STAGE, 1);
    expect(route).toHaveLength(80);
    expect(route).toMatch(/^Route from Long x+ @1$/);
    expect(timeout).toMatch(/^Timeout from Long x+ @1$/);
    expect(routeStateName('Testing', 2)).toBe('Route from Testing');
    const asl = compileWorkflow(parseWorkflowDefinition(timeoutsFixture), options);
    expect(Object.keys(asl.States)).toContain(route);
    expect(Object.keys(asl.States)).toContain(timeout);
  });

  it('is deterministic', () => {
    const def = defaultWorkflows['change-normal'];
    expect(JSON.stringify(compileWorkflow(def, options))).toBe(JSON.stringify(compileWorkflow(def, options)));
  });

  it('emits JSONPath only', () => {
    for (const [, def] of goldenCases) {
      const text = JSON.stringify(compileWorkflow(def, options));
      expect(text).not.toContain('QueryLanguage');
      expect(text).not.toContain('Assign');
      expect(text).not.toContain('{%');
    }
  });

  it('refuses an invalid definition and a blank function ARN', () => {
    const def = defaultWorkflows['change-standard'];
    const broken = { ...def, initialStage: 'Nowhere' };
    expect(() => compileWorkflow(broken, options)).toThrow(InvalidWorkflowError);
    expect(() => compileWorkflow(def, { recordStageFunctionArn: ' ' })).toThrow(WorkflowCompileError);
  });
});

/** How a Task's `Retry` answers one error. */
type RetryDecision = { retrier: number; maxAttempts: number } | 'catch';

/**
 * The first retrier whose `ErrorEquals` matches decides (States Language). `States.TaskFailed`
 * matches any error but `States.Timeout` in AWS, and any error at all in the local engine.
 */
function retryDecision(retry: readonly AslRetrier[], error: string, engine: 'aws' | 'local'): RetryDecision {
  const index = retry.findIndex((r) =>
    r.ErrorEquals.some(
      (name) =>
        name === error ||
        name === 'States.ALL' ||
        (name === 'States.TaskFailed' && (engine === 'local' || error !== 'States.Timeout')),
    ),
  );
  const retrier = retry[index];
  return retrier === undefined || retrier.MaxAttempts === 0
    ? 'catch'
    : { retrier: index, maxAttempts: retrier.MaxAttempts };
}

/** The longest and the average time a retrier waits over all its attempts (full jitter halves it). */
function retryBudget(r: AslRetrier): { max: number; mean: number } {
  let max = 0;
  for (let attempt = 0; attempt < r.MaxAttempts; attempt++) {
    const interval = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** attempt;
    max += Math.min(interval, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return { max, mean: r.JitterStrategy === 'FULL' ? max / 2 : max };
}

describe('task retries', () => {
  const stageTask = compileWorkflow(parseWorkflowDefinition(timeoutsFixture), options).States
    .Waiting as AslTaskState;
  const transient = TASK_RETRY.length - 1;

  it('every Task the compiler emits retries with the same policy, then catches', () => {
    for (const [, def] of goldenCases) {
      for (const state of Object.values(compileWorkflow(def, options).States)) {
        if (state.Type !== 'Task') continue;
        expect(state.Retry).toStrictEqual(TASK_RETRY);
        expect(state.Catch.at(-1)).toStrictEqual({
          ErrorEquals: ['States.ALL'],
          ResultPath: '$.error',
          Next: FAIL_STATE_NAME,
        });
      }
    }
  });

  it.each([
    // What record-stage throws reaches Step Functions as the error's name (errorType).
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'TransactionCanceledException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.Unknown',
    'Lambda.ClientExecutionTimeoutException',
  ])('retries %s with the long budget, in AWS and locally', (error) => {
    for (const engine of ['aws', 'local'] as const) {
      expect(retryDecision(stageTask.Retry, error, engine)).toStrictEqual({
        retrier: transient,
        maxAttempts: 15,
      });
    }
  });

  it.each(['Lambda.ResourceNotFoundException', 'Lambda.KMSAccessDeniedException', 'States.Permissions'])(
    'retries %s only briefly',
    (error) => {
      for (const engine of ['aws', 'local'] as const) {
        expect(retryDecision(stageTask.Retry, error, engine)).toStrictEqual({ retrier: 1, maxAttempts: 2 });
      }
      expect(retryBudget(TASK_RETRY[1] as AslRetrier).max).toBe(6);
    },
  );

  it.each([
    'States.Timeout',
    STAGE_FAILED_ERROR,
    'Lambda.InvalidParameterValueException',
    'Lambda.RequestTooLargeException',
  ])('never retries %s: the Catch (or the timeout route) takes it at once, also locally', (error) => {
    expect(retryDecision(stageTask.Retry, error, 'aws')).toBe('catch');
    // The local engine's `States.TaskFailed` also matches the local `States.Timeout`: the
    // narrower retrier before it must take the timeout first.
    expect(retryDecision(stageTask.Retry, error, 'local')).toBe('catch');
    const caught = stageTask.Catch.find(
      (c) => c.ErrorEquals.includes(error) || c.ErrorEquals.includes('States.ALL'),
    );
    expect(caught?.Next).toBe(error === 'States.Timeout' ? 'Timeout from Waiting' : FAIL_STATE_NAME);
  });

  it('rides out a throttle storm of a few minutes, and answers a single throttle within a second', () => {
    const retrier = TASK_RETRY[transient] as AslRetrier;
    expect(retrier).toMatchObject({ IntervalSeconds: 1, BackoffRate: 2, JitterStrategy: 'FULL' });
    const budget = retryBudget(retrier);
    expect(budget.max).toBe(603);
    expect(budget.mean).toBeGreaterThanOrEqual(300);
    // Bounded: a record-stage that keeps failing fails the execution within about ten minutes.
    expect(budget.max).toBeLessThanOrEqual(10 * 60 + 5);
  });
});

function expectContract(def: WorkflowDefinition, asl: AslStateMachine): void {
  expect(asl.StartAt).toBe(def.initialStage);
  const names = Object.keys(asl.States);
  for (const name of names) expect([...name].length).toBeLessThanOrEqual(80);
  const humans = def.stages.filter((s) => !s.terminal);
  const timeouts = humans.filter((s) => s.onTimeout !== undefined);
  const isExit = (name: string | undefined) => def.stages.some((s) => s.name === name && s.terminal);
  const timeoutsIntoExits = timeouts.filter((s) => isExit(s.onTimeout));
  // No generated name swallowed another state.
  expect(names).toHaveLength(
    def.stages.length + humans.length + timeouts.length + timeoutsIntoExits.length + 1,
  );
  def.stages.forEach((stage, index) => {
    const state = asl.States[stage.name];
    if (stage.terminal) {
      expect(state?.Type).toBe('Succeed');
      return;
    }
    const task = state as AslTaskState;
    expect(task.Type).toBe('Task');
    expect(task.Parameters.Payload.stage).toBe(stage.name);
    expect(task.TimeoutSeconds).toBe(stage.timeoutSeconds);
    expect(task.Next).toBe(routeStateName(stage.name, index));
    expect(task.Retry).toStrictEqual(TASK_RETRY);
    const choice = asl.States[task.Next] as AslChoiceState;
    expect(choice.Type).toBe('Choice');
    expect(choice.Default).toBe(stage.name);
    expect(choice.Choices.map((c) => c.Next)).toStrictEqual(stage.transitions.map((t) => t.to));
  });
}

describe('generated state names at the 80-character limit', () => {
  it('keeps a generated name of exactly 80 characters whole, and shortens one of 81', () => {
    const stage69 = `Stage ${'y'.repeat(63)}`;
    expect(`Route from ${stage69}`).toHaveLength(80);
    expect(routeStateName(stage69, 4)).toBe(`Route from ${stage69}`);
    const stage70 = `${stage69}z`;
    expect(routeStateName(stage70, 4)).toBe(`Route from ${stage70.slice(0, 66)} @4`);
    expect(routeStateName(stage70, 4)).toHaveLength(80);
  });

  it('drops the space a shortened name would end its stage part with', () => {
    const stage = `${'x'.repeat(65)} ${'y'.repeat(10)}`;
    expect(routeStateName(stage, 1)).toBe(`Route from ${'x'.repeat(65)} @1`);
    expect(timeoutStateName(stage, 12)).toBe(`Timeout from ${'x'.repeat(63)} @12`);
  });
});

describe('what the compiler refuses', () => {
  it('names each fault of an invalid definition by its path', () => {
    const def = defaultWorkflows['change-standard'];
    const stages = def.stages.map((s, i) => (i === 1 ? { ...s, transitions: [{ to: 'Nowhere' }] } : s));
    let error: unknown;
    try {
      compileWorkflow({ ...def, stages }, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidWorkflowError);
    expect((error as InvalidWorkflowError).issues).toEqual([
      { path: ['stages', 1, 'transitions', 0, 'to'], message: 'Transition target "Nowhere" is not a stage.' },
    ]);
  });

  it('says the record-stage function is missing', () => {
    const refused = () =>
      compileWorkflow(defaultWorkflows['change-standard'], { recordStageFunctionArn: '' });
    expect(refused).toThrow(new WorkflowCompileError('recordStageFunctionArn must not be blank.'));
    expect(refused).toThrow(expect.objectContaining({ name: 'WorkflowCompileError' }));
  });
});
