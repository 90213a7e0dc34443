/**
 * Compiles a workflow definition to Amazon States Language (JSONPath only).
 *
 * Pure and deterministic: the same definition and options always give the same object, with the
 * same key order, so the output can be compared against golden files and diffed between versions.
 */
import {
  InvalidWorkflowError,
  MAX_STAGE_NAME_LENGTH,
  type RESERVED_STAGE_NAMES,
  type Stage,
  WorkflowDefinition,
} from './definition.ts';

/** What the compiler needs from the deployment: the ARN of the record-stage Lambda function. */
export interface CompileOptions {
  /** ARN (or CDK token) of the function every human stage invokes with its task token. */
  readonly recordStageFunctionArn: string;
}

/** The integration every human stage waits on. */
export const WAIT_FOR_TASK_TOKEN_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Plain (non-waiting) Lambda invocation. */
export const INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

/** The single Fail state every stage's Catch leads to. */
export const FAIL_STATE_NAME: (typeof RESERVED_STAGE_NAMES)[number] = 'Workflow Failed';

/** The `Error` of the execution's failure when a stage task fails or times out without `onTimeout`. */
export const STAGE_FAILED_ERROR = 'ReleaseDesk.StageFailed';

/**
 * Errors of the Lambda invocation itself that are transient (the function may never have run):
 * Lambda service faults, throttling of the invocation, a client-side timeout, and `Lambda.Unknown`
 * (the function crashed, ran out of memory or timed out).
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * Errors a task must not retry: its own `States.Timeout` (a stage timeout is a decision, routed by
 * `onTimeout` or failing the execution), a deliberate failure ({@link STAGE_FAILED_ERROR} sent with
 * `SendTaskFailure`) and requests Lambda refuses as malformed, which no retry can fix.
 */
export const PERMANENT_TASK_ERRORS = [
  'States.Timeout',
  STAGE_FAILED_ERROR,
  'Lambda.InvalidParameterValueException',
  'Lambda.InvalidRequestContentException',
  'Lambda.RequestTooLargeException',
] as const;

/**
 * Errors of configuration (a missing function, missing permissions): permanent as a rule, but they
 * can show briefly while a deployment propagates, so they get a few quick retries and no more.
 */
export const CONFIGURATION_TASK_ERRORS = [
  'Lambda.ResourceNotFoundException',
  'Lambda.KMSAccessDeniedException',
  'States.Permissions',
] as const;

/**
 * What a task retries with the long budget: the transient Lambda errors and `States.TaskFailed`,
 * which matches any other error the task fails with, among them whatever record-stage throws
 * (a DynamoDB throttle, a cancelled transaction) as the function's error name.
 */
export const TRANSIENT_TASK_ERRORS = [...LAMBDA_TRANSIENT_ERRORS, 'States.TaskFailed'] as const;

/**
 * The `Retry` of every Task the compiler emits. Retriers are tried in order and the first whose
 * `ErrorEquals` names the error decides, so the narrow ones come first: `States.TaskFailed` must
 * not get to a permanent error. In AWS it never matches `States.Timeout` anyway, but in the local
 * engine it does (infra/local/stepfunctions/README.md, Known gaps), so the timeout is named first.
 *
 * The transient retrier waits 1, 2, 4 … s, at most 60 s, each drawn at random below that bound
 * (full jitter, so that executions throttled together do not retry together): 15 retries span at
 * most 603 s, about 5 minutes on average, before the Catch fails the execution.
 */
