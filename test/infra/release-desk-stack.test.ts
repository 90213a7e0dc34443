/**
 * CDK assertions on the synthesized Release Desk stack: resources, least-privilege IAM, the API's
 * authorization and a clean cdk-nag AwsSolutions report. The app (with bundling) is synthesized
 * once for the whole file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../functions/http/route-table.ts';
import { TABLE_KEYS } from '../../functions/store/table-definition.ts';
import { esbuildOptions } from '../../infra/constructs/bundling.ts';
import { PROJECT_ROOT } from '../../infra/constructs/handler-function.ts';
import { RECORD_STAGE_ARN_PLACEHOLDER, withPartitionPlaceholder } from '../../infra/constructs/workflows.ts';
import { deployedFunctions, type FunctionName, functionSpecs } from '../../infra/functions.ts';
import { createReleaseDeskApp } from '../../infra/release-desk-app.ts';
import type { ReleaseDeskStack } from '../../infra/release-desk-stack.ts';
import { EVENT_BUS_NAME, rules, schedules } from '../../infra/rules.ts';
import { compileWorkflow } from '../../workflows/compile.ts';
import { defaultWorkflows } from '../../workflows/defaults/index.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

let outdir: string;
let app: App;
let stack: ReleaseDeskStack;
let template: Template;
let resources: Record<string, Resource>;
let synthError: unknown;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'release-desk-cdk-'));
  ({ app, stack } = createReleaseDeskApp({ outdir }));
  try {
    app.synth();
  } catch (error) {
    // Reported by the cdk-nag test below; the template is written before validation runs.
    synthError = error;
  }
  template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')));
  resources = template.toJSON().Resources;
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
/** The properties of a construct's CloudFormation resource (fails when it is not in the template). */
function propsOf(construct: IConstruct): Record<string, unknown> {
  const resource = resources[logicalId(construct)];
  if (!resource) throw new Error(`${construct.node.path} is not in the template`);
  return resource.Properties ?? {};
}
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of every identity and resource policy in the template. */
function allStatements(): { owner: string; statement: Statement }[] {
  const out: { owner: string; statement: Statement }[] = [];
  const add = (owner: string, doc: unknown) => {
    for (const statement of asArray((doc as { Statement?: Statement[] } | undefined)?.Statement)) {
      out.push({ owner, statement });
    }
  };
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') add(id, p.PolicyDocument);
    if (
      r.Type === 'AWS::SQS::QueuePolicy' ||
      r.Type === 'AWS::Events::EventBusPolicy' ||
      r.Type === 'AWS::SNS::TopicPolicy'
    )
      add(id, p.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      for (const inline of asArray(p.Policies as { PolicyDocument: unknown }[] | undefined))
        add(id, inline.PolicyDocument);
    }
  }
  return out;
}

