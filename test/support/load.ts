/**
 * Mixed concurrent load on the local cloud (issue 13, item 4), shared by the e2e test (a small
 * count, in `npm test`) and the soak test (500, `npm run soak`). `prepareLoad` builds the subjects
 * the load acts on; `runLoad` fires every request at once and records what each answer
 * acknowledged; `checkLoad` then proves nothing acknowledged was lost or applied twice.
 */
import { expect } from 'vitest';
import { recountReleaseMetrics } from '../../functions/domain/metrics/service.ts';
import { reconcileSubject } from '../../functions/domain/workflow-run/reconcile.ts';
import { validRelease } from './http-events.ts';
import { eventually, type TestCloud } from './local-cloud.ts';
import { assertResponseMatchesContract } from './openapi-validator.ts';
import { joinTeam } from './teams.ts';

/** The users `startTestCloud` must seed for the load (CAB members join `team_cab` in prepareLoad). */
export const LOAD_USERS = {
  rm: ['release'],
  cm: ['change'],
  carol: ['change'],
  dave: ['change'],
  erin: ['change'],
  tech: ['deployment'],
} as const satisfies Record<string, ('change' | 'release' | 'deployment')[]>;

const CAB = ['carol', 'dave', 'erin'] as const;
/** Who may approve the move of an `approving` release into Deployment. */
const APPROVERS = ['rm', ...CAB] as const;
/** The access policy the load's approvals answer (issue 13, item 1). */
const APPROVAL_RULE = {
  id: 'load-p1-two-approvers',
  action: 'move',
  match: { businessPriority: [1] },
  to: 'Deployment',
  approvals: 2,
  approvers: { users: [...APPROVERS] },
} as const;
/** The problem type of a stale `expectedVersion` (functions/http/edge/problem.ts). */
const STALE = ':version-conflict';
const RELEASE_PATH = [
  'Assessment',
  'Development',
  'Testing',
  'Deployment',
  'Audit',
  'CMDB Update',
  'Closure',
];
const RFC_PATH = ['Recorded', 'Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed'];

type Body = Record<string, unknown>;
interface Answer {
  status: number;
  body: Body;
}
interface PlannedTask {
  title: string;
  workGroupId: string;
  ciIds: string[];
  ciUpdates: { ciId: string; set: Record<string, unknown> }[];
}

export interface LoadWorld {
  cis: string[];
  /** Releases in Assessment with one task each, moved along by the load. */
  moving: string[];
  /** Releases in Deployment whose ready tasks the technician starts and completes. */
  deploying: string[];
  /** Releases deployed, every task done: the load backs them out. */
  deployed: string[];
  /** RFCs in Assessed, awaiting the CAB's votes. */
  rfcs: string[];
  /**
   * Priority-1 releases in Testing: the release team's access policy (APPROVAL_RULE) holds each
   * out of Deployment until two distinct approvers approve; the load approves and moves them.
   */
  approving: string[];
  /** Every release's planned tasks, by release id. */
  plans: Map<string, PlannedTask[]>;
  /** Each CI's version once the setup had settled. */
  ciVersions: Map<string, number>;
  /** Task id → its planned updates (for the tasks of `deploying`). */
  taskUpdates: Map<string, { ciId: string }[]>;
}

export interface LoadReport {
  requests: number;
  statuses: Record<string, number>;
  /** Each kind of operation's answers, by status. */
  byKind: Record<string, Record<string, number>>;
  durationMs: number;
  p50Ms: number;
  p99Ms: number;
  acknowledged: Record<string, number>;
}

