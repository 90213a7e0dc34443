/**
 * The composition root: builds every port the handlers use from one configuration.
 */

import type { BackoutPorts } from '#domain/backout/service';
import { cmdbForBackout, proceduresForBackout } from '#domain/backout/sources';
import type { ChangePorts } from '#domain/change/service';
import type { CiPorts } from '#domain/ci/service';
import type { KbPorts } from '#domain/kb/service';
import type { ReleasePorts } from '#domain/release/service';
import type { SlaPorts } from '#domain/sla/service';
import type { TeamPorts } from '#domain/team/service';
import { TEAM_STALENESS_MS } from '#domain/team/team';
import type { UserPorts } from '#domain/user/service';
import type { WorkflowPorts } from '#domain/workflow/service';
import type { ExecutionInspector, RunStore, WaitStore } from '#domain/workflow-run/ports';
import type { RunKind, RunSubject } from '#domain/workflow-run/run';
import { DynamoChangeStore } from '#store/change-repository';
import { DynamoCiStore } from '#store/ci-repository';
import { DynamoKbStore } from '#store/kb-repository';
import { DynamoMetricsStore } from '#store/metrics-repository';
import { DynamoReleaseStore } from '#store/release-repository';
import { DynamoSlaStore } from '#store/sla-repository';
import { DynamoTaskStore } from '#store/task-repository';
import { DynamoTeamStore } from '#store/team-repository';
import { DynamoUserStore } from '#store/user-repository';
import { DynamoWaitStore } from '#store/wait-store';
import { DynamoWorkflowStore } from '#store/workflow-repository';
import { sfnExecutionInspector } from '../adapters/sfn/execution-inspector.ts';
import { sfnExecutionStarter } from '../adapters/sfn/execution-starter.ts';
import { sfnExecutionViewer } from '../adapters/sfn/execution-view.ts';
import { sfnStageSignals } from '../adapters/sfn/stage-signal.ts';
import { SfnWorkflowPublisher } from '../adapters/sfn/workflow-publisher.ts';
import { StoredWorkflowCatalog } from '../adapters/workflow-catalog.ts';
import { type Clients, createClients } from './clients.ts';
import { type Config, readConfig } from './config.ts';
import { ulidIds } from './ids.ts';
import { meter } from './telemetry.ts';

// The task use cases' ports (TaskPorts) are a subset of these.
export interface AppPorts
  extends ReleasePorts,
    ChangePorts,
    CiPorts,
    TeamPorts,
    UserPorts,
    WorkflowPorts,
    KbPorts,
    SlaPorts {
  readonly inspector: ExecutionInspector;
  /** Every workflow-run subject's store, by kind (releases, RFCs). */
  readonly runs: Readonly<Record<RunKind, RunStore<RunSubject>>>;
  readonly waits: WaitStore;
  readonly releases: DynamoReleaseStore;
  readonly changes: DynamoChangeStore;
  readonly users: DynamoUserStore;
  readonly teams: DynamoTeamStore;
  readonly tasks: DynamoTaskStore;
  readonly kb: DynamoKbStore;
  readonly slas: DynamoSlaStore;
  /** Incidents, release facts and metrics counters (the metrics' ports are a subset of these). */
  readonly metrics: DynamoMetricsStore;
  /** The back-out's view of the CMDB and of the knowledge base's procedures. */
  readonly cmdb: BackoutPorts['cmdb'];
  readonly procedures: BackoutPorts['procedures'];
  readonly cis: DynamoCiStore;
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
    teamDefaultWorkflow: async (teamId) => (await teams.get(teamId, TEAM_STALENESS_MS))?.defaultWorkflowId,
    defaultStateMachines: {
      ...(config.defaultReleaseStateMachineArn
        ? { 'release-default': config.defaultReleaseStateMachineArn }
        : {}),
      ...config.defaultWorkflowStateMachines,
    },
  });
  const releases = new DynamoReleaseStore(clients.db, config.tableName);
  const changes = new DynamoChangeStore(clients.db, config.tableName);
  const waits = new DynamoWaitStore(clients.db, config.tableName);
  const kb = new DynamoKbStore(clients.db, config.tableName);
  const cis = new DynamoCiStore(clients.db, config.tableName);
  return {
    config,
    clients,
    releases,
    changes,
    runs: {
      release: releases as unknown as RunStore<RunSubject>,
      change: changes as unknown as RunStore<RunSubject>,
    },
    waits,
    users: new DynamoUserStore(clients.db, config.tableName),
    teams,
    tasks: new DynamoTaskStore(clients.db, config.tableName),
    kb,
    slas: new DynamoSlaStore(clients.db, config.tableName),
    metrics: new DynamoMetricsStore(clients.db, config.tableName),
    cis,
    cmdb: cmdbForBackout({ cis, clock, ids }),
    procedures: proceduresForBackout({ kb }),
    workflows,
    workflowStore: workflows.store,
    workflowPublisher,
    executions: sfnExecutionStarter(clients.sfn),
    executionViewer: sfnExecutionViewer(clients.sfn),
    inspector: sfnExecutionInspector(clients.sfn),
    stageSignals: sfnStageSignals({ waits, sfn: clients.sfn }),
    clock,
    ids,
    meter,
  };
}

let fromEnvironment: AppPorts | undefined;

/** Ports built from process.env on first use, then reused for the life of the Lambda container. */
export function environmentPorts(): AppPorts {
  fromEnvironment ??= createPorts(readConfig());
  return fromEnvironment;
}
