/**
 * The console's way to Step Functions: the AWS JSON 1.0 API, called from the browser at the
 * endpoint `config.json` names (config.ts, `sfnEndpoint`). Locally that is the local cloud's
 * endpoint, which answers CORS for the console's origin and needs no signature. In AWS, Step
 * Functions answers no CORS, so the console calls its own distribution's `/sfn/` path, which relays
 * to Step Functions, and signs each call (SigV4 for `states.<region>.amazonaws.com`) with identity
 * pool credentials (`sfnSigning`; docs/decisions.md, "The Executions view in AWS").
 */
import { ApiProblem, session } from './api.ts';
import { credentialsCache } from './aws-credentials.ts';
import { type SfnSigning, sfnSigning } from './config.ts';
import { signRequest } from './sigv4.ts';

const credentials = credentialsCache();

/** The request headers of a call: as they are locally, signed in AWS. */
export async function sfnHeaders(
  action: string,
  body: string,
  signing: SfnSigning | undefined,
  idToken: string | null,
  credentialsOf = credentials,
  now = new Date(),
): Promise<Record<string, string>> {
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `AWSStepFunctions.${action}`,
  };
  if (!signing) return headers;
  if (!idToken)
    throw new ApiProblem(
      401,
      'Sign in with the hosted UI',
      'The Executions view reads Step Functions with AWS credentials for your ID token; a pasted access token has none.',
    );
  return signRequest({
    method: 'POST',
    host: signing.host,
    path: '/',
    headers,
    body,
    region: signing.region,
    service: 'states',
    credentials: await credentialsOf(signing, idToken),
    now,
  });
}

/**
 * Whether the signed-in user can read executions: always on the local cloud (unsigned); in AWS
 * when the ID token's `cognito:groups` (unverified here: Cognito checks it) holds the pool's group.
 */
export function mayReadExecutions(signing: SfnSigning | undefined, idToken: string | null): boolean {
  if (!signing) return true;
  try {
    const payload = (idToken ?? '').split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      'cognito:groups'?: unknown;
    };
    return Array.isArray(claims['cognito:groups']) && claims['cognito:groups'].includes(signing.group);
  } catch {
    return false;
  }
}

/** Calls `AWSStepFunctions.<action>`; an error answer becomes an {@link ApiProblem} (type, message). */
export async function sfn<T>(endpoint: string, action: string, input: Record<string, unknown>): Promise<T> {
  const body = JSON.stringify(input);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: await sfnHeaders(action, body, sfnSigning(), session.idToken()),
    body,
  });
  const text = await res.text();
  if (!res.ok) {
    let body: { __type?: string; message?: string; Message?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: the status line is all there is to say
    }
    const type = (body.__type ?? res.statusText) || `HTTP ${res.status}`;
    throw new ApiProblem(
      res.status,
      type.split('#').pop() as string,
      body.message ?? body.Message ?? text.slice(0, 200),
    );
  }
  return (text ? JSON.parse(text) : {}) as T;
}

export interface StateMachineListItem {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly type: string;
  readonly creationDate: number;
}

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface ExecutionListItem {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
}

export interface ExecutionDescription extends ExecutionListItem {
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId?: number;
  readonly type: string;
  /** Epoch seconds, as the JSON protocol sends dates. */
  readonly timestamp: number;
  readonly stateEnteredEventDetails?: { readonly name: string };
  readonly stateExitedEventDetails?: { readonly name: string };
}

/** Follows `nextToken` until the end (or `max` items, so a huge history cannot hang the tab). */
export async function allPages<T>(
  page: (nextToken?: string) => Promise<{ items: T[]; nextToken?: string }>,
  max = 5000,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const got = await page(token);
    items.push(...got.items);
    token = got.nextToken;
  } while (token && items.length < max);
  return items;
}

/** The state's name an event is about (entered or exited), if any. */
export const stateNameOf = (e: HistoryEvent): string | undefined =>
  e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;

/**
 * Where an execution is, from its history: states it left are done; states entered and not yet
 * left are running (several at once inside a Parallel or a Map), the last of them `current`; none
 * once the execution ended. A transition taken is the state an entry follows on its own thread of
 * events (`previousEventId`, so concurrent branches do not pair across), or, in a history without
 * those links, the state entered just before.
 */
export function executionProgress(
  events: readonly HistoryEvent[],
  running: boolean,
): { current?: string; running: Set<string>; done: Set<string>; taken: Set<string> } {
  const byId = new Map(events.map((e) => [e.id, e]));
  const done = new Set<string>();
  // Transitions made, as `from→to` (graph.ts edgeKey).
  const taken = new Set<string>();
  const open = new Map<string, number>();
  let current: string | undefined;
  let previous: string | undefined;
  const stateBefore = (e: HistoryEvent): string | undefined => {
    if (e.previousEventId === undefined) return previous;
    for (
      let p = byId.get(e.previousEventId);
      p;
      p = p.previousEventId === undefined ? undefined : byId.get(p.previousEventId)
    ) {
      const name = stateNameOf(p);
      if (name) return name;
    }
    return undefined;
  };
  for (const e of events) {
    if (e.stateEnteredEventDetails) {
      const name = e.stateEnteredEventDetails.name;
      const from = stateBefore(e);
      if (from && from !== name) taken.add(`${from}→${name}`);
      open.set(name, (open.get(name) ?? 0) + 1);
      current = name;
      previous = name;
    }
    if (e.stateExitedEventDetails) {
      const name = e.stateExitedEventDetails.name;
      done.add(name);
      const left = (open.get(name) ?? 1) - 1;
      if (left > 0) open.set(name, left);
      else open.delete(name);
    }
  }
  const active = new Set(open.keys());
  // A terminal state (Succeed, Fail) may end the run without an exit event: it was reached, so done.
  if (!running) {
    for (const name of active) done.add(name);
    return { running: new Set(), done, taken };
  }
  if (current === undefined || !active.has(current)) current = [...active].pop();
  return current === undefined ? { running: active, done, taken } : { current, running: active, done, taken };
}
