/**
 * One Lambda handler module as a function: esbuild-bundled ESM for Node.js 24 on arm64, with its
 * own role (no managed policies), its own log group, X-Ray tracing and the Powertools layer.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './bundling.ts';
import { powertoolsLayer } from './powertools-layer.ts';

/** The repository root: handler entries in `infra/functions.ts` are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HandlerFunctionProps {
  /** Handler module path relative to the project root (exports `handler`). */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default 15 seconds */
  readonly timeout?: Duration;
  /** @default 1024 MB */
  readonly memorySize?: number;
  /** @default one month */
  readonly logRetention?: RetentionDays;
}

/** A handler module deployed as a NodejsFunction. */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: latin1(`Release Desk: ${props.description}`),
    });
    // Instead of AWSLambdaBasicExecutionRole: write access to this function's log group only.
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(15),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      layers: [powertoolsLayer(this)],
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      // The options of infra/constructs/bundling.ts, which the bundle-size test and the bench
      // rebuild with; only what is about the build machine is set here.
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        externalModules: [...LAMBDA_BUNDLING.externalModules],
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray actions of active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords), which support no resource-level permissions, and, for the stream consumer, dynamodb:ListStreams, which AWS likewise only grants on "*".',
    });
  }
}

// IAM role descriptions accept Latin-1 only; the specs' descriptions use arrows.
function latin1(text: string): string {
  return text.replaceAll('→', '->').replace(/[^\t\n\r\u0020-\u007E\u00A1-\u00FF]/gu, '?');
}
