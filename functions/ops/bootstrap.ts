/**
 * CloudFormation custom resource `Custom::ReleaseDeskBootstrap`: on Create and Update it makes
 * sure the bootstrap release team, deployment team, change advisory board and administrator
 * exist in the table (`ensureBootstrap`, idempotent: a second run writes nothing, and a stack
 * updated from before CAB teams gets its board on the next Update). When the stack's first
 * administrator (`AdminUser`, the Cognito user name, i.e. the access token's `username`) is not
 * the bootstrap `admin`, it also makes sure that user exists as an administrator. Delete leaves
 * the data alone: the table is retained with the stack's other state.
 *
 * The function answers CloudFormation itself (a PUT to the pre-signed response URL), so the stack
 * needs no custom-resource provider framework; it answers on every path, failure and its own
 * timeout included, so a deployment never waits an hour for a response that will not come.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { requestCorrelation, withTelemetry } from '#app/telemetry';
import type { TeamPorts } from '#domain/team/service';
import { ensureBootstrap as bootstrap } from '#domain/team/service';
import { BOOTSTRAP } from '#domain/team/team';
import type { UserPorts } from '#domain/user/service';

/** The resource's physical id: there is one bootstrap per stack, and it never needs replacing. */
export const BOOTSTRAP_PHYSICAL_ID = 'release-desk-bootstrap';

/** What the custom resource's properties carry (besides CloudFormation's `ServiceToken`). */
export interface BootstrapProperties {
  /** The first administrator's user name (the `adminUser` context value; default `admin`). */
  readonly AdminUser?: string;
}

/** The JSON body CloudFormation expects at the response URL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

type Ports = TeamPorts & UserPorts;

export interface BootstrapHandlerOptions {
  /** Sends the response (default: `fetch` PUT to `event.ResponseURL`). */
  readonly respond?: (url: string, body: CustomResourceResponse) => Promise<void>;
  /** Time kept back from the function's timeout to answer in (default 5 s). */
  readonly marginMs?: number;
}

/**
 * Creates the bootstrap teams and the first administrator (`adminUser`, a member of all three)
 * where missing; returns the ids it created. No other administrator is made: a Cognito user named
 * `admin` created later must not inherit rights nobody meant to give.
 */
export async function runBootstrap(ports: Ports, adminUser: string | undefined): Promise<string[]> {
  const { created } = await bootstrap(ports, adminUser ?? BOOTSTRAP.adminUserId);
  return created;
}

/** CloudFormation reads the response from a pre-signed S3 URL: no content type may be signed. */
async function putResponse(url: string, body: CustomResourceResponse): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`CloudFormation response rejected: HTTP ${response.status}`);
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`Bootstrap did not finish within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The handler, with its ports and response channel injected (tests pass their own). */
export function createHandler(ports: () => Ports, options: BootstrapHandlerOptions = {}) {
  const respond = options.respond ?? putResponse;
  const margin = options.marginMs ?? 5_000;
  return withTelemetry(
    'bootstrap',
    requestCorrelation,
    async (event: CloudFormationCustomResourceEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
      const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : BOOTSTRAP_PHYSICAL_ID;
      const base = {
        PhysicalResourceId: physicalId,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
      };
      let body: CustomResourceResponse;
      if (event.RequestType === 'Delete') {
        body = { ...base, Status: 'SUCCESS', Reason: 'Nothing to delete: the table keeps its data.' };
      } else {
        const adminUser = (event.ResourceProperties as BootstrapProperties).AdminUser;
        try {
          const budget = Math.max(1_000, context.getRemainingTimeInMillis() - margin);
          const created = await withDeadline(runBootstrap(ports(), adminUser), budget);
          logger.info('Bootstrap done', { requestType: event.RequestType, created });
          body = {
            ...base,
            Status: 'SUCCESS',
            Reason: created.length > 0 ? `Created ${created.join(', ')}` : 'Everything already existed.',
            Data: { Created: created.join(','), AdminUser: adminUser ?? BOOTSTRAP.adminUserId },
          };
        } catch (error) {
          logger.error('Bootstrap failed', { requestType: event.RequestType, error });
          // CloudFormation shows the reason in the stack events; keep it short and free of data.
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          body = { ...base, Status: 'FAILED', Reason: reason.slice(0, 500) };
        }
      }
      await respond(event.ResponseURL, body);
    },
  );
}

export const handler = createHandler(() => environmentPorts());
