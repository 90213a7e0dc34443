/**
 * The Lambda functions of Release Desk and what each may touch. The CDK stack creates one
 * NodejsFunction per entry with exactly these grants; the local cloud wires the same modules.
 */
import type { HttpHandlerName } from '../functions/http/route-table.ts';
import type { EventTargetName } from './rules.ts';

export interface FunctionSpec {
  /** Path of the handler module (exports `handler`), relative to the project root. */
  readonly entry: string;
  readonly description: string;
  readonly table?: 'read' | 'write';
  /**
   * Step Functions actions it calls on release/change executions: StartExecution and the task
   * responses on the workflows' state machines and their versions (default and API-published),
   * DescribeExecution and GetExecutionHistory on their executions.
   */
  readonly stepFunctions?: readonly (
    | 'StartExecution'
    | 'SendTaskSuccess'
    | 'SendTaskFailure'
    | 'DescribeExecution'
    | 'GetExecutionHistory'
    | 'ListExecutions'
  )[];
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

export type FunctionName = HttpHandlerName | EventTargetName | 'outbox-relay' | 'record-stage' | 'bootstrap';

export const functionSpecs: Readonly<Record<FunctionName, FunctionSpec>> = {
  health: { entry: 'functions/http/health.ts', description: 'GET /health' },
  openapi: { entry: 'functions/http/openapi.ts', description: 'GET /openapi.json' },
  fallback: { entry: 'functions/http/fallback.ts', description: 'Unmatched routes: 404 / 405 problem+json' },
  releases: {
    entry: 'functions/http/releases.ts',
    description: 'Releases resource',
    table: 'write',
    stepFunctions: ['StartExecution', 'SendTaskSuccess', 'DescribeExecution', 'GetExecutionHistory'],
    workflowCatalog: 'resolve',
  },
  workflows: {
    entry: 'functions/http/workflows.ts',
    description: 'Workflows resource',
    table: 'write',
    workflowCatalog: 'publish',
  },
  teams: { entry: 'functions/http/teams.ts', description: 'Teams resource', table: 'write' },
  users: { entry: 'functions/http/users.ts', description: 'Users resource', table: 'write' },
  'outbox-relay': {
    entry: 'functions/events/outbox-relay.ts',
    description: 'Publishes committed events from the table stream to the bus',
    putEvents: true,
  },
  'start-execution': {
    entry: 'functions/events/start-execution.ts',
    description: 'Release Created → StartExecution of the stored release (idempotent)',
    table: 'read',
    stepFunctions: ['StartExecution'],
  },
  'signal-execution': {
    entry: 'functions/events/signal-execution.ts',
    description: 'Release Stage Entered → SendTaskSuccess to the waiting stage (idempotent)',
    table: 'read',
    stepFunctions: ['SendTaskSuccess'],
  },
  'reconcile-executions': {
    entry: 'functions/events/reconcile-executions.ts',
    description: 'Every 5 minutes: repairs or reports releases apart from their executions',
    table: 'write',
    stepFunctions: [
      'StartExecution',
      'SendTaskSuccess',
      'DescribeExecution',
      'GetExecutionHistory',
      'ListExecutions',
    ],
    workflowCatalog: 'resolve',
  },
  'record-stage': {
    entry: 'functions/steps/record-stage.ts',
    description: 'Records the task token of the stage an execution waits in',
    table: 'write',
  },
  bootstrap: {
    entry: 'functions/ops/bootstrap.ts',
    description:
      'CloudFormation custom resource: creates the bootstrap teams and the first administrator (idempotent)',
    table: 'write',
  },
};

/** Functions the stack deploys (every entry above, each with its routes, rules and grants). */
export const deployedFunctions: readonly FunctionName[] = [
  'health',
  'openapi',
  'fallback',
  'releases',
  'workflows',
  'teams',
  'users',
  'outbox-relay',
  'start-execution',
  'signal-execution',
  'reconcile-executions',
  'record-stage',
  'bootstrap',
];