/** The identity policies attached to a deployed function's role: logical id → policy. */
function functionPolicies(name: FunctionName): [string, Resource][] {
  const roleId = (propsOf(stack.handlers.get(name)).Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return ofType('AWS::IAM::Policy').filter(([, r]) =>
    asArray(r.Properties?.Roles as unknown[]).some(
      (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
    ),
  );
}
const policiesOf = (name: FunctionName) => functionPolicies(name).map(([id]) => id);

/** The statements of the identity policies attached to a deployed function's role. */
function functionStatements(name: FunctionName): Statement[] {
  return functionPolicies(name).flatMap(([, r]) =>
    asArray((r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement),
  );
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));

/** A resource as cdk-nag spells it: `<Logical>` for Ref, `<Logical.Attr>` for GetAtt, joins concatenated. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

/** Step Functions (and iam:PassRole) action → the resources it is allowed on, rendered and sorted. */
function grantsOf(statements: Statement[]): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  for (const s of statements.filter((st) => st.Effect === 'Allow')) {
    for (const action of asArray(s.Action)) {
      if (!action.startsWith('states:') && !action.startsWith('iam:')) continue;
      grants[action] ??= new Set();
      for (const resource of asArray(s.Resource)) grants[action].add(render(resource));
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([action, set]) => [action, [...set].sort()]));
}

const STATES_ARN = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>';
/** The state machines (and their versions) the workflows API creates at run time. */
const PUBLISHED_MACHINES = [
  `${STATES_ARN}:stateMachine:release-desk-*`,
  `${STATES_ARN}:stateMachine:release-desk-*:*`,
];
const PUBLISHED_EXECUTIONS = `${STATES_ARN}:execution:release-desk-*:*`;
/** Every default workflow's state machine and its versions (`<arn>:*`). */
const defaultMachinesAndVersions = () =>
  stack.workflows.all.flatMap((sm) => [`<${logicalId(sm)}>`, `<${logicalId(sm)}>:*`]);
const defaultExecutions = () =>
  stack.workflows.all.map((sm) => `${STATES_ARN}:execution:<${logicalId(sm)}.Name>:*`);
const sorted = (values: string[]) => [...new Set(values)].sort();

/** A function's environment variables. */
const environmentOf = (name: FunctionName) =>
  (propsOf(stack.handlers.get(name)).Environment as { Variables: Record<string, unknown> }).Variables;

/** Parses a JSON environment value built with `Stack.toJsonString`, references shown as `<Logical>`. */
const parseJsonEnv = (value: unknown) => JSON.parse(render(value)) as unknown;

describe('data table', () => {
  it('has the shared key schema, the GSIs and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_KEYS.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.timeToLiveAttribute, Enabled: true },
    });
  });

  it('is on-demand, recoverable, protected and streams both images', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    });
  });
});

describe('event bus and rules', () => {
  it('creates the release-desk bus with an archive', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: EVENT_BUS_NAME });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.events.bus), 'Arn'] },
    });
  });

  it.each(rules.map((rule) => [rule.name, rule] as const))(
    'rule %s: pattern, target, retries and DLQ',
    (_, rule) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: logicalId(stack.events.bus) },
        EventPattern: rule.eventPattern,
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(stack.handlers.get(rule.target)), 'Arn'] },
            RetryPolicy: {
              MaximumRetryAttempts: Match.anyValue(),
              MaximumEventAgeInSeconds: Match.anyValue(),
            },
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [logicalId(stack.events.deadLetterQueue.queue), 'Arn'] },
            },
          }),
        ],
      });
    },
  );

  it('has exactly one rule per definition and one schedule rule per schedule', () => {
    template.resourceCountIs('AWS::Events::Rule', rules.length + schedules.length);
  });

  it('runs the reconciler every 5 minutes on the default bus, without retries (the next run makes up)', () => {
    const scheduled = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties?.ScheduleExpression);
    expect(scheduled).toHaveLength(1);
    const props = scheduled[0]?.[1].Properties ?? {};
    expect(props.ScheduleExpression).toBe('rate(5 minutes)');
    expect(props.EventBusName).toBeUndefined();
    expect(props.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(stack.handlers.get('reconcile-executions')), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
      }),
    ]);
  });

  it('lets only the outbox relay put events with source release-desk on the bus, and no other account put any', () => {
    const statements = ofType('AWS::Events::EventBusPolicy').map(
      ([, r]) => r.Properties?.Statement as Record<string, unknown>,
    );
    // Deny only: nothing in the bus's policy grants anyone anything.
    expect(statements.map((st) => st.Effect)).toEqual(['Deny', 'Deny']);
    const bus = { 'Fn::GetAtt': [logicalId(stack.events.bus), 'Arn'] };
    const relayRole = stack.handlers.get('outbox-relay').role;
    if (!relayRole) throw new Error('the outbox relay has no role');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: bus,
          Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: bus,
          Condition: {
            StringEquals: { 'events:source': 'release-desk' },
            ArnNotEquals: {
              'aws:PrincipalArn': { 'Fn::GetAtt': [logicalId(relayRole), 'Arn'] },
            },
          },
        }),
      ]),
    );
    // …and of this account's identities, only the relay's role may put events at all.
    const putters = allStatements().filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && asArray(statement.Action).includes('events:PutEvents'),
    );
    expect(putters.map(({ owner }) => owner)).toEqual(policiesOf('outbox-relay'));
  });
});

