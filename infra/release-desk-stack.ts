/**
 * The Release Desk stack: table, event bus, handler functions, outbox relay, workflow state
 * machines and the HTTP API, wired from the same modules the local cloud uses; the bootstrap of the
 * first administrator and teams; the alarms; with `-c console=true`, the operator console
 * (`infra/constructs/console-site.ts`). Every name that must be unique in an account comes
 * from the stage (`infra/stage.ts`), so stages deploy side by side.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Aws, CfnOutput, CustomResource, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BOOTSTRAP } from '../functions/domain/team/team.ts';
import { routeTable } from '../functions/http/route-table.ts';
import { ADMIN_GROUP, Api, OAUTH_SCOPES } from './constructs/api.ts';
import { CONSOLE_OUTPUTS, ConsoleSite } from './constructs/console-site.ts';
import { DataTable } from './constructs/data-table.ts';
import { ReleaseDeskBus } from './constructs/event-bus.ts';
import { EventSchemas } from './constructs/event-schemas.ts';
import { PROJECT_ROOT } from './constructs/handler-function.ts';
import { Handlers } from './constructs/handlers.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OutboxRelay } from './constructs/outbox-relay.ts';
import { Workflows } from './constructs/workflows.ts';
import { deployedFunctions, type FunctionName, type FunctionSpec, functionSpecs } from './functions.ts';
import { rules, schedules } from './rules.ts';
import { type StageSettings, stageSettings } from './stage.ts';

export interface ReleaseDeskStackProps extends StackProps {
  /** @default deployedFunctions */
  readonly functions?: readonly FunctionName[];
  /** @default functionSpecs */
  readonly functionSpecs?: Readonly<Record<FunctionName, FunctionSpec>>;
  /** Names and identities of the deployment. @default the default stack's (no stage) */
  readonly settings?: StageSettings;
  /**
   * The built console to deploy when `settings.console` is on. @default settings.consoleAssetsDir,
   * else `console/dist` (what `npm run build:console` writes)
   */
  readonly consoleAssetsDir?: string;
}

/** Thrown when the console is on but its bundle has not been built. */
export class ConsoleNotBuiltError extends Error {
  constructor(dir: string) {
    super(
      `The console is on (-c console=true) but ${dir} has no index.html: run \`npm run build:console\` first.`,
    );
    this.name = 'ConsoleNotBuiltError';
  }
}

/** The CloudFormation type of the bootstrap custom resource. */
export const BOOTSTRAP_RESOURCE_TYPE = 'Custom::ReleaseDeskBootstrap';

/** Everything Release Desk runs on in one AWS account and region. */
export class ReleaseDeskStack extends Stack {
  readonly settings: StageSettings;
  readonly data: DataTable;
  readonly events: ReleaseDeskBus;
  readonly schemas: EventSchemas;
  readonly handlers: Handlers;
  readonly workflows: Workflows;
  readonly api: Api;
  /** The operator console's bucket and distribution, when `settings.console` is on. */
  readonly console: ConsoleSite | undefined;
  readonly monitoring: Monitoring;
  /** The relay's stream subscription and its dead-letter queue (when the relay is deployed). */
  readonly outboxRelay: OutboxRelay | undefined;
  /** Creates the bootstrap teams and the first administrator in the table on create and update. */
  readonly bootstrap: CustomResource | undefined;

