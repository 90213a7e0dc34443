/**
 * CDK assertions on what a deployment to AWS needs beyond the resources themselves: consumers'
 * failures recorded (event invoke configurations with on-failure queues), a template that deploys
 * twice into one account (stage-derived names, vended-logs log groups, no empty KMS identifier,
 * partition-aware ARNs, retained state machines), alarms that tell operators, and identities a
 * person and a script can get access tokens for (hosted UI with PKCE, ADMIN_USER_PASSWORD_AUTH,
 * the bootstrap custom resource). Two apps are synthesized once for the file: the default stack and
 * a `staging` stage, both without bundling (the stack test checks the bundles).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_METRICS } from '../../functions/domain/ports.ts';
import { BOOTSTRAP } from '../../functions/domain/team/team.ts';
import { MAX_BODY_BYTES } from '../../functions/http/edge/middlewares.ts';
import {
  ACCESS_TOKEN_SCOPES,
  ADMIN_GROUP,
  CORS_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
} from '../../infra/constructs/api.ts';
import { CONSOLE_OUTPUTS } from '../../infra/constructs/console-site.ts';
import { ITERATOR_AGE_THRESHOLD_MS, RECONCILER_METRICS } from '../../infra/constructs/monitoring.ts';
import { POWERTOOLS_LAYER_PARAMETER } from '../../infra/constructs/powertools-layer.ts';
import { STATE_MACHINE_LOG_PREFIX } from '../../infra/constructs/workflows.ts';
import { deployedFunctions } from '../../infra/functions.ts';
import { BOOTSTRAP_RESOURCE_TYPE, type ReleaseDeskStack } from '../../infra/release-desk-stack.ts';
import { consumerAsyncInvoke, rules, schedules } from '../../infra/rules.ts';
import { DEFAULT_THROTTLE, StageSettingsError, stageSettings } from '../../infra/stage.ts';
import { defaultWorkflows } from '../../workflows/defaults/index.ts';
import { synthesizeApp } from '../support/synth.ts';

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
};
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };

interface Synthesized {
  readonly app: App;
  readonly stack: ReleaseDeskStack;
  readonly template: {
    Parameters?: Record<string, { Type: string; Default?: string }>;
    Resources: Record<string, Resource>;
    Outputs?: Record<string, { Value: unknown }>;
  };
  readonly error: unknown;
  readonly outdir: string;
}

function synthesize(context: Record<string, unknown>): Synthesized {
  return synthesizeApp<Synthesized['template']>(context, mkdtempSync(join(tmpdir(), 'release-desk-aws-')));
}

/** The staging stage, with an administrator of its own and a real callback URL. */
const STAGING_CONTEXT = {
  stage: 'staging',
  adminUser: 'alice',
  adminEmail: 'alice@example.com',
  callbackUrls: 'https://desk.example.com/callback,http://localhost:8080/callback',
  logoutUrls: 'https://desk.example.com/',
  throttleRateLimit: '20',
  throttleBurstLimit: '40',
  corsAllowOrigins: 'https://desk.example.com, http://localhost:5173',
};

let byDefault: Synthesized;
let staging: Synthesized;

beforeAll(() => {
  byDefault = synthesize({});
  staging = synthesize(STAGING_CONTEXT);
});

afterAll(() => {
  for (const s of [byDefault, staging]) rmSync(s.outdir, { recursive: true, force: true });
});

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const ofType = (s: Synthesized, type: string) =>
  Object.entries(s.template.Resources).filter(([, r]) => r.Type === type);
const logicalId = (s: Synthesized, construct: IConstruct) =>
  s.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

/** A resource's property (fails when the resource or the property is missing). */
function prop<T>(resource: Resource | undefined, name: string): T {
  const value = resource?.Properties?.[name];
  if (value === undefined) throw new Error(`No ${name} in ${JSON.stringify(resource)?.slice(0, 200)}`);
  return value as T;
}

/** Every string in a template value, with the path it sits at. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  }
  return [];
}

/** Every property (at any depth) with its path and value. */
function properties(value: unknown, path = ''): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => properties(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const at = path ? `${path}.${k}` : k;
      return [[at, v] as [string, unknown], ...properties(v, at)];
    });
  }
  return [];
}

/** The statements of the identity policies attached to a function's role. */
function roleStatements(s: Synthesized, fnLogicalId: string): Statement[] {
  const role = prop<{ 'Fn::GetAtt': string[] }>(s.template.Resources[fnLogicalId], 'Role')['Fn::GetAtt'][0];
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(JSON.stringify({ Ref: role })))
    .flatMap(([, r]) => asArray(prop<{ Statement: Statement[] }>(r, 'PolicyDocument').Statement));
}

/** The functions the rules and schedules target, by the logical id of their function. */
function targetedFunctions(s: Synthesized): Map<string, { schedule: boolean; rule: Resource }> {
  const out = new Map<string, { schedule: boolean; rule: Resource }>();
  for (const [, rule] of ofType(s, 'AWS::Events::Rule')) {
    for (const target of asArray(rule.Properties?.Targets as { Arn: { 'Fn::GetAtt': string[] } }[])) {
      const fn = target.Arn['Fn::GetAtt'][0] as string;
      out.set(fn, { schedule: rule.Properties?.ScheduleExpression !== undefined, rule });
    }
  }
  return out;
}

