/**
 * Loads the demo organisation (./organisation.ts) into a running Release Desk through its public
 * HTTP API only — never the table — so what it makes is exactly what a client could make, with
 * the same events, executions and audit trail.
 *
 * Idempotent and resumable: every entity is first looked up by its natural key (list or GET
 * endpoints), created only when missing, and every release and RFC is only ever moved forward
 * from where it stands towards the stage the organisation gives it. A second run writes nothing
 * (`SeedReport.writes` counts the successful non-GET requests); a run cut short is finished by the
 * next one.
 */
import {
  articles,
  type ChangeKey,
  changes,
  cis,
  type DemoArticle,
  type DemoChange,
  type DemoRelease,
  type DemoTask,
  RELEASE_PATH,
  releases,
  slas,
  type TeamKey,
  teams,
  users,
} from './organisation.ts';

/** What one request answered. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A function that signs an access token for a user (the local identity, as `npm run token` does). */
export type IssueToken = (user: string, options?: { admin?: boolean }) => Promise<string>;

export interface SeedOptions {
  /** The API's base URL, e.g. http://localhost:3000. */
  readonly api: string;
  readonly issue: IssueToken;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** The instant the demo's windows are planned around (default: now). */
  readonly now?: Date;
  /** The fetch to send requests with (default: the global one; tests cut a run short with it). */
  readonly fetch?: typeof fetch;
}

export interface SeedReport {
  /** Successful writes (non-GET requests answered 2xx): 0 when everything was there already. */
  readonly writes: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly counts: Record<string, number>;
  readonly users: readonly { id: string; role: string }[];
}

export class SeedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SeedError';
  }
}

const FAST_TRACK_PATH = ['Assessment', 'Deployment', 'Closure'];
const CHANGE_PATHS: Record<DemoChange['type'], string[]> = {
  normal: ['Recorded', 'Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed'],
  standard: ['Recorded', 'Approved', 'Implementing', 'Closed'],
  emergency: ['Recorded', 'Approved', 'Implementing', 'Reviewed', 'Closed'],
};
/** Where each change workflow waits for the board's votes (the state before Approved). */
const VOTING_STATE: Record<DemoChange['type'], string | undefined> = {
  normal: 'Assessed',
  standard: undefined,
  emergency: 'Recorded',
};
/** `Prefer: wait=5`: a move answers once its execution is in the new stage, so the next can follow. */
const WAIT = { prefer: 'wait=5' };
/** How long to wait for what the bus does after an answer (tasks readied, CI updates applied). */
const SETTLE_MS = 20_000;

type Row = Record<string, unknown> & { id: string; version: number };