  constructor(scope: Construct, id: string, props: ReleaseDeskStackProps = {}) {
    super(scope, id, {
      description: 'Release Desk: ITIL v3 release and deployment management',
      ...props,
    });
    const settings = props.settings ?? stageSettings();
    this.settings = settings;
    this.data = new DataTable(this, 'Data');
    this.events = new ReleaseDeskBus(this, 'Events', { eventBusName: settings.eventBusName });
    this.schemas = new EventSchemas(this, 'EventSchemas', { registryName: settings.schemaRegistryName });
    this.handlers = new Handlers(this, 'Functions', {
      names: props.functions ?? deployedFunctions,
      specs: props.functionSpecs ?? functionSpecs,
      table: this.data.table,
      bus: this.events.bus,
    });

    const relay = this.handlers.find('outbox-relay');
    this.outboxRelay = relay
      ? new OutboxRelay(this, 'OutboxRelay', { table: this.data.table, relay })
      : undefined;
    if (relay) {
      if (relay.role) this.events.restrictSourceTo(relay.role);
    }
    this.events.addRules(rules, (name) => this.handlers.find(name));
    this.events.addSchedules(schedules, (name) => this.handlers.find(name));

    this.workflows = new Workflows(this, 'Workflows', {
      recordStage: this.handlers.get('record-stage'),
      stackName: settings.stackName,
      publishedPrefix: settings.workflowStateMachinePrefix,
    });
    this.handlers.grantWorkflows({
      defaults: this.workflows.stateMachines,
      publishedRole: this.workflows.publishedRole,
      recordStage: this.handlers.get('record-stage'),
      publishedPrefix: this.workflows.publishedPrefix,
      publishedLogGroupArn: this.workflows.publishedLogGroupArn,
    });
    for (const name of ['releases', 'reconcile-executions'] as const) {
      this.handlers
        .find(name)
        ?.addEnvironment('DEFAULT_RELEASE_STATE_MACHINE_ARN', this.workflows.defaultRelease.stateMachineArn);
    }

    // Unique per stage and account (Cognito domain prefixes are global per region).
    const authDomainPrefix = settings.authDomainPrefix ?? `${settings.eventBusName}-${Aws.ACCOUNT_ID}`;
    // The site comes first: the console's app client redirects to its URL, the API's CORS names its origin.
    this.console = settings.console
      ? new ConsoleSite(this, 'Console', {
          assetsDir: consoleAssetsDir(props.consoleAssetsDir ?? settings.consoleAssetsDir),
          authDomainUrl: `https://${authDomainPrefix}.auth.${Aws.REGION}.amazoncognito.com`,
        })
      : undefined;
    this.api = new Api(this, 'Api', {
      routes: routeTable,
      handler: (name) => this.handlers.find(name),
      apiName: settings.stackName,
      authDomainPrefix,
      callbackUrls: settings.callbackUrls,
      logoutUrls: settings.logoutUrls,
      adminUser: settings.adminUser,
      adminEmail: settings.adminEmail,
      throttle: settings.throttle,
      corsAllowOrigins: settings.corsAllowOrigins,
      console: this.console ? { url: this.console.url, origin: this.console.origin } : undefined,
    });
    if (this.console && this.api.consoleClient) {
      const executions = this.console.enableExecutions({
        userPool: this.api.userPool,
        client: this.api.consoleClient,
        groupName: ADMIN_GROUP,
        stateMachines: [...this.workflows.stateMachines.values()],
        publishedPrefix: this.workflows.publishedPrefix,
      });
      this.console.publish({
        apiUrl: this.api.url,
        authDomain: this.api.hostedUiUrl,
        clientId: this.api.consoleClient.userPoolClientId,
        redirectUri: this.console.url,
        scopes: [...OAUTH_SCOPES],
        ...executions,
      });
      new CfnOutput(this, CONSOLE_OUTPUTS[0], {
        value: this.console.url,
        description: 'The operator console (sign in with the hosted UI)',
      });
      new CfnOutput(this, CONSOLE_OUTPUTS[1], {
        value: this.api.consoleClient.userPoolClientId,
        description: 'The console’s public app client (hosted UI, authorization code grant with PKCE)',
      });
    }
    this.bootstrap = this.addBootstrap(settings);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stackName: settings.stackName,
      functions: this.handlers.entries(),
      outboxRelay: relay,
      stateMachines: this.workflows.stateMachines,
      httpApi: this.api.httpApi,
      serviceName: settings.eventBusName,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    this.api.addOutputs(this);
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'DefaultReleaseStateMachineArn', {
      value: this.workflows.defaultRelease.stateMachineArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Every alarm notifies this SNS topic: subscribe operators to it',
    });
  }

  /**
   * Runs the bootstrap function as a custom resource on every create, and on updates that change
   * what it creates (the administrator, or the bootstrap teams' definition).
   */
  private addBootstrap(settings: StageSettings): CustomResource | undefined {
    const fn = this.handlers.find('bootstrap');
    if (!fn) return undefined;
    const resource = new CustomResource(this, 'Bootstrap', {
      serviceToken: fn.functionArn,
      resourceType: BOOTSTRAP_RESOURCE_TYPE,
      properties: {
        AdminUser: settings.adminUser,
        TableName: this.data.table.tableName,
        // A change of what bootstrap creates makes CloudFormation run it again.
        Bootstrap: JSON.stringify(BOOTSTRAP),
      },
    });
    // The administrator exists in Cognito before the table names it.
    resource.node.addDependency(this.api.adminUser);
    return resource;
  }
}

/** The console's built directory, checked: synthesis fails early, naming the build, when it is missing. */
function consoleAssetsDir(dir: string | undefined): string {
  const path =
    dir === undefined
      ? join(PROJECT_ROOT, 'console', 'dist')
      : isAbsolute(dir)
        ? dir
        : join(PROJECT_ROOT, dir);
  if (!existsSync(join(path, 'index.html'))) throw new ConsoleNotBuiltError(path);
  return path;
}