describe('consumers’ failures are never dropped silently', () => {
  const targets = [...new Set([...rules, ...schedules].map((d) => d.target))];

  it('configures asynchronous invocation for exactly the functions rules and schedules target', () => {
    const configured = ofType(byDefault, 'AWS::Lambda::EventInvokeConfig').map(
      ([, r]) => prop<{ Ref: string }>(r, 'FunctionName').Ref,
    );
    expect(configured.sort()).toEqual([...targetedFunctions(byDefault).keys()].sort());
    expect(configured.sort()).toEqual(
      targets.map((name) => logicalId(byDefault, byDefault.stack.handlers.get(name))).sort(),
    );
  });

  it.each(targets)('%s: retries, a maximum event age and an on-failure queue of its own', (name) => {
    const fn = logicalId(byDefault, byDefault.stack.handlers.get(name));
    const configs = ofType(byDefault, 'AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) => prop<{ Ref: string }>(r, 'FunctionName').Ref === fn,
    );
    expect(configs).toHaveLength(1);
    const props = configs[0]?.[1].Properties ?? {};
    expect(props).toMatchObject({
      Qualifier: '$LATEST',
      MaximumRetryAttempts: consumerAsyncInvoke[name].maximumRetryAttempts,
      MaximumEventAgeInSeconds: consumerAsyncInvoke[name].maximumEventAgeSeconds,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
    });
    expect(props.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(props.MaximumRetryAttempts).toBeLessThanOrEqual(2);
    expect(props.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(props.MaximumEventAgeInSeconds).toBeLessThanOrEqual(21_600);
    // A reconciler run is superseded by the next: its events need not outlive the period.
    const schedule = schedules.find((d) => d.target === name);
    if (schedule) expect(props.MaximumEventAgeInSeconds).toBeLessThanOrEqual(schedule.everyMinutes * 60);

    const queueId = (props.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': string[] } } })
      .OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(queueId).toBe(
      logicalId(byDefault, byDefault.stack.events.failureQueues.get(name)?.queue as IConstruct),
    );
    // Encrypted, TLS only, and not shared with the rule targets' DLQ.
    expect(byDefault.template.Resources[queueId]).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { SqsManagedSseEnabled: true },
    });
    const queuePolicy = ofType(byDefault, 'AWS::SQS::QueuePolicy').find(([, r]) =>
      JSON.stringify(r.Properties?.Queues).includes(queueId),
    );
    expect(JSON.stringify(queuePolicy?.[1].Properties?.PolicyDocument)).toContain('aws:SecureTransport');
    expect(queueId).not.toBe(logicalId(byDefault, byDefault.stack.events.deadLetterQueue.queue));
    // Lambda sends the invocation record with the function's own role.
    const sends = roleStatements(byDefault, fn).filter((st) =>
      asArray(st.Action).includes('sqs:SendMessage'),
    );
    expect(sends.map((st) => st.Resource)).toEqual([getAtt(queueId)]);
  });

  it('keeps the rule targets’ retry policy, and their dead-letter queue for delivery failures', () => {
    for (const [, { schedule, rule }] of targetedFunctions(byDefault)) {
      for (const target of asArray(rule.Properties?.Targets as Record<string, unknown>[])) {
        expect(target.RetryPolicy).toMatchObject({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
        if (!schedule) {
          expect(target.DeadLetterConfig).toEqual({
            Arn: getAtt(logicalId(byDefault, byDefault.stack.events.deadLetterQueue.queue)),
          });
        }
      }
    }
  });
});

describe('deploys cleanly, twice into one account', () => {
  it('renders no empty KmsKeyIdentifier (nor any empty KMS property) in either stage', () => {
    for (const s of [byDefault, staging]) {
      const empty = Object.entries(s.template.Resources).flatMap(([id, r]) =>
        properties(r.Properties)
          .filter(([path, value]) => /kms/i.test(path.split('.').at(-1) ?? '') && value === '')
          .map(([path]) => `${id}.${path}`),
      );
      expect(empty).toEqual([]);
    }
    const archive = ofType(byDefault, 'AWS::Events::Archive')[0]?.[1];
    expect(archive?.Properties).toBeDefined();
    expect(archive?.Properties && 'KmsKeyIdentifier' in archive.Properties).toBe(false);
  });

  it('names every state machine log group under /aws/vendedlogs/states/', () => {
    for (const s of [byDefault, staging]) {
      const machines = ofType(s, 'AWS::StepFunctions::StateMachine');
      expect(machines).toHaveLength(Object.keys(defaultWorkflows).length);
      for (const [id, sm] of machines) {
        const destinations = (
          prop(sm, 'LoggingConfiguration') as {
            Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': string[] } } }[];
          }
        ).Destinations;
        expect(destinations, id).toHaveLength(1);
        const logGroup = destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
        const name = s.template.Resources[logGroup]?.Properties?.LogGroupName as string;
        expect(name, id).toMatch(new RegExp(`^${STATE_MACHINE_LOG_PREFIX}${s.stack.stackName}-`));
      }
      expect(
        s.template.Resources[logicalId(s, s.stack.workflows.publishedLogGroup)]?.Properties,
      ).toMatchObject({
        LogGroupName: `${STATE_MACHINE_LOG_PREFIX}${s.stack.stackName}-published-workflows`,
      });
    }
  });

  it('passes the published workflows’ log group to the workflows function as an ARN ending in :*', () => {
    const fn = logicalId(byDefault, byDefault.stack.handlers.get('workflows'));
    const env = (
      prop(byDefault.template.Resources[fn], 'Environment') as { Variables: Record<string, unknown> }
    ).Variables;
    const [separator, parts] = (env.WORKFLOW_LOG_GROUP_ARN as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ];
    expect(separator).toBe('');
    expect(parts[0]).toBe('arn:');
    expect(parts[1]).toEqual({ Ref: 'AWS::Partition' });
    expect(parts).toContainEqual({ Ref: logicalId(byDefault, byDefault.stack.workflows.publishedLogGroup) });
    expect(parts.at(-1)).toBe(':*');
  });

  it('retains the default state machines, so that a replaced machine keeps its versions', () => {
    for (const s of [byDefault, staging]) {
      for (const [id, sm] of ofType(s, 'AWS::StepFunctions::StateMachine')) {
        expect(sm.DeletionPolicy, id).toBe('Retain');
        expect(sm.UpdateReplacePolicy, id).toBe('Retain');
      }
    }
  });

  it('keeps release-desk for every name of the default stack', () => {
    const { stack } = byDefault;
    expect(stack.stackName).toBe('ReleaseDesk');
    expect(stack.settings).toMatchObject({
      stage: undefined,
      eventBusName: 'release-desk',
      schemaRegistryName: 'release-desk',
      workflowStateMachinePrefix: 'release-desk-',
    });
    expect(ofType(byDefault, 'AWS::Events::EventBus')[0]?.[1].Properties?.Name).toBe('release-desk');
    expect(ofType(byDefault, 'AWS::EventSchemas::Registry')[0]?.[1].Properties?.RegistryName).toBe(
      'release-desk',
    );
    expect(prefixesOf(byDefault)).toEqual(['release-desk-']);
    expect(grantedMachinePatterns(byDefault)).toEqual(['release-desk-*']);
  });

  it('derives the stack, bus, registry and state machine prefix from the stage', () => {
    const { stack } = staging;
    expect(stack.stackName).toBe('ReleaseDesk-staging');
    expect(stack.templateFile).toBe('ReleaseDesk-staging.template.json');
    expect(ofType(staging, 'AWS::Events::EventBus')[0]?.[1].Properties?.Name).toBe('release-desk-staging');
    expect(ofType(staging, 'AWS::EventSchemas::Registry')[0]?.[1].Properties?.RegistryName).toBe(
      'release-desk-staging',
    );
    expect(prefixesOf(staging)).toEqual(['rd-staging-']);
    expect(grantedMachinePatterns(staging)).toEqual(['rd-staging-*']);
    const published = ofType(staging, 'AWS::IAM::Role').find(
      ([id]) => id === logicalId(staging, staging.stack.workflows.publishedRole),
    );
    expect(JSON.stringify(published?.[1].Properties?.AssumeRolePolicyDocument)).toContain(
      ':stateMachine:rd-staging-*',
    );
    expect(JSON.stringify(staging.template)).not.toContain('release-desk-*');
  });

  it('shares no physical name between the default stack and the staging stage', () => {
    // Names an account (or region) holds once; references to another resource's name are not names.
    const names = (s: Synthesized) =>
      new Set(
        Object.values(s.template.Resources)
          .filter((r) => r.Type !== 'AWS::ApiGatewayV2::Authorizer')
          .flatMap((r) => {
            const p = r.Properties ?? {};
            return [p.Name, p.RegistryName, p.LogGroupName, p.AlarmName, p.Domain]
              .filter(
                (v) => typeof v === 'string' || (typeof v === 'object' && v !== null && 'Fn::Join' in v),
              )
              .map((v) => JSON.stringify(v));
          }),
      );
    const mine = names(byDefault);
    const theirs = names(staging);
    expect(mine.size).toBeGreaterThan(40);
    expect([...mine].filter((n) => theirs.has(n))).toEqual([]);
  });

  it('builds every ARN with the partition: no arn:aws: in either template', () => {
    for (const s of [byDefault, staging]) {
      const literal = strings(s.template).filter(([, v]) => v.includes('arn:aws:'));
      expect(literal).toEqual([]);
    }
  });

  it('rejects context values that cannot name a deployment', () => {
    const context = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(stageSettings(context({ stage: 'prod' }))).toMatchObject({
      stackName: 'ReleaseDesk-prod',
      eventBusName: 'release-desk-prod',
      workflowStateMachinePrefix: 'rd-prod-',
    });
    // The longest stage still gives a prefix config.ts accepts (1-16 characters).
    expect(stageSettings(context({ stage: 'abcdefghijkl' })).workflowStateMachinePrefix).toHaveLength(16);
    for (const bad of [
      { stage: 'abcdefghijklm' },
      { stage: 'Staging' },
      { stage: 'stag_ing' },
      { stage: 'staging-' },
      // A hyphen would let rd-staging-* cover the machines of a stage staging-2.
      { stage: 'staging-2' },
      { authDomainPrefix: 'my-aws-desk' },
      { authDomainPrefix: 'Desk' },
      { adminUser: 'alice@example.com' },
      { adminEmail: 'alice' },
      { callbackUrls: 'http://desk.example.com/callback' },
      { throttleRateLimit: '0' },
      { throttleRateLimit: '1.5' },
      { throttleBurstLimit: 'many' },
      // A burst below the steady rate would refuse the rate it claims to allow.
      { throttleRateLimit: '50', throttleBurstLimit: '10' },
      { corsAllowOrigins: '*' },
      { corsAllowOrigins: 'https://*' },
      { corsAllowOrigins: 'http://desk.example.com' },
      { corsAllowOrigins: 'https://desk.example.com/app' },
    ]) {
      expect(() => stageSettings(context(bad)), JSON.stringify(bad)).toThrow(StageSettingsError);
    }
  });
});

/** The WORKFLOW_STATE_MACHINE_PREFIX values the functions get. */
function prefixesOf(s: Synthesized): string[] {
  const values = ofType(s, 'AWS::Lambda::Function').flatMap(([, r]) => {
    const env = prop<{ Variables: Record<string, unknown> }>(r, 'Environment').Variables;
    return env.WORKFLOW_STATE_MACHINE_PREFIX === undefined
      ? []
      : [env.WORKFLOW_STATE_MACHINE_PREFIX as string];
  });
  expect(values.length).toBeGreaterThan(0);
  return [...new Set(values)];
}

/** The `stateMachine:<pattern>` names granted on run-time machines (any `*` pattern but versions). */
function grantedMachinePatterns(s: Synthesized): string[] {
  const patterns = ofType(s, 'AWS::IAM::Policy').flatMap(([, r]) =>
    strings(r.Properties?.PolicyDocument)
      .map(([, v]) => /:stateMachine:([^:]*\*)$/.exec(v)?.[1])
      .filter((v): v is string => v !== undefined),
  );
  return [...new Set(patterns)];
}

describe('operators are told', () => {
  const alarms = (s: Synthesized) => ofType(s, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
  const topicRef = (s: Synthesized) => ({ Ref: logicalId(s, s.stack.monitoring.topic) });
  const dimension = (alarm: Record<string, unknown>, name: string) =>
    (alarm.Dimensions as { Name: string; Value: unknown }[] | undefined)?.find((d) => d.Name === name)?.Value;

  it('notifies one encrypted, TLS-only SNS topic, whose ARN is an output', () => {
    const s = byDefault;
    const topic = s.template.Resources[logicalId(s, s.stack.monitoring.topic)];
    const keyId = prop<{ 'Fn::GetAtt': string[] }>(topic, 'KmsMasterKeyId')['Fn::GetAtt'][0] as string;
    const key = s.template.Resources[keyId];
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
    // CloudWatch can publish to a topic encrypted with a customer managed key only.
    expect(prop<{ Statement: Statement[] }>(key, 'KeyPolicy').Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    const policy = ofType(s, 'AWS::SNS::TopicPolicy')[0]?.[1].Properties ?? {};
    const statements = (policy.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
    expect(s.template.Outputs?.AlarmTopicArn?.Value).toEqual(topicRef(s));
  });

  it('gives every alarm a threshold, a description and the topic as alarm and OK action', () => {
    for (const s of [byDefault, staging]) {
      for (const alarm of alarms(s)) {
        expect(alarm.Threshold, String(alarm.AlarmName)).toEqual(expect.any(Number));
        expect(String(alarm.AlarmDescription).length, String(alarm.AlarmName)).toBeGreaterThan(30);
        expect(alarm.AlarmName).toMatch(new RegExp(`^${s.stack.stackName} `));
        expect(alarm.AlarmActions).toEqual([topicRef(s)]);
        expect(alarm.OKActions).toEqual([topicRef(s)]);
        expect(alarm.TreatMissingData).toBe('notBreaching');
      }
    }
  });

  it('alarms on every dead-letter and on-failure queue as soon as it holds a message', () => {
    const s = byDefault;
    const queues = ofType(s, 'AWS::SQS::Queue').map(([id]) => id);
    // The rule targets' DLQ, the relay's DLQ and one on-failure queue per consumer.
    expect(queues).toHaveLength(2 + new Set([...rules, ...schedules].map((d) => d.target)).size);
    const onQueues = alarms(s).filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(
      onQueues.map((a) => (dimension(a, 'QueueName') as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort(),
    ).toEqual(queues.sort());
    for (const alarm of onQueues) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
  });

  it('alarms when the outbox relay falls more than 60 s behind the stream', () => {
    const s = byDefault;
    const relay = logicalId(s, s.stack.handlers.get('outbox-relay'));
    const onAge = alarms(s).filter((a) => a.MetricName === 'IteratorAge');
    expect(onAge).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: ITERATOR_AGE_THRESHOLD_MS,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: relay } }],
      }),
    ]);
    expect(ITERATOR_AGE_THRESHOLD_MS).toBe(60_000);
  });

  it('alarms on failed, timed-out and aborted executions of every default state machine', () => {
    const s = byDefault;
    for (const [workflowId, sm] of s.stack.workflows.stateMachines) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        const found = alarms(s).filter(
          (a) =>
            a.MetricName === metric &&
            JSON.stringify(dimension(a, 'StateMachineArn')) === JSON.stringify({ Ref: logicalId(s, sm) }),
        );
        expect(found, `${workflowId} ${metric}`).toEqual([
          expect.objectContaining({
            Namespace: 'AWS/States',
            Statistic: 'Sum',
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1,
          }),
        ]);
      }
    }
  });

  it.each([...deployedFunctions])('alarms on errors and throttles of %s', (name) => {
    const s = byDefault;
    const fn = { Ref: logicalId(s, s.stack.handlers.get(name)) };
    for (const metric of ['Errors', 'Throttles']) {
      const found = alarms(s).filter(
        (a) => a.MetricName === metric && JSON.stringify(dimension(a, 'FunctionName')) === JSON.stringify(fn),
      );
      expect(found, metric).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/Lambda',
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
        }),
      ]);
    }
  });

  it('alarms on server errors (5xx) of the HTTP API', () => {
    const s = byDefault;
    const found = alarms(s).filter((a) => a.MetricName === '5xx');
    expect(found).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(s, s.stack.api.httpApi) } }],
      }),
    ]);
  });

  it('alarms when the reconciler reports a release apart from its execution', () => {
    const divergence = alarms(byDefault).find((a) => a.MetricName === 'ReleaseExecutionDivergences');
    expect(divergence).toMatchObject({
      Namespace: 'ReleaseDesk',
      Dimensions: [{ Name: 'service', Value: 'release-desk' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on the metrics the reconciler and record-stage emit, under the name and namespace they emit them', () => {
    // The alarm is only as good as the name it watches: a renamed metric would leave it silent.
    // Both count through functions/app/telemetry.ts (countOperational), whose namespace it is;
    // test/unit/app/telemetry.test.ts and test/unit/steps/record-stage.test.ts check what they publish.
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    const reconciler = read('functions/events/reconcile-executions.ts');
    const recordStage = read('functions/steps/record-stage.ts');
    expect(read('functions/app/telemetry.ts')).toContain("METRICS_NAMESPACE = 'ReleaseDesk'");
    const ours = alarms(byDefault).filter((al) => al.Namespace === 'ReleaseDesk');
    expect(ours).not.toEqual([]);
    for (const a of ours) expect(reconciler).toContain(`${String(a.MetricName)}:`);
    expect(recordStage).toContain('countOperational({ ReleaseExecutionDivergences: 1 })');
    // What an operator is told to look for is what both log.
    const divergence = alarms(byDefault).find((a) => a.MetricName === 'ReleaseExecutionDivergences');
    const quoted = /"([^"]+)"/.exec(String(divergence?.AlarmDescription))?.[1];
    expect(quoted).toBeDefined();
    expect(reconciler).toContain(`'${quoted}'`);
    expect(recordStage).toContain(`'${quoted}`);
  });

  it('alarms on executions ended outside the API, and on divergences, with the stage as service', () => {
    const ours = alarms(staging).filter((a) => a.Namespace === 'ReleaseDesk');
    expect(ours.map((a) => a.MetricName).sort()).toEqual([
      'ReleaseExecutionDivergences',
      'ReleaseExecutionsEnded',
    ]);
    for (const a of ours) expect(a.Dimensions).toEqual([{ Name: 'service', Value: 'release-desk-staging' }]);
  });

  it('gives the reconciler minutes, and every function its stage as POWERTOOLS_SERVICE_NAME', () => {
    const fns = ofType(staging, 'AWS::Lambda::Function').map(([, r]) => r.Properties ?? {});
    const reconciler = fns.find((p) => String(p.Description ?? '').startsWith('Every 5 minutes'));
    expect(reconciler?.Timeout).toBe(240);
    for (const p of fns) {
      const env = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      // The bus's name, which the stage derives (release-desk-staging, checked above).
      if ('TABLE_NAME' in env) expect(env.POWERTOOLS_SERVICE_NAME).toEqual(env.EVENT_BUS_NAME);
    }
  });

  it('has no other alarm', () => {
    const s = byDefault;
    const queues = ofType(s, 'AWS::SQS::Queue').length;
    const machines = s.stack.workflows.all.length;
    // …and the reconciler's divergences and executions ended outside the API.
    expect(alarms(s)).toHaveLength(queues + 1 + 3 * machines + 2 * deployedFunctions.length + 1 + 2);
  });
});

