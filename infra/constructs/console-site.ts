/**
 * The operator console in AWS (issue 16): its static assets in a private S3 bucket, served only
 * through a CloudFront distribution that reads the bucket with origin access control, over HTTPS,
 * with security headers on every answer. The console is served under `/console/` (as `npm start`
 * serves it locally) and learns where the API and the hosted UI are from a `config.json` deployed
 * beside its assets, so one bundle works in every stage and locally.
 *
 * The console's bundle is built elsewhere (`npm run build:console`, `console/build.ts`): this
 * construct only takes the directory it produced (`assetsDir`).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  CfnIdentityPool,
  CfnIdentityPoolRoleAttachment,
  type UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { FederatedPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import { executionsOf, logicalId, nagArn, stateMachineArn } from './handlers.ts';

/** Where the console lives on its distribution (and on the local cloud: `http://localhost:3000/console/`). */
export const CONSOLE_PATH = '/console/';

/** The stack outputs a deployment with the console adds (README, "The operator console"). */
export const CONSOLE_OUTPUTS = ['ConsoleUrl', 'ConsoleClientId'] as const;

/** What the console reads from `/console/config.json` to find the API and the hosted UI. */
export interface ConsoleConfig {
  /** The API's base URL (ends in `/`). */
  readonly apiUrl: string;
  /** The hosted UI's base URL, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly authDomain: string;
  /** The console's public app client (authorization code grant with PKCE, no secret). */
  readonly clientId: string;
  /** The redirect URI the console registers, its own `/console/` URL. */
  readonly redirectUri: string;
  /** Scopes the console asks for at the authorize endpoint. */
  readonly scopes: readonly string[];
  /** The Executions view: the distribution's relay to Step Functions (`/sfn/`)… */
  readonly sfnEndpoint?: string;
  /** …and how to sign for it (console/src/config.ts, `SfnSigning`). */
  readonly sfnSigning?: {
    readonly region: string;
    readonly identityEndpoint: string;
    readonly identityPoolId: string;
    readonly loginProvider: string;
    readonly host: string;
    readonly group: string;
  };
}

/** Where the distribution relays the console's Step Functions calls (the Executions view). */
export const SFN_RELAY_PATH = '/sfn/';

/** The Step Functions actions the Executions view calls: all reads, and all the relay passes. */
export const SFN_RELAY_ACTIONS = [
  'ListStateMachines',
  'ListExecutions',
  'DescribeExecution',
  'DescribeStateMachineForExecution',
  'GetExecutionHistory',
] as const;

/**
 * The CloudFront Function of the relay: only a POST naming one of the view's read actions passes
 * (so `/sfn/` is no general way into Step Functions, whatever credentials a caller holds), and
 * `/sfn/` is rewritten to `/`, where the JSON API lives and which the console signs.
 */
export const SFN_RELAY_CODE = `function handler(event) {
  var request = event.request;
  var target = request.headers['x-amz-target'];
  var allowed = ${JSON.stringify(SFN_RELAY_ACTIONS.map((a) => `AWSStepFunctions.${a}`))};
  if (request.method !== 'POST' || !target || allowed.indexOf(target.value) === -1) {
    return { statusCode: 403, statusDescription: 'Forbidden' };
  }
  request.uri = '/';
  return request;
}`;

/** What a Step Functions read needs of the stack: its machines, and the prefix of those the API publishes. */
export interface ExecutionsAccess {
  readonly userPool: UserPool;
  /** The console's app client: its ID tokens are the ones the identity pool takes. */
  readonly client: UserPoolClient;
  /** The group whose members get the read-only role (anyone else gets no credentials). */
  readonly groupName: string;
  /** The stack's own state machines. */
  readonly stateMachines: readonly StateMachine[];
  /** Name prefix of the machines the workflows API creates (`<prefix>*`). */
  readonly publishedPrefix: string;
}

export interface ConsoleSiteProps {
  /** The directory of the built console (`index.html` and its assets), e.g. `console/dist`. */
  readonly assetsDir: string;
  /**
   * The hosted UI's base URL: the console exchanges codes and refreshes tokens there, so the
   * Content-Security-Policy lets it connect.
   */
  readonly authDomainUrl: string;
}

/**
 * The CloudFront Function in front of the bucket: `/` and `/console` go to `/console/`, and a path
 * under `/console/` that names no file (a client-side route such as `/console/releases/rel_1`)
 * is answered with the console's `index.html`. Rewriting here, rather than turning the bucket's
 * 403 into a 200 with custom error responses, keeps a missing asset a real error.
 */
