/**
 * The console's only way to the backend: the public API, with the signed-in user's bearer token.
 * Errors come back as the API's problem+json, shown by its title and detail.
 */

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

export interface AllowedTransition {
  readonly to: string;
  readonly gates?: readonly string[];
  readonly unmetGates?: readonly string[];
  readonly requiresReason?: boolean;
  readonly terminal?: boolean;
  readonly approvals?: { rule: string; required: number; have: number };
}

export interface ReleaseTask {
  readonly id: string;
  readonly title: string;
  readonly workGroupId: string;
  readonly status: string;
  readonly assignee?: string;
  readonly version?: number;
}

export interface Release {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly stage: string;
  readonly status: string;
  readonly teamId?: string;
  readonly releaseType: string;
  readonly urgency: string;
  readonly plannedStart?: string;
  readonly plannedEnd?: string;
  readonly workflow: { id: string; version: number };
  readonly tasks?: readonly ReleaseTask[];
  readonly allowedTransitions?: readonly AllowedTransition[];
  readonly blackoutConflicts?: readonly BlackoutConflict[];
  readonly blackoutConflictsTruncated?: true;
  /** Approvals of pending moves given since it entered its stage; absent when none. */
  readonly approvals?: readonly ReleaseApproval[];
}

/** One approval of a pending move (`POST /releases/{id}/approvals`). */
export interface ReleaseApproval {
  readonly to: string;
  readonly by: string;
  readonly at: string;
  readonly comment?: string;
}

/** One step of a dependency path: `ciId` holds `relation` to the CI before it. */
export interface PathStep {
  readonly ciId: string;
  readonly relation: string;
}

/** A blackout window the release's planned window shares time with, on one CI (`BlackoutConflict`). */
export interface BlackoutConflict {
  readonly slaId: string;
  readonly slaName: string;
  readonly blackoutIndex: number;
  readonly reason: string;
  readonly start: string;
  readonly end: string;
  readonly tz: string;
  readonly localStart: string;
  readonly localEnd: string;
  /** The CI the SLA covers. */
  readonly ciId: string;
  /** The CI the release touches that leads to `ciId`. */
  readonly touchedCiId: string;
  /** From `touchedCiId` to `ciId`; empty when the touched CI is itself covered. */
  readonly path: readonly PathStep[];
}

/** A CI a release touches (`GET /releases/{id}/cis`, `PlannedCi`). */
export interface PlannedCi {
  readonly ciId: string;
  /** Absent when the CI no longer exists. */
  readonly ci?: { name: string; type: string; version: number; status: string };
  readonly recentChanges: readonly {
    version: number;
    at: string;
    actor: string;
    releaseId?: string;
    taskId?: string;
    reason?: string;
  }[];
  readonly plannedBy: readonly { taskId: string; sets: readonly string[] }[];
  readonly collisions: readonly { releaseId: string; title: string; stage: string }[];
}

export interface Change {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly state: string;
  readonly risk: string;
  readonly plannedStart?: string;
}

export interface HistoryEntry {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly actor: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface Task {
  readonly id: string;
  readonly title: string;
  readonly releaseId: string;
  readonly workGroupId: string;
  readonly status: string;
  readonly version: number;
  readonly assignee?: string;
}

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