describe('outbox relay', () => {
  it('reads the table stream, only inserted event items, with partial failures and a DLQ', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const props = mappings[0]?.[1].Properties ?? {};
    expect(props).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.data.table), 'StreamArn'] },
      FunctionName: { Ref: logicalId(stack.handlers.get('outbox-relay')) },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: expect.any(Number),
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
    });
    const dlq = (props.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': string[] } } })
      .OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(resources[dlq]?.Type).toBe('AWS::SQS::Queue');
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['event'] } } } },
    ]);
  });

  it('encrypts its dead-letter queues and requires TLS', () => {
    for (const [, queue] of ofType('AWS::SQS::Queue')) {
      expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    }
    for (const [, policy] of ofType('AWS::SQS::QueuePolicy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('aws:SecureTransport');
    }
  });
});

describe('functions', () => {
  it('deploys exactly the deployed handlers', () => {
    template.resourceCountIs('AWS::Lambda::Function', deployedFunctions.length);
  });

  it('deploys every function of the manifest, the workflows, teams and users resources among them', () => {
    expect([...deployedFunctions].sort()).toEqual(Object.keys(functionSpecs).sort());
    for (const name of ['workflows', 'teams', 'users'] as const) {
      expect(propsOf(stack.handlers.get(name)), name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    }
  });

  it.each([...deployedFunctions])('%s runs nodejs24.x on arm64, traced, with its own log group', (name) => {
    const fn = propsOf(stack.handlers.get(name));
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: expect.objectContaining({
          TABLE_NAME: expect.anything(),
          EVENT_BUS_NAME: expect.anything(),
        }),
      },
    });
    const logGroup = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(resources[logGroup]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: expect.any(Number) },
    });
  });

  it.each([...deployedFunctions])(
    '%s is bundled as minified ESM with a require shim and a source map',
    (name) => {
      const key = (propsOf(stack.handlers.get(name)).Code as { S3Key: string }).S3Key;
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(existsSync(join(asset, 'index.mjs.map'))).toBe(true);
    },
  );

  it.each([...deployedFunctions])(
    '%s is the bundle the bench and the bundle-size test build (infra/constructs/bundling.ts)',
    async (name) => {
      const key = (propsOf(stack.handlers.get(name)).Code as { S3Key: string }).S3Key;
      const deployed = readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
      const rebuilt = (await build(esbuildOptions(functionSpecs[name].entry, PROJECT_ROOT))).outputFiles?.[0]
        ?.text;
      // The same code, but for the line that links the source map (written only by the stack).
      const code = deployed.replace(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/, '');
      expect(code.length).toBe(rebuilt?.length);
      expect(code === rebuilt).toBe(true);
    },
  );

  it('gives the releases function the default release state machine', () => {
    expect(environmentOf('releases')).toMatchObject({
      DEFAULT_RELEASE_STATE_MACHINE_ARN: { Ref: logicalId(stack.workflows.defaultRelease) },
    });
  });

  it.each(['releases', 'workflows'] as const)(
    'gives %s (it builds the workflow catalog) every default workflow’s state machine',
    (name) => {
      const expected = Object.fromEntries(
        [...stack.workflows.stateMachines].map(([id, sm]) => [id, `<${logicalId(sm)}>`]),
      );
      expect(Object.keys(expected).sort()).toEqual(Object.keys(defaultWorkflows).sort());
      expect(parseJsonEnv(environmentOf(name).DEFAULT_WORKFLOW_STATE_MACHINES)).toEqual(expected);
    },
  );

  it('gives the workflows function the record-stage function and the published workflows’ role', () => {
    expect(environmentOf('workflows')).toMatchObject({
      RECORD_STAGE_FUNCTION_ARN: { 'Fn::GetAtt': [logicalId(stack.handlers.get('record-stage')), 'Arn'] },
      WORKFLOW_ROLE_ARN: { 'Fn::GetAtt': [logicalId(stack.workflows.publishedRole), 'Arn'] },
    });
  });

  it('gives the workflow variables to no other function', () => {
    for (const name of deployedFunctions) {
      const env = environmentOf(name);
      const spec = functionSpecs[name];
      expect('DEFAULT_WORKFLOW_STATE_MACHINES' in env, name).toBe(spec.workflowCatalog !== undefined);
      expect('RECORD_STAGE_FUNCTION_ARN' in env, name).toBe(spec.workflowCatalog === 'publish');
      expect('WORKFLOW_ROLE_ARN' in env, name).toBe(spec.workflowCatalog === 'publish');
      expect('WORKFLOW_LOG_GROUP_ARN' in env, name).toBe(spec.workflowCatalog === 'publish');
      expect('WORKFLOW_STATE_MACHINE_PREFIX' in env, name).toBe(spec.workflowCatalog !== undefined);
    }
  });
});

