/**
 * One Step Functions state machine per default workflow, compiled from its definition by the same
 * compiler the API uses to publish workflows, so that what runs in AWS is what the tests run locally;
 * and the role the state machines of workflows published through the API run as.
 */
import { Validations } from 'aws-cdk-lib';
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
import { constructId } from './handlers.ts';

/** The placeholder the compiled definitions carry instead of the record-stage function's ARN. */
export const RECORD_STAGE_SUBSTITUTION = 'RecordStageFunctionArn';

/** What the compiler gets as the record-stage ARN: `${RecordStageFunctionArn}`, replaced by CloudFormation. */
export const RECORD_STAGE_ARN_PLACEHOLDER = `\${${RECORD_STAGE_SUBSTITUTION}}`;

export interface WorkflowsProps {
  /** The function every human stage invokes with its task token. */
  readonly recordStage: IFunction;
}

/** The default workflows' state machines, and the role of the workflows published through the API. */
export class Workflows extends Construct {
  /** State machines by default workflow id. */
  readonly stateMachines: ReadonlyMap<DefaultWorkflowId, StateMachine>;
  /**
   * The role the workflows function passes to CreateStateMachine for `release-desk-<id>` machines
   * (WORKFLOW_ROLE_ARN): it may only invoke the record-stage function, like the default machines' roles.
   */
  readonly publishedRole: Role;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const machines = new Map<DefaultWorkflowId, StateMachine>();
    for (const [workflowId, definition] of Object.entries(defaultWorkflows) as [
      DefaultWorkflowId,
      WorkflowDefinition,
    ][]) {
      machines.set(workflowId, this.stateMachine(workflowId, definition, props.recordStage));
    }
    this.stateMachines = machines;

    this.publishedRole = new Role(this, 'PublishedWorkflowRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'Release Desk: state machines of workflows published through the API',
    });
    // The compiled definitions invoke the unqualified ARN (RECORD_STAGE_FUNCTION_ARN): no `:*`.
    this.publishedRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.recordStage.functionArn] }),
    );
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
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.SIX_MONTHS });
    const sm = new StateMachine(this, id, {
      comment: asl.Comment,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(JSON.stringify(asl)),
      definitionSubstitutions: { [RECORD_STAGE_SUBSTITUTION]: recordStage.functionArn },
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
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
