/**
 * State machine definitions: parsing and validation (what `CreateStateMachine` rejects as
 * `InvalidDefinition`), the Task states the local Task overrides stand in for, and the copy of the
 * definition the engine runs.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { SfnServiceError } from './service-error.ts';

/** How a Task state's `Resource` is run locally. */
export type TaskKind = 'invoke' | 'waitForTaskToken' | 'function' | 'unsupported';

/** A Task state of a definition (top level or inside Parallel branches and Map processors). */
export interface TaskStateInfo {
  readonly name: string;
  readonly resource: string;
  readonly kind: TaskKind;
  /** `TimeoutSeconds` of the state; the local overrides enforce it (`States.Timeout`). */
  readonly timeoutSeconds?: number;
  /** `HeartbeatSeconds` of the state; enforced for `.waitForTaskToken` tasks (`States.HeartbeatTimeout`). */
  readonly heartbeatSeconds?: number;
  /** True when `TimeoutSecondsPath`/`HeartbeatSecondsPath` are set: their values arrive with the parameters. */
  readonly dynamicTimeouts?: boolean;
}

/** A Wait state: how long it waits is worked out by the local override (see {@link engineDefinition}). */
export interface WaitStateInfo {
  readonly name: string;
  readonly seconds?: number;
  readonly timestamp?: string;
}

/**
 * Keys {@link engineDefinition} adds to a state's `Parameters` so that the engine evaluates paths the
 * local overrides need (they see only the processed `Parameters`); {@link unwrapParameters} takes them off.
 */
export const LOCAL_KEYS = {
  parameters: '__local_parameters',
  input: '__local_input',
  timeoutSeconds: '__local_timeout_seconds',
  heartbeatSeconds: '__local_heartbeat_seconds',
  waitSeconds: '__local_wait_seconds',
  waitTimestamp: '__local_wait_timestamp',
} as const;

/** What a wrapped `Parameters` value carried: the task's own parameters and the dynamic values. */
export interface UnwrappedParameters {
  readonly parameters: unknown;
  readonly timeoutSeconds?: unknown;
  readonly heartbeatSeconds?: unknown;
  readonly waitSeconds?: unknown;
  readonly waitTimestamp?: unknown;
}

/** Splits what the engine passed to an override of a state {@link engineDefinition} wrapped. */
export function unwrapParameters(value: unknown): UnwrappedParameters {
  const wrapped = (isObject(value) ? value : {}) as Record<string, unknown>;
  const parameters = Object.hasOwn(wrapped, LOCAL_KEYS.parameters)
    ? wrapped[LOCAL_KEYS.parameters]
    : wrapped[LOCAL_KEYS.input];
  return {
    parameters,
    timeoutSeconds: wrapped[LOCAL_KEYS.timeoutSeconds],
    heartbeatSeconds: wrapped[LOCAL_KEYS.heartbeatSeconds],
    waitSeconds: wrapped[LOCAL_KEYS.waitSeconds],
    waitTimestamp: wrapped[LOCAL_KEYS.waitTimestamp],
  };
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Classifies a Task `Resource`. */
export function taskKind(resource: string): TaskKind {
  if (resource === 'arn:aws:states:::lambda:invoke') return 'invoke';
  if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') return 'waitForTaskToken';
  if (/^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) return 'function';
  return 'unsupported';
}

/** Calls `visit` for every state map of the definition: the top level, Parallel branches, Map processors. */
function forEachStates(definition: JsonObject, visit: (states: JsonObject) => void): void {
  const states = definition.States;
  if (!isObject(states)) return;
  visit(states);
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) forEachStates(branch, visit);
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) forEachStates(processor, visit);
  }
}

/** The features the engine silently ignores; a definition using them would run wrong, so it is refused. */
function unsupportedFeature(definition: JsonObject): string | undefined {
  if (definition.QueryLanguage === 'JSONata') return 'QueryLanguage JSONata';
  let found: string | undefined;
  forEachStates(definition, (states) => {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state) || found) continue;
      if (state.QueryLanguage === 'JSONata') found = `QueryLanguage JSONata (state '${name}')`;
      else if ('Assign' in state) found = `Assign (state '${name}')`;
    }
  });
  return found;
}

/**
 * Parses and validates definition text (Amazon States Language, JSONPath only).
 * @throws SfnServiceError `InvalidDefinition`
 */
export function parseDefinition(text: string): StateMachineDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SfnServiceError(
      'InvalidDefinition',
      `Invalid State Machine Definition: ${(error as Error).message}`,
    );
  }
  if (!isObject(parsed)) throw new SfnServiceError('InvalidDefinition', 'Invalid State Machine Definition');
  const unsupported = unsupportedFeature(parsed);
  if (unsupported) {
    throw new SfnServiceError(
      'InvalidDefinition',
      `Invalid State Machine Definition: ${unsupported} is not supported by the local Step Functions engine; use JSONPath`,
    );
  }
  try {
    new StateMachine(parsed as unknown as StateMachineDefinition, { validationOptions: { checkArn: true } });
  } catch (error) {
    throw new SfnServiceError('InvalidDefinition', (error as Error).message);
  }
  return parsed as unknown as StateMachineDefinition;
}

/** Parses definition text validated earlier (by {@link parseDefinition} when the state machine was saved). */
export function readDefinition(text: string): StateMachineDefinition {
  return JSON.parse(text) as StateMachineDefinition;
}

