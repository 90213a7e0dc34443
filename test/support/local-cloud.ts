/**
 * A local cloud for one test file: in memory, on the run's shared DynamoDB Local, with a token
 * for a release manager.
 */
import { randomUUID } from 'node:crypto';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { inject } from 'vitest';
import { currentStateOf, executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../infra/local/cloud.ts';
import { assertResponseMatchesContract } from './openapi-validator.ts';
import { joinTeam } from './teams.ts';
import { seedUser, userFixture } from './users.ts';

export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly sfn: SFNClient;
  call(
    method: string,
    path: string,
    body?: unknown,
    as?: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>;
  /**
   * A GET as a client that is not after JSON (a calendar app): its own headers, the answer's
   * status, headers and body as text, checked against the contract like every answer.
   */
  fetchText(
    path: string,
    headers?: Record<string, string>,
    as?: string,
  ): Promise<{ status: number; headers: Record<string, string>; text: string }>;
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
  const test: TestCloud = {
    cloud,
    sfn,
    tokenFor,
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
    moveWaiting(id, to, expectedVersion) {
      return test.call('POST', `/releases/${id}/transitions`, { to, expectedVersion }, 'rm', WAIT);
    },
    async fetchText(path, headers = {}, as = 'rm') {
      const res = await fetch(`${cloud.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${await tokenFor(as, { admin: as === 'admin' })}`, ...headers },
      });
      const text = await res.text();
      const answered = Object.fromEntries(res.headers);
      assertResponseMatchesContract('GET', path, { status: res.status, headers: answered, body: text });
      return { status: res.status, headers: answered, text };
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