export const TASK_RETRY: readonly AslRetrier[] = [
  { ErrorEquals: [...PERMANENT_TASK_ERRORS], MaxAttempts: 0 },
  {
    ErrorEquals: [...CONFIGURATION_TASK_ERRORS],
    IntervalSeconds: 2,
    MaxAttempts: 2,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  {
    ErrorEquals: [...TRANSIENT_TASK_ERRORS],
    IntervalSeconds: 1,
    MaxAttempts: 15,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
];

/** The `actor` recorded in the signal a timeout produces. */
export const TIMEOUT_ACTOR = 'system:timeout';

// A type alias, not an interface: JSON value types (e.g. the local engine's) need an implicit index signature.
/**
 * The Parameters of a stage's record-stage task: the paths Step Functions resolves into the
 * payload the function receives (`RecordStagePayload` in functions/steps/record-stage.ts).
 */
export type RecordStageParameters = {
  readonly 'subject.$': '$.subject';
  readonly stage: string;
  readonly 'entry.$': '$.signal.entry';
  readonly 'taskToken.$': '$$.Task.Token';
};

/** A Retry entry (absent fields take the States Language defaults, unused when `MaxAttempts` is 0). */
export interface AslRetrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts: number;
  readonly BackoffRate?: number;
  /** Caps the interval the backoff grows to. */
  readonly MaxDelaySeconds?: number;
  /** `FULL`: each wait is drawn at random between 0 and the computed interval. */
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** A Catch entry. */
export interface AslCatcher {
  readonly ErrorEquals: string[];
  readonly ResultPath: string;
  readonly Next: string;
}

/** The non-waiting task that records a timeout into an exit before the execution ends there. */
export interface AslRecordExitState {
  readonly Type: 'Task';
  readonly Comment: string;
  readonly Resource: typeof INVOKE_RESOURCE;
  readonly Parameters: {
    readonly FunctionName: string;
    readonly Payload: {
      'subject.$': '$.subject';
      stage: string;
      'entry.$': '$.signal.entry';
      terminal: true;
    };
  };
  readonly ResultPath: null;
  readonly Retry: AslRetrier[];
  readonly Catch: AslCatcher[];
  readonly Next: string;
}

/** A human stage: invokes record-stage with a task token and waits for the API to send it back. */
export interface AslTaskState {
  readonly Type: 'Task';
  readonly Comment: string;
  readonly Resource: typeof WAIT_FOR_TASK_TOKEN_RESOURCE;
  readonly Parameters: { readonly FunctionName: string; readonly Payload: RecordStageParameters };
  readonly TimeoutSeconds?: number;
  readonly ResultPath: '$.signal';
  readonly Retry: AslRetrier[];
  readonly Catch: AslCatcher[];
  readonly Next: string;
}

/** One branch of a routing Choice state. */
export interface AslChoiceRule {
  readonly Variable: '$.signal.to';
  readonly StringEquals: string;
  readonly Next: string;
}

/** Routes the signal a human stage received to the next stage. */
export interface AslChoiceState {
  readonly Type: 'Choice';
  readonly Comment: string;
  readonly Choices: AslChoiceRule[];
  readonly Default: string;
}

/** Rewrites the execution data after a stage timed out, then enters the `onTimeout` stage. */
export interface AslPassState {
  readonly Type: 'Pass';
  readonly Comment: string;
  readonly Parameters: {
    readonly 'subject.$': '$.subject';
    readonly signal: {
      readonly to: string;
      readonly 'entry.$': 'States.MathAdd($.signal.entry, 1)';
      readonly actor: string;
      readonly reason: string;
    };
  };
  readonly Next: string;
}

/** A terminal stage. */
export interface AslSucceedState {
  readonly Type: 'Succeed';
  readonly Comment: string;
}

/** Where a failed stage task ends the execution. */
export interface AslFailState {
  readonly Type: 'Fail';
  readonly Comment: string;
  readonly Error: string;
  readonly Cause: string;
}

/** Any state the compiler emits. */
export type AslState =
  | AslTaskState
  | AslRecordExitState
  | AslChoiceState
  | AslPassState
  | AslSucceedState
  | AslFailState;

/** A compiled state machine definition (serialise with `JSON.stringify`). */
export interface AslStateMachine {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** A workflow definition cannot be compiled with the given options. */
export class WorkflowCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowCompileError';
  }
}

const ROUTE_PREFIX = 'Route from ';
const TIMEOUT_PREFIX = 'Timeout from ';
const RECORD_EXIT_PREFIX = 'Record exit from ';

/**
 * The name of the Choice state that routes out of a stage: `Route from <stage>`, or, when that
 * would exceed 80 characters, a shortened name ending in ` @<stage index>` (stage names never
 * contain `@`, so the two forms cannot collide).
 */
export function routeStateName(stage: string, stageIndex: number): string {
  return derivedName(ROUTE_PREFIX, stage, stageIndex);
}

/** The name of the Task that records a timeout into an exit: `Record exit from <stage>`. */
export function recordExitStateName(stage: string, stageIndex: number): string {
  return derivedName(RECORD_EXIT_PREFIX, stage, stageIndex);
}

/** The name of the Pass state a timed-out stage goes through: `Timeout from <stage>` (shortened like {@link routeStateName}). */
export function timeoutStateName(stage: string, stageIndex: number): string {
  return derivedName(TIMEOUT_PREFIX, stage, stageIndex);
}

/**
 * Compiles a workflow definition to an Amazon States Language state machine.
 *
 * The definition is validated first.
 *
 * @throws {@link InvalidWorkflowError} when the definition is not valid.
 * @throws {@link WorkflowCompileError} when `recordStageFunctionArn` is blank.
 */
export function compileWorkflow(def: WorkflowDefinition, options: CompileOptions): AslStateMachine {
  const parsed = WorkflowDefinition.safeParse(def);
  if (!parsed.success) {
    throw new InvalidWorkflowError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s)),
        message: issue.message,
      })),
    );
  }
  if (options.recordStageFunctionArn.trim() === '') {
    throw new WorkflowCompileError('recordStageFunctionArn must not be blank.');
  }
  const workflow = parsed.data;

  const states: Record<string, AslState> = {};
  workflow.stages.forEach((stage, index) => {
    if (stage.terminal) {
      states[stage.name] = { Type: 'Succeed', Comment: `Terminal stage "${stage.name}".` };
      return;
    }
    const route = routeStateName(stage.name, index);
    const timeout = stage.onTimeout === undefined ? undefined : timeoutStateName(stage.name, index);
    states[stage.name] = taskState(stage, route, timeout, options.recordStageFunctionArn);
    states[route] = choiceState(stage);
    if (timeout !== undefined && stage.onTimeout !== undefined && stage.timeoutSeconds !== undefined) {
      const target = workflow.stages.find((s) => s.name === stage.onTimeout);
      // An exit has no task that would tell record-stage; record the move before ending there.
      const recordExit = target?.terminal ? recordExitStateName(stage.name, index) : undefined;
      states[timeout] = timeoutState(stage.name, stage.onTimeout, stage.timeoutSeconds, recordExit);
      if (recordExit) states[recordExit] = recordExitState(stage.onTimeout, options.recordStageFunctionArn);
    }
  });
  states[FAIL_STATE_NAME] = {
    Type: 'Fail',
    Comment:
      'A stage task failed for good (record-stage kept failing past its retries, or the task token was failed) or timed out without onTimeout.',
    Error: STAGE_FAILED_ERROR,
    Cause:
      'A stage task failed or timed out; the failed task event in the execution history has the details.',
  };

  const description = workflow.description ? `: ${workflow.description}` : '';
  return {
    Comment: `Release Desk ${workflow.kind} workflow "${workflow.name}"${description}`,
    StartAt: workflow.initialStage,
    States: states,
  };
}

