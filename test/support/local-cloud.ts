/**
 * A local cloud for one test file: in memory, on the run's shared DynamoDB Local, with a token
 * for a release manager. Tests call the API through the typed client (`api(user)`, client/index.ts)
 * so that a contract change breaks their compilation; `call()` stays for requests the contract
 * would not let the client send (malformed bodies, unknown routes, bad tokens).
 */
import { randomUUID } from 'node:crypto';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { inject } from 'vitest';
import { createReleaseDeskClient, type Problem, type ReleaseDeskClient } from '../../client/index.ts';
import { currentStateOf, executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../infra/local/cloud.ts';
import { assertResponseMatchesContract } from './openapi-validator.ts';
import { joinTeam } from './teams.ts';
import { seedUser, userFixture } from './users.ts';

export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly sfn: SFNClient;
  /**
   * The typed client as `as` (`admin` with the administrator's claim), every answer checked
   * against the contract like those of `call()`.
   */
  api(as?: string): ReleaseDeskClient;
  /** An untyped request, for what the typed client cannot send: malformed input, unknown routes. */
  call(
    method: string,
    path: string,
    body?: unknown,
    as?: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>;
  tokenFor(user: string, options?: { admin?: boolean }): Promise<string>;
  /** Moves release `id` as `rm`, answered once its execution is in the new stage (`Prefer: wait`). */
  moveWaiting(
    id: string,
    to: string,
    expectedVersion: number,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>;
  /** The execution's history and the state it is in, read with @aws-sdk/client-sfn. */
  execution(
    releaseId: string,
    stateMachineArn?: string,
  ): Promise<{ state: string | undefined; events: HistoryEvent[] }>;
  stop(): Promise<void>;
}

export async function startTestCloud(
  options: Partial<LocalCloudOptions> = {},
  users: Record<string, ('change' | 'release' | 'deployment')[]> = { rm: ['release'] },
): Promise<TestCloud> {
  const cloud = await startLocalCloud({
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `cloud-${randomUUID()}`,
    busRetry: { baseDelayMs: 20, maxDelayMs: 300 },
    ...options,
  });
  for (const [id, processes] of Object.entries(users)) {
    await seedUser(cloud.ports, userFixture(id, processes));
  }
  await joinTeam(
    cloud.ports,
    Object.entries(users)
      .filter(([, processes]) => processes.includes('release'))
      .map(([id]) => id),
  );
  const tokens = new Map<string, string>();
  const tokenFor = async (user: string, opts: { admin?: boolean } = {}) => {
    const key = `${user}:${opts.admin === true}`;
    if (!tokens.has(key)) tokens.set(key, await cloud.identity.issue(user, opts));
    return tokens.get(key) as string;
  };
  const sfn = new SFNClient({
    endpoint: cloud.sfnEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const clients = new Map<string, ReleaseDeskClient>();
  const test: TestCloud = {
    cloud,
    sfn,
    tokenFor,
    api(as = 'rm') {
      let client = clients.get(as);
      if (!client) {
        client = createReleaseDeskClient({
          baseUrl: cloud.apiUrl,
          token: () => tokenFor(as, { admin: as === 'admin' }),
        });
        client.use(contractChecked);
        clients.set(as, client);
      }
      return client;
    },
    async call(method, path, body, as = 'rm', headers = {}) {
      const res = await fetch(`${cloud.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await tokenFor(as, { admin: as === 'admin' })}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      // The gateway's own answers (401, 413) and the fallback's (404, 405) are checked here too.
      assertResponseMatchesContract(method, path, {
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: text,
      });
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
        headers: Object.fromEntries(res.headers),
      };
    },
    async moveWaiting(id, to, expectedVersion) {
      const { data, error, response } = await test.api().POST('/releases/{id}/transitions', {
        params: { path: { id } },
        body: { to, expectedVersion },
        headers: WAIT,
      });
      return {
        status: response.status,
        body: (data ?? error) as Record<string, unknown>,
        headers: Object.fromEntries(response.headers),
      };
    },
    async execution(releaseId, stateMachineArn = cloud.ports.config.defaultReleaseStateMachineArn as string) {
      const executionArn = executionArnOf(stateMachineArn, releaseId);
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return { state: currentStateOf(events), events };
    },
    async stop() {
      sfn.destroy();
      await cloud.stop();
    },
  };
  return test;
}

/** Checks every answer of the typed client against the contract, as `call()` does. */
const contractChecked = {
  async onResponse({ request, response }: { request: Request; response: Response }) {
    const url = new URL(request.url);
    assertResponseMatchesContract(request.method, `${url.pathname}${url.search}`, {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.clone().text(),
    });
    return response;
  },
};

/**
 * The success body of a typed call; throws, naming the status and the problem, when the answer
 * is a refusal or (given `status`) another success than the one expected.
 */
export async function ok<D>(
  pending: Promise<{ data?: D; error?: unknown; response: Response }>,
  status?: number,
): Promise<D> {
  const { data, error, response } = await pending;
  if (error !== undefined || (status !== undefined && response.status !== status)) {
    throw new Error(
      `expected ${status ?? 'success'}, got ${response.status}: ${JSON.stringify(error ?? data)}`,
    );
  }
  return data as D;
}

/**
 * The problem of a refused typed call; throws when it was not refused with `status`.
 */
export async function refused(
  pending: Promise<{ data?: unknown; error?: unknown; response: Response }>,
  status: number,
): Promise<Problem & Record<string, unknown>> {
  const { data, error, response } = await pending;
  if (response.status !== status || error === undefined) {
    throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(error ?? data)}`);
  }
  return error as Problem & Record<string, unknown>;
}

/** `Prefer: wait=5`: a move answers once its execution is in the new stage (`execution.inStep`). */
export const WAIT = { prefer: 'wait=5' } as const;

/** Polls until `check` passes or the time is up (then throws its last failure). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
