/**
 * The embedded local Step Functions service (DESIGN §3): `startLocalStepFunctions` and the
 * `currentState` helper for execution histories.
 */

export type { InvokeFunction } from './execution-runner.ts';
export { currentState, type StateTransitionEvent } from './history.ts';
export {
  DEFAULT_STEP_FUNCTIONS_PORT,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  startLocalStepFunctions,
} from './server.ts';
