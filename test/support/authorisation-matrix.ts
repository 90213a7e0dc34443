/**
 * The authorisation matrix: for every declared route (functions/http/contract/index.ts), what each
 * kind of caller gets for a well-formed request. One row per route key; a route declared without a
 * row fails test/e2e/authorisation-matrix.test.ts, which runs every cell on the local cloud.
 *
 * Callers with a bad token (none, expired, another issuer, another audience, `alg: none`) are not
 * listed per row: every route that is not public answers them 401, and a public route ignores the
 * token. The others are users the test sets up: see ROLES.
 */

/** Callers whose token is not one the API accepts. */
export const BAD_TOKENS = ['anonymous', 'expired', 'wrongIssuer', 'wrongAudience', 'algNone'] as const;
export type BadToken = (typeof BAD_TOKENS)[number];

/**
 * Callers with a valid token, each a user set up by the test:
 * - `techOfGroup`: deployment technician in the task's work group (`wg_deployment`);
 * - `techOfOtherGroup`: deployment technician in another deployment team's work group;
 * - `changeManager`: holds `change`, not on the change advisory board;
 * - `cabMember`: holds `change`, member of the board (`team_cab`);
 * - `releaseManager`: holds `release`, in the release's team (`team_release`);
 * - `otherReleaseManager`: holds `release`, only in another release team;
 * - `admin`: in the administrators' group.
 */