export const SPA_REWRITE_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/console/' } } };
  }
  if (uri.indexOf('/console/') === 0 && uri.slice(uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
    request.uri = '/console/index.html';
  }
  return request;
}`;

/**
 * The Content-Security-Policy of every answer. Scripts, styles, images and fonts only from the
 * console's own origin (no inline script, no CDN); connections to the API, the hosted UI and Cognito
 * Identity; no
 * framing. The API's host is named by its region's execute-api domain, not by its id: the API's
 * CORS allow-list names this distribution's domain, so naming the API's id here would make the API
 * and the distribution each depend on the other (docs/decisions.md, "The console in AWS").
 */
export function contentSecurityPolicy(authDomainUrl: string, region: string, urlSuffix: string): string {
  return [
    "default-src 'self'",
    // Cognito Identity: the Executions view's credentials (its Step Functions calls go to 'self').
    `connect-src 'self' https://*.execute-api.${region}.${urlSuffix} ${authDomainUrl} https://cognito-identity.${region}.${urlSuffix}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** HSTS: two years, subdomains included (the answers only ever come from CloudFront over HTTPS). */
export const HSTS_MAX_AGE = Duration.days(730);

/** The console's bucket, distribution and security headers; `publish()` deploys the assets. */
export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  /** Server access logs of the bucket and standard logs of the distribution. */
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;
  private readonly assetsDir: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.assetsDir = props.assetsDir;
    const stack = Stack.of(this);

    // CloudFront standard logs are delivered with object ACLs, which only a bucket whose object
    // ownership is ObjectWriter (or BucketOwnerPreferred) accepts.
    this.logBucket = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(180) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the console bucket and the distribution; logging it into itself would log its own log deliveries.',
    });

    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // Retained like the log bucket: deleting a non-empty bucket would fail the stack's deletion,
      // and emptying it on delete would take another custom resource function.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Release Desk console: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(props.authDomainUrl, stack.region, stack.urlSuffix),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const rewrite = new EdgeFunction(this, 'SpaRewrite', {
      code: FunctionCode.fromInline(SPA_REWRITE_CODE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Release Desk console: / to /console/, client-side routes to index.html',
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${stack.stackName} operator console`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        responseHeadersPolicy: this.headers,
        functionAssociations: [{ function: rewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Operators sign in from wherever they work; the console holds no data (the API authorizes every call), so no country is refused.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static assets only, behind the API’s own JWT authorizer and throttling; a WAF web ACL is a per-deployment cost decision, attachable without a change here.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Served on the distribution’s cloudfront.net name with CloudFront’s default certificate, whose minimum protocol CloudFront fixes; a custom domain with its own certificate (TLSv1.2_2021) is a per-deployment choice.',
      },
    );
  }

  /**
   * The Executions view in AWS (docs/decisions.md, "The Executions view in AWS"). Step Functions
   * answers no CORS, so the distribution relays `/sfn/` to it (same origin for the browser); the
   * console signs each call with credentials from an identity pool that only the given group's
   * members get, for a role that may only read this stack's state machines and executions.
   * Returns what `config.json` says of it.
   */
  enableExecutions(access: ExecutionsAccess): Pick<ConsoleConfig, 'sfnEndpoint' | 'sfnSigning'> {
    const stack = Stack.of(this);
    const sfnHost = `states.${stack.region}.${stack.urlSuffix}`;
    // Authorization and the x-amz-* headers reach the origin as part of the cache key (an origin
    // request policy may not name Authorization), and nothing else does; POST answers are never
    // cached anyway.
    const signedCalls = new CachePolicy(this, 'SfnRelayCachePolicy', {
      comment: 'Release Desk console: signed Step Functions calls, forwarded whole, never cached',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList(
        'Authorization',
        'Content-Type',
        'X-Amz-Date',
        'X-Amz-Security-Token',
        'X-Amz-Target',
      ),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
    });
    const relay = new EdgeFunction(this, 'SfnRelayRewrite', {
      code: FunctionCode.fromInline(SFN_RELAY_CODE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Release Desk console: /sfn/ to Step Functions at /',
    });
    this.distribution.addBehavior(SFN_RELAY_PATH, new HttpOrigin(sfnHost), {
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: signedCalls,
      responseHeadersPolicy: this.headers,
      functionAssociations: [{ function: relay, eventType: FunctionEventType.VIEWER_REQUEST }],
    });

    const loginProvider = access.userPool.userPoolProviderName;
    const pool = new CfnIdentityPool(this, 'ExecutionsIdentityPool', {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [
        { providerName: loginProvider, clientId: access.client.userPoolClientId, serverSideTokenCheck: true },
      ],
    });
    const reader = new Role(this, 'ExecutionsReader', {
      description: 'Release Desk console: read the state machines and executions of this stack',
      maxSessionDuration: Duration.hours(1),
      assumedBy: new FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': pool.ref },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    const published = `${access.publishedPrefix}*`;
    // ListStateMachines has no resource-level permission: "*" is the only resource it takes.
    reader.addToPolicy(new PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }));
    reader.addToPolicy(
      new PolicyStatement({
        actions: ['states:ListExecutions'],
        resources: [...access.stateMachines.map((m) => m.stateMachineArn), stateMachineArn(stack, published)],
      }),
    );
    reader.addToPolicy(
      new PolicyStatement({
        actions: [
          'states:DescribeExecution',
          'states:DescribeStateMachineForExecution',
          'states:GetExecutionHistory',
        ],
        resources: [
          ...access.stateMachines.map((m) => executionsOf(stack, m.stateMachineName)),
          executionsOf(stack, published),
        ],
      }),
    );
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(reader).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    acknowledge('*', 'states:ListStateMachines takes no resource but "*"; the role may only read.');
    acknowledge(
      nagArn('stateMachine', published),
      `Read only: the machines the workflows API creates at run time are named ${published}.`,
    );
    for (const m of access.stateMachines)
      acknowledge(
        nagArn('execution', `<${logicalId(m)}.Name>:*`),
        `Read only: execution names are release / RFC ids, unknown at deploy time; the wildcard covers only the executions of ${m.node.id}.`,
      );
    acknowledge(
      nagArn('execution', `${published}:*`),
      `Read only: the executions of the ${published} machines the workflows API creates at run time.`,
    );
    new CfnIdentityPoolRoleAttachment(this, 'ExecutionsRoles', {
      identityPoolId: pool.ref,
      roleMappings: {
        console: {
          identityProvider: `${loginProvider}:${access.client.userPoolClientId}`,
          type: 'Rules',
          // Anyone the rule does not name gets no credentials at all (not a default role).
          ambiguousRoleResolution: 'Deny',
          rulesConfiguration: {
            rules: [
              {
                claim: 'cognito:groups',
                matchType: 'Contains',
                value: access.groupName,
                roleArn: reader.roleArn,
              },
            ],
          },
        },
      },
    });
    return {
      sfnEndpoint: `${this.origin}${SFN_RELAY_PATH}`,
      sfnSigning: {
        region: stack.region,
        // Named here rather than built in the bundle: the console then names no AWS host of its own.
        identityEndpoint: `https://cognito-identity.${stack.region}.${stack.urlSuffix}/`,
        identityPoolId: pool.ref,
        loginProvider,
        host: sfnHost,
        group: access.groupName,
      },
    };
  }

  /** The console's URL, `https://<distribution>.cloudfront.net/console/`. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}`;
  }

  /** The console's origin (scheme and host), the one the API's CORS allow-list names. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /**
   * Deploys the assets under `console/` with `config.json` beside them, and invalidates the
   * distribution's copies of them so the new bundle is served at once.
   */
  publish(config: ConsoleConfig): BucketDeployment {
    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(this.assetsDir), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
      memoryLimit: 256,
    });
    this.acknowledgeDeploymentHandler(deployment);
    return deployment;
  }

  /**
   * The deployment runs CDK's own handler (a singleton function at the stack's root, one per memory
   * size): its runtime, managed logging policy and grants are CDK's, not this project's to narrow.
   */
  private acknowledgeDeploymentHandler(deployment: BucketDeployment): void {
    const stack = Stack.of(this);
    const handler: IConstruct | undefined = stack.node.children.find((c) =>
      c.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (!handler) throw new Error(`No BucketDeployment handler beside ${deployment.node.path}`);
    const cdkGrant =
      'CDK’s BucketDeployment handler: read the staged asset, write and prune the console bucket (aws s3 sync --delete), with CDK’s own grant sets, scoped to those two buckets';
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK’s BucketDeployment handler logs with the basic execution policy CDK attaches; it holds only log writes.',
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: cdkGrant,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: `${cdkGrant}: the bootstrap assets bucket's objects, where the zipped console is staged.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`,
        reason: `${cdkGrant}: every object of the console bucket, which the sync replaces.`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudFront invalidations (cloudfront:CreateInvalidation, GetInvalidation) as CDK grants them to the BucketDeployment handler, which invalidates the new console’s paths.',
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          'CDK’s BucketDeployment handler: its Python runtime is pinned by the aws-cdk-lib version, upgraded with it.',
      },
    );
  }
}
