/**
 * The public HTTP contract: a Cognito user pool (callers' identities, the `admin` group, the first
 * administrator) with its hosted UI, and an API Gateway HTTP API whose routes come from
 * `functions/http/route-table.ts`, each protected by a JWT authorizer on that pool unless the route
 * is public.
 *
 * The API reads who calls from the ACCESS token (its `username` claim, functions/http/edge/middlewares.ts).
 * A person gets one through the hosted UI (authorization code grant with PKCE, a public client); a
 * script or an administrator's CLI with `aws cognito-idp admin-initiate-auth --auth-flow
 * ADMIN_USER_PASSWORD_AUTH`. Cognito access tokens carry no `aud`, only `client_id`, which API
 * Gateway checks against the authorizer's audience when `aud` is absent
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html).
 * Every protected route also requires one of the scopes access tokens carry (ID tokens carry none),
 * so an ID token, which names no `username`, is refused at the edge.
 * With the operator console deployed, the console has a public client of its own (hosted UI only),
 * whose id is a second audience of the authorizer and whose origin joins the CORS allow-list.
 *
 * Abuse limits: the `$default` stage throttles every route (steady rate and burst, from the stage
 * settings) before a function runs. CORS is closed unless the deployment names the browser origins
 * it serves: without a CORS configuration API Gateway answers no preflight and adds no
 * `Access-Control-Allow-Origin`, so browsers keep other sites' scripts from reading answers. The
 * request body limit is the edge's (`MAX_BODY_BYTES`, 413): an HTTP API's own payload quota is a
 * fixed 10 MB (docs/decisions.md, "Abuse limits in AWS").
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  type HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  CfnUserPoolUser,
  CfnUserPoolUserToGroupAttachment,
  FeaturePlan,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type HttpHandlerName, type RouteSpec, splitRouteKey } from '../../functions/http/route-table.ts';

/** The Cognito group whose members the API treats as administrators (`cognito:groups` claim). */
export const ADMIN_GROUP = 'admin';

/** The OAuth scopes the hosted UI grants (all three standard OpenID Connect ones). */
export const OAUTH_SCOPES = ['openid', 'email', 'profile'] as const;

/**
 * A protected route accepts a token with one of these scopes: `openid` (hosted UI access tokens)
 * or `aws.cognito.signin.user.admin` (access tokens of the SRP and ADMIN_USER_PASSWORD_AUTH
 * flows). ID tokens have no `scope` claim.
 */
export const ACCESS_TOKEN_SCOPES = ['openid', 'aws.cognito.signin.user.admin'] as const;

export interface ApiProps {
  readonly routes: Readonly<Record<string, RouteSpec>>;
  /** The function serving a handler name, or `undefined` when it is not deployed (its routes are skipped). */
  readonly handler: (name: HttpHandlerName) => IFunction | undefined;
  /** The HTTP API's name (the stack's name: one per stage). @default the construct path */
  readonly apiName?: string;
  /** The hosted UI's domain prefix (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly authDomainPrefix: string;
  /** Redirect URIs of the authorization code grant. */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  /** The first administrator's user name (in the `admin` group). */
  readonly adminUser: string;
  /** Cognito e-mails the administrator a temporary password there; without it, none is sent. */
  readonly adminEmail?: string | undefined;
  /** The stage's default route throttling. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins allowed cross-origin; empty configures no CORS (closed). */
  readonly corsAllowOrigins: readonly string[];
  /**
   * The operator console deployed with the stack: its app client signs in at the hosted UI and
   * redirects to `url`; its `origin` joins the CORS allow-list. @default no console
   */
  readonly console?: { readonly url: string; readonly origin: string } | undefined;
}

/** The request headers a browser may send cross-origin: the ones the edge reads. */
export const CORS_ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'if-match',
  'idempotency-key',
  'prefer',
] as const;
/** The response headers a cross-origin script may read (optimistic concurrency and created resources). */
export const CORS_EXPOSE_HEADERS = ['etag', 'location', 'preference-applied'] as const;

