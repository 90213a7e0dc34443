/**
 * The embedded local Step Functions service (DESIGN §3): `startLocalStepFunctions`. (The state an
 * execution is in is read from its history the way the API reads it in AWS:
 * `currentStateOf` in functions/adapters/sfn/execution-view.ts.)
 */

export type { InvokeFunction } from './execution-runner.ts';
export {
  DEFAULT_STEP_FUNCTIONS_PORT,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  startLocalStepFunctions,
} from './server.ts';
export type { ExecutionStatusEvent, PublishEvent } from './sfn-service.ts';
