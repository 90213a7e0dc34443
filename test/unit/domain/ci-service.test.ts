/**
 * The CMDB use cases on the in-memory fakes: CIs and their immutable versions, the CI at an
 * instant, history, impact through relations, who may do what; planned CI updates checked at
 * planning and applied once per update when their task is done, failures recorded, never dropped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCiUpdates,
  CI_UPDATES_ACTOR,
  CiUpdatesFailedError,
  ciHistory,
  ciImpact,
  createCi,
  editCi,
  getCi,
  getCiVersion,
  listCis,
  pendingCiUpdates,
} from '../../../functions/domain/ci/service.ts';
import {
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import type { NewTask, Release } from '../../../functions/domain/release/release.ts';
import {
  createRelease,
  editRelease,
  moveRelease,
  tasksOf,
} from '../../../functions/domain/release/service.ts';
import {
  completeDeploymentTask,
  readyDeploymentTasks,
  startDeploymentTask,
} from '../../../functions/domain/task/service.ts';
import type { Team, TeamKind } from '../../../functions/domain/team/team.ts';
import { checkPointInTime, scenarioArbitrary, settableClock } from '../../support/ci-property.ts';
import { actor, ciFixture, FakeCiStore, inMemoryPorts, sequentialIds } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'], workGroupIds: ['wg_build'] });
const carol = actor('carol', ['change']);
const tech = actor('tech', ['deployment'], { teamIds: ['team_dep'], workGroupIds: ['wg_dep'] });

const team = (id: string, kind: TeamKind, members: string[], workGroups: string[]): Team => ({
  id,
  name: id,
  kind,
  workGroups: workGroups.map((wg) => ({ id: wg, name: wg })),
  members,
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
});

function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm'], ['wg_build']));
  ports.teams.seed(team('team_dep', 'deployment', ['tech'], ['wg_dep']));
  return ports;
}
type World = ReturnType<typeof world>;

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

const app = (ports: World, name = 'payroll-app', over: Record<string, unknown> = {}) =>
  createCi(
    { type: 'application', name, attributes: { version: '4.1.0' }, relations: [], ...over },
    rm,
    ports,
  );

describe('configuration items', () => {
  it('records a CI at version 1 with its version item and Configuration Item Created', async () => {
    const ports = world();
    const { ci } = await app(ports);
    expect(ci).toMatchObject({ type: 'application', name: 'payroll-app', version: 1, status: 'active' });
    expect(ports.table.eventsOf({ kind: 'ci', id: ci.id }).map((e) => [e.type, e.data])).toEqual([
      [
        'Configuration Item Created',
        {
          ciId: ci.id,
          type: 'application',
          name: 'payroll-app',
          attributes: { version: '4.1.0' },
          relations: [],
          version: 1,
        },
      ],
    ]);
    const v1 = await getCiVersion(ci.id, 1, tech, ports);
    expect(v1).toMatchObject({
      version: 1,
      actor: 'rm',
      changes: { name: { from: null, to: 'payroll-app' } },
    });
    expect(v1.snapshot).toEqual(ci);
  });

  it('lets release and change managers write, every process holder read, and nobody else (403)', async () => {
    const ports = world();
    expect(
      await refusal(
        app(ports).then(() => createCi({ type: 'x', name: 'y', attributes: {}, relations: [] }, tech, ports)),
      ),
    ).toBeInstanceOf(ForbiddenError);
    const { ci } = await createCi(
      { type: 'server', name: 'db-01', attributes: {}, relations: [] },
      carol,
      ports,
    );
    expect((await getCi(ci.id, undefined, tech, ports)).name).toBe('db-01');
    expect(await refusal(editCi(ci.id, { name: 'z' }, 1, tech, ports))).toBeInstanceOf(ForbiddenError);
    expect(await refusal(getCi(ci.id, undefined, actor('nobody', []), ports))).toBeInstanceOf(ForbiddenError);
  });

  it('edits make immutable versions: set merges, null removes, each change before and after; no change, no version', async () => {
    const ports = world();
    const { ci } = await app(ports);
    const edited = await editCi(
      ci.id,
      { set: { version: '4.2.0', owner: 'pay', ghost: null }, name: 'payroll', reason: 'Upgrade' },
      1,
      rm,
      ports,
    );
    expect(edited).toMatchObject({
      version: 2,
      name: 'payroll',
      attributes: { version: '4.2.0', owner: 'pay' },
    });
    const removed = await editCi(ci.id, { set: { owner: null } }, 2, rm, ports);
    expect(removed.attributes).toEqual({ version: '4.2.0' });
    const v2 = await getCiVersion(ci.id, 2, rm, ports);
    expect(v2).toMatchObject({
      reason: 'Upgrade',
      changes: {
        name: { from: 'payroll-app', to: 'payroll' },
        attributes: { version: { from: '4.1.0', to: '4.2.0' }, owner: { from: null, to: 'pay' } },
      },
    });
    expect(v2.changes.attributes).not.toHaveProperty('ghost');
    expect((await getCiVersion(ci.id, 3, rm, ports)).changes).toEqual({
      attributes: { owner: { from: 'pay', to: null } },
    });
    // The same values again: nothing written.
    const same = await editCi(ci.id, { set: { version: '4.2.0' }, name: 'payroll' }, 3, rm, ports);
    expect(same.version).toBe(3);
    expect(ports.table.eventsOf({ kind: 'ci', id: ci.id }).map((e) => e.type)).toEqual([
      'Configuration Item Created',
      'Configuration Item Updated',
      'Configuration Item Updated',
    ]);
    expect(ports.table.eventsOf({ kind: 'ci', id: ci.id })[1]?.data).toMatchObject({
      ciId: ci.id,
      version: 2,
      reason: 'Upgrade',
      releaseId: null,
      taskId: null,
    });
    expect(await refusal(editCi(ci.id, { name: 'late' }, 2, rm, ports))).toBeInstanceOf(VersionConflictError);
    expect(await refusal(editCi('ci_nope', { name: 'x' }, 1, rm, ports))).toBeInstanceOf(NotFoundError);
  });

  it('refuses a null attribute on a new CI (400) and attributes past the limits once merged (422)', async () => {
    const ports = world();
    expect(await refusal(app(ports, 'x', { attributes: { a: null } }))).toBeInstanceOf(ValidationError);
    const { ci } = await app(ports);
    let version = 1;
    for (let batch = 0; batch < 2; batch++) {
      const set = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${batch}_${i}`, i]));
      const outcome = await editCi(ci.id, { set }, version, rm, ports).catch((e: unknown) => e);
      if (batch === 0) version = (outcome as { version: number }).version;
      else {
        expect(outcome).toBeInstanceOf(RuleViolationError);
        expect((outcome as RuleViolationError).code).toBe('invalid-ci-attributes');
      }
    }
  });

  it('validates relations: targets exist and are active, never itself, never twice (422 naming each)', async () => {
    const ports = world();
    const { ci: db } = await createCi(
      { type: 'server', name: 'db', attributes: {}, relations: [] },
      rm,
      ports,
    );
    const unknown = await refusal(app(ports, 'a', { relations: [{ type: 'runs-on', ciId: 'ci_ghost' }] }));
    expect(unknown).toMatchObject({
      code: 'invalid-ci-relations',
      details: { errors: [{ path: 'relations.0.ciId', message: 'is not a CI (ci_ghost)' }] },
    });
    const { ci } = await app(ports, 'a', { relations: [{ type: 'runs-on', ciId: db.id }] });
    const self = await refusal(
      editCi(ci.id, { relations: [{ type: 'depends-on', ciId: ci.id }] }, 1, rm, ports),
    );
    expect(self).toMatchObject({ code: 'invalid-ci-relations' });
    const twice = await refusal(
      editCi(
        ci.id,
        {
          relations: [
            { type: 'runs-on', ciId: db.id },
            { type: 'runs-on', ciId: db.id },
          ],
        },
        1,
        rm,
        ports,
      ),
    );
    expect(twice).toMatchObject({ code: 'invalid-ci-relations' });
    await editCi(db.id, { status: 'retired' }, 1, rm, ports);
    const { ci: other } = await app(ports, 'b');
    expect(
      await refusal(editCi(other.id, { relations: [{ type: 'runs-on', ciId: db.id }] }, 1, rm, ports)),
    ).toMatchObject({ details: { errors: [{ message: `is retired (${db.id})` }] } });
    // A relation held before the target was retired is kept through other edits.
    expect((await editCi(ci.id, { name: 'a2' }, 1, rm, ports)).relations).toEqual([
      { type: 'runs-on', ciId: db.id },
    ]);
  });

  it('lists by type and by name, from the store’s lists', async () => {
    const ports = world();
    await app(ports, 'b-app');
    await app(ports, 'a-app');
    await createCi({ type: 'server', name: 'a-app', attributes: {}, relations: [] }, rm, ports);
    const byType = await listCis({ type: 'application' }, { limit: 10 }, rm, ports);
    expect(byType.items.map((c) => c.name)).toEqual(['a-app', 'b-app']);
    const byName = await listCis({ name: 'a-app' }, { limit: 10 }, rm, ports);
    expect(byName.items.map((c) => c.type)).toEqual(['application', 'server']);
    const both = await listCis({ name: 'a-app', type: 'server' }, { limit: 10 }, rm, ports);
    expect(both.items).toHaveLength(1);
  });
});

describe('the past of a CI', () => {
  it('answers the CI as it was at an instant, 404 before it existed; versions never go back in time', async () => {
    const ports = world();
    const { ci } = await app(ports);
    ports.clock.advance(60_000);
    await editCi(ci.id, { set: { version: '4.2.0' } }, 1, rm, ports);
    // A writer whose clock is behind: its version still comes after the one before.
    ports.clock.advance(-120_000);
    const third = await editCi(ci.id, { set: { version: '4.3.0' } }, 2, rm, ports);
    expect(third.updatedAt).toBe('2026-11-26T10:01:00.000Z');
    const before = await refusal(getCi(ci.id, '2026-11-26T09:59:59.999Z', rm, ports));
    expect(before).toBeInstanceOf(NotFoundError);
    expect((await getCi(ci.id, T0, rm, ports)).attributes).toEqual({ version: '4.1.0' });
    expect((await getCi(ci.id, '2026-11-26T10:00:59.999Z', rm, ports)).version).toBe(1);
    // Both later versions share an instant: the last one written at it is the CI then.
    expect((await getCi(ci.id, '2026-11-26T11:01:00+01:00', rm, ports)).attributes).toEqual({
      version: '4.3.0',
    });
  });

  it('pages history newest first; 404 for a CI that does not exist', async () => {
    const ports = world();
    const { ci } = await app(ports);
    for (let v = 1; v < 5; v++) await editCi(ci.id, { set: { n: v } }, v, rm, ports);
    const first = await ciHistory(ci.id, { limit: 3 }, rm, ports);
    expect(first.items.map((v) => v.version)).toEqual([5, 4, 3]);
    const rest = await ciHistory(ci.id, { limit: 3, cursor: first.nextCursor }, rm, ports);
    expect(rest.items.map((v) => v.version)).toEqual([2, 1]);
    expect(rest.nextCursor).toBeUndefined();
    expect(await refusal(ciHistory('ci_nope', { limit: 3 }, rm, ports))).toBeInstanceOf(NotFoundError);
    expect(await refusal(getCiVersion(ci.id, 6, rm, ports))).toBeInstanceOf(NotFoundError);
  });

  it('reads the same number of items for the newest history page and a point in time, with 10 or 500 versions', async () => {
    const cost = async (versions: number, limit: number) => {
      const ports = world();
      const { ci } = await app(ports);
      for (let v = 1; v < versions; v++) {
        ports.clock.advance(1_000);
        await editCi(ci.id, { set: { n: v } }, v, rm, ports);
      }
      const store = ports.cis;
      for (const k of Object.keys(store.reads)) delete store.reads[k];
      await ciHistory(ci.id, { limit }, rm, ports);
      await getCi(ci.id, '2026-11-26T10:00:05.500Z', rm, ports);
      return { ...store.reads };
    };
    // A page of 5 reads 6 items (one more tells whether a page follows), however long the history.
    expect(await cost(10, 5)).toEqual({ history: 6, at: 1 });
    expect(await cost(500, 5)).toEqual({ history: 6, at: 1 });
    expect(await cost(500, 20)).toEqual({ history: 21, at: 1 });
  });

  it('property: at any instant, ?at= is exactly the replayed state of random edits on random CIs', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(), async (scenario) => {
        const clock = settableClock(T0);
        const ports = { cis: new FakeCiStore(), clock, ids: sequentialIds() };
        await checkPointInTime(scenario, ports, clock, rm);
      }),
      { numRuns: 150 },
    );
  });
});

describe('impact', () => {
  it('lists what depends on a CI transitively with the path to each, cycle-safe and bounded by depth', async () => {
    const ports = world();
    const mk = async (
      name: string,
      relations: { type: 'depends-on' | 'runs-on' | 'part-of'; ciId: string }[] = [],
    ) => (await createCi({ type: 'x', name, attributes: {}, relations }, rm, ports)).ci;
    const db = await mk('db');
    const api = await mk('api', [{ type: 'depends-on', ciId: db.id }]);
    const web = await mk('web', [{ type: 'depends-on', ciId: api.id }]);
    const batch = await mk('batch', [{ type: 'runs-on', ciId: db.id }]);
    // A cycle back to db: db depends on web.
    await editCi(db.id, { relations: [{ type: 'depends-on', ciId: web.id }] }, 1, rm, ports);
    const impact = await ciImpact(db.id, undefined, tech, ports);
    expect(
      impact.items.map((i) => [i.ci.name, i.depth, i.path.map((p) => `${p.relation}:${p.ciId}`)]),
    ).toEqual([
      ['api', 1, [`depends-on:${api.id}`]],
      ['batch', 1, [`runs-on:${batch.id}`]],
      ['web', 2, [`depends-on:${api.id}`, `depends-on:${web.id}`]],
    ]);
    expect(impact.truncated).toBe(false);
    expect((await ciImpact(db.id, 1, tech, ports)).items.map((i) => i.ci.name)).toEqual(['api', 'batch']);
    // From web: db depends on it, then what depends on db — web itself is not listed again.
    expect((await ciImpact(web.id, 5, tech, ports)).items.map((i) => i.ci.name)).toEqual([
      'db',
      'api',
      'batch',
    ]);
    expect(await refusal(ciImpact(db.id, 11, tech, ports))).toBeInstanceOf(ValidationError);
    expect(await refusal(ciImpact('ci_nope', 1, tech, ports))).toBeInstanceOf(NotFoundError);
  });

  it('lists at most 200 dependents and says it truncated', async () => {
    const ports = world();
    const { ci: hub } = await createCi({ type: 'x', name: 'hub', attributes: {}, relations: [] }, rm, ports);
    for (let i = 0; i < 205; i++) {
      await createCi(
        { type: 'x', name: `leaf-${i}`, attributes: {}, relations: [{ type: 'depends-on', ciId: hub.id }] },
        rm,
        ports,
      );
    }
    const impact = await ciImpact(hub.id, 3, rm, ports);
    expect(impact.items).toHaveLength(200);
    expect(impact.truncated).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

const planned = (
  title: string,
  ciUpdates: NewTask['ciUpdates'],
  ciIds = ciUpdates.map((u) => u.ciId),
): NewTask => ({
  title,
  workGroupId: 'wg_dep',
  technicianId: 'tech',
  ciIds,
  ciUpdates,
});

async function newRelease(ports: World, tasks: NewTask[]): Promise<Release> {
  const { release } = await createRelease(
    {
      title: 'Payroll 4.2',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'medium',
      businessPriority: 2,
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      changeIds: [],
      kbArticleIds: [],
      deployment: { managedByChange: false },
      tasks,
    },
    rm,
    ports,
  );
  return release;
}

/** A release with these tasks, in Deployment, its tasks ready. */
async function deploying(ports: World, tasks: NewTask[]): Promise<Release> {
  let release = await newRelease(ports, tasks);
  for (const to of ['Development', 'Testing', 'Deployment']) {
    release = (await moveRelease(release.id, { to, expectedVersion: release.version }, rm, ports)).release;
  }
  await readyDeploymentTasks(release.id, { kind: 'stage', entry: release.stageEntry }, ports);
  return release;
}

