/**
 * The Release Desk stack: table, event bus, handler functions, outbox relay, workflow state
 * machines and the HTTP API, wired from the same modules the local cloud uses.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { routeTable } from '../functions/http/route-table.ts';
import { Api } from './constructs/api.ts';
import { DataTable } from './constructs/data-table.ts';
import { ReleaseDeskBus } from './constructs/event-bus.ts';
import { EventSchemas } from './constructs/event-schemas.ts';
import { Handlers } from './constructs/handlers.ts';
import { OutboxRelay } from './constructs/outbox-relay.ts';
import { Workflows } from './constructs/workflows.ts';
import { deployedFunctions, type FunctionName, type FunctionSpec, functionSpecs } from './functions.ts';
import { rules, schedules } from './rules.ts';

export interface ReleaseDeskStackProps extends StackProps {
  /** @default deployedFunctions */
  readonly functions?: readonly FunctionName[];
  /** @default functionSpecs */
  readonly functionSpecs?: Readonly<Record<FunctionName, FunctionSpec>>;
}

/** Everything Release Desk runs on in one AWS account and region. */
export class ReleaseDeskStack extends Stack {
  readonly data: DataTable;
  readonly events: ReleaseDeskBus;
  readonly handlers: Handlers;
  readonly workflows: Workflows;
  readonly api: Api;

  constructor(scope: Construct, id: string, props: ReleaseDeskStackProps = {}) {
    super(scope, id, {
      description: 'Release Desk: ITIL v3 release and deployment management',
      ...props,
    });
    this.data = new DataTable(this, 'Data');
    this.events = new ReleaseDeskBus(this, 'Events');
    new EventSchemas(this, 'EventSchemas');
    this.handlers = new Handlers(this, 'Functions', {
      names: props.functions ?? deployedFunctions,
      specs: props.functionSpecs ?? functionSpecs,
      table: this.data.table,
      bus: this.events.bus,
    });

    const relay = this.handlers.find('outbox-relay');
    if (relay) {
      new OutboxRelay(this, 'OutboxRelay', { table: this.data.table, relay });
      if (relay.role) this.events.restrictSourceTo(relay.role);
    }
    this.events.addRules(rules, (name) => this.handlers.find(name));
    this.events.addSchedules(schedules, (name) => this.handlers.find(name));

    this.workflows = new Workflows(this, 'Workflows', { recordStage: this.handlers.get('record-stage') });
    this.handlers.grantWorkflows({
      defaults: this.workflows.stateMachines,
      publishedRole: this.workflows.publishedRole,
      recordStage: this.handlers.get('record-stage'),
    });
    for (const name of ['releases', 'reconcile-executions'] as const) {
      this.handlers
        .find(name)
        ?.addEnvironment('DEFAULT_RELEASE_STATE_MACHINE_ARN', this.workflows.defaultRelease.stateMachineArn);
    }

    this.api = new Api(this, 'Api', { routes: routeTable, handler: (name) => this.handlers.find(name) });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.client.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'DefaultReleaseStateMachineArn', {
      value: this.workflows.defaultRelease.stateMachineArn,
    });
  }
}