/** Every Task state of the definition by name (ASL state names are unique across the whole machine). */
export function taskStates(definition: StateMachineDefinition): Map<string, TaskStateInfo> {
  const tasks = new Map<string, TaskStateInfo>();
  forEachStates(definition as unknown as JsonObject, (states) => {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state) || state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
      const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
      const heartbeatSeconds =
        typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
      tasks.set(name, {
        name,
        resource: state.Resource,
        kind: taskKind(state.Resource),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
        ...(hasDynamicTimeouts(state) ? { dynamicTimeouts: true } : {}),
      });
    }
  });
  return tasks;
}

const hasDynamicTimeouts = (state: JsonObject) =>
  typeof state.TimeoutSecondsPath === 'string' || typeof state.HeartbeatSecondsPath === 'string';

/** Every Wait state of the definition by name. */
export function waitStates(definition: StateMachineDefinition): Map<string, WaitStateInfo> {
  const waits = new Map<string, WaitStateInfo>();
  forEachStates(definition as unknown as JsonObject, (states) => {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state) || state.Type !== 'Wait') continue;
      waits.set(name, {
        name,
        ...(typeof state.Seconds === 'number' ? { seconds: state.Seconds } : {}),
        ...(typeof state.Timestamp === 'string' ? { timestamp: state.Timestamp } : {}),
      });
    }
  });
  return waits;
}

/** The longest delay `setTimeout` accepts, in whole seconds (about 24.8 days). */
const maxTimerSeconds = Math.floor(2 ** 31 / 1000) - 1;

/** A resource no AWS service has: the engine runs a Wait state turned Task through its local override. */
const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';

/**
 * AWS's `States.Timeout` also stands for a missed heartbeat, while the engine matches `ErrorEquals`
 * by name only: a retrier or catcher naming `States.Timeout` also gets `States.HeartbeatTimeout`.
 */
function addHeartbeatTimeout(handlers: unknown): void {
  if (!Array.isArray(handlers)) return;
  for (const handler of handlers) {
    const errors = isObject(handler) ? handler.ErrorEquals : undefined;
    if (
      Array.isArray(errors) &&
      errors.includes('States.Timeout') &&
      !errors.includes('States.HeartbeatTimeout')
    )
      errors.push('States.HeartbeatTimeout');
  }
}

/**
 * The copy of the definition the engine runs:
 * - The engine times every Task out after 60 s unless `TimeoutSeconds` says otherwise, while AWS waits
 *   (for a token) practically forever; the local overrides enforce the real `TimeoutSeconds` themselves
 *   (scaled by `SFN_TIME_SCALE`), so the engine gets the longest timer it can hold.
 * - `TimeoutSecondsPath`/`HeartbeatSecondsPath` become `Parameters` entries (see {@link LOCAL_KEYS}), so
 *   the engine evaluates the paths against the state's input and the override receives the values.
 * - A Wait state becomes a Task of the same name run by a local override, which waits the scaled time
 *   (the engine's own Wait cannot be scaled); the override is given the input and the path values.
 * - The execution's own `TimeoutSeconds` is scaled.
 */
export function engineDefinition(definition: StateMachineDefinition, timeScale = 1): StateMachineDefinition {
  const copy = structuredClone(definition) as unknown as JsonObject;
  if (typeof copy.TimeoutSeconds === 'number') {
    copy.TimeoutSeconds = Math.min(maxTimerSeconds, copy.TimeoutSeconds * timeScale);
  }
  forEachStates(copy, (states) => {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state)) continue;
      if (state.Type === 'Wait') {
        const parameters: JsonObject = { [`${LOCAL_KEYS.input}.$`]: '$' };
        if (typeof state.SecondsPath === 'string')
          parameters[`${LOCAL_KEYS.waitSeconds}.$`] = state.SecondsPath;
        if (typeof state.TimestampPath === 'string')
          parameters[`${LOCAL_KEYS.waitTimestamp}.$`] = state.TimestampPath;
        const { Comment, InputPath, OutputPath, Next, End } = state;
        states[name] = {
          Type: 'Task',
          Resource: LOCAL_WAIT_RESOURCE,
          TimeoutSeconds: maxTimerSeconds,
          Parameters: parameters,
          ...(Comment === undefined ? {} : { Comment }),
          ...(InputPath === undefined ? {} : { InputPath }),
          ...(OutputPath === undefined ? {} : { OutputPath }),
          ...(Next === undefined ? {} : { Next }),
          ...(End === undefined ? {} : { End }),
        };
        continue;
      }
      if (state.Type !== 'Task') continue;
      if (hasDynamicTimeouts(state)) {
        const parameters: JsonObject =
          'Parameters' in state
            ? { [LOCAL_KEYS.parameters]: state.Parameters }
            : { [`${LOCAL_KEYS.input}.$`]: '$' };
        if (typeof state.TimeoutSecondsPath === 'string')
          parameters[`${LOCAL_KEYS.timeoutSeconds}.$`] = state.TimeoutSecondsPath;
        if (typeof state.HeartbeatSecondsPath === 'string')
          parameters[`${LOCAL_KEYS.heartbeatSeconds}.$`] = state.HeartbeatSecondsPath;
        state.Parameters = parameters;
      }
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSecondsPath;
      state.TimeoutSeconds = maxTimerSeconds;
      addHeartbeatTimeout(state.Retry);
      addHeartbeatTimeout(state.Catch);
    }
  });
  return copy as unknown as StateMachineDefinition;
}