describe('identity in AWS', () => {
  const client = (s: Synthesized) => s.template.Resources[logicalId(s, s.stack.api.client)]?.Properties ?? {};

  it('lets a person sign in on the hosted UI: authorization code grant, public client (PKCE), OpenID scopes', () => {
    expect(client(byDefault)).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['http://localhost:8080/callback'],
      LogoutURLs: ['http://localhost:8080/'],
      SupportedIdentityProviders: ['COGNITO'],
    });
    // No implicit grant: tokens never travel in a URL fragment.
    expect(client(byDefault).AllowedOAuthFlows).not.toContain('implicit');
    expect(client(staging)).toMatchObject({
      CallbackURLs: ['https://desk.example.com/callback', 'http://localhost:8080/callback'],
      LogoutURLs: ['https://desk.example.com/'],
    });
  });

  it('lets a script or the admin CLI authenticate with ADMIN_USER_PASSWORD_AUTH, and apps with SRP', () => {
    expect((client(byDefault).ExplicitAuthFlows as string[]).sort()).toEqual(
      ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'].sort(),
    );
  });

  it('has a hosted UI domain per stage and account, or the one the context names', () => {
    const domain = (s: Synthesized) => ofType(s, 'AWS::Cognito::UserPoolDomain')[0]?.[1].Properties?.Domain;
    expect(domain(byDefault)).toEqual({ 'Fn::Join': ['', ['release-desk-', { Ref: 'AWS::AccountId' }]] });
    expect(domain(staging)).toEqual({
      'Fn::Join': ['', ['release-desk-staging-', { Ref: 'AWS::AccountId' }]],
    });
    expect(stageSettings((key) => ({ authDomainPrefix: 'acme-desk' })[key]).authDomainPrefix).toBe(
      'acme-desk',
    );
    const outputs = byDefault.template.Outputs ?? {};
    expect(JSON.stringify(outputs.AuthorizeUrl?.Value)).toContain('/oauth2/authorize?response_type=code');
    expect(JSON.stringify(outputs.TokenUrl?.Value)).toContain('/oauth2/token');
    expect(JSON.stringify(outputs.HostedUiLoginUrl?.Value)).toContain('/login?');
  });

  it('accepts access tokens of the app client: the audience is the client id (checked as client_id)', () => {
    const s = byDefault;
    const authorizer = ofType(s, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties ?? {};
    expect(authorizer.JwtConfiguration).toMatchObject({
      Audience: [{ Ref: logicalId(s, s.stack.api.client) }],
    });
    const scoped = ofType(s, 'AWS::ApiGatewayV2::Route').filter(
      ([, r]) => r.Properties?.AuthorizationType === 'JWT',
    );
    expect(scoped.length).toBeGreaterThan(10);
    for (const [id, route] of scoped)
      expect(route.Properties?.AuthorizationScopes, id).toEqual([...ACCESS_TOKEN_SCOPES]);
  });

  it('lets nobody sign themselves up: an administrator creates every user', () => {
    for (const s of [byDefault, staging]) {
      const pools = ofType(s, 'AWS::Cognito::UserPool');
      expect(pools).toHaveLength(1);
      expect(pools[0]?.[1].Properties?.AdminCreateUserConfig).toMatchObject({
        AllowAdminCreateUserOnly: true,
      });
    }
  });

  it('creates the first administrator in Cognito, in the admin group, and keeps it', () => {
    const user = (s: Synthesized) => ofType(s, 'AWS::Cognito::UserPoolUser');
    expect(user(byDefault)).toHaveLength(1);
    expect(user(byDefault)[0]?.[1]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { Username: BOOTSTRAP.adminUserId, MessageAction: 'SUPPRESS' },
    });
    expect(user(staging)[0]?.[1].Properties).toMatchObject({
      Username: 'alice',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: [
        { Name: 'email', Value: 'alice@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ],
    });
    for (const s of [byDefault, staging]) {
      const group = ofType(s, 'AWS::Cognito::UserPoolGroup')[0]?.[0] as string;
      const [id, attachment] = ofType(s, 'AWS::Cognito::UserPoolUserToGroupAttachment')[0] ?? [];
      expect(attachment?.Properties, id).toMatchObject({
        Username: s.stack.settings.adminUser,
        GroupName: { Ref: group },
      });
      expect(s.template.Resources[group]?.Properties?.GroupName).toBe(ADMIN_GROUP);
      expect(asArray(attachment?.DependsOn)).toContain(user(s)[0]?.[0]);
    }
  });

  it('runs the bootstrap function as a custom resource, after the administrator exists', () => {
    for (const s of [byDefault, staging]) {
      const resources = ofType(s, BOOTSTRAP_RESOURCE_TYPE);
      expect(resources).toHaveLength(1);
      const [, resource] = resources[0] ?? [];
      const fn = logicalId(s, s.stack.handlers.get('bootstrap'));
      expect(resource?.Properties).toMatchObject({
        ServiceToken: getAtt(fn),
        AdminUser: s.stack.settings.adminUser,
        TableName: { Ref: logicalId(s, s.stack.data.table) },
        Bootstrap: JSON.stringify(BOOTSTRAP),
      });
      expect(asArray(resource?.DependsOn)).toContain(ofType(s, 'AWS::Cognito::UserPoolUser')[0]?.[0]);
      // It writes teams, users and their events: the table, nothing else.
      const actions = roleStatements(s, fn).flatMap((st) => asArray(st.Action));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
      expect(actions.filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
      expect(s.template.Outputs?.AdminUserName?.Value).toBe(s.stack.settings.adminUser);
    }
  });
});

describe('cdk-nag AwsSolutions on the staging stage', () => {
  it('synthesizes without an unacknowledged finding', () => {
    expect(staging.error).toBeUndefined();
    const report = new AwsSolutionsChecks().validateScope(staging.app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });
});

describe('abuse limits at the API', () => {
  const stageOf = (s: Synthesized) => {
    const stages = ofType(s, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    return stages[0]?.[1].Properties ?? {};
  };
  const apiOf = (s: Synthesized) => {
    const apis = ofType(s, 'AWS::ApiGatewayV2::Api');
    expect(apis).toHaveLength(1);
    return apis[0]?.[1].Properties ?? {};
  };

  it('throttles every route of the $default stage: 100 requests per second, bursts of 200, by default', () => {
    expect(stageOf(byDefault)).toMatchObject({
      StageName: '$default',
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit,
        ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit,
      },
    });
    expect(DEFAULT_THROTTLE).toEqual({ rateLimit: 100, burstLimit: 200 });
    // No route overrides the stage's default.
    expect(stageOf(byDefault).RouteSettings).toBeUndefined();
  });

  it('throttles at the limits the context gives (throttleRateLimit, throttleBurstLimit)', () => {
    expect(stageOf(staging).DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
  });

  it('configures no CORS at all by default (closed: no preflight answered, no Allow-Origin added)', () => {
    expect(apiOf(byDefault).CorsConfiguration).toBeUndefined();
    // Nor does any route answer OPTIONS itself.
    const routeKeys = ofType(byDefault, 'AWS::ApiGatewayV2::Route').map(([, r]) =>
      String(r.Properties?.RouteKey),
    );
    expect(routeKeys.filter((k) => k.startsWith('OPTIONS '))).toEqual([]);
  });

  it('allows exactly the origins the context lists (corsAllowOrigins), without credentials or wildcards', () => {
    expect(apiOf(staging).CorsConfiguration).toEqual({
      AllowOrigins: ['https://desk.example.com', 'http://localhost:5173'],
      AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      AllowHeaders: [...CORS_ALLOW_HEADERS],
      ExposeHeaders: [...CORS_EXPOSE_HEADERS],
      AllowCredentials: false,
      MaxAge: 600,
    });
  });

  it('leaves the body limit to the edge (413 above MAX_BODY_BYTES), far below the fixed quotas on the way', () => {
    // An HTTP API's payload quota is a fixed 10 MB and a synchronous Lambda invocation's 6 MB
    // (docs/decisions.md, "Abuse limits in AWS"): neither can be lowered, so the edge's limit is
    // the one a caller meets (test/unit/http/middlewares.test.ts proves the 413).
    expect(MAX_BODY_BYTES).toBe(256 * 1024);
    expect(MAX_BODY_BYTES).toBeLessThan(6 * 1024 * 1024);
  });
});

describe("the README's AWS section, followed on the synthesized template", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const deploy = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('## Architecture'));

  it('names only outputs the stack has, and the stack has every output it names', () => {
    const named = [...deploy.matchAll(/`([A-Z][A-Za-z]+(?:Url|Id|Name|Arn))`/g)].map((m) => m[1] as string);
    expect(named).toEqual(
      expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'TokenUrl', 'AlarmTopicArn']),
    );
    // The console's outputs exist only with -c console=true: test/infra/console-site.test.ts
    // checks those against a stack with the console on.
    const consoleOutputs: readonly string[] = CONSOLE_OUTPUTS;
    for (const output of named.filter((o) => !consoleOutputs.includes(o)))
      expect(Object.keys(byDefault.template.Outputs ?? {}), output).toContain(output);
  });

  it('uses the context values the app reads, and the auth flow the client allows', () => {
    for (const value of [
      'stage',
      'adminUser',
      'adminEmail',
      'authDomainPrefix',
      'callbackUrls',
      'logoutUrls',
      'throttleRateLimit',
      'throttleBurstLimit',
      'corsAllowOrigins',
    ]) {
      expect(deploy).toContain(`\`${value}\``);
    }
    expect(deploy).toContain('ADMIN_USER_PASSWORD_AUTH');
    const client = Object.values(byDefault.template.Resources).find(
      (r) => r.Type === 'AWS::Cognito::UserPoolClient',
    );
    expect((client?.Properties as { ExplicitAuthFlows?: string[] } | undefined)?.ExplicitAuthFlows).toContain(
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
    );
  });
});

