/**
 * The public HTTP contract: a Cognito user pool (callers' identities, the `admin` group) and an
 * API Gateway HTTP API whose routes come from `functions/http/route-table.ts`, each protected by
 * a JWT authorizer on that pool unless the route is public.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
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
import { AccountRecovery, FeaturePlan, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type HttpHandlerName, type RouteSpec, splitRouteKey } from '../../functions/http/route-table.ts';

/** The Cognito group whose members the API treats as administrators (`cognito:groups` claim). */
export const ADMIN_GROUP = 'admin';

export interface ApiProps {
  readonly routes: Readonly<Record<string, RouteSpec>>;
  /** The function serving a handler name, or `undefined` when it is not deployed (its routes are skipped). */
  readonly handler: (name: HttpHandlerName) => IFunction | undefined;
}

/** The HTTP API and the user pool its tokens come from. */
export class Api extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
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
          'Essentials plan: no hosted UI, no self sign-up, and admin-created users only; Plus (threat protection) is a per-deployment cost decision.',
      },
    );
    this.userPool.addGroup('AdminGroup', {
      groupName: ADMIN_GROUP,
      description: 'Release Desk administrators: users, teams, workflows, SLAs',
    });
    this.client = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      disableOAuth: true,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Release Desk: ITIL release and deployment management',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.SIX_MONTHS });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const stack = Stack.of(this);
    const authorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`,
      { jwtAudience: [this.client.userPoolClientId], identitySource: ['$request.header.Authorization'] },
    );
    this.addRoutes(props, authorizer);
  }

  /** The API's base URL (ends in `/`). */
  get url(): string {
    return this.stage.url;
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
