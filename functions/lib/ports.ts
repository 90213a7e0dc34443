/**
 * The composition root: builds every port the handlers use from one configuration.
 */
import type { ExecutionInspector } from '#domain/release-reconcile';
import type { ReleasePorts } from '#domain/release-service';
import type { TeamPorts } from '#domain/team-service';
import type { UserPorts } from '#domain/user-service';
import type { WorkflowPorts } from '#domain/workflow-service';
import { DynamoReleaseStore } from '#store/release-repository';
import { DynamoTeamStore } from '#store/team-repository';
import { DynamoUserStore } from '#store/user-repository';
import { DynamoWorkflowStore } from '#store/workflow-repository';
import { type Clients, createClients } from './clients.ts';
import { type Config, readConfig } from './config.ts';
import { sfnExecutionInspector } from './execution-inspector.ts';
import { sfnExecutionStarter } from './execution-starter.ts';
import { sfnExecutionViewer } from './execution-view.ts';
import { ulidIds } from './ids.ts';
import { sfnStageSignals } from './stage-signal.ts';
import { StoredWorkflowCatalog } from './workflow-catalog.ts';
import { SfnWorkflowPublisher } from './workflow-publisher.ts';

export interface AppPorts extends ReleasePorts, TeamPorts, UserPorts, WorkflowPorts {
  readonly inspector: ExecutionInspector;
  readonly releases: DynamoReleaseStore;
  readonly users: DynamoUserStore;
  readonly teams: DynamoTeamStore;
  readonly config: Config;
  readonly clients: Clients;
}

export function createPorts(config: Config, clients: Clients = createClients(config)): AppPorts {
  const clock = { now: () => new Date() };
  const ids = ulidIds();
  const teams = new DynamoTeamStore(clients.db, config.tableName);
  const workflowPublisher = new SfnWorkflowPublisher(clients.sfn, {
    recordStageFunctionArn: config.recordStageFunctionArn,
    roleArn: config.workflowRoleArn,
    namePrefix: config.workflowStateMachinePrefix,
    logGroupArn: config.workflowLogGroupArn,
  });
  const workflows = new StoredWorkflowCatalog({
    store: new DynamoWorkflowStore(clients.db, config.tableName),
    adopter: workflowPublisher,
    clock,
    ids,
    teamDefaultWorkflow: async (teamId) => (await teams.get(teamId))?.defaultWorkflowId,
    defaultStateMachines: {
      ...(config.defaultReleaseStateMachineArn
        ? { 'release-default': config.defaultReleaseStateMachineArn }
        : {}),
      ...config.defaultWorkflowStateMachines,
    },
  });
  return {
    config,
    clients,
    releases: new DynamoReleaseStore(clients.db, config.tableName),
    users: new DynamoUserStore(clients.db, config.tableName),
    teams,
    workflows,
    workflowStore: workflows.store,
    workflowPublisher,
    executions: sfnExecutionStarter(clients.sfn),
    executionViewer: sfnExecutionViewer(clients.sfn),
    inspector: sfnExecutionInspector(clients.sfn),
    stageSignals: sfnStageSignals({ db: clients.db, sfn: clients.sfn, tableName: config.tableName }),
    clock,
    ids,
  };
}

let fromEnvironment: AppPorts | undefined;

/** Ports built from process.env on first use, then reused for the life of the Lambda container. */
export function environmentPorts(): AppPorts {
  fromEnvironment ??= createPorts(readConfig());
  return fromEnvironment;
}
