/**
 * One Step Functions state machine per default workflow, compiled from its definition by the same
 * compiler the API uses to publish workflows, so that what runs in AWS is what the tests run locally;
 * and the role and log group of the state machines the workflows API creates at run time.
 *
 * Every state machine log group is named under `/aws/vendedlogs/states/`: Step Functions adds each
 * log group it logs to to the account's CloudWatch Logs resource policy, which is capped in size,
 * and CloudWatch Logs covers the whole `/aws/vendedlogs/` prefix with one entry instead
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
 */
import { ArnFormat, Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { compileWorkflow } from '../../workflows/compile.ts';
import {
  DEFAULT_RELEASE_WORKFLOW_ID,
  type DefaultWorkflowId,
  defaultWorkflows,
} from '../../workflows/defaults/index.ts';
import type { WorkflowDefinition } from '../../workflows/definition.ts';
import { DEFAULT_STACK_NAME, DEFAULT_WORKFLOW_PREFIX } from '../stage.ts';
import { constructId } from './handlers.ts';

/** The placeholder the compiled definitions carry instead of the record-stage function's ARN. */
export const RECORD_STAGE_SUBSTITUTION = 'RecordStageFunctionArn';

/** What the compiler gets as the record-stage ARN: `${RecordStageFunctionArn}`, replaced by CloudFormation. */
export const RECORD_STAGE_ARN_PLACEHOLDER = `\${${RECORD_STAGE_SUBSTITUTION}}`;

/** The placeholder of the partition in the deployed definitions (`aws`, `aws-cn`, `aws-us-gov`). */
export const PARTITION_SUBSTITUTION = 'Partition';

/** Where Step Functions log groups go (the prefix CloudWatch Logs' resource policy covers at once). */
export const STATE_MACHINE_LOG_PREFIX = '/aws/vendedlogs/states/';

/** The log group of the stack's default workflow `workflowId`. */
export function defaultWorkflowLogGroupName(stackName: string, workflowId: string): string {
  return `${STATE_MACHINE_LOG_PREFIX}${stackName}-${workflowId}`;
}

/** The log group every state machine the workflows API creates logs to. */
export function publishedWorkflowsLogGroupName(stackName: string): string {
  return `${STATE_MACHINE_LOG_PREFIX}${stackName}-published-workflows`;
}

/**
 * The compiled ASL with its service integration ARNs (`arn:aws:states:::lambda:invoke…`) made
 * partition-aware: `arn:${Partition}:…`, which CloudFormation substitutes with the stack's partition.
 */
export function withPartitionPlaceholder(aslJson: string): string {
  return aslJson.replaceAll('"arn:aws:', `"arn:\${${PARTITION_SUBSTITUTION}}:`);
}

export interface WorkflowsProps {
  /** The function every human stage invokes with its task token. */
  readonly recordStage: IFunction;
  /** Names the log groups. @default DEFAULT_STACK_NAME */
  readonly stackName?: string;
  /** Name prefix of the machines the workflows API creates. @default DEFAULT_WORKFLOW_PREFIX */
  readonly publishedPrefix?: string;
}

/** The default workflows' state machines, and the role of the workflows published through the API. */
export class Workflows extends Construct {
  /** State machines by default workflow id. */
  readonly stateMachines: ReadonlyMap<DefaultWorkflowId, StateMachine>;
  /**
   * The role the workflows function passes to CreateStateMachine for `<prefix><id>` machines
   * (WORKFLOW_ROLE_ARN): like the default machines' roles it may invoke the record-stage function,
   * deliver logs and send X-Ray traces, nothing else.
   */
  readonly publishedRole: Role;
  /** Where the machines the workflows API creates log (WORKFLOW_LOG_GROUP_ARN). */
  readonly publishedLogGroup: LogGroup;
  /** The name prefix of the machines the workflows API creates (WORKFLOW_STATE_MACHINE_PREFIX). */
  readonly publishedPrefix: string;
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    this.stackName = props.stackName ?? DEFAULT_STACK_NAME;
    this.publishedPrefix = props.publishedPrefix ?? DEFAULT_WORKFLOW_PREFIX;
    const machines = new Map<DefaultWorkflowId, StateMachine>();
    for (const [workflowId, definition] of Object.entries(defaultWorkflows) as [
      DefaultWorkflowId,
      WorkflowDefinition,
    ][]) {
      machines.set(workflowId, this.stateMachine(workflowId, definition, props.recordStage));
    }
    this.stateMachines = machines;

    const stack = Stack.of(this);
    this.publishedLogGroup = new LogGroup(this, 'PublishedWorkflowLogs', {
      logGroupName: publishedWorkflowsLogGroupName(this.stackName),
      retention: RetentionDays.SIX_MONTHS,
    });
    this.publishedRole = new Role(this, 'PublishedWorkflowRole', {
      // Only Step Functions acting for this account's `<prefix>*` machines (confused deputy).
      assumedBy: new ServicePrincipal('states.amazonaws.com', {
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'states',
              resource: 'stateMachine',
              resourceName: `${this.publishedPrefix}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
      description: 'Release Desk: state machines of workflows published through the API',
    });
    // The compiled definitions invoke the unqualified ARN (RECORD_STAGE_FUNCTION_ARN): no `:*`.
    this.publishedRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.recordStage.functionArn] }),
    );
    // What StateMachine grants its own role for `logs` (level ALL) and `tracingEnabled`: the machines
    // the API creates with WORKFLOW_LOG_GROUP_ARN log the same way and are traced.
    this.publishedRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...LOG_DELIVERY_ACTIONS], resources: ['*'] }),
    );
    this.publishedRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...XRAY_ACTIONS], resources: ['*'] }),
    );
    Validations.of(this.publishedRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the CloudWatch Logs vended-delivery actions (logs:CreateLogDelivery, …) and the X-Ray tracing actions, which support no resource-level permissions, as the default machines’ roles have them.',
    });
  }

  /**
   * The ARN Step Functions wants for the published machines' log destination: the log group's ARN
   * ending in `:*` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CloudWatchLogsLogGroup.html).
   */
  get publishedLogGroupArn(): string {
    return Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${this.publishedLogGroup.logGroupName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** The state machine releases run on when they pick no workflow. */
  get defaultRelease(): StateMachine {
    const sm = this.stateMachines.get(DEFAULT_RELEASE_WORKFLOW_ID);
    if (!sm)
      throw new Error(`No state machine for the default release workflow ${DEFAULT_RELEASE_WORKFLOW_ID}`);
    return sm;
  }

  /** Every state machine. */
  get all(): StateMachine[] {
    return [...this.stateMachines.values()];
  }

  private stateMachine(
    workflowId: DefaultWorkflowId,
    definition: WorkflowDefinition,
    recordStage: IFunction,
  ): StateMachine {
    const id = constructId(workflowId);
    const asl = compileWorkflow(definition, { recordStageFunctionArn: RECORD_STAGE_ARN_PLACEHOLDER });
    const logGroup = new LogGroup(this, `${id}Logs`, {
      logGroupName: defaultWorkflowLogGroupName(this.stackName, workflowId),
      retention: RetentionDays.SIX_MONTHS,
    });
    const sm = new StateMachine(this, id, {
      comment: asl.Comment,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(withPartitionPlaceholder(JSON.stringify(asl))),
      definitionSubstitutions: {
        [RECORD_STAGE_SUBSTITUTION]: recordStage.functionArn,
        [PARTITION_SUBSTITUTION]: Aws.PARTITION,
      },
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      // Stored releases run on versions of this machine: a machine CloudFormation replaces or
      // deletes must stay, with its versions, rather than take them along.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Not grantInvoke: that adds `<arn>:*` (every version); the definition invokes the unqualified ARN.
    sm.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [recordStage.functionArn] }),
    );
    Validations.of(sm.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the CloudWatch Logs vended-delivery actions (logs:CreateLogDelivery, …) and the X-Ray tracing actions, which support no resource-level permissions.',
    });
    return sm;
  }
}

/** What a state machine role needs to deliver its logs (the same set StateMachine grants for `logs`). */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

/** What a state machine role needs for X-Ray tracing (the same set StateMachine grants for `tracingEnabled`). */
const XRAY_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
] as const;
