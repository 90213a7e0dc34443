import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AslChoiceState,
  type AslStateMachine,
  type AslTaskState,
  compileWorkflow,
  FAIL_STATE_NAME,
  LAMBDA_TRANSIENT_ERRORS,
  routeStateName,
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
      Retry: [
        { ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
      ],
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
    const choice = asl.States[task.Next] as AslChoiceState;
    expect(choice.Type).toBe('Choice');
    expect(choice.Default).toBe(stage.name);
    expect(choice.Choices.map((c) => c.Next)).toStrictEqual(stage.transitions.map((t) => t.to));
  });
}