describe('workflow state machines', () => {
  it('has one state machine per default workflow, compiled with the record-stage and partition substitutions', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', Object.keys(defaultWorkflows).length);
    const recordStage = logicalId(stack.handlers.get('record-stage'));
    for (const [id, definition] of Object.entries(defaultWorkflows)) {
      const sm = stack.workflows.stateMachines.get(id as keyof typeof defaultWorkflows);
      expect(sm, id).toBeDefined();
      const props = propsOf(sm as IConstruct);
      const compiled = compileWorkflow(definition, { recordStageFunctionArn: RECORD_STAGE_ARN_PLACEHOLDER });
      // The compiler's ASL, only with `arn:${Partition}:` where it says `arn:aws:`.
      const expected = JSON.parse(withPartitionPlaceholder(JSON.stringify(compiled)));
      expect(JSON.parse(props.DefinitionString as string)).toEqual(expected);
      expect(JSON.stringify(expected)).not.toContain('arn:aws:');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder CloudFormation substitutes
      expect(JSON.stringify(expected)).toContain('"arn:${Partition}:states:::lambda:invoke');
      expect(props).toMatchObject({
        DefinitionSubstitutions: {
          RecordStageFunctionArn: { 'Fn::GetAtt': [recordStage, 'Arn'] },
          Partition: { Ref: 'AWS::Partition' },
        },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
        TracingConfiguration: { Enabled: true },
      });
    }
  });
});

