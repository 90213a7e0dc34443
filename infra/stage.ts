/**
 * What one deployment of Release Desk is called and who administers it, from CDK context values
 * (`npx cdk deploy -c stage=staging -c adminUser=alice`). Without a stage the default stack keeps
 * the names of the local cloud (`release-desk` bus, registry and state machine prefix), so two
 * stages deploy side by side into one account without a name in common.
 *
 * | context            | default                          | with `stage=staging`           |
 * | ------------------ | -------------------------------- | ------------------------------ |
 * | stack              | `ReleaseDesk`                    | `ReleaseDesk-staging`          |
 * | bus, registry      | `release-desk`                   | `release-desk-staging`         |
 * | published machines | `release-desk-<workflow id>`     | `rd-staging-<workflow id>`     |
 * | `authDomainPrefix` | `<bus name>-<account id>`        | `release-desk-staging-<acct>`  |
 * | `adminUser`        | `admin`                          |                                |
 * | `adminEmail`       | none (set the password by hand)  |                                |
 * | `callbackUrls`     | `http://localhost:8080/callback` | comma-separated                |
 * | `logoutUrls`       | `http://localhost:8080/`         | comma-separated                |
 * | `throttleRateLimit`  | `100` requests per second (steady) | the stage's default route throttling |
 * | `throttleBurstLimit` | `200` requests (burst)             |                                      |
 * | `corsAllowOrigins`   | none: CORS closed                  | comma-separated `https://` origins   |
 * | `console`            | `false`: no console deployed       | `true` deploys the operator console  |
 * | `consoleAssetsDir`   | `console/dist`                     | the built console's directory        |
 */
import { EVENT_BUS_NAME } from './rules.ts';

/** The default stack's construct id and CloudFormation stack name. */
export const DEFAULT_STACK_NAME = 'ReleaseDesk';
/** The default stack's registry name (the bus's name, as EventBridge's console suggests). */
export const DEFAULT_SCHEMA_REGISTRY_NAME = 'release-desk';
/** Prefix of the state machines the workflows API creates in the default stack. */
export const DEFAULT_WORKFLOW_PREFIX = 'release-desk-';
export const DEFAULT_ADMIN_USER = 'admin';
export const DEFAULT_CALLBACK_URLS = ['http://localhost:8080/callback'] as const;
export const DEFAULT_LOGOUT_URLS = ['http://localhost:8080/'] as const;
/**
 * The `$default` stage's default route throttling: API Gateway answers 429 beyond it before any
 * function runs (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html).
 */
export const DEFAULT_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

// `rd-<stage>-` must fit the 16 characters functions/app/config.ts allows the prefix, so that a
// 63-character workflow id still makes a state machine name of at most 80 characters.
// No hyphen: `rd-staging-*` must not also match the machines of a stage `staging-2`, nor may
// stage `staging` with workflow `2-x` and stage `staging-2` with workflow `x` both make `rd-staging-2-x`.
const STAGE_PATTERN = /^[a-z][a-z0-9]{0,11}$/;
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
// Cognito domain prefixes: lower-case letters, digits and hyphens, at most 63, none of these words.
const DOMAIN_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_IN_DOMAIN = /aws|amazon|cognito/;
// The API's user ids (functions/http/contract/common.ts ID_PATTERN); never an e-mail address, which
// a pool with e-mail sign-in refuses as a user name.
const USER_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// A browser origin: scheme, host and port only. No wildcard (`*`, `https://*`): the allow-list is
// the whole point; plain HTTP only for a developer's localhost.
const ORIGIN_PATTERN = /^(https:\/\/[a-z0-9.-]+|http:\/\/localhost)(:\d{1,5})?$/;

/** The names and identities of one deployment. */
export interface StageSettings {
  /** The `stage` context value, or `undefined` for the default stack. */
  readonly stage: string | undefined;
  /** Construct id and CloudFormation stack name. */
  readonly stackName: string;
  readonly eventBusName: string;
  readonly schemaRegistryName: string;
  /** WORKFLOW_STATE_MACHINE_PREFIX: names (and IAM grants on `<prefix>*`) of API-published machines. */
  readonly workflowStateMachinePrefix: string;
  /** The hosted UI's domain prefix; `undefined` derives `<bus name>-<account id>` at deploy time. */
  readonly authDomainPrefix: string | undefined;
  /** The first administrator's Cognito user name (and user id in the table). */
  readonly adminUser: string;
  /** Where Cognito sends the administrator's temporary password; none means set it by hand. */
  readonly adminEmail: string | undefined;
  /** OAuth redirect URIs of the hosted UI (authorization code grant with PKCE). */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  /** The stage's default route throttling (requests per second, steady and burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Browser origins the HTTP API answers CORS for; empty (the default) configures no CORS at all. */
  readonly corsAllowOrigins: readonly string[];
  /** Whether the stack deploys the operator console (S3 + CloudFront, its own app client). */
  readonly console: boolean;
  /** The built console (`npm run build:console`), relative to the project; `undefined`: `console/dist`. */
  readonly consoleAssetsDir: string | undefined;
}

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

/** Thrown for a context value that cannot name a deployment; the message names the value. */
export class StageSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageSettingsError';
  }
}

function optionalString(context: ContextReader, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new StageSettingsError(`Context value ${key} must be a string.`);
  return value.trim();
}

