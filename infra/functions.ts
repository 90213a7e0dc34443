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
  /** Step Functions actions it calls on release/change executions. */
  readonly stepFunctions?: readonly (
    | 'StartExecution'
    | 'SendTaskSuccess'
    | 'SendTaskFailure'
    | 'DescribeExecution'
    | 'GetExecutionHistory'
  )[];
  /** Publishes to the `release-desk` bus. */
  readonly putEvents?: boolean;
}

export type FunctionName = HttpHandlerName | EventTargetName | 'outbox-relay' | 'record-stage';

export const functionSpecs: Readonly<Record<FunctionName, FunctionSpec>> = {
  health: { entry: 'functions/http/health.ts', description: 'GET /health' },
  openapi: { entry: 'functions/http/openapi.ts', description: 'GET /openapi.json' },
  fallback: { entry: 'functions/http/fallback.ts', description: 'Unmatched routes: 404 / 405 problem+json' },
  releases: {
    entry: 'functions/http/releases.ts',
    description: 'Releases resource',
    table: 'write',
    stepFunctions: ['StartExecution', 'SendTaskSuccess', 'DescribeExecution', 'GetExecutionHistory'],
  },
  workflows: { entry: 'functions/http/workflows.ts', description: 'Workflows resource', table: 'write' },
  teams: { entry: 'functions/http/teams.ts', description: 'Teams resource', table: 'write' },
  users: { entry: 'functions/http/users.ts', description: 'Users resource', table: 'write' },
  'outbox-relay': {
    entry: 'functions/events/outbox-relay.ts',
    description: 'Publishes committed events from the table stream to the bus',
    putEvents: true,
  },
  'start-execution': {
    entry: 'functions/events/start-execution.ts',
    description: 'Release Created → StartExecution (idempotent)',
    stepFunctions: ['StartExecution'],
  },
  'signal-execution': {
    entry: 'functions/events/signal-execution.ts',
    description: 'Release Stage Entered → SendTaskSuccess to the waiting stage (idempotent)',
    table: 'read',
    stepFunctions: ['SendTaskSuccess'],
  },
  'record-stage': {
    entry: 'functions/steps/record-stage.ts',
    description: 'Records the task token of the stage an execution waits in',
    table: 'write',
  },
};

/** Functions whose entry module exists today (workflows, teams, users arrive with their resources). */
export const deployedFunctions: readonly FunctionName[] = [
  'health',
  'openapi',
  'fallback',
  'releases',
  'outbox-relay',
  'start-execution',
  'signal-execution',
  'record-stage',
];
