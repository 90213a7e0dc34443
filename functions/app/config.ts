/**
 * Configuration from the environment, validated once per cold start; a missing variable fails
 * fast with its name in the message.
 */
import * as z from 'zod';
import { DEFAULT_EVENT_BUS_NAME } from '#domain/events';

const Env = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1).default(DEFAULT_EVENT_BUS_NAME),
  DEFAULT_RELEASE_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** JSON object: default workflow id → the ARN of the state machine the stack created for it. */
  DEFAULT_WORKFLOW_STATE_MACHINES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of workflow id → state machine ARN' });
        return z.NEVER;
      }
    }),
  RECORD_STAGE_FUNCTION_ARN: z.string().min(1).optional(),
  WORKFLOW_ROLE_ARN: z.string().min(1).optional(),
  /** Prefix of the state machines the workflows API creates (one per stage of the stack). */
  WORKFLOW_STATE_MACHINE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,16}$/)
    .default('release-desk-'),
  /** The log group the API-created state machines log to (its ARN, ending in `:*`). */
  WORKFLOW_LOG_GROUP_ARN: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Local cloud only: service endpoints (in AWS the SDK's defaults apply). */
  DYNAMODB_ENDPOINT: z.url().optional(),
  SFN_ENDPOINT: z.url().optional(),
  EVENTS_ENDPOINT: z.url().optional(),
});

export interface Config {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly defaultReleaseStateMachineArn: string | undefined;
  readonly defaultWorkflowStateMachines: Readonly<Record<string, string>>;
  /** What API-published state machines invoke for every human stage, and the role they run as. */
  readonly recordStageFunctionArn: string | undefined;
  readonly workflowRoleArn: string | undefined;
  readonly workflowStateMachinePrefix: string;
  readonly workflowLogGroupArn: string | undefined;
  readonly region: string;
  readonly endpoints: { readonly dynamodb?: string; readonly sfn?: string; readonly events?: string };
  /** Local cloud: fixed dummy credentials instead of the default provider chain. */
  readonly local: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid or missing environment variable(s): ${names}`);
  }
  const e = parsed.data;
  const endpoints = {
    ...(e.DYNAMODB_ENDPOINT ? { dynamodb: e.DYNAMODB_ENDPOINT } : {}),
    ...(e.SFN_ENDPOINT ? { sfn: e.SFN_ENDPOINT } : {}),
    ...(e.EVENTS_ENDPOINT ? { events: e.EVENTS_ENDPOINT } : {}),
  };
  return {
    tableName: e.TABLE_NAME,
    eventBusName: e.EVENT_BUS_NAME,
    defaultReleaseStateMachineArn: e.DEFAULT_RELEASE_STATE_MACHINE_ARN,
    defaultWorkflowStateMachines: e.DEFAULT_WORKFLOW_STATE_MACHINES,
    recordStageFunctionArn: e.RECORD_STAGE_FUNCTION_ARN,
    workflowRoleArn: e.WORKFLOW_ROLE_ARN,
    workflowStateMachinePrefix: e.WORKFLOW_STATE_MACHINE_PREFIX,
    workflowLogGroupArn: e.WORKFLOW_LOG_GROUP_ARN,
    region: e.AWS_REGION,
    endpoints,
    local: Object.keys(endpoints).length > 0,
  };
}
