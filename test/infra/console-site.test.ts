/**
 * CDK assertions on the operator console in AWS (issue 16): absent unless `console` is on; with it,
 * a private bucket read only by the distribution through origin access control, security headers
 * on every answer, the console's own public app client (code grant, no secret) redirecting to the
 * console, its origin in the API's CORS allow-list and its client among the authorizer's
 * audiences, `config.json` beside the assets, and a clean cdk-nag report. Synthesized without
 * bundling the functions (the stack test checks the bundles); the console's "bundle" is a
 * directory this file writes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_OUTPUTS,
  CONSOLE_PATH,
  SFN_RELAY_ACTIONS,
  SFN_RELAY_CODE,
  SFN_RELAY_PATH,
  SPA_REWRITE_CODE,
} from '../../infra/constructs/console-site.ts';
import { createReleaseDeskApp } from '../../infra/release-desk-app.ts';
import { ConsoleNotBuiltError, type ReleaseDeskStack } from '../../infra/release-desk-stack.ts';
import { StageSettingsError, stageSettings } from '../../infra/stage.ts';
import { synthesizeApp } from '../support/synth.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] };
interface Synthesized {
  readonly app: App;
  readonly stack: ReleaseDeskStack;
  readonly resources: Record<string, Resource>;
  readonly outputs: Record<string, { Value: unknown }>;
  readonly error: unknown;
}

const scratch = mkdtempSync(join(tmpdir(), 'release-desk-console-'));
const assetsDir = join(scratch, 'dist');

function synthesize(context: Record<string, unknown>): Synthesized {
  const { app, stack, template, error } = synthesizeApp<{
    Resources: Record<string, Resource>;
    Outputs?: Record<string, { Value: unknown }>;
  }>(context, mkdtempSync(join(scratch, 'out-')));
  return { app, stack, resources: template.Resources, outputs: template.Outputs ?? {}, error };
}

let off: Synthesized;
let on: Synthesized;

beforeAll(() => {
  mkdirSync(assetsDir);
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>Release Desk</title>');
  off = synthesize({});
  on = synthesize({
    console: 'true',
    consoleAssetsDir: assetsDir,
    corsAllowOrigins: 'https://desk.example.com',
  });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const ofType = (s: Synthesized, type: string) =>
  Object.entries(s.resources).filter(([, r]) => r.Type === type);
function only(s: Synthesized, type: string): [string, Record<string, unknown>] {
  const found = ofType(s, type);
  expect(found, type).toHaveLength(1);
  const [id, resource] = found[0] as [string, Resource];
  return [id, resource.Properties ?? {}];
}
/** The console's distribution domain as the template refers to it. */
const domainOf = (s: Synthesized) => ({
  'Fn::GetAtt': [only(s, 'AWS::CloudFront::Distribution')[0], 'DomainName'],
});
const consoleUrl = (s: Synthesized) => ({ 'Fn::Join': ['', ['https://', domainOf(s), CONSOLE_PATH]] });
const consoleClient = (s: Synthesized) => {
  const clients = ofType(s, 'AWS::Cognito::UserPoolClient').filter(([id]) => id.includes('ConsoleClient'));
  expect(clients).toHaveLength(1);
  return clients[0] as [string, Resource];
};

describe('the console is off by default', () => {
  it('deploys no bucket, distribution, deployment or console client, and keeps CORS closed', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::CloudFront::Distribution',
      'AWS::CloudFront::ResponseHeadersPolicy',
      'Custom::CDKBucketDeployment',
    ]) {
      expect(ofType(off, type), type).toEqual([]);
    }
    expect(ofType(off, 'AWS::Cognito::UserPoolClient')).toHaveLength(1);
    expect(off.stack.console).toBeUndefined();
    expect(off.outputs.ConsoleUrl).toBeUndefined();
    expect(only(off, 'AWS::ApiGatewayV2::Api')[1].CorsConfiguration).toBeUndefined();
  });

  it('reads the flag from context: true or false, nothing else', () => {
    const context = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(stageSettings().console).toBe(false);
    expect(stageSettings(context({ console: 'true' })).console).toBe(true);
    expect(stageSettings(context({ console: true })).console).toBe(true);
    expect(stageSettings(context({ console: 'false' })).console).toBe(false);
    expect(() => stageSettings(context({ console: 'yes' }))).toThrow(StageSettingsError);
  });

  it('refuses to synthesize a console that was not built, naming the build', () => {
    expect(() =>
      createReleaseDeskApp(
        { context: { console: 'true', 'aws:cdk:bundling-stacks': [] } },
        { consoleAssetsDir: join(scratch, 'missing') },
      ),
    ).toThrow(ConsoleNotBuiltError);
    expect(new ConsoleNotBuiltError('x').message).toContain('npm run build:console');
  });
});

