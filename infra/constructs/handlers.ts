/**
 * Every deployed handler as a function, with exactly the grants `infra/functions.ts` gives it.
 * Deploying another handler is adding its name to `deployedFunctions`.
 */
import { ArnFormat, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
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

// Stream batches publish up to 10 events per PutEvents call with retries: give them room.
const TIMEOUTS: Partial<Record<FunctionName, Duration>> = { 'outbox-relay': Duration.seconds(60) };

// Actions authorized on execution ARNs; every other Step Functions action is on the state machine ARN.
const EXECUTION_ACTIONS: ReadonlySet<string> = new Set(['DescribeExecution', 'GetExecutionHistory']);

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
        // Every handler reads its configuration with one schema (functions/lib/config.ts), which needs both.
        environment: { TABLE_NAME: props.table.tableName, EVENT_BUS_NAME: props.bus.eventBusName },
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

  /** The function of a deployed handler; throws when it is not deployed. */
  get(name: FunctionName): NodejsFunction {
    const fn = this.find(name);
    if (!fn)
      throw new Error(
        `Function ${name} is not deployed (add it to deployedFunctions in infra/functions.ts).`,
      );
    return fn;
  }

  /**
   * Grants each function the Step Functions actions of its spec on these state machines only
   * (executions' actions on their executions only).
   */
  grantStepFunctions(stateMachines: readonly StateMachine[]): void {
    for (const [name, handler] of this.deployed) {
      const actions = this.specs[name].stepFunctions ?? [];
      const onMachines = actions.filter((a) => !EXECUTION_ACTIONS.has(a));
      const onExecutions = actions.filter((a) => EXECUTION_ACTIONS.has(a));
      if (onMachines.length > 0) {
        handler.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: onMachines.map((a) => `states:${a}`),
            resources: stateMachines.map((sm) => sm.stateMachineArn),
          }),
        );
      }
      if (onExecutions.length > 0) {
        handler.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: onExecutions.map((a) => `states:${a}`),
            resources: stateMachines.map((sm) => executionsArn(sm)),
          }),
        );
        for (const sm of stateMachines) {
          Validations.of(handler.role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalId(sm)}.Name>:*]`,
            reason: `Execution names are release / RFC ids, unknown at deploy time: the wildcard covers only the executions of state machine ${sm.node.id}.`,
          });
        }
      }
    }
  }

  private grantTableRead(handler: HandlerFunction, table: ITable): void {
    table.grantReadData(handler.function);
    this.acknowledgeIndexes(handler, table);
  }

  private grantTableWrite(handler: HandlerFunction, table: ITable): void {
    table.grantReadWriteData(handler.function);
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
  return Stack.of(sm).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${sm.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function logicalId(construct: Construct): string {
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