describe('IAM least privilege', () => {
  // Actions that support no resource-level permissions, so AWS only accepts them on "*".
  const REQUIRED_ON_ANY_RESOURCE = new Set([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'dynamodb:ListStreams',
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ]);

  // Deny statements may be broad (the queues' TLS-only policy denies sqs:* without TLS); only allows grant.
  const allows = () => allStatements().filter(({ statement }) => statement.Effect === 'Allow');

  it('has no wildcard action in any Allow statement', () => {
    const wild = allows().filter(({ statement }) => asArray(statement.Action).some((a) => a.includes('*')));
    expect(wild).toEqual([]);
  });

  it('grants actions on Resource "*" only where AWS requires it', () => {
    const workflowsPolicies = new Set(policiesOf('workflows'));
    const offending = allows()
      .filter(({ statement }) => asArray(statement.Resource).includes('*'))
      .flatMap(({ owner, statement }) =>
        asArray(statement.Action)
          .filter((a) => !REQUIRED_ON_ANY_RESOURCE.has(a))
          // No resource-level permissions either; only the workflows function's retry path needs it.
          .filter((a) => !(a === 'states:ListStateMachines' && workflowsPolicies.has(owner)))
          .map((action) => `${owner}: ${action}`),
      );
    expect(offending).toEqual([]);
  });

  it('passes no role on "*" and only the published workflows’ role, to Step Functions only', () => {
    const passRoles = allows().filter(({ statement }) =>
      asArray(statement.Action).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'),
    );
    expect(passRoles).toHaveLength(1);
    expect(policiesOf('workflows')).toContain(passRoles[0]?.owner);
    for (const { statement } of passRoles) {
      expect(statement.Action).toBe('iam:PassRole');
      expect(statement.Resource).toEqual({
        'Fn::GetAtt': [logicalId(stack.workflows.publishedRole), 'Arn'],
      });
      expect(statement.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' },
      });
    }
  });

  it('attaches no managed policies', () => {
    for (const [id, role] of ofType('AWS::IAM::Role'))
      expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
  });

  it.each([...deployedFunctions])(
    '%s gets exactly the table, bus and Step Functions grants of its spec',
    (name) => {
      const spec = functionSpecs[name];
      const statements = functionStatements(name);
      const actions = actionsOf(statements);
      const tableArn = { 'Fn::GetAtt': [logicalId(stack.data.table), 'Arn'] };
      const tableStatements = statements.filter((s) =>
        JSON.stringify(s.Resource).includes(JSON.stringify(tableArn)),
      );

      const tableActions = actionsOf(tableStatements);
      expect(tableActions.includes('dynamodb:GetItem')).toBe(spec.table !== undefined);
      expect(tableActions.includes('dynamodb:PutItem')).toBe(spec.table === 'write');

      expect(actions.includes('events:PutEvents')).toBe(spec.putEvents === true);
      for (const s of statements.filter((st) => asArray(st.Action).includes('events:PutEvents'))) {
        expect(s.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.events.bus), 'Arn'] });
      }

      // Releases run on versions: of the default machines and of the machines the API publishes.
      const expected: Record<string, string[]> = {};
      const grant = (actions: readonly string[], resources: string[]) => {
        for (const action of actions) expected[action] = sorted([...(expected[action] ?? []), ...resources]);
      };
      for (const action of spec.stepFunctions ?? []) {
        const onExecutions = action === 'DescribeExecution' || action === 'GetExecutionHistory';
        grant(
          [`states:${action}`],
          onExecutions
            ? [...defaultExecutions(), PUBLISHED_EXECUTIONS]
            : [...defaultMachinesAndVersions(), ...PUBLISHED_MACHINES],
        );
      }
      if (spec.workflowCatalog !== undefined) {
        grant(
          ['states:PublishStateMachineVersion', 'states:DescribeStateMachine'],
          defaultMachinesAndVersions(),
        );
      }
      if (spec.workflowCatalog === 'publish') {
        grant(
          [
            'states:CreateStateMachine',
            'states:UpdateStateMachine',
            'states:PublishStateMachineVersion',
            'states:DescribeStateMachine',
          ],
          PUBLISHED_MACHINES,
        );
        grant(['states:ListStateMachines'], ['*']);
        grant(['iam:PassRole'], [`<${logicalId(stack.workflows.publishedRole)}.Arn>`]);
      }
      expect(grantsOf(statements)).toEqual(expected);
    },
  );

  it.each([...deployedFunctions])(
    '%s: every action its role allows is accounted for, each on exactly its resources',
    (name) => {
      const spec = functionSpecs[name];
      const fn = stack.handlers.get(name);
      const table = `<${logicalId(stack.data.table)}.Arn>`;
      const expected: Record<string, Set<string>> = {};
      const grant = (actions: readonly string[], resources: readonly string[]) => {
        for (const action of actions) {
          expected[action] ??= new Set();
          for (const r of resources) expected[action].add(r);
        }
      };
      // Its own log group, and X-Ray (PutTraceSegments and PutTelemetryRecords take no resource:
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
      const logGroup = (propsOf(fn).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      grant(['logs:CreateLogStream', 'logs:PutLogEvents'], [`<${logGroup}.Arn>`]);
      grant(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']);
      // The table: exactly the calls the store makes; only Query reads an index.
      if (spec.table !== undefined) {
        grant(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'], [table]);
        grant(['dynamodb:Query'], [`${table}/index/*`]);
      }
      if (spec.table === 'write') {
        grant(
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
          [table],
        );
      }
      if (spec.putEvents) grant(['events:PutEvents'], [`<${logicalId(stack.events.bus)}.Arn>`]);
      if (name === 'outbox-relay') {
        // The stream subscription (ListStreams takes no resource:
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html)
        // and the dead letters of batches that fail for good.
        grant(['dynamodb:ListStreams'], ['*']);
        grant(
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          [`<${logicalId(stack.data.table)}.StreamArn>`],
        );
        const dlq = stack.outboxRelay?.deadLetterQueue.queue;
        if (!dlq) throw new Error('no outbox relay');
        grant(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [`<${logicalId(dlq)}.Arn>`]);
      }
      // A consumer's on-failure destination: its own queue, nobody else's.
      const failures = [...stack.events.failureQueues].find(([target]) => target === name)?.[1];
      if (failures) {
        grant(
          ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          [`<${logicalId(failures.queue)}.Arn>`],
        );
      }
      // Step Functions and iam:PassRole: checked resource by resource in the test above.
      for (const [action, resources] of Object.entries(grantsOf(functionStatements(name))))
        grant([action], resources);

      const actual: Record<string, Set<string>> = {};
      for (const s of functionStatements(name)) {
        expect(s.Effect).toBe('Allow');
        // Conditions only on iam:PassRole (to Step Functions), checked above.
        if (s.Condition !== undefined) expect(s.Action).toBe('iam:PassRole');
        for (const action of asArray(s.Action)) {
          actual[action] ??= new Set();
          for (const r of asArray(s.Resource)) actual[action].add(render(r));
        }
      }
      const normalize = (grants: Record<string, Set<string>>) =>
        Object.fromEntries(
          Object.entries(grants)
            .map(([action, set]) => [action, [...set].sort()] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
        );
      expect(normalize(actual)).toEqual(normalize(expected));
    },
  );

  it('grants no function Scan, BatchWriteItem, DescribeTable or any table-wide DynamoDB action', () => {
    for (const name of deployedFunctions) {
      const actions = actionsOf(functionStatements(name));
      for (const never of [
        'dynamodb:Scan',
        'dynamodb:BatchWriteItem',
        'dynamodb:DescribeTable',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
      ]) {
        expect(actions, name).not.toContain(never);
      }
    }
  });

  it('lets the workflows function publish state machines and pass their role, nothing more', () => {
    const statements = functionStatements('workflows').filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('states:') || a.startsWith('iam:')),
    );
    expect(sorted(actionsOf(statements))).toEqual(
      sorted([
        'states:CreateStateMachine',
        'states:UpdateStateMachine',
        'states:PublishStateMachineVersion',
        'states:DescribeStateMachine',
        'states:ListStateMachines',
        'iam:PassRole',
      ]),
    );
    const grants = grantsOf(statements);
    expect(grants['states:CreateStateMachine']).toEqual(sorted(PUBLISHED_MACHINES));
    // Only the API's own machines are ever updated, never the stack's defaults (issue 8.5).
    expect(grants['states:UpdateStateMachine']).toEqual(sorted(PUBLISHED_MACHINES));
    for (const action of ['states:PublishStateMachineVersion', 'states:DescribeStateMachine']) {
      expect(grants[action], action).toEqual(
        sorted([...PUBLISHED_MACHINES, ...defaultMachinesAndVersions()]),
      );
    }
    expect(grants['states:ListStateMachines']).toEqual(['*']);
    for (const s of statements) {
      if (asArray(s.Action).includes('iam:PassRole')) {
        expect(s).toMatchObject({
          Resource: { 'Fn::GetAtt': [logicalId(stack.workflows.publishedRole), 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
        });
      } else {
        expect(s.Condition, JSON.stringify(s.Action)).toBeUndefined();
      }
    }
  });

  it('lets the consumers start, and releases and the consumers signal, executions of every workflow version', () => {
    const onVersions = sorted([...defaultMachinesAndVersions(), ...PUBLISHED_MACHINES]);
    expect(grantsOf(functionStatements('start-execution'))['states:StartExecution']).toEqual(onVersions);
    // The API no longer starts executions (the Release Created / Change Recorded consumer does).
    for (const name of ['releases', 'changes'] as const) {
      expect(grantsOf(functionStatements(name))['states:StartExecution'], name).toBeUndefined();
    }
    for (const name of ['releases', 'signal-execution'] as const) {
      expect(grantsOf(functionStatements(name))['states:SendTaskSuccess'], name).toEqual(onVersions);
    }
    const releases = grantsOf(functionStatements('releases'));
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory']) {
      expect(releases[action], action).toEqual(sorted([...defaultExecutions(), PUBLISHED_EXECUTIONS]));
    }
    expect(releases['states:PublishStateMachineVersion']).toEqual(sorted(defaultMachinesAndVersions()));
    expect(releases['states:DescribeStateMachine']).toEqual(sorted(defaultMachinesAndVersions()));
  });

  it('lets state machines (default and published) invoke record-stage and nothing else', () => {
    const recordStage = { 'Fn::GetAtt': [logicalId(stack.handlers.get('record-stage')), 'Arn'] };
    const invokes = allows().filter(({ statement }) =>
      asArray(statement.Action).includes('lambda:InvokeFunction'),
    );
    expect(invokes.length).toBe(stack.workflows.all.length + 1);
    for (const { statement } of invokes) expect(statement.Resource).toEqual(recordStage);
  });

  it('has a published workflows’ role that Step Functions assumes and that may only invoke record-stage, log and trace', () => {
    const role = propsOf(stack.workflows.publishedRole);
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } },
      ],
    });
    expect(role.Policies).toBeUndefined();
    const roleId = logicalId(stack.workflows.publishedRole);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, r]) =>
        asArray((r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement),
      );
    // What StateMachine grants its own role for logs and tracing: the API's machines log and trace too.
    const defaultRole = logicalId(stack.workflows.defaultRelease.role);
    const defaultMachineStatements = ofType('AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: defaultRole }]))
      .flatMap(([, r]) =>
        asArray((r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement),
      );
    const onAnyResource = (list: Statement[]) =>
      list
        .filter((st) => st.Resource === '*')
        .flatMap((st) => asArray(st.Action))
        .sort();
    expect(onAnyResource(statements)).toEqual(onAnyResource(defaultMachineStatements));
    expect(onAnyResource(statements)).toEqual(
      expect.arrayContaining(['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'xray:PutTraceSegments']),
    );
    expect(statements.filter((st) => st.Resource !== '*')).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(stack.handlers.get('record-stage')), 'Arn'] },
      },
    ]);
  });
});