/** The HTTP API and the user pool its tokens come from. */
export class Api extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  /** The operator console's app client (hosted UI, code grant with PKCE), when it is deployed. */
  readonly consoleClient: UserPoolClient | undefined;
  /** The hosted UI (classic managed login) where people sign in. */
  readonly domain: UserPoolDomain;
  /** The first administrator's Cognito user. */
  readonly adminUser: CfnUserPoolUser;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  private readonly callbackUrls: readonly string[];

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.callbackUrls = props.callbackUrls;
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'TOTP MFA is offered but optional: the pool also holds technicians’ and automation accounts that sign in non-interactively; require it per deployment where policy demands.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'Essentials plan: hosted UI sign-in of admin-created users only (no self sign-up); Plus (threat protection) is a per-deployment cost decision.',
      },
    );
    const adminGroup = this.userPool.addGroup('AdminGroup', {
      groupName: ADMIN_GROUP,
      description: 'Release Desk administrators: users, teams, workflows, SLAs',
    });
    this.domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: props.authDomainPrefix },
    });
    this.client = this.userPool.addClient('ApiClient', {
      // SRP for apps, ADMIN_USER_PASSWORD_AUTH for scripts and the admin CLI (it needs IAM
      // credentials of the account: cognito-idp:AdminInitiateAuth), the hosted UI for people.
      authFlows: { userSrp: true, adminUserPassword: true },
      // A public client (a browser, a CLI): no secret to leak, so PKCE guards the code exchange.
      generateSecret: false,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
        logoutUrls: [...props.logoutUrls],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.consoleClient = props.console ? this.addConsoleClient(props.console.url) : undefined;
    const corsAllowOrigins = [...props.corsAllowOrigins, ...(props.console ? [props.console.origin] : [])];
    this.adminUser = this.addAdministrator(props.adminUser, props.adminEmail, adminGroup.groupName);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      ...(props.apiName ? { apiName: props.apiName } : {}),
      description: 'Release Desk: ITIL release and deployment management',
      createDefaultStage: false,
      // Closed by default: no CORS configuration at all, not an empty one.
      ...(corsAllowOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: corsAllowOrigins,
              allowMethods: [
                CorsHttpMethod.GET,
                CorsHttpMethod.POST,
                CorsHttpMethod.PUT,
                CorsHttpMethod.PATCH,
                CorsHttpMethod.DELETE,
              ],
              allowHeaders: [...CORS_ALLOW_HEADERS],
              exposeHeaders: [...CORS_EXPOSE_HEADERS],
              // Bearer tokens, not cookies: a browser never needs to send credentials implicitly.
              allowCredentials: false,
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.SIX_MONTHS });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const stack = Stack.of(this);
    const authorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`,
      {
        // Cognito access tokens name their client as client_id: each client's is an audience.
        jwtAudience: [this.client, ...(this.consoleClient ? [this.consoleClient] : [])].map(
          (c) => c.userPoolClientId,
        ),
        identitySource: ['$request.header.Authorization'],
      },
    );
    this.addRoutes(props, authorizer);
  }

  /** The API's base URL (ends in `/`). */
  get url(): string {
    return this.stage.url;
  }

  /** The hosted UI's base URL: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  get hostedUiUrl(): string {
    return this.domain.baseUrl();
  }

  /**
   * The authorize endpoint for the first callback URL, without the PKCE parameters a client adds
   * (`&code_challenge=<BASE64URL(SHA256(verifier))>&code_challenge_method=S256&state=…`).
   */
  authorizeUrl(redirectUri: string): string {
    const query = [
      'response_type=code',
      `client_id=${this.client.userPoolClientId}`,
      `redirect_uri=${encodeURIComponent(redirectUri)}`,
      `scope=${OAUTH_SCOPES.join('+')}`,
    ].join('&');
    return `${this.hostedUiUrl}/oauth2/authorize?${query}`;
  }

  /** Where the authorization code (with its `code_verifier`) is exchanged for tokens. */
  get tokenUrl(): string {
    return `${this.hostedUiUrl}/oauth2/token`;
  }

  /**
   * The console's own public client: the hosted UI only (authorization code grant, which Cognito
   * completes with PKCE when the authorize request carries a code_challenge; no secret, no
   * password flows), redirecting to the console's URL and nowhere else. A client of its own keeps
   * the console's redirect URIs and token lifetimes apart from the scripts' client.
   */
  private addConsoleClient(url: string): UserPoolClient {
    return this.userPool.addClient('ConsoleClient', {
      // Only refreshing tokens: a person signs in at the hosted UI, never with a password here.
      authFlows: { userSrp: false },
      generateSecret: false,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [url],
        logoutUrls: [url],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // A working day: a browser keeps a refresh token, so it lives shorter than the scripts'.
      refreshTokenValidity: Duration.hours(12),
    });
  }

  /**
   * The first administrator: a Cognito user in the `admin` group. With an e-mail address Cognito
   * sends it a temporary password; without one no message is sent and an operator sets the
   * password (`aws cognito-idp admin-set-user-password --permanent`).
   */
  private addAdministrator(userName: string, email: string | undefined, group: string): CfnUserPoolUser {
    const user = new CfnUserPoolUser(this, 'AdminUser', {
      userPoolId: this.userPool.userPoolId,
      username: userName,
      ...(email
        ? {
            userAttributes: [
              { name: 'email', value: email },
              { name: 'email_verified', value: 'true' },
            ],
            desiredDeliveryMediums: ['EMAIL'],
          }
        : { messageAction: 'SUPPRESS' }),
    });
    // Like the pool: an administrator and the password they chose outlive the stack.
    user.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const membership = new CfnUserPoolUserToGroupAttachment(this, 'AdminUserInAdminGroup', {
      userPoolId: this.userPool.userPoolId,
      username: userName,
      groupName: group,
    });
    membership.node.addDependency(user);
    membership.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return user;
  }

  /** The stack outputs a person or script needs to get a token. */
  addOutputs(scope: Construct): void {
    new CfnOutput(scope, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(scope, 'UserPoolClientId', {
      value: this.client.userPoolClientId,
      description: 'The public app client (hosted UI with PKCE, SRP, ADMIN_USER_PASSWORD_AUTH)',
    });
    new CfnOutput(scope, 'HostedUiUrl', {
      value: this.hostedUiUrl,
      description: 'Cognito hosted UI (sign-in) base URL',
    });
    new CfnOutput(scope, 'HostedUiLoginUrl', {
      value: this.domain.signInUrl(this.client, { redirectUri: this.firstCallback }),
      description: 'Hosted UI sign-in page for the first callback URL (add PKCE code_challenge parameters)',
    });
    new CfnOutput(scope, 'AuthorizeUrl', {
      value: this.authorizeUrl(this.firstCallback),
      description:
        'OAuth authorize endpoint; append &code_challenge=<BASE64URL(SHA256(verifier))>&code_challenge_method=S256',
    });
    new CfnOutput(scope, 'TokenUrl', {
      value: this.tokenUrl,
      description: 'OAuth token endpoint: grant_type=authorization_code with code_verifier',
    });
    new CfnOutput(scope, 'AdminUserName', {
      value: this.adminUser.username as string,
      description: 'The first administrator (Cognito user in the admin group, administrator in the table)',
    });
  }

  private get firstCallback(): string {
    const callback = this.callbackUrls[0];
    if (!callback) throw new Error('The app client has no callback URL');
    return callback;
  }

  private addRoutes(props: ApiProps, authorizer: IHttpRouteAuthorizer): void {
    const integrations = new Map<HttpHandlerName, HttpLambdaIntegration>();
    const integrationOf = (name: HttpHandlerName) => {
      const fn = props.handler(name);
      if (!fn) return undefined;
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${name}-integration`, fn);
        integrations.set(name, integration);
      }
      return integration;
    };

    for (const [routeKey, spec] of Object.entries(props.routes)) {
      const integration = integrationOf(spec.handler);
      if (!integration) continue;
      const { method, path } = splitRouteKey(routeKey);
      const route = new HttpRoute(this, `Route ${routeKey}`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(path, method as HttpMethod),
        integration,
        authorizer: spec.public ? new HttpNoneAuthorizer() : authorizer,
        ...(spec.public ? {} : { authorizationScopes: [...ACCESS_TOKEN_SCOPES] }),
      });
      if (spec.public) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey} is public by contract (DESIGN.md §5): liveness probe / the OpenAPI document, no data.`,
        });
      }
    }

    // Unmatched requests reach the fallback unauthenticated, so an unknown route is a 404 (or a
    // 405 naming the allowed methods) problem+json rather than API Gateway's bare 401/404.
    const fallback = integrationOf('fallback');
    if (fallback) {
      const route = new HttpRoute(this, 'Route $default', {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration: fallback,
        authorizer: new HttpNoneAuthorizer(),
      });
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          '$default only answers 404/405 problem+json for routes that do not exist; its function has no data access. Every real route has its own authorizer.',
      });
    }
  }
}

const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    subject: '$context.authorizer.claims.sub',
  }),
);
