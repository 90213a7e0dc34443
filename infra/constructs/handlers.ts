/**
 * Every deployed handler as a function, with exactly the grants `infra/functions.ts` gives it.
 * Every function there is deployed (a stack built for a test may deploy fewer).
 */
import { ArnFormat, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionName, FunctionSpec } from '../functions.ts';
import { HandlerFunction } from './handler-function.ts';

export interface HandlersProps {
  /** Which functions to deploy. */
  readonly names: readonly FunctionName[];
  readonly specs: Readonly<Record<FunctionName, FunctionSpec>>;
  readonly table: ITable;
  readonly bus: IEventBus;
}

// Stream batches publish up to 10 events per PutEvents call with retries: give them room. Bootstrap
// answers CloudFormation itself and keeps 5 s of its timeout to do so.
const TIMEOUTS: Partial<Record<FunctionName, Duration>> = {
  'outbox-relay': Duration.seconds(60),
  bootstrap: Duration.minutes(2),
  // A pass works through every active release (a few calls each, 8 at a time): thousands fit
  // in 4 minutes, inside the 5 minutes between two runs.
  'reconcile-executions': Duration.minutes(4),
};

/** What a function with `table: 'read'` may do on the table's items (and Query its indexes). */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/** What `table: 'write'` adds: the item writes of `commit()` (TransactWriteItems) and the stores. */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

// Actions authorized on execution ARNs; every other Step Functions action is on the state machine ARN.
const EXECUTION_ACTIONS: ReadonlySet<string> = new Set(['DescribeExecution', 'GetExecutionHistory']);

const VERSIONS_REASON =
  'a release runs on the version of its workflow it was created with, published at run time';

/** What the workflow grants refer to. */
export interface WorkflowResources {
  /** The default workflows' state machines by workflow id (the stack creates them). */
  readonly defaults: ReadonlyMap<string, StateMachine>;
  /** The role the state machines of API-published workflows run as (passed with iam:PassRole). */
  readonly publishedRole: IRole;
  /** The function every human stage invokes (compiled into every published definition). */
  readonly recordStage: IFunction;
  /** Name prefix of the machines the workflows API creates (`release-desk-`, or `rd-<stage>-`). */
  readonly publishedPrefix: string;
  /** The log group those machines log to, as Step Functions wants it (ending in `:*`). */
  readonly publishedLogGroupArn: string;
}

/** The deployed handler functions by name. */
export class Handlers extends Construct {
  private readonly deployed = new Map<FunctionName, HandlerFunction>();
  private readonly specs: Readonly<Record<FunctionName, FunctionSpec>>;

  constructor(scope: Construct, id: string, props: HandlersProps) {
    super(scope, id);
    this.specs = props.specs;
    for (const name of props.names) {
      const spec = props.specs[name];
      const handler = new HandlerFunction(this, constructId(name), {
        entry: spec.entry,
        description: spec.description,
        timeout: TIMEOUTS[name],
        // Every handler reads its configuration with one schema (functions/app/config.ts), which needs both.
        environment: {
          TABLE_NAME: props.table.tableName,
          EVENT_BUS_NAME: props.bus.eventBusName,
          // The functions' metrics carry the stage's name as their `service` dimension.
          POWERTOOLS_SERVICE_NAME: props.bus.eventBusName,
        },
      });
      if (spec.table === 'read') this.grantTableRead(handler, props.table);
      if (spec.table === 'write') this.grantTableWrite(handler, props.table);
      if (spec.putEvents) props.bus.grantPutEventsTo(handler.function);
      this.deployed.set(name, handler);
    }
  }

  /** The function of a deployed handler, or `undefined` when it is not deployed. */
  find(name: FunctionName): NodejsFunction | undefined {
    return this.deployed.get(name)?.function;
  }

  /** Every deployed function by its name, in deployment order. */
  entries(): [FunctionName, NodejsFunction][] {
    return [...this.deployed].map(([name, handler]) => [name, handler.function]);
  }

