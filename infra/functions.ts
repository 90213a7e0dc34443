/**
 * The Lambda functions of Release Desk and what each may touch. The CDK stack creates one
 * NodejsFunction per entry with exactly these grants; the local cloud runs the same modules.
 * HTTP functions come from their resources' declarations (functions/http/contract/); the others
 * are listed here.
 */
import type { FunctionSpec } from '../functions/app/function-access.ts';
import { type HttpHandlerName, httpFunctions } from '../functions/http/contract/index.ts';
import type { EventTargetName } from './rules.ts';

export type { FunctionSpec } from '../functions/app/function-access.ts';

export type FunctionName = HttpHandlerName | EventTargetName | 'outbox-relay' | 'record-stage' | 'bootstrap';

export const functionSpecs: Readonly<Record<FunctionName, FunctionSpec>> = {
  ...httpFunctions,
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
  'create-deployment-tasks': {
    entry: 'functions/events/create-deployment-tasks.ts',
    description:
      "Release Stage Entered (deploy stage) or Change State Changed (a managing RFC's trigger state) → the release's deployment tasks made ready, once",
    table: 'write',
    workflowCatalog: 'resolve',
  },
  'apply-ci-updates': {
    entry: 'functions/events/apply-ci-updates.ts',
    description:
      "Deployment Task Completed → the task's planned CI updates applied to the CMDB, each once (failures recorded on the task, then the on-failure destination)",
    table: 'write',
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
  'record-release-metrics': {
    entry: 'functions/events/record-release-metrics.ts',
    description:
      "Release Stage Entered, Release Backed Out or Incident Attributed → the release's metrics fact derived from the table and applied to the counters per period and team, once",
    table: 'write',
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

/** Functions the stack deploys: every one above, each with its routes, rules and grants. */
export const deployedFunctions = Object.keys(functionSpecs) as readonly FunctionName[];
