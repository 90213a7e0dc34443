/**
 * Step Functions adapter of the workflow publisher: compiles a workflow definition and publishes
 * it as a new version of the workflow's state machine (`release-desk-<id>`), which it creates on
 * the first version. Every call is safe to retry: publishing an unchanged revision returns the
 * version that already has it, and a machine left behind by an earlier attempt is updated.
 */
import {
  CreateStateMachineCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  PublishStateMachineVersionCommand,
  type SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { RuleViolationError } from '#domain/errors';
import type { PublishedStateMachine, WorkflowPublisher } from '#domain/workflow/service';
import { type AslStateMachine, compileWorkflow } from '#workflows/compile';
import type { WorkflowDefinition } from '#workflows/definition';

/**
 * Prefix of the state machines the API creates in the default stack; a stack for another stage
 * sets its own (WORKFLOW_STATE_MACHINE_PREFIX), and the IAM policy of the workflows function names it.
 */
export const WORKFLOW_STATE_MACHINE_PREFIX = 'release-desk-';

/**
 * The stored version (definition + ASL) must fit in one DynamoDB item (400 KB) with room to spare;
 * Step Functions' own limit (1 MB of definition) is higher.
 */
export const MAX_PUBLISHED_CHARS = 350_000;

/** The state machine of workflow `id`: `<prefix><id>`, e.g. `release-desk-<id>` (at most 80 characters). */
export function stateMachineNameFor(workflowId: string, prefix = WORKFLOW_STATE_MACHINE_PREFIX): string {
  return `${prefix}${workflowId}`;
}

/** The name part of a state machine (or version) ARN. */
function machineName(stateMachineArn: string): string {
  return stateMachineArn.split(':stateMachine:')[1]?.split(':')[0] ?? '';
}

/**
 * The compiler writes the service integrations' ARNs for the `aws` partition; outside it (aws-cn,
 * aws-us-gov) they name that of the record-stage function the machine invokes.
 */
function inPartitionOf(functionArn: string, asl: AslStateMachine): AslStateMachine {
  const partition = functionArn.split(':')[1];
  if (!partition || partition === 'aws') return asl;
  return JSON.parse(JSON.stringify(asl).replaceAll('"arn:aws:states:::', `"arn:${partition}:states:::`));
}

export interface SfnWorkflowPublisherOptions {
  /** The record-stage function every human stage invokes (RECORD_STAGE_FUNCTION_ARN). */
  readonly recordStageFunctionArn: string | undefined;
  /** The role the workflows' state machines run as (WORKFLOW_ROLE_ARN; the API passes it: iam:PassRole). */
  readonly roleArn: string | undefined;
  /** Prefix of the machines it creates (WORKFLOW_STATE_MACHINE_PREFIX); default `release-desk-`. */
  readonly namePrefix?: string | undefined;
  /**
   * Where the machines it creates log (WORKFLOW_LOG_GROUP_ARN, ending in `:*`); with it they log
   * every event (without execution data) and are traced with X-Ray, as the stack's own machines are.
   */
  readonly logGroupArn?: string | undefined;
}

/** The publisher was built without the configuration publishing needs (only adopting works). */
export class PublisherNotConfiguredError extends Error {
  constructor(variable: string) {
    super(`${variable} is not set: this function cannot publish workflows.`);
    this.name = 'PublisherNotConfiguredError';
  }
}

export class SfnWorkflowPublisher implements WorkflowPublisher {
  readonly #sfn: SFNClient;
  readonly #options: SfnWorkflowPublisherOptions;

  constructor(sfn: SFNClient, options: SfnWorkflowPublisherOptions) {
    this.#sfn = sfn;
    this.#options = options;
  }

  async publish(request: {
    workflowId: string;
    definition: WorkflowDefinition;
    stateMachineArn: string | undefined;
  }): Promise<PublishedStateMachine> {
    const { recordStageFunctionArn, roleArn } = this.#options;
    if (!recordStageFunctionArn) throw new PublisherNotConfiguredError('RECORD_STAGE_FUNCTION_ARN');
    if (!roleArn) throw new PublisherNotConfiguredError('WORKFLOW_ROLE_ARN');
    const asl = inPartitionOf(
      recordStageFunctionArn,
      compileWorkflow(request.definition, { recordStageFunctionArn }),
    );
    const definition = JSON.stringify(asl);
    if (definition.length + JSON.stringify(request.definition).length > MAX_PUBLISHED_CHARS) {
      throw new RuleViolationError(
        'workflow-too-large',
        `The workflow compiles to more than ${MAX_PUBLISHED_CHARS} characters; split it or shorten its names.`,
        { workflowId: request.workflowId },
      );
    }
    const name = stateMachineNameFor(request.workflowId, this.#options.namePrefix);
    // Only machines the API created are updated here. A default workflow's machine belongs to the
    // stack (CloudFormation would reset it on the next deploy): its next version gets a machine
    // of the API's own, and the stack's machine and the versions on it stay as deployed.
    if (request.stateMachineArn && machineName(request.stateMachineArn) === name) {
      return this.#update(request.stateMachineArn, definition, asl);
    }
    const logGroupArn = this.#options.logGroupArn;
    try {
      const out = await this.#sfn.send(
        new CreateStateMachineCommand({
          name,
          definition,
          roleArn,
          type: 'STANDARD',
          publish: true,
          ...(logGroupArn
            ? {
                loggingConfiguration: {
                  level: 'ALL',
                  includeExecutionData: false,
                  destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }],
                },
                tracingConfiguration: { enabled: true },
              }
            : {}),
        }),
      );
      const stateMachineArn = out.stateMachineArn as string;
      if (out.stateMachineVersionArn) {
        return { stateMachineArn, stateMachineVersionArn: out.stateMachineVersionArn, asl };
      }
      return this.#update(stateMachineArn, definition, asl);
    } catch (error) {
      // An earlier attempt created the machine but its workflow was never stored.
      if (!(error instanceof StateMachineAlreadyExists)) throw error;
      const existing = await this.#find(name);
      if (!existing) throw error;
      return this.#update(existing, definition, asl);
    }
  }

  /**
   * Publishes the current revision of a state machine created elsewhere (the default workflows'
   * machines, which the stack creates) as a version, and returns that version with its ASL.
   */
  async adopt(stateMachineArn: string): Promise<PublishedStateMachine> {
    const out = await this.#sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn }));
    const stateMachineVersionArn = out.stateMachineVersionArn as string;
    const described = await this.#sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: stateMachineVersionArn }),
    );
    return {
      stateMachineArn,
      stateMachineVersionArn,
      asl: JSON.parse(described.definition ?? '{}') as AslStateMachine,
    };
  }

  async #update(stateMachineArn: string, definition: string, asl: AslStateMachine) {
    const out = await this.#sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition, publish: true }),
    );
    if (!out.stateMachineVersionArn) {
      throw new Error(`UpdateStateMachine published no version of ${stateMachineArn}`);
    }
    return { stateMachineArn, stateMachineVersionArn: out.stateMachineVersionArn, asl };
  }

  async #find(name: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.#sfn.send(
        new ListStateMachinesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
      );
      const found = page.stateMachines?.find((m) => m.name === name);
      if (found?.stateMachineArn) return found.stateMachineArn;
      nextToken = page.nextToken;
    } while (nextToken);
    return undefined;
  }
}