  /** The function of a deployed handler; throws when it is not deployed. */
  get(name: FunctionName): NodejsFunction {
    const fn = this.find(name);
    if (!fn)
      throw new Error(
        `Function ${name} is not deployed (the stack was built with a list of functions without it).`,
      );
    return fn;
  }

  /**
   * Grants each function the Step Functions actions of its spec and what its use of the workflow
   * catalog needs, and gives it the matching environment. Releases run on state machine VERSIONS:
   * of the default machines (`<arn>:*`) and of the `<prefix>*` machines the API creates.
   */
  grantWorkflows(workflows: WorkflowResources): void {
    const stack = Stack.of(this);
    const defaults = [...workflows.defaults.values()];
    const publishedMachines = `${workflows.publishedPrefix}*`;
    const publishedMachinesReason = `State machines of workflows published through the API, created at run time as ${workflows.publishedPrefix}<workflow id>; the name prefix limits the grant to them.`;
    const published = stateMachineArn(stack, publishedMachines);
    const publishedVersions = stateMachineArn(stack, `${publishedMachines}:*`);
    const defaultsAndVersions = defaults.flatMap((sm) => [sm.stateMachineArn, versionsArn(sm)]);
    const allMachinesAndVersions = [...defaultsAndVersions, published, publishedVersions];

    for (const [name, handler] of this.deployed) {
      const spec = this.specs[name];
      const actions = spec.stepFunctions ?? [];
      const onMachines = actions.filter((a) => !EXECUTION_ACTIONS.has(a));
      const onExecutions = actions.filter((a) => EXECUTION_ACTIONS.has(a));
      const acknowledged = new Set<string>();
      const acknowledge = (id: string, reason: string) => {
        if (acknowledged.has(id)) return;
        acknowledged.add(id);
        Validations.of(handler.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${id}]`, reason });
      };
      const acknowledgeDefaultVersions = () => {
        for (const sm of defaults) {
          acknowledge(
            `<${logicalId(sm)}>:*`,
            `Versions of the default state machine ${sm.node.id} (${VERSIONS_REASON}); the wildcard covers only that machine’s version numbers.`,
          );
        }
      };
      const acknowledgePublished = () => {
        acknowledge(nagArn('stateMachine', publishedMachines), publishedMachinesReason);
        acknowledge(
          nagArn('stateMachine', `${publishedMachines}:*`),
          `Versions of the ${publishedMachines} machines (${VERSIONS_REASON}).`,
        );
      };

      if (onMachines.length > 0) {
        handler.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: onMachines.map((a) => `states:${a}`),
            resources: allMachinesAndVersions,
          }),
        );
        acknowledgeDefaultVersions();
        acknowledgePublished();
      }
      if (onExecutions.length > 0) {
        handler.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: onExecutions.map((a) => `states:${a}`),
            resources: [...defaults.map((sm) => executionsArn(sm)), executionsOf(stack, publishedMachines)],
          }),
        );
        for (const sm of defaults) {
          acknowledge(
            nagArn('execution', `<${logicalId(sm)}.Name>:*`),
            `Execution names are release / RFC ids, unknown at deploy time: the wildcard covers only the executions of state machine ${sm.node.id}.`,
          );
        }
        acknowledge(
          nagArn('execution', `${publishedMachines}:*`),
          `Executions of the ${publishedMachines} machines the workflows API creates at run time; execution names are release / RFC ids, unknown at deploy time.`,
        );
      }

      if (spec.workflowCatalog === undefined) continue;
      // Every function that reads or publishes workflows knows the stage's prefix (functions/app/config.ts).
      handler.function.addEnvironment('WORKFLOW_STATE_MACHINE_PREFIX', workflows.publishedPrefix);
      // The catalog stores a default workflow as version 1 on first use, publishing a version of its machine.
      handler.function.addEnvironment(
        'DEFAULT_WORKFLOW_STATE_MACHINES',
        stack.toJsonString(
          Object.fromEntries([...workflows.defaults].map(([id, sm]) => [id, sm.stateMachineArn])),
        ),
      );
      // Adopting a deployed revision publishes a version; nothing here may update the stack's
      // machines (a default workflow's next API version gets a machine of the API's own).
      const onDefaults = ['states:PublishStateMachineVersion', 'states:DescribeStateMachine'];
      handler.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: onDefaults, resources: defaultsAndVersions }),
      );
      acknowledgeDefaultVersions();
      if (spec.workflowCatalog === 'resolve') continue;

      handler.function.addEnvironment('RECORD_STAGE_FUNCTION_ARN', workflows.recordStage.functionArn);
      handler.function.addEnvironment('WORKFLOW_ROLE_ARN', workflows.publishedRole.roleArn);
      // The machines it creates log (level ALL, no execution data) there and are traced.
      handler.function.addEnvironment('WORKFLOW_LOG_GROUP_ARN', workflows.publishedLogGroupArn);
      handler.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [
            'states:CreateStateMachine',
            'states:UpdateStateMachine',
            'states:PublishStateMachineVersion',
            'states:DescribeStateMachine',
          ],
          resources: [published, publishedVersions],
        }),
      );
      acknowledgePublished();
      handler.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
      );
      Validations.of(handler.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'states:ListStateMachines supports no resource-level permissions; only the publisher’s retry path calls it, to adopt the <prefix><id> machine an interrupted CreateStateMachine left behind.',
      });
      handler.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [workflows.publishedRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
        }),
      );
    }
  }

  /**
   * Exactly the calls the store makes (functions/store/): GetItem, BatchGetItem and Query to read;
   * PutItem, UpdateItem, and the Put, Update, Delete and ConditionCheck items of TransactWriteItems
   * (authorized per item action) to write. Not `grantReadData` / `grantReadWriteData`, which add
   * Scan, BatchWriteItem, DescribeTable and stream reads that nothing here does.
   */
  private grantTableRead(handler: HandlerFunction, table: ITable): void {
    this.grantTable(handler, table, TABLE_READ_ACTIONS);
  }

  private grantTableWrite(handler: HandlerFunction, table: ITable): void {
    this.grantTable(handler, table, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);
  }

  private grantTable(handler: HandlerFunction, table: ITable, itemActions: readonly string[]): void {
    handler.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...itemActions], resources: [table.tableArn] }),
    );
    // Only Query reads an index (gsi1..gsi3).
    handler.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/*`] }),
    );
    this.acknowledgeIndexes(handler, table);
  }

  private acknowledgeIndexes(handler: HandlerFunction, table: ITable): void {
    Validations.of(handler.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(table)}.Arn>/index/*]`,
      reason:
        'Queries the GSIs gsi1..gsi3 of the single table; the wildcard covers only that table’s indexes.',
    });
  }
}

/** `arn:…:states:<region>:<account>:execution:<state machine name>:*` */
function executionsArn(sm: StateMachine): string {
  return executionsOf(Stack.of(sm), sm.stateMachineName);
}

/** `arn:…:states:<region>:<account>:execution:<machine name (pattern)>:*` */
export function executionsOf(stack: Stack, machineName: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${machineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** `arn:…:states:<region>:<account>:stateMachine:<name (pattern)>` */
export function stateMachineArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every version of a state machine: `<arn>:*` (an unqualified ARN grants nothing on its versions). */
function versionsArn(sm: StateMachine): string {
  return `${sm.stateMachineArn}:*`;
}

/** How cdk-nag spells a states ARN of this stack's account and region in its finding ids. */
export function nagArn(resource: 'stateMachine' | 'execution', name: string): string {
  return `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:${resource}:${name}`;
}

export function logicalId(construct: Construct): string {
  const cfn = construct.node.defaultChild;
  if (!cfn) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(cfn as CfnElement);
}

/** `outbox-relay` → `OutboxRelay` */
export function constructId(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