async function complete(ports: World, taskId: string) {
  await startDeploymentTask(taskId, 1, tech, ports);
  await completeDeploymentTask(taskId, 'done', 2, tech, ports);
}

describe('planned CI updates', () => {
  it('must name existing, active CIs at creation and edit (422 listing the unknown and retired ids)', async () => {
    const ports = world();
    ports.cis.seed(ciFixture('ci_app'));
    ports.cis.seed(ciFixture('ci_old', { status: 'retired' }));
    const refused = await refusal(
      newRelease(ports, [
        planned('Upgrade', [{ ciId: 'ci_ghost', set: { v: 1 } }], ['ci_app', 'ci_old', 'ci_gone']),
      ]),
    );
    expect(refused).toMatchObject({
      code: 'unknown-cis',
      details: {
        unknownCiIds: ['ci_gone', 'ci_ghost'],
        retiredCiIds: ['ci_old'],
        errors: [
          { path: 'tasks.0.ciIds.1', message: 'is retired (ci_old)' },
          { path: 'tasks.0.ciIds.2', message: 'is not a CI (ci_gone)' },
          { path: 'tasks.0.ciUpdates.0.ciId', message: 'is not a CI (ci_ghost)' },
        ],
      },
    });
    expect(ports.cis.count('getMany')).toBe(1);
    const release = await newRelease(ports, [planned('Upgrade', [{ ciId: 'ci_app', set: { v: 1 } }])]);
    const edit = await refusal(
      editRelease(
        release.id,
        { tasks: [planned('Upgrade', [{ ciId: 'ci_nope', set: { v: 1 } }])] },
        1,
        rm,
        ports,
      ),
    );
    expect(edit).toMatchObject({ code: 'unknown-cis', details: { unknownCiIds: ['ci_nope'] } });
  });

  it('applies each update of a done task once, as a version naming release and task, keeping the prior values', async () => {
    const ports = world();
    ports.cis.seed(ciFixture('ci_app', { attributes: { version: '4.1.0' } }));
    ports.cis.seed(ciFixture('ci_db'));
    const release = await deploying(ports, [
      planned('Upgrade', [
        { ciId: 'ci_app', set: { version: '4.2.0' } },
        { ciId: 'ci_db', set: { schema: 42 } },
        { ciId: 'ci_app', set: { flag: true } },
      ]),
    ]);
    const taskId = release.tasks[0]?.id as string;
    // Not done yet: nothing applied, whatever the event said.
    expect(await applyCiUpdates(taskId, ports)).toMatchObject({ outcome: 'not-done' });
    expect(await pendingCiUpdates(release, [], ports)).toEqual([
      { taskId, index: 0, ciId: 'ci_app' },
      { taskId, index: 1, ciId: 'ci_db' },
      { taskId, index: 2, ciId: 'ci_app' },
    ]);
    await complete(ports, taskId);
    ports.meter.reset();
    // Delivered twice at once, then again.
    const outcomes = await Promise.all([applyCiUpdates(taskId, ports), applyCiUpdates(taskId, ports)]);
    expect(outcomes.reduce((n, o) => n + o.applied, 0)).toBe(3);
    expect(await applyCiUpdates(taskId, ports)).toEqual({ outcome: 'applied', applied: 0, already: 3 });
    // Counted as applied: three, however often and however concurrently it was delivered.
    expect(ports.meter.counted()).toEqual({ CiUpdatesApplied: 3 });
    const app = await getCi('ci_app', undefined, rm, ports);
    expect(app).toMatchObject({ version: 3, attributes: { version: '4.2.0', flag: true } });
    const history = await ciHistory('ci_app', { limit: 10 }, rm, ports);
    expect(history.items.map((v) => [v.version, v.actor, v.releaseId, v.taskId, v.changes])).toEqual([
      [3, CI_UPDATES_ACTOR, release.id, taskId, { attributes: { flag: { from: null, to: true } } }],
      [2, CI_UPDATES_ACTOR, release.id, taskId, { attributes: { version: { from: '4.1.0', to: '4.2.0' } } }],
      [1, 'root', undefined, undefined, {}],
    ]);
    expect((await getCi('ci_db', undefined, rm, ports)).version).toBe(2);
    expect(await pendingCiUpdates(release, [], ports)).toEqual([]);
    const written = await ports.cis.versionsOfRelease(release.id, { limit: 10 });
    expect(written.items.map((v) => [v.ciId, v.version])).toEqual([
      // By instant (all the same on this clock), then CI.
      ['ci_app', 2],
      ['ci_app', 3],
      ['ci_db', 2],
    ]);
    expect(ports.table.events.filter((e) => e.type === 'Configuration Item Updated')).toHaveLength(3);
  });

  it('records an update it cannot apply on the task and throws, keeping the others applied once; a later run clears it', async () => {
    const ports = world();
    ports.cis.seed(ciFixture('ci_app'));
    ports.cis.seed(ciFixture('ci_db'));
    const release = await deploying(ports, [
      planned('Upgrade', [
        { ciId: 'ci_app', set: { version: '4.2.0' } },
        { ciId: 'ci_db', set: { schema: 42 } },
      ]),
    ]);
    const taskId = release.tasks[0]?.id as string;
    // Retired after planning, before the task was done.
    await editCi('ci_db', { status: 'retired' }, 1, rm, ports);
    await complete(ports, taskId);
    for (let delivery = 0; delivery < 2; delivery++) {
      const failed = await refusal(applyCiUpdates(taskId, ports));
      expect(failed).toBeInstanceOf(CiUpdatesFailedError);
      expect(failed.message).toContain('ci_db: CI ci_db is retired');
    }
    expect((await getCi('ci_app', undefined, rm, ports)).version).toBe(2);
    const [task] = await tasksOf(await ports.releases.get(release.id).then((r) => r as Release), ports);
    expect(task?.ciUpdateFailures).toEqual([
      { index: 1, ciId: 'ci_db', reason: 'CI ci_db is retired', at: T0 },
    ]);
    expect(await pendingCiUpdates(release, [task as { id: string }], ports)).toEqual([
      { taskId, index: 1, ciId: 'ci_db', reason: 'CI ci_db is retired' },
    ]);
    // Brought back, and the failed event redriven: applied, the failure cleared.
    await editCi('ci_db', { status: 'active' }, 2, rm, ports);
    expect(await applyCiUpdates(taskId, ports)).toEqual({ outcome: 'applied', applied: 1, already: 1 });
    expect((await ports.tasks.get(taskId))?.ciUpdateFailures).toBeUndefined();
    expect(await pendingCiUpdates(release, [], ports)).toEqual([]);
  });

  it("reads per completed task only its own marks and the release's standing, never the whole plan's", async () => {
    const ports = world();
    const tasks = Array.from({ length: 6 }, (_, i) => {
      ports.cis.seed(ciFixture(`ci_${i}`));
      return planned(`Task ${i}`, [{ ciId: `ci_${i}`, set: { v: 2 } }]);
    });
    const release = await deploying(ports, tasks);
    const ids = release.tasks.map((t) => t.id);
    for (const [i, id] of ids.entries()) {
      await complete(ports, id);
      const reads = {
        queries: ports.cis.count('applied'),
        marks: ports.cis.reads.applied ?? 0,
        releases: ports.releases.calls.length,
      };
      expect(await applyCiUpdates(id, ports)).toEqual({ outcome: 'applied', applied: 1, already: 0 });
      // One Query of this task's marks (none yet), whatever the release's other tasks applied (i
      // marks by now): applying a plan of N tasks reads N marks in all, not N²/2.
      expect(ports.cis.count('applied') - reads.queries).toBe(1);
      expect(ports.cis.calls.filter((c) => c.method === 'applied').at(-1)?.args).toEqual([release.id, id]);
      expect(ports.cis.marks.size).toBe(i + 1);
      expect((ports.cis.reads.applied ?? 0) - reads.marks).toBe(0);
      expect(ports.releases.calls.slice(reads.releases).map((c) => c.method)).toEqual(['standing']);
    }
    // Redelivered: the task's one mark is read, found, nothing written.
    const before = ports.cis.reads.applied ?? 0;
    expect(await applyCiUpdates(ids[5] as string, ports)).toEqual({
      outcome: 'applied',
      applied: 0,
      already: 1,
    });
    expect((ports.cis.reads.applied ?? 0) - before).toBe(1);
    expect(await pendingCiUpdates(release, [], ports)).toEqual([]);
  });

  it('acts on the table only: an unknown task, a release cancelled meanwhile', async () => {
    const ports = world();
    ports.cis.seed(ciFixture('ci_app'));
    expect(await applyCiUpdates('task_forged', ports)).toMatchObject({ outcome: 'missing' });
    const release = await deploying(ports, [planned('Upgrade', [{ ciId: 'ci_app', set: { v: 1 } }])]);
    const taskId = release.tasks[0]?.id as string;
    await complete(ports, taskId);
    const stored = (await ports.releases.get(release.id)) as Release;
    ports.releases.seed({ ...stored, status: 'cancelled' });
    expect(await applyCiUpdates(taskId, ports)).toMatchObject({ outcome: 'release-over' });
    expect((await getCi('ci_app', undefined, rm, ports)).version).toBe(1);
  });
});