describe('telemetry: the dashboard, the alarms it needs and tracing', () => {
  /** The dashboard's body as CloudFormation writes it, its tokens replaced by their logical ids. */
  function dashboardOf(s: Synthesized): {
    name: unknown;
    widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: unknown[] } }[];
  } {
    const [[, dashboard] = []] = ofType(s, 'AWS::CloudWatch::Dashboard');
    const body = prop<{ 'Fn::Join': [string, unknown[]] }>(dashboard, 'DashboardBody')
      ['Fn::Join'][1].map((part) => {
        if (typeof part === 'string') return part;
        const token = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
        return token.Ref ?? token['Fn::GetAtt']?.join('.') ?? JSON.stringify(part);
      })
      .join('');
    return { name: dashboard?.Properties?.DashboardName, ...JSON.parse(body) };
  }
  const graphs = (s: Synthesized) => {
    const byTitle = new Map<string, unknown[][]>();
    for (const w of dashboardOf(s).widgets) {
      if (w.type === 'metric' && w.properties.title && w.properties.metrics) {
        byTitle.set(w.properties.title, w.properties.metrics);
      }
    }
    return byTitle;
  };
  /** `[namespace, metric name, …dimensions]` of each line of a graph. */
  const lines = (metrics: unknown[][] | undefined) =>
    (metrics ?? []).map((m) => m.filter((part) => typeof part === 'string'));
  /** A line's options or a math expression (the objects among its parts). */
  const isRecord = (part: unknown): part is Record<string, unknown> =>
    typeof part === 'object' && part !== null && !Array.isArray(part);

  it('has one dashboard per stage, named after its stack', () => {
    for (const s of [byDefault, staging]) {
      expect(ofType(s, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
      expect(dashboardOf(s).name).toBe(s.stack.stackName);
    }
  });

  it('graphs the API: requests, latency p50 and p99, 4xx, 5xx', () => {
    const g = graphs(byDefault);
    const api = logicalId(byDefault, byDefault.stack.api.httpApi);
    expect(lines(g.get('API requests'))).toEqual([['AWS/ApiGateway', 'Count', 'ApiId', api]]);
    expect(lines(g.get('API 4xx'))).toEqual([['AWS/ApiGateway', '4xx', 'ApiId', api]]);
    expect(lines(g.get('API 5xx'))).toEqual([['AWS/ApiGateway', '5xx', 'ApiId', api]]);
    expect(g.get('API latency')?.map((m) => m.at(-1))).toEqual([
      expect.objectContaining({ stat: 'p50' }),
      expect.objectContaining({ stat: 'p99' }),
    ]);
  });

  it('graphs errors, throttles and duration of every function, and the depth of every dead-letter queue', () => {
    const s = byDefault;
    const g = graphs(s);
    const functions = ofType(s, 'AWS::Lambda::Function')
      .filter(([, r]) => r.Properties?.Runtime === 'nodejs24.x')
      .map(([id]) => id);
    expect(functions).toHaveLength(deployedFunctions.length);
    for (const [title, metric] of [
      ['Function errors', 'Errors'],
      ['Function throttles', 'Throttles'],
      ['Function duration p99', 'Duration'],
    ] as const) {
      expect(lines(g.get(title)).sort()).toEqual(
        functions.map((id) => ['AWS/Lambda', metric, 'FunctionName', id]).sort(),
      );
    }
    expect(lines(g.get('Outbox relay iterator age'))).toEqual([
      ['AWS/Lambda', 'IteratorAge', 'FunctionName', logicalId(s, s.stack.handlers.get('outbox-relay'))],
    ]);
    const queues = ofType(s, 'AWS::SQS::Queue').map(([id]) => id);
    expect(lines(g.get('Dead-letter queue depths')).sort()).toEqual(
      queues
        .map((id) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${id}.QueueName`])
        .sort(),
    );
  });

  it('graphs every outcome of every default workflow’s executions', () => {
    const s = byDefault;
    const outcomes = lines(graphs(s).get('Execution outcomes (default workflows)'));
    const machines = [...s.stack.workflows.stateMachines.values()].map((sm) => logicalId(s, sm));
    expect(machines).toHaveLength(Object.keys(defaultWorkflows).length);
    const metrics = [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
    ];
    expect(outcomes).toHaveLength(machines.length * metrics.length);
    for (const machine of machines) {
      for (const metric of metrics) {
        expect(outcomes).toContainEqual(['AWS/States', metric, 'StateMachineArn', machine]);
      }
    }
  });

  it('graphs every business metric the functions count and the reconciler’s, by the stage’s service', () => {
    for (const s of [byDefault, staging]) {
      const service = s.stack.settings.eventBusName;
      const shown = [...graphs(s).values()]
        .flatMap(lines)
        .filter(([namespace]) => namespace === 'ReleaseDesk');
      expect(shown.sort()).toEqual(
        [...BUSINESS_METRICS, ...RECONCILER_METRICS]
          .map((m) => ['ReleaseDesk', m, 'service', service])
          .sort(),
      );
    }
  });

  it('graphs the dead letters in AWS as the sum of every dead-letter and on-failure queue’s depth', () => {
    // No function sees a dead letter in AWS, so no function counts one (only the local cloud does).
    const deployment = graphs(byDefault).get('Deployment') ?? [];
    const [expression, ...others] = deployment.filter((m) => m.some((p) => isRecord(p) && 'expression' in p));
    expect(others).toEqual([]);
    const math = expression?.find(isRecord) as { expression: string; label: string } | undefined;
    expect(math?.label).toBe('Dead letters');
    const ids = /^SUM\(\[(.*)\]\)$/.exec(math?.expression ?? '')?.[1]?.split(',') ?? [];
    // Each id names one queue's visible messages, hidden: the sum is the line.
    const summed = deployment
      .filter((m) => m.some((p) => isRecord(p) && ids.includes(String(p.id)) && p.visible === false))
      .map((m) => m.filter((p) => typeof p === 'string'));
    expect(summed).toHaveLength(ids.length);
    expect(summed.sort()).toEqual(
      ofType(byDefault, 'AWS::SQS::Queue')
        .map(([id]) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${id}.QueueName`])
        .sort(),
    );
    expect(lines(deployment).filter(([namespace]) => namespace === 'ReleaseDesk')).not.toContainEqual(
      expect.arrayContaining(['DeadLetters']),
    );
  });

  it('shows every alarm, and alarms on dead letters, API 5xx, throttles and divergences', () => {
    const s = byDefault;
    const alarmIds = ofType(s, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    // First after the title: where to start.
    const widget = dashboardOf(s).widgets[1];
    expect(widget?.type).toBe('alarm');
    expect(widget?.properties.alarms?.map(String).sort()).toEqual(alarmIds.map((id) => `${id}.Arn`).sort());
    const alarms = ofType(s, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
    const on = (namespace: string, metric: string) =>
      alarms.filter((a) => a.Namespace === namespace && a.MetricName === metric).length;
    expect(on('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toBe(ofType(s, 'AWS::SQS::Queue').length);
    expect(on('AWS/ApiGateway', '5xx')).toBe(1);
    expect(on('AWS/Lambda', 'Throttles')).toBe(deployedFunctions.length);
    expect(on('ReleaseDesk', 'ReleaseExecutionDivergences')).toBe(1);
  });

  it('runs every function with the Powertools layer, its ARN read from the public SSM parameter at deploy time', () => {
    for (const s of [byDefault, staging]) {
      const layer = Object.entries(s.template.Parameters ?? {}).filter(
        ([, p]) => p.Default === POWERTOOLS_LAYER_PARAMETER,
      );
      expect(layer.map(([, p]) => p.Type)).toEqual(['AWS::SSM::Parameter::Value<String>']);
      const ours = ofType(s, 'AWS::Lambda::Function').filter(
        ([, r]) => r.Properties?.Runtime === 'nodejs24.x',
      );
      expect(ours).toHaveLength(deployedFunctions.length);
      for (const [id, fn] of ours) expect(fn.Properties?.Layers, id).toEqual([{ Ref: layer[0]?.[0] }]);
    }
  });

  it('traces every function and every state machine, with the X-Ray permissions that needs', () => {
    for (const s of [byDefault, staging]) {
      for (const [id, fn] of ofType(s, 'AWS::Lambda::Function').filter(
        ([, r]) => r.Properties?.Runtime === 'nodejs24.x',
      )) {
        expect(fn.Properties?.TracingConfig, id).toEqual({ Mode: 'Active' });
        const actions = roleStatements(s, id).flatMap((st) => asArray(st.Action));
        expect(actions, id).toEqual(
          expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        );
      }
      const machines = ofType(s, 'AWS::StepFunctions::StateMachine');
      expect(machines.length).toBeGreaterThanOrEqual(Object.keys(defaultWorkflows).length);
      for (const [id, sm] of machines) {
        expect(sm.Properties?.TracingConfiguration, id).toEqual({ Enabled: true });
        const role = prop<{ 'Fn::GetAtt': string[] }>(sm, 'RoleArn')['Fn::GetAtt'][0];
        const actions = ofType(s, 'AWS::IAM::Policy')
          .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(JSON.stringify({ Ref: role })))
          .flatMap(([, r]) => asArray(prop<{ Statement: Statement[] }>(r, 'PolicyDocument').Statement))
          .flatMap((st) => asArray(st.Action));
        expect(actions, id).toEqual(
          expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        );
      }
    }
  });
});