export async function seedDemoOrganisation(options: SeedOptions): Promise<SeedReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const base = options.api.replace(/\/$/, '');
  const now = options.now ?? new Date();
  const send = options.fetch ?? fetch;
  const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  let writes = 0;
  let requests = 0;
  const tokens = new Map<string, Promise<string>>();
  const token = (user: string) => {
    if (!tokens.has(user)) tokens.set(user, options.issue(user, { admin: user === 'admin' }));
    return tokens.get(user) as Promise<string>;
  };

  /**
   * The one place the seed talks HTTP (plain fetch, so that a generated client can replace it
   * without touching the rest).
   */
  async function request(
    method: string,
    path: string,
    as: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    requests += 1;
    let res: Response;
    try {
      res = await send(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await token(as)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new SeedError(`the API at ${base} does not answer: is npm start running (PORT)?`, {
        cause: error,
      });
    }
    const text = await res.text();
    if (method !== 'GET' && res.ok) writes += 1;
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  /** A request that must succeed (or answer one of `also`). */
  async function must(
    method: string,
    path: string,
    as: string,
    body?: unknown,
    headers?: Record<string, string>,
    also: number[] = [],
  ): Promise<Answer> {
    const answer = await request(method, path, as, body, headers);
    if (answer.status >= 300 && !also.includes(answer.status)) {
      throw new SeedError(
        `${method} ${path} as ${as} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    }
    return answer;
  }

  /** Every item of a list endpoint, page by page. */
  async function all<T = Row>(path: string, as = 'admin'): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    const sep = path.includes('?') ? '&' : '?';
    do {
      const page = await must(
        'GET',
        `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        as,
      );
      items.push(...(page.body.items as T[]));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    return items;
  }

  async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new SeedError(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs `fn` over `items`, at most `limit` at a time (the local cloud shares a laptop). */
  async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) await fn(items[next++] as T);
      }),
    );
  }

  // Users: PUT creates; an existing user is left as it is (GET first, so a second run writes nothing).
  log('users');
  await inParallel(users, 5, async (u) => {
    const found = await request('GET', `/users/${u.id}`, 'admin');
    if (found.status === 200) return;
    await must('PUT', `/users/${u.id}`, 'admin', { processes: u.processes, displayName: u.displayName });
  });

  // Teams, by name; a team found with other members or work groups is brought back to the demo's.
  log('teams');
  const teamIds = {} as Record<TeamKey, string>;
  const existingTeams = new Map((await all<Row & { name: string }>('/teams')).map((t) => [t.name, t]));
  for (const t of teams) {
    const found = existingTeams.get(t.name) as
      | (Row & { members: string[]; workGroups: { id: string }[] })
      | undefined;
    const wanted = {
      workGroups: t.workGroups,
      members: t.members,
      ...(t.approvalsRequired ? { approvalsRequired: t.approvalsRequired } : {}),
      ...(t.blackoutOverriders ? { blackoutOverriders: t.blackoutOverriders } : {}),
    };
    if (!found) {
      const made = await must('POST', '/teams', 'admin', {
        name: t.name,
        kind: t.kind,
        description: t.description,
        ...wanted,
      });
      teamIds[t.key] = made.body.id as string;
      continue;
    }
    teamIds[t.key] = found.id;
    const same =
      sameSet(found.members, t.members) &&
      sameSet(
        found.workGroups.map((g) => g.id),
        t.workGroups.map((g) => g.id),
      );
    if (!same)
      await must('PATCH', `/teams/${found.id}`, 'admin', { ...wanted, expectedVersion: found.version });
  }

  // CIs, by name, in waves: a CI's relations name CIs of earlier waves.
  log('configuration items');
  const ciIds = new Map<string, string>(
    (await all<Row & { name: string }>('/cis')).map((c) => [c.name, c.id] as [string, string]),
  );
  const level = new Map<string, number>();
  for (const ci of cis)
    level.set(ci.name, 1 + Math.max(0, ...(ci.relations ?? []).map(([, to]) => level.get(to) ?? 0)));
  const waves = [...new Set(level.values())].sort((a, b) => a - b);
  for (const wave of waves) {
    const missing = cis.filter((ci) => level.get(ci.name) === wave && !ciIds.has(ci.name));
    await inParallel(missing, 6, async (ci) => {
      const made = await must('POST', '/cis', 'rita', {
        type: ci.type,
        name: ci.name,
        attributes: ci.attributes,
        relations: (ci.relations ?? []).map(([type, to]) => ({ type, ciId: idOfCi(to) })),
      });
      ciIds.set(ci.name, made.body.id as string);
    });
  }
  function idOfCi(name: string): string {
    const id = ciIds.get(name);
    if (!id) throw new SeedError(`no CI named ${name}`);
    return id;
  }

  // SLAs, by name (administrators).
  log('SLAs and blackouts');
  const existingSlas = new Set((await all<Row & { name: string }>('/slas')).map((s) => s.name));
  const year = new Date(hour).getUTCFullYear();
  for (const sla of slas.filter((s) => !existingSlas.has(s.name))) {
    await must('POST', '/slas', 'admin', {
      name: sla.name,
      ciIds: sla.ciNames.map(idOfCi),
      blackouts: sla.blackouts(year),
    });
  }

  // Knowledge-base articles, by title.
  log('knowledge base');
  const articleIds = new Map(
    (await all<Row & { title: string }>('/kb')).map((a) => [a.title, a.id] as [string, string]),
  );
  async function ensureArticle(article: DemoArticle, releaseIds: string[] = []): Promise<void> {
    if (articleIds.has(article.title)) return;
    const made = await must('POST', '/kb', 'rita', {
      kind: article.kind,
      title: article.title,
      body: article.body,
      ciIds: article.ciNames.map(idOfCi),
      releaseIds,
      ...(article.script ? { script: article.script } : {}),
    });
    articleIds.set(article.title, made.body.id as string);
  }
  await inParallel(articles, 4, (a) => ensureArticle(a));

  // RFCs, by title; each moved forward to where the organisation leaves it.
  log('RFCs');
  const existingChanges = new Map(
    (await all<Row & { title: string }>('/changes')).map((c) => [c.title, c] as [string, Row]),
  );
  const changeIds = {} as Record<ChangeKey, string>;
  const at = (hours: number) => new Date(hour + hours * 3_600_000).toISOString();

  async function ensureChange(c: DemoChange): Promise<void> {
    let current = existingChanges.get(c.title);
    if (!current) {
      current = (
        await must('POST', '/changes', 'carl', {
          title: c.title,
          type: c.type,
          risk: c.risk,
          impact: c.impact,
          urgency: c.urgency,
          ciIds: c.ciNames.map(idOfCi),
          cabTeamId: teamIds[c.cab],
          plannedStart: at(24),
          plannedEnd: at(28),
        })
      ).body as Row;
      existingChanges.set(c.title, current);
    }
    changeIds[c.key] = current.id;
    const path = CHANGE_PATHS[c.type];
    await driveChange(c, c.awaitsRelease ? (path[path.indexOf(c.target) - 1] as string) : c.target);
  }

  /** Moves an RFC forward along its workflow to `target` (never back), voting where it waits for votes. */
  async function driveChange(c: DemoChange, target: string): Promise<void> {
    const id = changeIds[c.key];
    let change = (await must('GET', `/changes/${id}`, 'carl')).body as Row & {
      state: string;
      status: string;
    };
    const path = CHANGE_PATHS[c.type];
    const goal = c.exit ? c.exit.from : target;
    const vote = async () => {
      if (change.state !== VOTING_STATE[c.type]) return;
      const cast = new Set((change.approvals as { by: string }[]).map((a) => a.by));
      for (const voter of c.approvers.filter((v) => !cast.has(v))) {
        await must('POST', `/changes/${id}/approvals`, voter, {
          decision: 'approve',
          comment: 'Plan, risk and back-out reviewed.',
        });
      }
      change = (await must('GET', `/changes/${id}`, 'carl')).body as typeof change;
    };
    while (change.status === 'active' && path.indexOf(change.state) < path.indexOf(goal)) {
      await vote();
      const next = path[path.indexOf(change.state) + 1] as string;
      change = (
        await must(
          'POST',
          `/changes/${id}/transitions`,
          'carl',
          { to: next, expectedVersion: change.version },
          WAIT,
        )
      ).body as typeof change;
    }
    await vote();
    if (c.exit && change.status === 'active' && change.state === c.exit.from && target === c.target) {
      await must(
        'POST',
        `/changes/${id}/transitions`,
        'carl',
        { to: c.target, expectedVersion: change.version, reason: c.exit.reason },
        WAIT,
      );
    }
  }
  await inParallel(changes, 4, ensureChange);

  // Releases, by title; each driven forward through its story.
  log('releases');
  const existingReleases = new Map(
    (await all<Row & { title: string }>('/releases')).map((r) => [r.title, r] as [string, Row]),
  );

  async function windowOf(r: DemoRelease): Promise<{ plannedStart: string; plannedEnd: string }> {
    if ('hoursFromNow' in r.window)
      return { plannedStart: at(r.window.hoursFromNow[0]), plannedEnd: at(r.window.hoursFromNow[1]) };
    const { inBlackoutOf, ci } = r.window;
    // The next window of that SLA, read from the API (the recurring rule's arithmetic stays the service's).
    const windows = await must('GET', `/blackouts?from=${at(1)}&to=${at(24 * 62)}&ci=${idOfCi(ci)}`, 'rita');
    const hit = (windows.body.items as { slaName: string; start: string; end: string }[]).find(
      (w) => w.slaName === inBlackoutOf,
    );
    if (!hit) throw new SeedError(`no window of ${inBlackoutOf} in the next 62 days`);
    const start = Date.parse(hit.start) + 30 * 60_000;
    return {
      plannedStart: new Date(start).toISOString(),
      plannedEnd: new Date(start + 3_600_000).toISOString(),
    };
  }

  async function ensureRelease(r: DemoRelease): Promise<void> {
    const manager = r.manager;
    type ReleaseRow = Row & { stage: string; status: string };
    let release = existingReleases.get(r.title) as ReleaseRow | undefined;
    if (!release) {
      release = (
        await must('POST', '/releases', manager, {
          title: r.title,
          releaseType: r.releaseType,
          packageType: r.packageType,
          urgency: r.urgency,
          businessPriority: r.businessPriority,
          teamId: teamIds[r.team],
          ...(r.workflowId ? { workflowId: r.workflowId } : {}),
          ...(await windowOf(r)),
          changeIds: (r.changes ?? []).map((k) => changeIds[k]),
          kbArticleIds: [],
          ...(r.managedBy
            ? { deployment: { managedByChange: true, changeTriggerState: r.managedBy.state } }
            : {}),
          tasks: r.tasks.map((t) => ({
            title: t.title,
            workGroupId: t.workGroupId,
            technicianId: t.technician,
            ciIds: t.ciNames.map(idOfCi),
            ciUpdates: Object.entries(t.set ?? {}).map(([ci, set]) => ({ ciId: idOfCi(ci), set })),
          })),
        })
      ).body as ReleaseRow;
    }
    const id = release.id;
    for (const a of r.articles ?? []) await ensureArticle(a, [id]);
    if (release.status !== 'active') return;

    if (r.managedBy) {
      const managing = changes.find((c) => c.key === r.managedBy?.change) as DemoChange;
      await driveChange(managing, r.managedBy.state);
    }
    const path = r.workflowId === 'release-fast-track' ? FAST_TRACK_PATH : RELEASE_PATH;
    const exit = r.cancel ?? r.backout;
    const goal = exit ? exit.from : r.target;
    const deployIndex = path.indexOf('Deployment');
    const read = async () => (await must('GET', `/releases/${id}`, manager)).body as ReleaseRow;
    release = await read();

    for (;;) {
      const here = path.indexOf(release.stage);
      if (here >= deployIndex || r.managedBy) await tasksTo(r, id, here > deployIndex);
      // Attributed while it is in its deploy stage, so a run cut short after a later move (to a
      // terminal stage, which the next run no longer touches) has not skipped them.
      if (here === deployIndex) await incidents(r, id);
      if (here >= path.indexOf(goal)) break;
      const next = path[here + 1] as string;
      // Gates fed by the bus (tasks done, CI updates applied) hold a moment after the last answer.
      release = await eventually(`${r.title}: the move to ${next}`, async () => {
        const now = await read();
        const move = (now.allowedTransitions as { to: string; unmetGates: string[] }[] | undefined)?.find(
          (m) => m.to === next,
        );
        // A blackout an emergency release overrides is an unmet gate the move itself lifts.
        const overridden = next === 'Deployment' && r.override !== undefined;
        return move && (move.unmetGates.length === 0 || overridden) ? now : undefined;
      });
      release = (
        await must(
          'POST',
          `/releases/${id}/transitions`,
          manager,
          {
            to: next,
            expectedVersion: release.version,
            ...(next === 'Deployment' && r.override ? { override: { reason: r.override } } : {}),
          },
          WAIT,
        )
      ).body as ReleaseRow;
    }
    if (r.cancel) {
      await must(
        'POST',
        `/releases/${id}/transitions`,
        manager,
        { to: 'Cancelled', expectedVersion: release.version, reason: r.cancel.reason },
        WAIT,
      );
    }
    if (r.backout) await backOut(r, id);
  }

  /**
   * Takes each task to its outcome (`planned` ones aside). `allDone`: the release is past its
   * deploy stage, so every task must be done already.
   */
  async function tasksTo(r: DemoRelease, id: string, allDone: boolean): Promise<void> {
    if (allDone || r.tasks.every((t) => t.outcome === 'planned')) return;
    const tasks = await eventually(`${r.title}: its tasks ready`, async () => {
      const list = (await must('GET', `/releases/${id}/tasks`, r.manager)).body.items as (Row & {
        title: string;
        status: string;
      })[];
      return list.every((t) => t.status !== 'planned') ? list : undefined;
    });
    for (const t of r.tasks) {
      const task = tasks.find((x) => x.title === t.title);
      if (task) await taskTo(t, task);
    }
  }

  async function taskTo(t: DemoTask, task: Row & { status: string }): Promise<void> {
    let { status, version } = task;
    const act = async (action: string, body: Record<string, unknown>) => {
      const answer = await must('POST', `/tasks/${task.id}/${action}`, t.technician, {
        ...body,
        expectedVersion: version,
      });
      ({ status, version } = answer.body as Row & { status: string });
    };
    const wants = t.outcome;
    if (wants === 'ready' || wants === 'planned') return;
    if (status === 'ready') await act('start', {});
    if (wants === 'done' && status === 'in_progress')
      await act('complete', { notes: 'Deployed and smoke-tested.' });
    if (wants === 'failed' && status === 'in_progress') await act('fail', { reason: t.failure ?? 'Failed' });
  }

  async function incidents(r: DemoRelease, id: string): Promise<void> {
    if (!r.incidents?.length) return;
    const history = await all<{ type: string; data: { reference?: string } }>(
      `/releases/${id}/history`,
      r.manager,
    );
    const known = new Set(
      history.filter((e) => e.type === 'Incident Attributed').map((e) => e.data.reference),
    );
    for (const incident of r.incidents.filter((i) => !known.has(i.reference))) {
      await must('POST', `/releases/${id}/incidents`, r.manager, {
        ...incident,
        occurredAt: new Date().toISOString(),
      });
    }
  }

  async function backOut(r: DemoRelease, id: string): Promise<void> {
    // Every back-out procedure linked to the release or to a CI it changed, at its current version.
    const touched = new Set(r.tasks.flatMap((t) => Object.keys(t.set ?? {})));
    const procedures = new Map<string, number>();
    for (const query of [`release=${id}`, ...[...touched].map((ci) => `ci=${idOfCi(ci)}`)]) {
      for (const a of await all<Row & { latestVersion?: number }>(
        `/kb?${query}&kind=backout-procedure`,
        r.manager,
      )) {
        procedures.set(a.id, a.latestVersion ?? a.version);
      }
    }
    await must('POST', `/releases/${id}/backout`, r.manager, {
      acknowledgedArticles: [...procedures].map(([articleId, version]) => ({ id: articleId, version })),
      reason: r.backout?.reason,
    });
  }

  await inParallel(releases, 6, ensureRelease);

  const counts = {
    users: users.length,
    teams: teams.length,
    cis: cis.length,
    slas: slas.length,
    articles: articles.length + releases.reduce((n, r) => n + (r.articles?.length ?? 0), 0),
    changes: changes.length,
    releases: releases.length,
    tasks: releases.reduce((n, r) => n + r.tasks.length, 0),
  };
  return {
    writes,
    requests,
    durationMs: Date.now() - started,
    counts,
    users: users.map(({ id, role }) => ({ id, role })),
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