export const ROLES = [
  'techOfGroup',
  'techOfOtherGroup',
  'changeManager',
  'cabMember',
  'releaseManager',
  'otherReleaseManager',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/**
 * 'ok': let in — a 2xx, or a refusal on the request's merits that only a caller let in can meet
 * (409, 422); never 400, 401, 403, 404, 405, 413, 415 or a 5xx.
 */
export type Expected = 'ok' | 401 | 403;

/** What the test creates for the rows to point at. */
export interface MatrixIds {
  readonly release: string;
  readonly task: string;
  readonly change: string;
  readonly article: string;
  readonly ci: string;
  readonly sla: string;
  readonly workflow: unknown;
  /**
   * Each resource's version as read just before the row runs (refused callers go first, so they
   * send the current one and meet the authorisation check, not a version check).
   */
  readonly v: Readonly<Record<'release' | 'task' | 'change' | 'article' | 'ci' | 'sla' | 'team', number>>;
}

export interface MatrixRow {
  readonly request: (ids: MatrixIds) => { path: string; body?: unknown };
  readonly expect: Readonly<Record<Role, Expected>>;
}

const only = (...allowed: Role[]): Record<Role, Expected> =>
  Object.fromEntries(ROLES.map((r) => [r, allowed.includes(r) ? 'ok' : 403])) as Record<Role, Expected>;

/** Every role holds a process: what every process holder reads. */
const EVERYONE = only(...ROLES);
const ADMIN = only('admin');
const RELEASE_PROCESS = only('releaseManager', 'otherReleaseManager', 'admin');
const CHANGE_PROCESS = only('changeManager', 'cabMember', 'admin');
const RELEASE_OR_CHANGE = only(
  'changeManager',
  'cabMember',
  'releaseManager',
  'otherReleaseManager',
  'admin',
);
/** A release's own team (and administrators). */
const RELEASE_TEAM = only('releaseManager', 'admin');
/** A task's work group (and administrators). */
const TASK_GROUP = only('techOfGroup', 'admin');

const read = (path: (ids: MatrixIds) => string, expect = EVERYONE): MatrixRow => ({
  request: (ids) => ({ path: path(ids) }),
  expect,
});
const write = (
  path: (ids: MatrixIds) => string,
  body: (ids: MatrixIds) => unknown,
  expect: Record<Role, Expected>,
): MatrixRow => ({ request: (ids) => ({ path: path(ids), body: body(ids) }), expect });

const release = {
  title: 'Matrix',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  plannedStart: '2026-12-01T20:00:00Z',
  plannedEnd: '2026-12-01T23:00:00Z',
  tasks: [],
};
const range = 'from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z';

/** Route key → row. Keys are exactly the declared route keys. */
export const authorisationMatrix: Readonly<Record<string, MatrixRow>> = {
  'GET /health': read(() => '/health'),
  'GET /openapi.json': read(() => '/openapi.json'),

  'POST /releases': write(
    () => '/releases',
    () => release,
    RELEASE_PROCESS,
  ),
  'GET /releases': read(() => '/releases'),
  'GET /releases/{id}': read((i) => `/releases/${i.release}`),
  'PATCH /releases/{id}': write(
    (i) => `/releases/${i.release}`,
    (i) => ({ description: 'Matrix', expectedVersion: i.v.release }),
    RELEASE_TEAM,
  ),
  'POST /releases/{id}/transitions': write(
    (i) => `/releases/${i.release}/transitions`,
    (i) => ({ to: 'Development', expectedVersion: i.v.release }),
    RELEASE_TEAM,
  ),
  'POST /releases/{id}/backout': write(
    (i) => `/releases/${i.release}/backout`,
    () => ({ acknowledgedArticles: [], reason: 'Matrix' }),
    RELEASE_TEAM,
  ),
  // Approving a pending move is open to every process holder: the team's access policies say whose
  // approval counts (the release team here has none, so each is refused on its merits: 422).
  'POST /releases/{id}/approvals': write(
    (i) => `/releases/${i.release}/approvals`,
    () => ({ to: 'Development' }),
    EVERYONE,
  ),
  'GET /releases/{id}/cis': read((i) => `/releases/${i.release}/cis`),
  'GET /releases/{id}/tasks': read((i) => `/releases/${i.release}/tasks`),
  'GET /releases/{id}/history': read((i) => `/releases/${i.release}/history`),
  'GET /releases/{id}/execution': read((i) => `/releases/${i.release}/execution`),
  'GET /releases/{id}/next-windows': read((i) => `/releases/${i.release}/next-windows?duration=PT3H&count=2`),
  // Incidents are attributed by the release's team, change managers and administrators.
  'POST /releases/{id}/incidents': write(
    (i) => `/releases/${i.release}/incidents`,
    () => ({
      reference: 'INC-MATRIX',
      severity: 'low',
      occurredAt: new Date().toISOString(),
      summary: 'Matrix',
    }),
    only('changeManager', 'cabMember', 'releaseManager', 'admin'),
  ),

  'POST /changes': write(
    () => '/changes',
    () => ({ title: 'Matrix', type: 'standard', risk: 'low', impact: 'low', urgency: 'low' }),
    CHANGE_PROCESS,
  ),
  'GET /changes': read(() => '/changes'),
  'GET /changes/{id}': read((i) => `/changes/${i.change}`),
  'PATCH /changes/{id}': write(
    (i) => `/changes/${i.change}`,
    (i) => ({ description: 'Matrix', expectedVersion: i.v.change }),
    CHANGE_PROCESS,
  ),
  // The change workflow's transitions are the change process's.
  'POST /changes/{id}/transitions': write(
    (i) => `/changes/${i.change}/transitions`,
    (i) => ({ to: 'Assessed', expectedVersion: i.v.change }),
    CHANGE_PROCESS,
  ),
  // Votes are the board's (the bootstrap administrator sits on it).
  'POST /changes/{id}/approvals': write(
    (i) => `/changes/${i.change}/approvals`,
    () => ({ decision: 'reject', comment: 'Matrix' }),
    only('cabMember', 'admin'),
  ),
  'GET /changes/{id}/history': read((i) => `/changes/${i.change}/history`),
  'GET /changes/{id}/execution': read((i) => `/changes/${i.change}/execution`),
  'GET /changes/{id}/next-windows': read((i) => `/changes/${i.change}/next-windows?duration=PT3H`),

  'GET /tasks': read(() => '/tasks?group=wg_deployment', TASK_GROUP),
  'GET /tasks/{id}': read((i) => `/tasks/${i.task}`, TASK_GROUP),
  'POST /tasks/{id}/start': write(
    (i) => `/tasks/${i.task}/start`,
    (i) => ({ expectedVersion: i.v.task }),
    TASK_GROUP,
  ),
  'POST /tasks/{id}/complete': write(
    (i) => `/tasks/${i.task}/complete`,
    (i) => ({ expectedVersion: i.v.task }),
    TASK_GROUP,
  ),
  'POST /tasks/{id}/fail': write(
    (i) => `/tasks/${i.task}/fail`,
    (i) => ({ reason: 'Matrix', expectedVersion: i.v.task }),
    TASK_GROUP,
  ),
  'POST /tasks/{id}/retry': write(
    (i) => `/tasks/${i.task}/retry`,
    (i) => ({ expectedVersion: i.v.task }),
    TASK_GROUP,
  ),

  'POST /cis': write(
    () => '/cis',
    () => ({ type: 'application', name: 'matrix' }),
    RELEASE_OR_CHANGE,
  ),
  'GET /cis': read(() => '/cis'),
  'GET /cis/{id}': read((i) => `/cis/${i.ci}`),
  'PATCH /cis/{id}': write(
    (i) => `/cis/${i.ci}`,
    (i) => ({ set: { matrix: true }, expectedVersion: i.v.ci }),
    RELEASE_OR_CHANGE,
  ),
  'GET /cis/{id}/history': read((i) => `/cis/${i.ci}/history`),
  'GET /cis/{id}/versions/{n}': read((i) => `/cis/${i.ci}/versions/1`),
  'GET /cis/{id}/impact': read((i) => `/cis/${i.ci}/impact`),

  'POST /workflows': write(
    () => '/workflows',
    (i) => i.workflow,
    ADMIN,
  ),
  'GET /workflows': read(() => '/workflows'),
  'GET /workflows/{id}': read(() => '/workflows/release-default'),

  'POST /teams': write(
    () => '/teams',
    () => ({ name: `Matrix ${Math.random()}`, kind: 'deployment' }),
    ADMIN,
  ),
  'GET /teams': read(() => '/teams'),
  'GET /teams/{id}': read(() => '/teams/team_release'),
  'PATCH /teams/{id}': write(
    () => '/teams/team_release',
    (i) => ({ description: 'Matrix', expectedVersion: i.v.team }),
    ADMIN,
  ),

  'POST /users': write(
    () => '/users',
    () => ({ id: `u${Date.now()}`, processes: [] }),
    ADMIN,
  ),
  'GET /users': read(() => '/users', ADMIN),
  // A user reads themselves; administrators read anyone.
  'GET /users/{id}': read(() => '/users/tech', only('techOfGroup', 'admin')),
  'PUT /users/{id}': write(
    () => '/users/tech',
    () => ({ processes: ['deployment'] }),
    ADMIN,
  ),

  'POST /kb': write(
    () => '/kb',
    () => ({ kind: 'known-error', title: 'Matrix', body: 'Matrix' }),
    RELEASE_OR_CHANGE,
  ),
  'GET /kb': read(() => '/kb'),
  'GET /kb/{id}': read((i) => `/kb/${i.article}`),
  'GET /kb/{id}/versions': read((i) => `/kb/${i.article}/versions`),
  'PATCH /kb/{id}': write(
    (i) => `/kb/${i.article}`,
    (i) => ({ title: 'Matrix', expectedVersion: i.v.article }),
    RELEASE_OR_CHANGE,
  ),

  'POST /slas': write(
    () => '/slas',
    (i) => ({ name: 'Matrix', ciIds: [i.ci] }),
    ADMIN,
  ),
  'GET /slas': read(() => '/slas'),
  'GET /slas/{id}': read((i) => `/slas/${i.sla}`),
  'PATCH /slas/{id}': write(
    (i) => `/slas/${i.sla}`,
    (i) => ({ name: 'Matrix', expectedVersion: i.v.sla }),
    ADMIN,
  ),
  'GET /blackouts': read((i) => `/blackouts?${range}&ci=${i.ci}`),

  'GET /metrics/releases': read(() => '/metrics/releases'),
  'GET /calendar': read((i) => `/calendar?${range}&ci=${i.ci}`),
};