function taskState(
  stage: Stage,
  route: string,
  timeout: string | undefined,
  functionArn: string,
): AslTaskState {
  const wait = stage.timeoutSeconds === undefined ? '' : ` (at most ${stage.timeoutSeconds} s)`;
  const catchers: AslCatcher[] = [];
  if (timeout !== undefined)
    catchers.push({ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: timeout });
  catchers.push({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAIL_STATE_NAME });
  return {
    Type: 'Task',
    Comment: `Stage "${stage.name}": records the stage, then waits${wait} for the API to send the task token back with the next stage.`,
    Resource: WAIT_FOR_TASK_TOKEN_RESOURCE,
    Parameters: {
      FunctionName: functionArn,
      Payload: {
        'subject.$': '$.subject',
        stage: stage.name,
        'entry.$': '$.signal.entry',
        'taskToken.$': '$$.Task.Token',
      },
    },
    ...(stage.timeoutSeconds === undefined ? {} : { TimeoutSeconds: stage.timeoutSeconds }),
    ResultPath: '$.signal',
    Retry: taskRetry(),
    Catch: catchers,
    Next: route,
  };
}

function choiceState(stage: Stage): AslChoiceState {
  return {
    Type: 'Choice',
    Comment: `Routes the signal "${stage.name}" received; an unexpected target re-enters "${stage.name}".`,
    Choices: stage.transitions.map((t) => ({ Variable: '$.signal.to', StringEquals: t.to, Next: t.to })),
    Default: stage.name,
  };
}

function recordExitState(target: string, functionArn: string): AslRecordExitState {
  return {
    Type: 'Task',
    Comment: `Records that the execution timed out into the exit "${target}", then ends there.`,
    Resource: INVOKE_RESOURCE,
    Parameters: {
      FunctionName: functionArn,
      Payload: { 'subject.$': '$.subject', stage: target, 'entry.$': '$.signal.entry', terminal: true },
    },
    ResultPath: null,
    Retry: taskRetry(),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: FAIL_STATE_NAME }],
    Next: target,
  };
}

function timeoutState(stage: string, target: string, seconds: number, via?: string): AslPassState {
  return {
    Type: 'Pass',
    Comment: `Stage "${stage}" timed out: moves on to "${target}".`,
    // Rebuilds the execution data as the API would have signalled it, dropping `$.error`.
    Parameters: {
      'subject.$': '$.subject',
      signal: {
        to: target,
        'entry.$': 'States.MathAdd($.signal.entry, 1)',
        actor: TIMEOUT_ACTOR,
        reason: `Stage "${stage}" timed out after ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
      },
    },
    Next: via ?? target,
  };
}

/** A fresh copy per state, so that no caller can change the policy through one compiled state. */
function taskRetry(): AslRetrier[] {
  return TASK_RETRY.map((retrier) => ({ ...retrier, ErrorEquals: [...retrier.ErrorEquals] }));
}

function derivedName(prefix: string, stage: string, stageIndex: number): string {
  const full = `${prefix}${stage}`;
  if ([...full].length <= MAX_STAGE_NAME_LENGTH) return full;
  const suffix = ` @${stageIndex}`;
  const room = MAX_STAGE_NAME_LENGTH - prefix.length - suffix.length;
  return `${prefix}${[...stage].slice(0, room).join('').trimEnd()}${suffix}`;
}
