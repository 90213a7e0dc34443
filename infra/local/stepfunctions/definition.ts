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
      tasks.set(name, {
        name,
        resource: state.Resource,
        kind: taskKind(state.Resource),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      });
    }
  });
  return tasks;
}

/** The longest delay `setTimeout` accepts, in whole seconds (about 24.8 days). */
const maxTimerSeconds = Math.floor(2 ** 31 / 1000) - 1;

/**
 * The copy of the definition the engine runs. The engine times every Task out after 60 s unless
 * `TimeoutSeconds` says otherwise, while AWS waits (for a token) practically forever; the local
 * overrides enforce the real `TimeoutSeconds` themselves, so the engine gets the longest timer it can hold.
 */
export function engineDefinition(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = structuredClone(definition) as unknown as JsonObject;
  forEachStates(copy, (states) => {
    for (const state of Object.values(states)) {
      if (!isObject(state) || state.Type !== 'Task') continue;
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = maxTimerSeconds;
    }
  });
  return copy as unknown as StateMachineDefinition;
}