describe('HTTP API', () => {
  const authorizedRoutes = () =>
    Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [
        r.Properties?.RouteKey as string,
        r.Properties ?? {},
      ]),
    );

  it('has a route per route-table entry of a deployed handler, plus $default', () => {
    const deployed = Object.entries(routeTable).filter(([, spec]) =>
      deployedFunctions.includes(spec.handler),
    );
    expect(Object.keys(authorizedRoutes()).sort()).toEqual(
      [...deployed.map(([key]) => key), '$default'].sort(),
    );
  });

  it('integrates every route of the route table with the function of its handler', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties ?? {});
    for (const [routeKey, spec] of Object.entries(routeTable)) {
      const route = routes.find((r) => r.RouteKey === routeKey);
      if (!route) throw new Error(`${routeKey} has no route`);
      const target = (route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1];
      expect(target[0], routeKey).toBe('integrations/');
      expect(resources[target[1].Ref], routeKey).toMatchObject({
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: {
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.handlers.get(spec.handler)), 'Arn'] },
        },
      });
    }
  });

  it('puts the JWT authorizer on every route but the public ones and $default', () => {
    const authorizerId = ofType('AWS::ApiGatewayV2::Authorizer')[0]?.[0];
    for (const [routeKey, props] of Object.entries(authorizedRoutes())) {
      const open = routeKey === '$default' || routeTable[routeKey]?.public === true;
      if (open) {
        expect(props.AuthorizationType, routeKey).toBe('NONE');
        expect(props.AuthorizerId, routeKey).toBeUndefined();
        expect(props.AuthorizationScopes, routeKey).toBeUndefined();
      } else {
        expect(props.AuthorizationType, routeKey).toBe('JWT');
        expect(props.AuthorizerId, routeKey).toEqual({ Ref: authorizerId });
        // Access tokens only: hosted UI tokens carry `openid`, SRP / admin-auth tokens
        // `aws.cognito.signin.user.admin`; ID tokens carry no scope at all.
        expect(props.AuthorizationScopes, routeKey).toEqual(['openid', 'aws.cognito.signin.user.admin']);
      }
    }
    expect(
      Object.entries(authorizedRoutes())
        .filter(([, p]) => p.AuthorizationType === 'NONE')
        .map(([k]) => k)
        .sort(),
    ).toEqual(['$default', 'GET /health', 'GET /openapi.json'].sort());
  });

  it('validates tokens of the user pool and its app client', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(stack.api.client) }],
        Issuer: Match.anyValue(),
      },
    });
    const authorizer = ofType('AWS::ApiGatewayV2::Authorizer')[0]?.[1];
    expect(JSON.stringify(authorizer?.Properties?.JwtConfiguration)).toContain(
      `{"Ref":"${logicalId(stack.api.userPool)}"}`,
    );
  });

  it('logs access on the $default stage and has an admin group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
  });
});