describe('with console=true', () => {
  it('keeps the bucket private: all public access blocked, encrypted, no website hosting, logged', () => {
    const buckets = ofType(on, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties?.BucketEncryption, id).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(bucket.Properties?.WebsiteConfiguration, id).toBeUndefined();
    }
    const assets = on.stack.getLogicalId(on.stack.console?.bucket.node.defaultChild as never);
    expect(on.resources[assets]?.Properties?.LoggingConfiguration).toMatchObject({ LogFilePrefix: 's3/' });
  });

  it('lets only this distribution read the bucket (origin access control, not an identity), over TLS only', () => {
    const [oacId, oac] = only(on, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(ofType(on, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual([]);
    const [distId, dist] = only(on, 'AWS::CloudFront::Distribution');
    const config = dist.DistributionConfig as Record<string, unknown> & {
      Origins: { OriginAccessControlId: unknown; S3OriginConfig?: unknown; DomainName: unknown }[];
    };
    // Two origins: the bucket, and Step Functions for the Executions view's relay (tested below).
    expect(config.Origins).toHaveLength(2);
    const s3 = config.Origins.filter((o) => o.S3OriginConfig !== undefined);
    expect(s3).toHaveLength(1);
    expect(s3[0]?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(s3[0]?.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });

    const assets = on.stack.getLogicalId(on.stack.console?.bucket.node.defaultChild as never);
    const policies = ofType(on, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: assets }),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.[1].Properties?.PolicyDocument as
      | { Statement: Record<string, unknown>[] }
      | undefined;
    const statements = document?.Statement ?? [];
    // TLS only: every request over plain HTTP is denied.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    // Reads: the CloudFront service, for requests of this distribution only. Nothing else is
    // allowed here (the deployment handler writes through its role's identity policy).
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
      }),
    ]);
    expect(JSON.stringify(allows[0]?.Condition)).toContain(distId);
  });

  it('serves HTTPS only, index.html at the root, client-side routes rewritten to the console', () => {
    const [, dist] = only(on, 'AWS::CloudFront::Distribution');
    const config = dist.DistributionConfig as {
      DefaultRootObject: string;
      DefaultCacheBehavior: Record<string, unknown> & { FunctionAssociations: { EventType: string }[] };
      Logging: Record<string, unknown>;
      CustomErrorResponses?: unknown;
    };
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([
      expect.objectContaining({ EventType: 'viewer-request' }),
    ]);
    // A missing asset stays an error: no 403/404 turned into index.html.
    expect(config.CustomErrorResponses).toBeUndefined();
    expect(config.Logging).toMatchObject({ Prefix: 'cloudfront/' });
    const codes = ofType(on, 'AWS::CloudFront::Function').map(([, f]) => f.Properties?.FunctionCode);
    expect(codes.sort()).toEqual([SFN_RELAY_CODE, SPA_REWRITE_CODE].sort());
  });

  it('rewrites as it says: / to /console/, routes to index.html, files untouched', () => {
    const handler = new Function(`${SPA_REWRITE_CODE}; return handler;`)() as (e: {
      request: { uri: string };
    }) => { uri?: string; statusCode?: number; headers?: { location: { value: string } } };
    const at = (uri: string) => handler({ request: { uri } });
    expect(at('/')).toMatchObject({ statusCode: 301, headers: { location: { value: '/console/' } } });
    expect(at('/console')).toMatchObject({ statusCode: 301 });
    expect(at('/console/').uri).toBe('/console/index.html');
    expect(at('/console/releases/rel_1').uri).toBe('/console/index.html');
    expect(at('/console/app.js').uri).toBe('/console/app.js');
    expect(at('/console/config.json').uri).toBe('/console/config.json');
    expect(at('/elsewhere.txt').uri).toBe('/elsewhere.txt');
  });

  it('adds the security headers to every answer: HSTS, CSP, nosniff, DENY, referrer policy', () => {
    const [policyId, policy] = only(on, 'AWS::CloudFront::ResponseHeadersPolicy');
    const [, dist] = only(on, 'AWS::CloudFront::Distribution');
    expect(
      (dist.DistributionConfig as { DefaultCacheBehavior: { ResponseHeadersPolicyId: unknown } })
        .DefaultCacheBehavior.ResponseHeadersPolicyId,
    ).toEqual({ Ref: policyId });
    const headers = (policy.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, unknown> })
      .SecurityHeadersConfig;
    expect(headers).toMatchObject({
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Override: true,
      },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    const csp = JSON.stringify(
      (headers.ContentSecurityPolicy as { ContentSecurityPolicy: unknown }).ContentSecurityPolicy,
    );
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/\*\.execute-api\./);
    // The hosted UI's domain, where the console exchanges its code and refreshes its tokens.
    expect(csp).toContain('.auth.');
    expect(csp).toContain('amazoncognito.com');
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('gives the console its own public client: hosted UI, code grant only, no secret, no password flows', () => {
    const [, client] = consoleClient(on);
    expect(client.Properties).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      CallbackURLs: [consoleUrl(on)],
      LogoutURLs: [consoleUrl(on)],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    // One hosted UI domain for the pool, with or without the console.
    expect(ofType(on, 'AWS::Cognito::UserPoolDomain')).toHaveLength(1);
    expect(ofType(on, 'AWS::Cognito::UserPoolClient')).toHaveLength(2);
  });

  it("accepts the console's access tokens at the API and lets its origin call it cross-origin", () => {
    const [clientId] = consoleClient(on);
    const [, authorizer] = only(on, 'AWS::ApiGatewayV2::Authorizer');
    expect((authorizer.JwtConfiguration as { Audience: unknown[] }).Audience).toContainEqual({
      Ref: clientId,
    });
    expect((authorizer.JwtConfiguration as { Audience: unknown[] }).Audience).toHaveLength(2);
    const cors = only(on, 'AWS::ApiGatewayV2::Api')[1].CorsConfiguration as Record<string, unknown>;
    expect(cors.AllowOrigins).toEqual([
      'https://desk.example.com',
      { 'Fn::Join': ['', ['https://', domainOf(on)]] },
    ]);
    expect(cors.AllowCredentials).toBe(false);
  });

  it('deploys the assets under console/ with config.json (API, hosted UI, client) and invalidates them', () => {
    const [, deployment] = only(on, 'Custom::CDKBucketDeployment');
    expect(deployment).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      DistributionPaths: ['/console/*'],
      Prune: true,
    });
    expect(deployment.SourceObjectKeys as unknown[]).toHaveLength(2);
    const markers = JSON.stringify(deployment.SourceMarkers);
    const [clientId] = consoleClient(on);
    expect(markers).toContain(clientId);
    expect(markers).toContain(only(on, 'AWS::ApiGatewayV2::Api')[0]);
    expect(markers).toContain(only(on, 'AWS::Cognito::UserPoolDomain')[0]);
    expect(on.outputs.ConsoleUrl?.Value).toEqual(consoleUrl(on));
    expect(on.outputs.ConsoleClientId?.Value).toEqual({ Ref: clientId });
  });
});