/** A deterministic generator, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function ok(t: TestCloud, method: string, path: string, body?: unknown, as = 'rm'): Promise<Body> {
  const res = await t.call(method, path, body, as);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

async function move(t: TestCloud, id: string, to: string) {
  const current = await ok(t, 'GET', `/releases/${id}`);
  await ok(t, 'POST', `/releases/${id}/transitions`, { to, expectedVersion: current.version });
}

const task = (title: string, ciId: string, value: string): PlannedTask => ({
  title,
  workGroupId: 'wg_deployment',
  ciIds: [ciId],
  ciUpdates: [{ ciId, set: { deployed: value } }],
});

/** Builds the subjects the load acts on, sized by `count`, and waits until every consumer ran. */
export async function prepareLoad(t: TestCloud, count: number): Promise<LoadWorld> {
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  const board = await ok(t, 'GET', '/teams/team_cab', undefined, 'admin');
  await ok(
    t,
    'PATCH',
    '/teams/team_cab',
    { members: ['admin', ...CAB], expectedVersion: board.version },
    'admin',
  );
  const team = await ok(t, 'GET', '/teams/team_release', undefined, 'admin');
  await ok(
    t,
    'PATCH',
    '/teams/team_release',
    { policies: [APPROVAL_RULE], expectedVersion: team.version },
    'admin',
  );
  const size = (per: number, min: number) => Math.max(min, Math.ceil(count / per));
  const cis = await Promise.all(
    Array.from({ length: size(20, 6) }, async (_, i) => {
      const ci = await ok(t, 'POST', '/cis', {
        type: 'application',
        name: `load-${i}`,
        attributes: { n: 0 },
      });
      return ci.id as string;
    }),
  );
  const ciAt = (i: number) => cis[i % cis.length] as string;
  const plans = new Map<string, PlannedTask[]>();
  const create = async (title: string, tasks: PlannedTask[]) => {
    const created = await ok(t, 'POST', '/releases', validRelease({ title, tasks }));
    plans.set(created.id as string, tasks);
    return created.id as string;
  };
  const moving = await Promise.all(
    Array.from({ length: size(15, 4) }, (_, i) =>
      create(`moving ${i}`, [task('Roll out', ciAt(i), `m${i}`)]),
    ),
  );
  const deploying = await Promise.all(
    Array.from({ length: size(60, 2) }, async (_, i) => {
      const id = await create(`deploying ${i}`, [
        task('First', ciAt(2 * i), `d${i}a`),
        task('Second', ciAt(2 * i + 1), `d${i}b`),
      ]);
      for (const to of ['Development', 'Testing', 'Deployment']) await move(t, id, to);
      return id;
    }),
  );
  const deployed = await Promise.all(
    Array.from({ length: size(120, 1) }, async (_, i) => {
      const id = await create(`deployed ${i}`, [task('Only', ciAt(cis.length - 1 - i), `b${i}`)]);
      for (const to of ['Development', 'Testing', 'Deployment']) await move(t, id, to);
      return id;
    }),
  );
  const tasksOf = async (id: string) => {
    let items: { id: string; title: string; status: string; version: number }[] = [];
    await eventually(async () => {
      items = (await ok(t, 'GET', `/releases/${id}/tasks`)).items as typeof items;
      expect(items.length).toBe(plans.get(id)?.length);
      expect(items.every((x) => x.status === 'ready')).toBe(true);
    }, 20_000);
    return items;
  };
  for (const id of deployed) {
    for (const x of await tasksOf(id)) {
      await ok(t, 'POST', `/tasks/${x.id}/start`, { expectedVersion: x.version }, 'tech');
      await ok(t, 'POST', `/tasks/${x.id}/complete`, { expectedVersion: x.version + 1 }, 'tech');
    }
  }
  const approving = await Promise.all(
    Array.from({ length: size(60, 2) }, async (_, i) => {
      const created = await ok(
        t,
        'POST',
        '/releases',
        validRelease({ title: `approving ${i}`, businessPriority: 1, tasks: [] }),
      );
      const id = created.id as string;
      plans.set(id, []);
      for (const to of ['Development', 'Testing']) await move(t, id, to);
      return id;
    }),
  );
  const taskUpdates = new Map<string, { ciId: string }[]>();
  for (const id of deploying) {
    const items = await tasksOf(id);
    for (const x of items) {
      const planned = plans.get(id)?.find((p) => p.title === x.title);
      taskUpdates.set(x.id, planned?.ciUpdates ?? []);
    }
  }
  const rfcs = await Promise.all(
    Array.from({ length: size(60, 2) }, async (_, i) => {
      const rfc = await ok(
        t,
        'POST',
        '/changes',
        {
          title: `load RFC ${i}`,
          type: 'normal',
          risk: 'medium',
          impact: 'medium',
          urgency: 'high',
          ciIds: [],
        },
        'cm',
      );
      await ok(
        t,
        'POST',
        `/changes/${rfc.id}/transitions`,
        { to: 'Assessed', expectedVersion: rfc.version },
        'cm',
      );
      // Half of them have the two approvals a medium-risk RFC needs: the load can approve those.
      if (i % 2 === 0)
        for (const by of ['carol', 'dave'])
          await ok(t, 'POST', `/changes/${rfc.id}/approvals`, { decision: 'approve', comment: 'setup' }, by);
      return rfc.id as string;
    }),
  );
  await t.cloud.settle();
  // Every planned update of the deployed releases applied before the versions are counted.
  for (const id of deployed) {
    for (const p of plans.get(id) ?? []) {
      for (const u of p.ciUpdates) {
        await eventually(async () => {
          const ci = await ok(t, 'GET', `/cis/${u.ciId}`);
          expect(ci.attributes).toMatchObject(u.set);
        }, 20_000);
      }
    }
  }
  await t.cloud.settle();
  const ciVersions = new Map<string, number>();
  for (const ci of cis) ciVersions.set(ci, (await ok(t, 'GET', `/cis/${ci}`)).version as number);
  return { cis, moving, deploying, deployed, rfcs, approving, plans, ciVersions, taskUpdates };
}