describe('release metrics', () => {
  const tableArn = () => ({ 'Fn::GetAtt': [logicalId(stack.data.table), 'Arn'] });

  it('routes every move, back-out and incident attributed to the record-release-metrics consumer', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.events.bus) },
      EventPattern: {
        source: ['release-desk'],
        'detail-type': ['Release Stage Entered', 'Release Backed Out', 'Incident Attributed'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.handlers.get('record-release-metrics')), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.events.deadLetterQueue.queue), 'Arn'] } },
        }),
      ],
    });
  });

  it.each(['record-release-metrics', 'metrics'] as const)(
    '%s reads and writes the table (its facts and counters in one transaction), with no Step Functions and no bus',
    (name) => {
      const statements = functionStatements(name);
      const onTable = actionsOf(
        statements.filter((s) => JSON.stringify(s.Resource).includes(JSON.stringify(tableArn()))),
      );
      // A transaction's puts and condition checks are authorised as PutItem and ConditionCheckItem.
      expect(onTable).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:ConditionCheckItem',
        ]),
      );
      expect(
        actionsOf(statements).filter((a) => a.startsWith('states:') || a === 'events:PutEvents'),
      ).toEqual([]);
      expect('DEFAULT_WORKFLOW_STATE_MACHINES' in environmentOf(name)).toBe(false);
    },
  );

  it('serves both metrics routes from the metrics function, behind the JWT authorizer', () => {
    for (const routeKey of ['GET /metrics/releases', 'POST /releases/{id}/incidents']) {
      expect(routeTable[routeKey]?.handler, routeKey).toBe('metrics');
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'JWT',
      });
    }
  });
});

describe('outputs', () => {
  it('exports the API URL, user pool, client, hosted UI, alarm topic, table and bus', () => {
    const outputs = Object.keys(template.toJSON().Outputs ?? {});
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'UserPoolId',
        'UserPoolClientId',
        'HostedUiUrl',
        'HostedUiLoginUrl',
        'AuthorizeUrl',
        'TokenUrl',
        'AdminUserName',
        'AlarmTopicArn',
        'TableName',
        'EventBusName',
        'DefaultReleaseStateMachineArn',
      ]),
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes without an unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map(
        (v) =>
          `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('leaves nothing in the validation report (cdk-nag and CloudFormation Validate)', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
    };
    const findings = report.pluginReports.flatMap((p) =>
      p.violations.map((v) => `${p.pluginName}: ${v.ruleName}`),
    );
    expect(findings).toEqual([]);
  });

  it('would report a finding (the check is live)', () => {
    const scratch = new App();
    new Queue(new Stack(scratch, 'Scratch'), 'Plain');
    const report = new AwsSolutionsChecks().validateScope(scratch);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SQS4');
  });

  it('gives every acknowledgment a reason', () => {
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(30);
  });
});
