/**
 * The console's only way to the backend: the public API, with the signed-in user's bearer token.
 * Errors come back as the API's problem+json, shown by its title and detail.
 */

import type { components } from '../../client/schema.ts';
import { apiUrlFor } from './config.ts';

const TOKEN_KEY = 'release-desk-token';
const USER_KEY = 'release-desk-user';
/** Where the session keeps the hosted UI's ID token, for AWS credentials (aws-credentials.ts). */
const ID_TOKEN_KEY = 'release-desk-id-token';

/** An answer that was not 2xx, as the API's problem+json says it. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The bad fields a 400 or 422 names (`errors[]` of the problem). */
  readonly errors: readonly { path: string; message: string }[];
  /**
   * The whole problem as sent (its `type` and extension members): what a view needs to offer the
   * way out of a refusal, such as a blocked gate's `noOpenBlackout`.
   */
  readonly body: Readonly<Record<string, unknown>>;
  constructor(
    status: number,
    title: string,
    detail: string,
    errors: readonly { path: string; message: string }[] = [],
    body: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.body = body;
  }
}

/** The session: token and user name, in sessionStorage so they end with the tab. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  user: (): string | null => sessionStorage.getItem(USER_KEY),
  idToken: (): string | null => sessionStorage.getItem(ID_TOKEN_KEY),
  /**
   * The only writer of a session. Without `idToken` (local sign-in, a pasted token) an ID token of
   * an earlier hosted UI sign-in is dropped: it belongs to someone who is no longer signed in here.
   */
  set(token: string, user: string, idToken?: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, user);
    if (idToken) sessionStorage.setItem(ID_TOKEN_KEY, idToken);
    else sessionStorage.removeItem(ID_TOKEN_KEY);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    sessionStorage.removeItem(ID_TOKEN_KEY);
  },
};

/** The user name a token carries (Cognito's and the local identity's `username`), unverified. */
export function usernameOf(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { username?: unknown };
    return typeof json.username === 'string' ? json.username : undefined;
  } catch {
    return undefined;
  }
}

async function toProblem(res: Response): Promise<ApiProblem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { title?: unknown; detail?: unknown; errors?: unknown };
    return new ApiProblem(
      res.status,
      typeof body.title === 'string' ? body.title : res.statusText || `HTTP ${res.status}`,
      typeof body.detail === 'string' ? body.detail : '',
      Array.isArray(body.errors) ? (body.errors as { path: string; message: string }[]) : [],
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {},
    );
  } catch {
    return new ApiProblem(res.status, res.statusText || `HTTP ${res.status}`, text.slice(0, 200));
  }
}

/**
 * Calls the API as the signed-in user, at the configured API address (config.ts); throws
 * {@link ApiProblem} unless the answer is 2xx. Every call of the console goes through here.
 */
export async function apiFetch(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const token = session.token();
  const res = await fetch(apiUrlFor(path), {
    method,
    headers: {
      ...headers,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await toProblem(res);
  return res;
}

/** {@link apiFetch} of a JSON answer. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const text = await (await apiFetch(method, path, body, headers)).text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** The local cloud's sign-in (infra/local/console.ts): absent in AWS, where the list answers 404. */
export const localSignIn = {
  async users(): Promise<LocalUser[] | undefined> {
    const res = await fetch('/_local/console/users');
    if (res.status === 404) return undefined;
    if (!res.ok) throw await toProblem(res);
    return ((await res.json()) as { items: LocalUser[] }).items;
  },
  async signIn(user: string): Promise<string> {
    const res = await fetch('/_local/console/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user }),
    });
    if (!res.ok) throw await toProblem(res);
    return ((await res.json()) as { token: string }).token;
  },
};

export interface LocalUser {
  readonly id: string;
  readonly displayName?: string;
  readonly processes: readonly string[];
  readonly admin: boolean;
}

/**
 * The API's shapes, as the contract generates them (client/schema.ts, `npm run generate`): types
 * only, so nothing of them reaches the bundle, and a contract change the console does not follow
 * fails its type check.
 */
type Schemas = components['schemas'];
export type AllowedTransition = NonNullable<Schemas['Release']['allowedTransitions']>[number];
export type ReleaseTask = Schemas['ReleaseTask'];
export type Release = Schemas['Release'];
export type ReleaseApproval = Schemas['ReleaseApproval'];
export type BlackoutConflict = Schemas['BlackoutConflict'];
export type PathStep = BlackoutConflict['path'][number];
export type PlannedCi = Schemas['PlannedCi'];
export type Change = Schemas['Change'];
export type HistoryEntry = Schemas['HistoryEntry'];
export type Task = Schemas['Task'];
export type Execution = Schemas['Execution'];
export type Workflow = Schemas['Workflow'];

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/**
 * A subject's whole history (`<path>/history`), every page of it: the API pages by 20 unless asked,
 * and the graph's taken transitions and the timeline need all of it (up to `max` entries).
 */
export async function historyOf<T = HistoryEntry>(path: string, max = 2000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await api<{ items: T[]; nextCursor?: string }>('GET', `${path}/history?${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

/** The workflow version a release or an RFC runs on (`GET /workflows/{id}?version=n`). */
export const workflowOf = (ref: { id: string; version: number }) =>
  api<Workflow>('GET', `/workflows/${encodeURIComponent(ref.id)}?version=${ref.version}`);
