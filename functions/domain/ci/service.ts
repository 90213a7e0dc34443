/**
 * CMDB use cases: configuration items, their versions, their past and their dependents; and the
 * apply-ci-updates consumer's, which turns a completed deployment task's planned CI updates into
 * CI versions, once each. Each receives its ports, so tests run them on in-memory fakes.
 */
import { type Access, type Actor, ANY_PROCESS, authorize } from '../actor.ts';
import {
  type FieldError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import type { IdempotencyRequest, Page } from '../ports.ts';
import type { PlannedTask, Release } from '../release/release.ts';
import type { CiUpdateFailure, Task } from '../task/task.ts';
import {
  type Ci,
  type CiEdit,
  type CiRelation,
  type CiRelationType,
  type CiVersion,
  type NewCi,
  newCi,
  updateCi,
} from './ci.ts';
import type { AppliedCiUpdate, ApplyCiUpdatePorts, CiFilter, CiPorts } from './ports.ts';

export type {
  AppliedCiUpdate,
  ApplyCiUpdatePorts,
  CiFilter,
  CiPorts,
  CiStore,
  InboundRelation,
} from './ports.ts';

/**
 * Who may use the CMDB (the routes declare these same objects). Everyone working on releases
 * reads it (technicians see what they deploy to); release and change managers record and edit
 * CIs — the CMDB is what both plan against (see docs/decisions.md, "CMDB").
 */
export const ciAccess = {
  read: ANY_PROCESS,
  write: { processes: ['release', 'change'] },
} as const satisfies Record<string, Access>;

/** Who applies planned CI updates: the consumer of `Deployment Task Completed`, not a person. */
export const CI_UPDATES_ACTOR = 'system:apply-ci-updates';

/** Impact: how deep it follows relations by default and at most, and how many CIs it lists. */
export const IMPACT_LIMITS = { defaultDepth: 3, maxDepth: 10, maxItems: 200 } as const;

/** Attempts at one write when a concurrent writer of the same CI wins the race. */
const WRITE_ATTEMPTS = 5;

/**
 * The relation targets that are new in `relations` (not held before) must exist and be active
 * (422 `invalid-ci-relations` naming each); one BatchGetItem.
 */
async function checkTargets(
  relations: readonly CiRelation[],
  before: readonly CiRelation[],
  ports: Pick<CiPorts, 'cis'>,
): Promise<void> {
  const added = relations.map((r, i) => ({ r, i })).filter(({ r }) => !before.some((b) => b.ciId === r.ciId));
  if (added.length === 0) return;
  const found = await ports.cis.getMany([...new Set(added.map(({ r }) => r.ciId))]);
  const errors: FieldError[] = [];
  for (const { r, i } of added) {
    const target = found.get(r.ciId);
    if (!target) errors.push({ path: `relations.${i}.ciId`, message: `is not a CI (${r.ciId})` });
    else if (target.status === 'retired') {
      errors.push({ path: `relations.${i}.ciId`, message: `is retired (${r.ciId})` });
    }
  }
  if (errors.length > 0) {
    throw new RuleViolationError(
      'invalid-ci-relations',
      `Relations must point at existing, active CIs: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
      { errors },
    );
  }
}

export async function createCi(
  input: NewCi,
  actor: Actor,
  ports: CiPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ ci: Ci; replayed: boolean }> {
  authorize(actor, ciAccess.write);
  const write = newCi(input, actor.id, ports);
  await checkTargets(write.ci.relations, [], ports);
  const { replayed } = await ports.cis.create(write, idempotency);
  if (replayed !== undefined) {
    const first = await ports.cis.get(replayed);
    if (!first) throw new NotFoundError('CI', replayed);
    return { ci: first, replayed: true };
  }
  return { ci: write.ci, replayed: false };
}

export async function listCis(
  filter: CiFilter,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<CiPorts, 'cis'>,
): Promise<Page<Ci>> {
  authorize(actor, ciAccess.read);
  return ports.cis.list(filter, page);
}

/** The CI now, or as it was at `at` (404 when it did not exist yet then). */
export async function getCi(
  id: string,
  at: string | undefined,
  actor: Actor,
  ports: Pick<CiPorts, 'cis'>,
): Promise<Ci> {
  authorize(actor, ciAccess.read);
  const ci = at === undefined ? await ports.cis.get(id) : await ports.cis.at(id, new Date(at).toISOString());
  if (!ci) {
    if (at === undefined) throw new NotFoundError('CI', id);
    throw new NotFoundError('CI', `${id} as of ${new Date(at).toISOString()}`);
  }
  return ci;
}

/**
 * Edits a CI based on the version the caller read (409 when stale): attributes set or removed,
 * name, relations (new targets must exist and be active), status. An edit that changes nothing
 * writes nothing and answers the CI as it is.
 */
export async function editCi(
  id: string,
  edit: CiEdit,
  expectedVersion: number,
  actor: Actor,
  ports: CiPorts,
): Promise<Ci> {
  authorize(actor, ciAccess.write);
  const current = await ports.cis.get(id);
  if (!current) throw new NotFoundError('CI', id);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `CI ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const write = updateCi(current, edit, actor.id, ports);
  if (!write) return current;
  if (edit.relations !== undefined) await checkTargets(write.ci.relations, current.relations, ports);
  await ports.cis.save(write, expectedVersion, current);
  return write.ci;
}

/** A CI's versions, newest first (404 for a CI that does not exist: it always has version 1). */
export async function ciHistory(
  id: string,
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<CiPorts, 'cis'>,
): Promise<Page<CiVersion>> {
  authorize(actor, ciAccess.read);
  const history = await ports.cis.history(id, page);
  if (history.items.length === 0 && page.cursor === undefined) throw new NotFoundError('CI', id);
  return history;
}

export async function getCiVersion(
  id: string,
  version: number,
  actor: Actor,
  ports: Pick<CiPorts, 'cis'>,
): Promise<CiVersion> {
  authorize(actor, ciAccess.read);
  const found =
    Number.isSafeInteger(version) && version >= 1 ? await ports.cis.version(id, version) : undefined;
  if (!found) throw new NotFoundError('CI version', `${id} v${version}`);
  return found;
}

/** One CI that depends on the CI asked about, and how: each step names a CI and its relation to the one before. */
export interface ImpactedCi {
  readonly ci: Ci;
  readonly depth: number;
  readonly path: readonly { readonly ciId: string; readonly relation: CiRelationType }[];
}

export interface Impact {
  readonly ci: Ci;
  readonly depth: number;
  readonly items: readonly ImpactedCi[];
  /** More CIs depend on it than listed (the count bound was reached). */
  readonly truncated: boolean;
}

/**
 * What depends on a CI, transitively: every CI holding a relation to it, then to those, up to
 * `depth` steps, breadth first, each listed once with the shortest path that reaches it (cycles
 * end there), at most {@link IMPACT_LIMITS.maxItems}. One Query per CI reached, one BatchGetItem.
 */
export async function ciImpact(
  id: string,
  depth: number | undefined,
  actor: Actor,
  ports: { cis: Pick<CiPorts['cis'], 'get' | 'getMany' | 'dependents'> },
): Promise<Impact> {
  authorize(actor, ciAccess.read);
  const levels = depth ?? IMPACT_LIMITS.defaultDepth;
  if (!Number.isInteger(levels) || levels < 1 || levels > IMPACT_LIMITS.maxDepth) {
    throw new ValidationError('Bad depth.', [
      { path: 'depth', message: `must be an integer from 1 to ${IMPACT_LIMITS.maxDepth}` },
    ]);
  }
  const root = await ports.cis.get(id);
  if (!root) throw new NotFoundError('CI', id);
  const seen = new Set([id]);
  const reached: Omit<ImpactedCi, 'ci'>[] = [];
  const found: string[] = [];
  let frontier: { ciId: string; path: ImpactedCi['path'] }[] = [{ ciId: id, path: [] }];
  let truncated = false;
  for (let level = 1; level <= levels && frontier.length > 0 && !truncated; level++) {
    const next: typeof frontier = [];
    for (const from of frontier) {
      const room = IMPACT_LIMITS.maxItems - found.length;
      const inbound = await ports.cis.dependents(from.ciId, room + 1);
      for (const relation of inbound) {
        if (seen.has(relation.ciId)) continue;
        if (found.length >= IMPACT_LIMITS.maxItems) {
          truncated = true;
          break;
        }
        seen.add(relation.ciId);
        const path = [...from.path, { ciId: relation.ciId, relation: relation.type }];
        found.push(relation.ciId);
        reached.push({ depth: level, path });
        next.push({ ciId: relation.ciId, path });
      }
      if (truncated) break;
    }
    frontier = next;
  }
  const cis = await ports.cis.getMany(found);
  const items = reached.flatMap((r, i) => {
    const ci = cis.get(found[i] as string);
    return ci ? [{ ...r, ci }] : [];
  });
  return { ci: root, depth: levels, items, truncated };
}

// ---------------------------------------------------------------------------------------------
// Planned CI updates

/**
 * The CIs a release's planned tasks name (`ciIds` and `ciUpdates[].ciId`) must exist and be
 * active: 422 `unknown-cis` listing the unknown and the retired ones, each by its field. One
 * BatchGetItem for all of them.
 */
export async function checkPlannedCis(
  tasks: readonly Pick<PlannedTask, 'ciIds' | 'ciUpdates'>[],
  ports: { cis: Pick<CiPorts['cis'], 'getMany'> },
): Promise<void> {
  const named = new Set(tasks.flatMap((t) => [...t.ciIds, ...t.ciUpdates.map((u) => u.ciId)]));
  if (named.size === 0) return;
  const found = await ports.cis.getMany([...named]);
  const errors: FieldError[] = [];
  const unknown = new Set<string>();
  const retired = new Set<string>();
  const check = (ciId: string, path: string) => {
    const ci = found.get(ciId);
    if (!ci) {
      unknown.add(ciId);
      errors.push({ path, message: `is not a CI (${ciId})` });
    } else if (ci.status === 'retired') {
      retired.add(ciId);
      errors.push({ path, message: `is retired (${ciId})` });
    }
  };
  tasks.forEach((task, i) => {
    task.ciIds.forEach((ciId, j) => {
      check(ciId, `tasks.${i}.ciIds.${j}`);
    });
    task.ciUpdates.forEach((u, j) => {
      check(u.ciId, `tasks.${i}.ciUpdates.${j}.ciId`);
    });
  });
  if (errors.length > 0) {
    throw new RuleViolationError(
      'unknown-cis',
      `Deployment tasks must name existing, active CIs: ${[
        ...(unknown.size > 0 ? [`unknown ${[...unknown].join(', ')}`] : []),
        ...(retired.size > 0 ? [`retired ${[...retired].join(', ')}`] : []),
      ].join('; ')}.`,
      { unknownCiIds: [...unknown], retiredCiIds: [...retired], errors: errors.slice(0, 50) },
    );
  }
}

/** A planned CI update not applied yet (for the CMDB Update gate), with why it failed if it did. */
export interface PendingCiUpdate {
  readonly taskId: string;
  readonly index: number;
  readonly ciId: string;
  readonly reason?: string;
}

/**
 * The planned CI updates of a release not applied yet, in plan order: every `ciUpdates` entry of
 * its tasks without an applied mark (one Query of the marks), with the failure recorded on its
 * task, if any (`tasks`: the live tasks, as `tasksOf` gives them).
 */
export async function pendingCiUpdates(
  release: Pick<Release, 'id' | 'tasks'>,
  tasks: readonly { readonly id: string; readonly ciUpdateFailures?: readonly CiUpdateFailure[] }[],
  ports: { cis: Pick<CiPorts['cis'], 'applied'> },
): Promise<PendingCiUpdate[]> {
  if (!release.tasks.some((t) => t.ciUpdates.length > 0)) return [];
  const applied = new Set((await ports.cis.applied(release.id)).map((m) => `${m.taskId}#${m.index}`));
  const failures = new Map(tasks.map((t) => [t.id, t.ciUpdateFailures ?? []]));
  return release.tasks.flatMap((task) =>
    task.ciUpdates.flatMap((u, index) => {
      if (applied.has(`${task.id}#${index}`)) return [];
      const failure = failures.get(task.id)?.find((f) => f.index === index);
      return [{ taskId: task.id, index, ciId: u.ciId, ...(failure ? { reason: failure.reason } : {}) }];
    }),
  );
}

/** Some planned CI updates of a task could not be applied; they are recorded on the task. */
export class CiUpdatesFailedError extends Error {
  readonly failures: readonly CiUpdateFailure[];
  constructor(taskId: string, failures: readonly CiUpdateFailure[]) {
    super(
      `Task ${taskId}: ${failures.length} CI update(s) could not be applied: ${failures
        .map((f) => `#${f.index} ${f.ciId}: ${f.reason}`)
        .join('; ')}`,
    );
    this.name = 'CiUpdatesFailedError';
    this.failures = failures;
  }
}

export interface AppliedOutcome {
  readonly outcome: 'applied' | 'missing' | 'not-done' | 'release-over';
  /** Updates this call applied, and those it found applied already. */
  readonly applied: number;
  readonly already: number;
}

type UpdateResult = { kind: 'applied' | 'already' } | { kind: 'failed'; reason: string };

/** Applies update `index` of the task once: a CI version and its mark, or the mark found there. */
async function applyOne(task: Task, index: number, ports: ApplyCiUpdatePorts): Promise<UpdateResult> {
  const update = task.ciUpdates[index] as Task['ciUpdates'][number];
  const isApplied = async () =>
    (await ports.cis.applied(task.releaseId, task.id)).some((m) => m.taskId === task.id && m.index === index);
  for (let attempt = 1; ; attempt++) {
    const ci = await ports.cis.get(update.ciId);
    if (!ci) return { kind: 'failed', reason: `CI ${update.ciId} does not exist` };
    if (ci.status === 'retired') return { kind: 'failed', reason: `CI ${update.ciId} is retired` };
    let write: ReturnType<typeof updateCi>;
    try {
      write = updateCi(
        ci,
        { set: { ...update.set }, reason: `Planned update ${index + 1} of task "${task.title}"` },
        CI_UPDATES_ACTOR,
        ports,
        { origin: { releaseId: task.releaseId, taskId: task.id }, always: true },
      );
    } catch (error) {
      if (error instanceof RuleViolationError || error instanceof ValidationError) {
        return { kind: 'failed', reason: error.message };
      }
      throw error;
    }
    if (!write) return { kind: 'failed', reason: 'nothing to write' };
    const mark: AppliedCiUpdate = {
      releaseId: task.releaseId,
      taskId: task.id,
      index,
      ciId: ci.id,
      version: write.ci.version,
      appliedAt: write.version.at,
    };
    try {
      await ports.cis.save(write, ci.version, ci, mark);
      return { kind: 'applied' };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Another delivery applied it, or someone else changed the CI: read again and decide.
      if (await isApplied()) return { kind: 'already' };
      if (attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Applies the planned CI updates of a completed deployment task, in plan order, each exactly once
 * (a redelivered or racing event finds the marks and writes nothing again). It acts on the task as
 * stored (it must be `done`), never on what the event claimed; a release cancelled or backed out
 * meanwhile gets nothing applied. An update that cannot be applied (CI missing or retired, the
 * attributes it would leave invalid) is recorded on the task (`ciUpdateFailures`) and the call
 * then throws {@link CiUpdatesFailedError}, after the others were applied.
 */
export async function applyCiUpdates(taskId: string, ports: ApplyCiUpdatePorts): Promise<AppliedOutcome> {
  const none = { applied: 0, already: 0 };
  const task = await ports.tasks.get(taskId);
  if (!task) return { outcome: 'missing', ...none };
  if (task.status !== 'done') return { outcome: 'not-done', ...none };
  const release = await ports.releases.standing(task.releaseId);
  if (!release) return { outcome: 'missing', ...none };
  if (release.status === 'cancelled' || release.status === 'backed-out')
    return { outcome: 'release-over', ...none };
  const marks = new Set(
    (await ports.cis.applied(task.releaseId, task.id))
      .filter((m) => m.taskId === task.id)
      .map((m) => m.index),
  );
  let applied = 0;
  let already = 0;
  const failures: CiUpdateFailure[] = [];
  for (let index = 0; index < task.ciUpdates.length; index++) {
    if (marks.has(index)) {
      already++;
      continue;
    }
    const result = await applyOne(task, index, ports);
    if (result.kind === 'failed') {
      failures.push({
        index,
        ciId: (task.ciUpdates[index] as Task['ciUpdates'][number]).ciId,
        reason: result.reason,
        at: ports.clock.now().toISOString(),
      });
    } else if (result.kind === 'applied') applied++;
    else already++;
  }
  // Committed whatever follows: a failed update does not take back the ones applied.
  ports.meter.count('CiUpdatesApplied', applied);
  await recordFailures(task, failures, ports);
  if (failures.length > 0) throw new CiUpdatesFailedError(task.id, failures);
  return { outcome: 'applied', applied, already };
}

/** Keeps the task's recorded failures equal to those of this run (a later success clears them). */
async function recordFailures(task: Task, failures: readonly CiUpdateFailure[], ports: ApplyCiUpdatePorts) {
  const key = (list: readonly CiUpdateFailure[]) =>
    JSON.stringify(list.map((f) => [f.index, f.ciId, f.reason]));
  let current: Task | undefined = task;
  for (let attempt = 1; current; attempt++) {
    if (key(current.ciUpdateFailures ?? []) === key(failures)) return;
    try {
      await ports.tasks.recordCiUpdateFailures(current, failures);
      return;
    } catch (error) {
      // A racing delivery recorded them first: compare with what it stored.
      if (!(error instanceof VersionConflictError) || attempt >= WRITE_ATTEMPTS) throw error;
      current = await ports.tasks.get(task.id);
    }
  }
}