/** What the load's answers acknowledged, to be read back afterwards. */
interface Acknowledged {
  createdReleases: { id: string; title: string }[];
  createdRfcs: { id: string; title: string }[];
  releaseEdits: { id: string; version: number; title: string }[];
  releaseMoves: { id: string; version: number; to: string }[];
  rfcMoves: { id: string; to: string }[];
  votes: { id: string; by: string }[];
  releaseApprovals: { id: string; by: string; version: number }[];
  ciWrites: { ciId: string; version: number; value: string }[];
  taskStarts: string[];
  taskCompletions: string[];
  backouts: { id: string; versions: { ciId: string; version: number }[] }[];
}

type Op = (send: Send, ack: Acknowledged) => Promise<void>;
type Send = (method: string, path: string, body?: unknown, as?: string) => Promise<Answer>;

/**
 * Fires `count` requests (reads before writes included) all at once: creates, edits,
 * transitions, CAB votes, release approvals, task actions, CMDB reads and writes, back-outs. Every answer is checked
 * against the contract; every refusal must be problem+json naming its own status.
 */
export async function runLoad(
  t: TestCloud,
  world: LoadWorld,
  count: number,
  seed = 13,
): Promise<{ report: LoadReport; acknowledged: Acknowledged; failures: string[] }> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const tokens = new Map<string, string>();
  for (const user of [...Object.keys(LOAD_USERS), 'admin']) tokens.set(user, await t.tokenFor(user));

  const send: Send = async (method, path, body, as = 'rm') => {
    const started = performance.now();
    const res = await fetch(`${t.cloud.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens.get(as)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    latencies.push(performance.now() - started);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    const headers = Object.fromEntries(res.headers);
    const label = `${method} ${path} → ${res.status} ${text.slice(0, 300)}`;
    try {
      assertResponseMatchesContract(method, path, { status: res.status, headers, body: text });
    } catch (error) {
      failures.push(`${label}: ${(error as Error).message.slice(0, 300)}`);
    }
    const parsed = (text ? JSON.parse(text) : {}) as Body;
    if (res.status >= 500) failures.push(label);
    else if (res.status >= 400) {
      if (headers['content-type'] !== 'application/problem+json') failures.push(`not problem+json: ${label}`);
      else if (parsed.status !== res.status || typeof parsed.detail !== 'string' || !parsed.type)
        failures.push(`malformed problem: ${label}`);
    }
    return { status: res.status, body: parsed };
  };

  /**
   * What a client does with a stale version: read again and retry, a few times. Other 409s (a
   * vote cast twice, a back-out's CMDB conflicts) are answers, not races, and are not retried.
   */
  const retried = async (attempt: () => Promise<Answer>): Promise<Answer> => {
    for (let i = 1; ; i++) {
      const res = await attempt();
      if (res.status !== 409 || !String(res.body.type).endsWith(STALE) || i === 3) return res;
    }
  };
  let unique = 0;
  const next = () => `${seed}-${unique++}`;
  const deployingTasks = [...world.taskUpdates.keys()];
  // [name, weight, the fewest requests it sends (a stale version is read and tried again), the operation]
  const kinds: [string, number, number, Op][] = [
    [
      'create release',
      2,
      1,
      async (s, ack) => {
        const title = `load release ${next()}`;
        const tasks = [task('Roll out', pick(world.cis), next())];
        const res = await s('POST', '/releases', validRelease({ title, tasks }));
        if (res.status === 201) {
          world.plans.set(res.body.id as string, tasks);
          ack.createdReleases.push({ id: res.body.id as string, title });
        }
      },
    ],
    [
      'create RFC',
      1,
      1,
      async (s, ack) => {
        const title = `load RFC ${next()}`;
        const body = { title, type: 'normal', risk: 'low', impact: 'low', urgency: 'low', ciIds: [] };
        const res = await s('POST', '/changes', body, 'cm');
        if (res.status === 201) ack.createdRfcs.push({ id: res.body.id as string, title });
      },
    ],
    [
      'edit release',
      2,
      2,
      async (s, ack) => {
        const id = pick(world.moving);
        const title = `edited ${next()}`;
        const res = await retried(async () => {
          const current = await s('GET', `/releases/${id}`);
          return s('PATCH', `/releases/${id}`, { title, expectedVersion: current.body.version });
        });
        if (res.status === 200) ack.releaseEdits.push({ id, version: res.body.version as number, title });
      },
    ],
    [
      'move release',
      2,
      2,
      async (s, ack) => {
        const id = pick(world.moving);
        let to = '';
        const res = await retried(async () => {
          const current = await s('GET', `/releases/${id}`);
          to = RELEASE_PATH[RELEASE_PATH.indexOf(current.body.stage as string) + 1] ?? 'Closure';
          return s('POST', `/releases/${id}/transitions`, { to, expectedVersion: current.body.version });
        });
        if (res.status === 200) ack.releaseMoves.push({ id, version: res.body.version as number, to });
      },
    ],
    [
      'CMDB write',
      2,
      2,
      async (s, ack) => {
        const ciId = pick(world.cis);
        const value = next();
        const res = await retried(async () => {
          const current = await s('GET', `/cis/${ciId}`);
          return s('PATCH', `/cis/${ciId}`, {
            set: { n: value },
            expectedVersion: current.body.version,
            reason: 'load',
          });
        });
        if (res.status === 200) ack.ciWrites.push({ ciId, version: res.body.version as number, value });
      },
    ],
    [
      'CMDB read',
      2,
      1,
      async (s) => {
        const ciId = pick(world.cis);
        const res = await s('GET', random() < 0.5 ? `/cis/${ciId}` : `/cis/${ciId}/history?limit=10`);
        expect(res.status).toBe(200);
      },
    ],
    [
      'list releases',
      1,
      1,
      async (s) => {
        expect((await s('GET', '/releases?limit=20')).status).toBe(200);
      },
    ],
    [
      'CAB vote',
      2,
      1,
      async (s, ack) => {
        const id = pick(world.rfcs);
        const by = pick(CAB);
        const res = await s('POST', `/changes/${id}/approvals`, { decision: 'approve', comment: 'load' }, by);
        if (res.status === 201) ack.votes.push({ id, by });
      },
    ],
    [
      'move RFC',
      1,
      2,
      async (s, ack) => {
        const id = pick(world.rfcs);
        let to = '';
        const res = await retried(async () => {
          const current = await s('GET', `/changes/${id}`, undefined, 'cm');
          to = RFC_PATH[RFC_PATH.indexOf(current.body.state as string) + 1] ?? 'Closed';
          return s('POST', `/changes/${id}/transitions`, { to, expectedVersion: current.body.version }, 'cm');
        });
        if (res.status === 200) ack.rfcMoves.push({ id, to });
      },
    ],
    [
      'approve release',
      2,
      1,
      async (s, ack) => {
        const id = pick(world.approving);
        const by = pick(APPROVERS);
        const res = await retried(() =>
          s('POST', `/releases/${id}/approvals`, { to: 'Deployment', comment: 'load' }, by),
        );
        if (res.status === 201) ack.releaseApprovals.push({ id, by, version: res.body.version as number });
      },
    ],
    [
      'move approved release',
      1,
      2,
      async (s, ack) => {
        const id = pick(world.approving);
        // Not retried: a 409 for missing approvals is an answer, and a stale version one too here.
        const current = await s('GET', `/releases/${id}`);
        if (current.body.stage !== 'Testing') return;
        const res = await s('POST', `/releases/${id}/transitions`, {
          to: 'Deployment',
          expectedVersion: current.body.version,
        });
        if (res.status === 200)
          ack.releaseMoves.push({ id, version: res.body.version as number, to: 'Deployment' });
      },
    ],
    [
      'task action',
      3,
      2,
      async (s, ack) => {
        const id = pick(deployingTasks);
        let action = '';
        const res = await retried(async () => {
          const current = await s('GET', `/tasks/${id}`, undefined, 'tech');
          action = current.body.status === 'ready' ? 'start' : 'complete';
          return s('POST', `/tasks/${id}/${action}`, { expectedVersion: current.body.version }, 'tech');
        });
        if (res.status === 200) (action === 'start' ? ack.taskStarts : ack.taskCompletions).push(id);
      },
    ],
    [
      'back-out',
      1,
      1,
      async (s, ack) => {
        const id = pick(world.deployed);
        const body = { acknowledgedArticles: [], reason: 'load' };
        let res = await s('POST', `/releases/${id}/backout`, body);
        // A CMDB write got there first: this client decides to restore the release's values anyway.
        if (res.status === 409 && String(res.body.type).endsWith(':backout-conflicts'))
          res = await s('POST', `/releases/${id}/backout`, {
            ...body,
            force: { reason: 'load: restore anyway' },
          });
        if (res.status === 200)
          ack.backouts.push({ id, versions: res.body.versions as { ciId: string; version: number }[] });
      },
    ],
  ];
  const total = kinds.reduce((sum, [, w]) => sum + w, 0);
  const ops: { name: string; run: Op }[] = [];
  let planned = 0;
  while (planned < count) {
    const r = random() * total;
    let below = 0;
    const [name, , requests, run] =
      kinds.find(([, w]) => {
        below += w;
        return r < below;
      }) ?? (kinds[0] as (typeof kinds)[number]);
    ops.push({ name, run });
    planned += requests;
  }
  const acknowledged: Acknowledged = {
    createdReleases: [],
    createdRfcs: [],
    releaseEdits: [],
    releaseMoves: [],
    rfcMoves: [],
    votes: [],
    releaseApprovals: [],
    ciWrites: [],
    taskStarts: [],
    taskCompletions: [],
    backouts: [],
  };
  const started = performance.now();
  const byKind: Record<string, Record<string, number>> = {};
  const settled = await Promise.allSettled(
    ops.map(({ name, run }) =>
      run(async (...args) => {
        const res = await send(...args);
        byKind[name] ??= {};
        const counts = byKind[name];
        // A refusal is counted by its problem type too: which rule or conflict refused it.
        const key =
          res.status < 400 ? String(res.status) : `${res.status} ${String(res.body.type).split(':').at(-1)}`;
        counts[key] = (counts[key] ?? 0) + 1;
        return res;
      }, acknowledged),
    ),
  );
  const durationMs = performance.now() - started;
  for (const s of settled) if (s.status === 'rejected') failures.push(String(s.reason).slice(0, 500));
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return {
    acknowledged,
    failures,
    report: {
      requests: latencies.length,
      statuses,
      byKind,
      durationMs: Math.round(durationMs),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      acknowledged: Object.fromEntries(Object.entries(acknowledged).map(([k, v]) => [k, v.length])),
    },
  };
}

type Entry = { type: string; actor: string; data: Record<string, unknown> };

/**
 * After the load: every acknowledged write is there with what it wrote, every event's effect was
 * applied once, and every release's and RFC's recorded stage is its execution's state.
 */
export async function checkLoad(t: TestCloud, world: LoadWorld, ack: Acknowledged): Promise<void> {
  await t.cloud.settle();
  const releases = [
    ...new Set([
      ...world.moving,
      ...world.deploying,
      ...world.deployed,
      ...world.approving,
      ...ack.createdReleases.map((r) => r.id),
    ]),
  ];
  const rfcs = [...new Set([...world.rfcs, ...ack.createdRfcs.map((r) => r.id)])];
  const history = async (path: string) =>
    (await ok(t, 'GET', `${path}/history?limit=100`, undefined, 'cm')).items as Entry[];

  // Acknowledged writes, read back.
  for (const r of ack.createdReleases) expect((await ok(t, 'GET', `/releases/${r.id}`)).title).toBe(r.title);
  for (const r of ack.createdRfcs)
    expect((await ok(t, 'GET', `/changes/${r.id}`, undefined, 'cm')).title).toBe(r.title);
  const releaseHistories = new Map<string, Entry[]>();
  for (const id of releases) releaseHistories.set(id, await history(`/releases/${id}`));
  for (const e of ack.releaseEdits) {
    const updates = (releaseHistories.get(e.id) ?? []).filter(
      (x) => x.type === 'Release Updated' && x.data.version === e.version,
    );
    expect(updates, `edit ${JSON.stringify(e)}`).toHaveLength(1);
    expect(JSON.stringify(updates[0]?.data.changed)).toContain(e.title);
  }
  for (const m of ack.releaseMoves) {
    const moves = (releaseHistories.get(m.id) ?? []).filter(
      (x) => x.type === 'Release Stage Entered' && x.data.version === m.version,
    );
    expect(moves, `move ${JSON.stringify(m)}`).toHaveLength(1);
    expect(moves[0]?.data.to).toBe(m.to);
  }
  for (const id of rfcs) {
    const entries = await history(`/changes/${id}`);
    const moves = entries.filter((x) => x.type === 'Change State Changed').map((x) => x.data.to);
    expect(moves).toEqual(expect.arrayContaining(ack.rfcMoves.filter((m) => m.id === id).map((m) => m.to)));
    // Each stage entered once: a move applied twice would show twice.
    expect(new Set(moves).size, `RFC ${id} moves ${moves}`).toBe(moves.length);
    const change = await ok(t, 'GET', `/changes/${id}`, undefined, 'cm');
    const by = (change.approvals as { by: string }[]).map((a) => a.by);
    expect(new Set(by).size).toBe(by.length);
    for (const v of ack.votes.filter((x) => x.id === id)) expect(by).toContain(v.by);
  }
  // Release approvals: each acknowledged one recorded once, by its approver, at the version it
  // answered; and no priority-1 release entered Deployment with fewer than two distinct approvers.
  for (const a of ack.releaseApprovals) {
    const recorded = (releaseHistories.get(a.id) ?? []).filter(
      (x) => x.type === 'Release Approval Recorded' && x.actor === a.by && x.data.version === a.version,
    );
    expect(recorded, `approval ${JSON.stringify(a)}`).toHaveLength(1);
  }
  for (const id of world.approving) {
    const entries = releaseHistories.get(id) ?? [];
    const entered = entries.findIndex(
      (x) => x.type === 'Release Stage Entered' && x.data.to === 'Deployment',
    );
    const approvers = entries
      .slice(0, entered === -1 ? entries.length : entered)
      .filter((x) => x.type === 'Release Approval Recorded')
      .map((x) => x.actor);
    expect(new Set(approvers).size, `release ${id}: approvers ${approvers}`).toBe(approvers.length);
    if (entered !== -1)
      expect(approvers.length, `release ${id} entered Deployment`).toBeGreaterThanOrEqual(2);
  }
  for (const w of ack.ciWrites) {
    const version = await ok(t, 'GET', `/cis/${w.ciId}/versions/${w.version}`);
    expect(JSON.stringify(version), `CI write ${JSON.stringify(w)}`).toContain(w.value);
  }
  for (const id of ack.taskCompletions)
    expect((await ok(t, 'GET', `/tasks/${id}`, undefined, 'tech')).status).toBe('done');
  for (const id of ack.taskStarts)
    expect(['in_progress', 'done']).toContain((await ok(t, 'GET', `/tasks/${id}`, undefined, 'tech')).status);
  expect(new Set(ack.taskCompletions).size).toBe(ack.taskCompletions.length);
  expect(new Set(ack.backouts.map((b) => b.id)).size).toBe(ack.backouts.length);
  for (const b of ack.backouts) {
    expect((await ok(t, 'GET', `/releases/${b.id}`)).stage).toBe('Backed Out');
    expect((releaseHistories.get(b.id) ?? []).filter((x) => x.type === 'Release Backed Out')).toHaveLength(1);
  }

  // CI versions: the setup's, plus one per acknowledged write, per update of a task completed
  // under load (applied by the consumer once) and per version a back-out wrote — and no more.
  for (const ciId of world.cis) {
    const expected =
      (world.ciVersions.get(ciId) ?? 0) +
      ack.ciWrites.filter((w) => w.ciId === ciId).length +
      ack.taskCompletions.flatMap((id) => world.taskUpdates.get(id) ?? []).filter((u) => u.ciId === ciId)
        .length +
      ack.backouts.flatMap((b) => b.versions).filter((v) => v.ciId === ciId).length;
    await eventually(async () => {
      const ci = await ok(t, 'GET', `/cis/${ciId}`);
      expect(ci.version, `CI ${ciId}`).toBe(expected);
    }, 20_000);
    const versions = (
      (await ok(t, 'GET', `/cis/${ciId}/history?limit=100`)).items as { version: number }[]
    ).map((v) => v.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
  }

  // Ready tasks: created once per release that entered its deploy stage, none for the others.
  for (const id of releases) {
    const entries = releaseHistories.get(id) ?? [];
    const ready = entries.filter((x) => x.type === 'Deployment Tasks Ready');
    const entered = entries.some((x) => x.type === 'Release Stage Entered' && x.data.to === 'Deployment');
    // The stored tasks (their own index), not the release's view of its plan.
    const stored = (await ok(t, 'GET', `/tasks?release=${id}&limit=100`, undefined, 'tech')).items as {
      id: string;
    }[];
    const planned = world.plans.get(id)?.length ?? 0;
    expect(ready.length, `release ${id}: Deployment Tasks Ready`).toBe(entered && planned > 0 ? 1 : 0);
    expect(stored.length, `release ${id}: stored tasks`).toBe(entered ? planned : 0);
    expect(new Set(stored.map((x) => x.id)).size).toBe(stored.length);
  }

  // Metrics counters equal the recount from the histories.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const range = { from: day(-400), to: day(400) };
  await eventually(async () => {
    const metrics = await ok(t, 'GET', `/metrics/releases?from=${range.from}&to=${range.to}`);
    expect(await recountReleaseMetrics(range, t.cloud.ports)).toEqual(metrics);
  }, 20_000);

  // Every subject's recorded stage is its execution's state.
  for (const id of releases) {
    const arn = (await t.cloud.ports.releases.get(id))?.workflow.stateMachineArn;
    await eventually(async () => {
      const stage = (await ok(t, 'GET', `/releases/${id}`)).stage;
      expect((await t.execution(id, arn)).state, `release ${id}`).toBe(stage);
    }, 20_000);
  }
  for (const id of rfcs) {
    const arn = (await t.cloud.ports.changes.get(id))?.workflow.stateMachineArn;
    await eventually(async () => {
      const state = (await ok(t, 'GET', `/changes/${id}`, undefined, 'cm')).state;
      expect((await t.execution(id, arn)).state, `RFC ${id}`).toBe(state);
    }, 20_000);
  }
  // And the reconciler, asked about each, finds nothing to resend or repair.
  const ports = t.cloud.ports;
  for (const [kind, ids] of [
    ['release', releases],
    ['change', rfcs],
  ] as const) {
    for (const id of ids) {
      const outcome = await reconcileSubject(kind, id, { ...ports, runs: ports.runs[kind] });
      expect(outcome, `${kind} ${id}`).toMatchObject({ outcome: 'in-step' });
    }
  }
}
