/**
 * The console's configuration, read once at start from `config.json` beside it: in AWS the stack
 * deploys one (infra/constructs/console-site.ts, `ConsoleConfig`) naming the API and the hosted
 * UI; on the local cloud there is none with a hosted UI, and the local sign-in is used.
 */

import type { IdentityPoolConfig } from './aws-credentials.ts';

/** Where the console finds its configuration (hash routes keep the page itself at `/console/`). */
export const CONFIG_PATH = '/console/config.json';

/** `config.json` as deployed; every field optional because the local cloud's names none of the hosted UI. */
export interface ConsoleConfig {
  readonly apiUrl?: string;
  readonly authDomain?: string;
  readonly clientId?: string;
  readonly redirectUri?: string;
  readonly scopes?: readonly string[];
  /**
   * The Step Functions endpoint the browser calls for the Executions view: the local cloud's own,
   * or in AWS the console distribution's `/sfn/` path, which relays to Step Functions.
   */
  readonly sfnEndpoint?: string;
  /** In AWS: how to sign those calls (identity pool credentials; the host the signature names). */
  readonly sfnSigning?: SfnSigning;
}

/** console-site.ts `ConsoleConfig.sfnSigning`. */
export interface SfnSigning extends IdentityPoolConfig {
  /** `states.<region>.amazonaws.com`: the relay forwards to it, so the signature names it. */
  readonly host: string;
  /** The Cognito group whose members the identity pool gives credentials (the stack's `admin`). */
  readonly group: string;
}

/** The Cognito hosted UI (managed login) the console signs in with, when the config names one. */
export interface HostedUi {
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, without a trailing slash. */
  readonly authDomain: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}

/** A config.json that is there but unusable: better said at once than half-working sign-in. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

let current: ConsoleConfig = {};

/**
 * Fetches `config.json`. A 404 means the local cloud (or a build served without one): an empty
 * config, so the console talks to its own origin and offers the local sign-in.
 */
export async function loadConfig(fetchFn: typeof fetch = fetch): Promise<ConsoleConfig> {
  const res = await fetchFn(CONFIG_PATH, { cache: 'no-store' });
  if (res.status === 404) return {};
  if (!res.ok) throw new ConfigError(`${CONFIG_PATH} answered ${res.status}.`);
  let body: unknown;
  try {
    body = await res.json();
  } catch (error) {
    throw new ConfigError(`${CONFIG_PATH} is not JSON.`, { cause: error });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ConfigError(`${CONFIG_PATH} is not a JSON object.`);
  return body as ConsoleConfig;
}

/** Makes `config` the one {@link apiUrlFor} and {@link hostedUi} read. */
export function applyConfig(config: ConsoleConfig): void {
  current = config;
}

/** The hosted UI of `config`, or undefined when it names none (the local cloud). */
export function hostedUiOf(config: ConsoleConfig): HostedUi | undefined {
  const { authDomain, clientId } = config;
  if (!authDomain || !clientId) return undefined;
  return {
    // console-site.ts deploys the full base URL; a trailing slash is tolerated.
    authDomain: authDomain.replace(/\/+$/, ''),
    clientId,
    redirectUri:
      config.redirectUri ??
      `${(globalThis as { location?: { origin: string } }).location?.origin ?? ''}/console/`,
    scopes: config.scopes?.length ? config.scopes : ['openid'],
  };
}

/** The hosted UI of the config in use. */
export function hostedUi(): HostedUi | undefined {
  return hostedUiOf(current);
}

/**
 * The URL of an API path: under `apiUrl` when the config names one (in AWS the API is another
 * origin, with a stage in its path), else the path itself on the console's own origin.
 */
export function apiUrlFor(path: string, config: ConsoleConfig = current): string {
  if (!config.apiUrl) return path;
  return `${config.apiUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The Step Functions endpoint of the config in use (the Executions view), or undefined (none). */
export function sfnEndpoint(): string | undefined {
  return current.sfnEndpoint;
}

/** How to sign Step Functions calls (AWS), or undefined (the local endpoint takes them unsigned). */
export function sfnSigning(): SfnSigning | undefined {
  return current.sfnSigning;
}