describe('the Executions view in AWS (Step Functions answers no CORS)', () => {
  it("relays only the view's reads on /sfn/ to Step Functions over HTTPS, rewritten to /, signed headers forwarded, nothing cached", () => {
    const [, dist] = only(on, 'AWS::CloudFront::Distribution');
    const config = dist.DistributionConfig as {
      Origins: { Id: string; DomainName: unknown; CustomOriginConfig?: Record<string, unknown> }[];
      CacheBehaviors: Record<string, unknown>[];
    };
    const sfnOrigin = config.Origins.find((o) => o.CustomOriginConfig !== undefined);
    expect(sfnOrigin?.DomainName).toEqual({
      'Fn::Join': ['', ['states.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
    expect(sfnOrigin?.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(config.CacheBehaviors).toHaveLength(1);
    const behavior = config.CacheBehaviors[0] as Record<string, unknown> & {
      FunctionAssociations: { FunctionARN: { 'Fn::GetAtt': [string, string] }; EventType: string }[];
      CachePolicyId: { Ref: string };
    };
    expect(behavior).toMatchObject({
      PathPattern: SFN_RELAY_PATH,
      TargetOriginId: sfnOrigin?.Id,
      ViewerProtocolPolicy: 'https-only',
    });
    expect(behavior.AllowedMethods).toContain('POST');
    // The rewrite: Step Functions' JSON API is at /, the path the console signs.
    const [fnId] = behavior.FunctionAssociations[0]?.FunctionARN['Fn::GetAtt'] ?? [];
    expect(on.resources[fnId ?? '']?.Properties?.FunctionCode).toBe(SFN_RELAY_CODE);
    expect(behavior.FunctionAssociations[0]?.EventType).toBe('viewer-request');
    const handler = new Function(`${SFN_RELAY_CODE}; return handler;`)() as (e: unknown) => {
      uri?: string;
      statusCode?: number;
    };
    const call = (method: string, target?: string) =>
      handler({
        request: { uri: '/sfn/', method, headers: target ? { 'x-amz-target': { value: target } } : {} },
      });
    for (const action of SFN_RELAY_ACTIONS)
      expect(call('POST', `AWSStepFunctions.${action}`).uri, action).toBe('/');
    // Only the view's reads pass: no writes, no other verbs, nothing without a target.
    expect(call('POST', 'AWSStepFunctions.StartExecution')).toEqual({
      statusCode: 403,
      statusDescription: 'Forbidden',
    });
    expect(call('POST', 'AWSStepFunctions.StopExecution').statusCode).toBe(403);
    expect(call('GET', 'AWSStepFunctions.ListStateMachines').statusCode).toBe(403);
    expect(call('POST').statusCode).toBe(403);
    // Authorization can reach an origin only in the cache key; POSTs are never cached.
    const policy = on.resources[behavior.CachePolicyId.Ref]?.Properties?.CachePolicyConfig as {
      MaxTTL: number;
      DefaultTTL: number;
      ParametersInCacheKeyAndForwardedToOrigin: {
        HeadersConfig: { HeaderBehavior: string; Headers: string[] };
      };
    };
    expect(policy.DefaultTTL).toBe(0);
    expect(policy.MaxTTL).toBeLessThanOrEqual(1);
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: ['Authorization', 'Content-Type', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Target'],
    });
  });

  it('gives credentials only to signed-in administrators of the console client (no guests, no classic flow)', () => {
    const [poolId, pool] = only(on, 'AWS::Cognito::IdentityPool');
    const [clientId] = consoleClient(on);
    expect(pool).toMatchObject({ AllowUnauthenticatedIdentities: false, AllowClassicFlow: false });
    expect(pool.CognitoIdentityProviders).toEqual([
      expect.objectContaining({ ClientId: { Ref: clientId }, ServerSideTokenCheck: true }),
    ]);
    const [, attachment] = only(on, 'AWS::Cognito::IdentityPoolRoleAttachment');
    expect(attachment.IdentityPoolId).toEqual({ Ref: poolId });
    expect(attachment.Roles).toBeUndefined();
    const mappings = Object.values(attachment.RoleMappings as Record<string, Record<string, unknown>>);
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: {
        Rules: [expect.objectContaining({ Claim: 'cognito:groups', MatchType: 'Contains', Value: 'admin' })],
      },
    });
    expect(JSON.stringify(mappings[0]?.IdentityProvider)).toContain(clientId);
  });

  it('lets that role only read state machines and executions of this stack', () => {
    const roles = ofType(on, 'AWS::IAM::Role').filter(([id]) => id.includes('ExecutionsReader'));
    expect(roles).toHaveLength(1);
    const [roleId, role] = roles[0] as [string, Resource];
    const [poolId] = only(on, 'AWS::Cognito::IdentityPool');
    expect(role.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Effect: 'Allow',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolId } },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
        },
      ],
    });
    const policies = ofType(on, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Roles).includes(roleId),
    );
    const statements = policies.flatMap(
      ([, p]) =>
        (
          p.Properties?.PolicyDocument as
            | { Statement: { Action: string | string[]; Resource: unknown }[] }
            | undefined
        )?.Statement ?? [],
    );
    expect(statements.flatMap((st) => [st.Action].flat()).sort()).toEqual([
      'states:DescribeExecution',
      'states:DescribeStateMachineForExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:ListStateMachines',
    ]);
    const list = statements.find((st) => st.Action === 'states:ListStateMachines');
    expect(list?.Resource).toBe('*');
    // Everything else names this account's states ARNs: never a bare wildcard.
    for (const st of statements.filter((x) => x !== list)) {
      const resources = [st.Resource].flat();
      expect(resources).not.toContain('*');
      for (const r of resources) expect(JSON.stringify(r)).toMatch(/states|StateMachine|Workflows/);
    }
  });

  it('tells the console where to call and how to sign, and lets the CSP reach Cognito Identity', () => {
    const [, deployment] = only(on, 'Custom::CDKBucketDeployment');
    const markers = JSON.stringify(deployment.SourceMarkers);
    expect(markers).toContain(only(on, 'AWS::Cognito::IdentityPool')[0]);
    const [, headers] = only(on, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(JSON.stringify(headers)).toContain('https://cognito-identity.');
  });
});

describe("the README's console section, followed on the synthesized template", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const deploy = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('## Architecture'));

  it('names the context values, the build and the outputs a console deployment has', () => {
    for (const value of ['console', 'consoleAssetsDir']) expect(deploy).toContain(`\`${value}\``);
    expect(deploy).toContain('npm run build:console');
    expect(deploy).toContain('-c console=true');
    for (const output of CONSOLE_OUTPUTS) {
      expect(deploy).toContain(`\`${output}\``);
      expect(Object.keys(on.outputs), output).toContain(output);
    }
  });
});

describe('cdk-nag AwsSolutions with the console on', () => {
  it('synthesizes without an unacknowledged finding', () => {
    expect(on.error).toBeUndefined();
    const report = new AwsSolutionsChecks().validateScope(on.app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });

  it("gives every acknowledgment of the console's a reason", () => {
    const console = on.stack.node
      .findAll()
      .filter((c) => c.node.path.includes('/Console') || c.node.path.includes('BucketDeployment'));
    const acknowledged = console
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(30);
  });
});
