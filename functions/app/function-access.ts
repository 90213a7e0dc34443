/**
 * What a Lambda function of Release Desk may touch. The CDK stack grants each function exactly
 * this (infra/constructs/handlers.ts) and gives it the matching environment; the local cloud runs
 * the same modules with every client. HTTP resources declare theirs with their routes
 * (functions/http/contract/), the other functions in infra/functions.ts.
 */

/** Step Functions actions a function may call on release/change executions and their machines. */
export type StepFunctionsAction =
  | 'StartExecution'
  | 'SendTaskSuccess'
  | 'SendTaskFailure'
  | 'DescribeExecution'
  | 'GetExecutionHistory'
  | 'ListExecutions';

export interface FunctionAccess {
  readonly table?: 'read' | 'write';
  /**
   * Step Functions actions it calls on release/change executions: StartExecution and the task
   * responses on the workflows' state machines and their versions (default and API-published),
   * DescribeExecution and GetExecutionHistory on their executions.
   */
  readonly stepFunctions?: readonly StepFunctionsAction[];
  /** Publishes to the stack's bus (`release-desk`, or `release-desk-<stage>`). */
  readonly putEvents?: boolean;
  /**
   * How it uses the workflow catalog (functions/adapters/workflow-catalog.ts):
   * - `resolve`: reads workflows, so it stores each default workflow as version 1 on first use by
   *   publishing a version of the stack's machine (DEFAULT_WORKFLOW_STATE_MACHINES;
   *   PublishStateMachineVersion and DescribeStateMachine on the default machines and their versions);
   * - `publish`: also publishes workflows as `<prefix><id>` state machines (the stage's
   *   WORKFLOW_STATE_MACHINE_PREFIX, `release-desk-` by default) with the record-stage function, the
   *   published workflows' role and log group (RECORD_STAGE_FUNCTION_ARN, WORKFLOW_ROLE_ARN,
   *   WORKFLOW_LOG_GROUP_ARN; Create/Update/Publish/Describe on `<prefix>*`, ListStateMachines for the
   *   retry path, iam:PassRole on that role to Step Functions only).
   */
  readonly workflowCatalog?: 'resolve' | 'publish';
}

/** A function: its handler module (exporting `handler`), what it is for and what it touches. */
export interface FunctionSpec extends FunctionAccess {
  /** Path of the handler module, relative to the project root. */
  readonly entry: string;
  readonly description: string;
}