/** A list from a comma-separated string (`-c key=a,b`) or a JSON array (cdk.json). */
function urlList(context: ContextReader, key: string, fallback: readonly string[]): readonly string[] {
  const value = context(key);
  if (value === undefined || value === null || value === '') return fallback;
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list) throw new StageSettingsError(`Context value ${key} must be a comma-separated list of URLs.`);
  const urls = list.map((u) => String(u).trim()).filter((u) => u !== '');
  for (const url of urls) {
    // Cognito accepts plain HTTP for localhost only.
    if (!/^https:\/\/[^\s]+$/.test(url) && !/^http:\/\/localhost(:\d+)?(\/[^\s]*)?$/.test(url)) {
      throw new StageSettingsError(`${key}: ${url} must be an https:// URL (or http://localhost).`);
    }
  }
  if (urls.length === 0) throw new StageSettingsError(`Context value ${key} names no URL.`);
  return urls;
}

/** A positive whole number from `-c key=123` (a string) or cdk.json (a number). */
function positiveInteger(context: ContextReader, key: string, fallback: number): number {
  const value = context(key);
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new StageSettingsError(`Context value ${key} must be a whole number of at least 1.`);
  return n;
}

/** The CORS allow-list: exact origins, comma-separated or a JSON array; none by default. */
function originList(context: ContextReader, key: string): readonly string[] {
  const value = context(key);
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list) throw new StageSettingsError(`Context value ${key} must be a comma-separated list of origins.`);
  const origins = list.map((o) => String(o).trim()).filter((o) => o !== '');
  for (const origin of origins) {
    if (!ORIGIN_PATTERN.test(origin)) {
      throw new StageSettingsError(
        `${key}: ${origin} must be an origin (https://host[:port], or http://localhost[:port]), without a path or a wildcard.`,
      );
    }
  }
  return [...new Set(origins)];
}

/** A flag from `-c key=true` (a string) or cdk.json (a boolean); off unless said. */
function flag(context: ContextReader, key: string): boolean {
  const value = context(key);
  if (value === undefined || value === null || value === '') return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new StageSettingsError(`Context value ${key} must be true or false.`);
}

function throttleSettings(context: ContextReader): StageSettings['throttle'] {
  const rateLimit = positiveInteger(context, 'throttleRateLimit', DEFAULT_THROTTLE.rateLimit);
  const burstLimit = positiveInteger(context, 'throttleBurstLimit', DEFAULT_THROTTLE.burstLimit);
  // A bucket smaller than a second's refill would refuse the steady rate it claims to allow.
  if (burstLimit < rateLimit) {
    throw new StageSettingsError(
      `throttleBurstLimit (${burstLimit}) must be at least throttleRateLimit (${rateLimit}).`,
    );
  }
  return { rateLimit, burstLimit };
}

/** The settings of the deployment the context describes; throws on a value that cannot work. */
export function stageSettings(context: ContextReader = () => undefined): StageSettings {
  const stage = optionalString(context, 'stage');
  if (stage !== undefined && !STAGE_PATTERN.test(stage)) {
    throw new StageSettingsError(
      `stage "${stage}" must be 1-12 characters of a-z and 0-9, starting with a letter (it names the stack, the bus and the state machines; a hyphen would let one stage's names and grants cover another's).`,
    );
  }
  const eventBusName = stage ? `${EVENT_BUS_NAME}-${stage}` : EVENT_BUS_NAME;
  const workflowStateMachinePrefix = stage ? `rd-${stage}-` : DEFAULT_WORKFLOW_PREFIX;
  if (!PREFIX_PATTERN.test(workflowStateMachinePrefix)) {
    throw new StageSettingsError(`The state machine prefix ${workflowStateMachinePrefix} is too long.`);
  }

  const authDomainPrefix = optionalString(context, 'authDomainPrefix');
  if (
    authDomainPrefix !== undefined &&
    (!DOMAIN_PREFIX_PATTERN.test(authDomainPrefix) || RESERVED_IN_DOMAIN.test(authDomainPrefix))
  ) {
    throw new StageSettingsError(
      `authDomainPrefix "${authDomainPrefix}" must be 1-63 characters of a-z 0-9 and inner hyphens, without "aws", "amazon" or "cognito".`,
    );
  }
  const adminUser = optionalString(context, 'adminUser') ?? DEFAULT_ADMIN_USER;
  if (!USER_PATTERN.test(adminUser)) {
    throw new StageSettingsError(
      `adminUser "${adminUser}" must be 1-128 characters of A-Z a-z 0-9 _ . : - (a user id of the API).`,
    );
  }
  const adminEmail = optionalString(context, 'adminEmail');
  if (adminEmail !== undefined && !EMAIL_PATTERN.test(adminEmail)) {
    throw new StageSettingsError(`adminEmail "${adminEmail}" is not an e-mail address.`);
  }

  return {
    stage,
    stackName: stage ? `${DEFAULT_STACK_NAME}-${stage}` : DEFAULT_STACK_NAME,
    eventBusName,
    schemaRegistryName: stage ? `${DEFAULT_SCHEMA_REGISTRY_NAME}-${stage}` : DEFAULT_SCHEMA_REGISTRY_NAME,
    workflowStateMachinePrefix,
    authDomainPrefix,
    adminUser,
    adminEmail,
    callbackUrls: urlList(context, 'callbackUrls', DEFAULT_CALLBACK_URLS),
    logoutUrls: urlList(context, 'logoutUrls', DEFAULT_LOGOUT_URLS),
    throttle: throttleSettings(context),
    corsAllowOrigins: originList(context, 'corsAllowOrigins'),
    console: flag(context, 'console'),
    consoleAssetsDir: optionalString(context, 'consoleAssetsDir'),
  };
}
