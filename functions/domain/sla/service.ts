/**
 * SLA use cases: recording, reading, listing and editing SLAs, and the concrete blackout windows
 * in a range — of every SLA, or those that apply to one CI: the SLAs covering it and those
 * covering any CI that depends on it, transitively through the CMDB's relations (changing B while
 * A, which depends on B, is in a blackout is a conflict), each window with the path from the CI
 * asked about to the CI covered. Each receives its ports, so tests run them on in-memory fakes.
 */
import { type Access, type Actor, ADMIN, ANY_PROCESS, authorize } from '../actor.ts';
import type { CiRelationType } from '../ci/ci.ts';
import { ciImpact, IMPACT_LIMITS } from '../ci/service.ts';
import { NotFoundError, RuleViolationError, ValidationError, VersionConflictError } from '../errors.ts';
import type { IdempotencyRequest, Page } from '../ports.ts';
import type { SlaPorts } from './ports.ts';
import {
  type BlackoutWindow,
  type NewSla,
  newSla,
  reviseSla,
  type Sla,
  type SlaChanges,
  windowsIn,
} from './sla.ts';

export type { SlaPorts, SlaStore } from './ports.ts';

/**
 * Who may use SLAs (the routes declare these same objects): every process holder reads them —
 * whoever plans or deploys needs the blackouts — and administrators manage them (DESIGN §4).
 */
export const slaAccess = {
  read: ANY_PROCESS,
  write: ADMIN,
} as const satisfies Record<string, Access>;

/**
 * Bounds of `GET /blackouts`: the range (at most 400 days) and the windows listed (then
 * `truncated`); the SLAs an SLA list is read through for the unfiltered view.
 */
export const BLACKOUT_LIMITS = { maxRangeDays: 400, maxWindows: 5000 } as const;

/**
 * At most this many CIs per SLA, and at most this many link changes per edit: an SLA's state, its
 * event, its Idempotency-Key and one link per CI are one transaction (at most 100 items).
 */
export const MAX_SLA_CIS = 90;

/** Every CI named must exist: 422 `unknown-cis` listing those that do not. */
async function assertCis(ciIds: readonly string[], ports: Pick<SlaPorts, 'cis'>): Promise<void> {
  const distinct = [...new Set(ciIds)];
  if (distinct.length === 0) return;
  const found = await ports.cis.getMany(distinct);
  const unknown = distinct.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    throw new RuleViolationError('unknown-cis', `No configuration item has the id ${unknown.join(', ')}.`, {
      unknownCiIds: unknown,
    });
  }
}

export async function createSla(
  input: NewSla,
  actor: Actor,
  ports: SlaPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ sla: Sla; replayed: boolean }> {
  authorize(actor, slaAccess.write);
  const { sla, event } = newSla(input, actor, ports);
  await assertCis(sla.ciIds, ports);
  const { replayed } = await ports.slas.create(sla, event, idempotency);
  if (replayed === undefined) return { sla, replayed: false };
  const first = await ports.slas.get(replayed);
  if (!first) throw new NotFoundError('SLA', replayed);
  return { sla: first, replayed: true };
}

export async function getSla(id: string, actor: Actor, ports: Pick<SlaPorts, 'slas'>): Promise<Sla> {
  authorize(actor, slaAccess.read);
  const sla = await ports.slas.get(id);
  if (!sla) throw new NotFoundError('SLA', id);
  return sla;
}

export async function listSlas(
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<SlaPorts, 'slas'>,
): Promise<Page<Sla>> {
  authorize(actor, slaAccess.read);
  return ports.slas.list(page);
}

/**
 * Edits an SLA based on `expectedVersion` (409 when it is not current); an edit that changes
 * nothing writes nothing and answers the SLA as it is. CIs newly covered must exist.
 */
export async function editSla(
  id: string,
  changes: SlaChanges,
  expectedVersion: number,
  actor: Actor,
  ports: SlaPorts,
): Promise<Sla> {
  authorize(actor, slaAccess.write);
  const current = await ports.slas.get(id);
  if (!current) throw new NotFoundError('SLA', id);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `SLA ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const revised = reviseSla(current, changes, actor, ports);
  if (!revised) return current;
  const added = revised.sla.ciIds.filter((c) => !current.ciIds.includes(c));
  const removed = current.ciIds.filter((c) => !revised.sla.ciIds.includes(c));
  if (added.length + removed.length > MAX_SLA_CIS) {
    throw new ValidationError('Too many coverage changes at once.', [
      {
        path: 'ciIds',
        message: `may add and remove at most ${MAX_SLA_CIS} CIs in one edit (${added.length + removed.length} here): split it`,
      },
    ]);
  }
  await assertCis(added, ports);
  await ports.slas.save(revised.sla, current, revised.event);
  return revised.sla;
}

// ---------------------------------------------------------------------------------------------
// Blackout windows

/** One step of a path: the CI that holds a relation to the CI before it, and the relation. */
export interface PathStep {
  readonly ciId: string;
  readonly relation: CiRelationType;
}

/** A window, with its SLA's name; for a CI, the CI covered and the path from the CI asked about. */
export interface AppliedWindow extends BlackoutWindow {
  readonly slaName: string;
  readonly ciId?: string;
  readonly path?: readonly PathStep[];
}

export interface BlackoutQuery {
  readonly from: string;
  readonly to: string;
  readonly ciId?: string | undefined;
}

export interface Blackouts {
  readonly from: string;
  readonly to: string;
  readonly ciId?: string;
  readonly items: AppliedWindow[];
  /** More windows (or dependents) than listed: the bounds were reached. */
  readonly truncated: boolean;
}

function assertRange(from: string, to: string): { from: string; to: string } {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (!(t > f)) throw new ValidationError('Bad range.', [{ path: 'to', message: 'must be after from' }]);
  if (t - f > BLACKOUT_LIMITS.maxRangeDays * 86_400_000) {
    throw new ValidationError('Range too long.', [
      { path: 'to', message: `must be at most ${BLACKOUT_LIMITS.maxRangeDays} days after from` },
    ]);
  }
  return { from: new Date(f).toISOString(), to: new Date(t).toISOString() };
}

async function allSlas(ports: Pick<SlaPorts, 'slas'>): Promise<Sla[]> {
  const slas: Sla[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.slas.list({ limit: 100, cursor });
    slas.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return slas;
}

/**
 * The blackout windows that share time with `[from, to)` (touching ones do not), earliest first.
 * Without a CI: every SLA's. With one: those of the SLAs covering it or any CI depending on it
 * (up to {@link IMPACT_LIMITS.maxDepth} relations away), one entry per window and CI covered.
 */
export async function blackoutsIn(query: BlackoutQuery, actor: Actor, ports: SlaPorts): Promise<Blackouts> {
  authorize(actor, slaAccess.read);
  const { from, to } = assertRange(query.from, query.to);
  const limit = BLACKOUT_LIMITS.maxWindows;
  let truncated = false;
  const items: AppliedWindow[] = [];
  const push = (w: AppliedWindow) => {
    if (items.length >= limit) truncated = true;
    else items.push(w);
  };
  if (query.ciId === undefined) {
    for (const sla of await allSlas(ports)) {
      const found = windowsIn(sla, from, to, limit);
      truncated ||= found.truncated;
      for (const w of found.windows) push({ ...w, slaName: sla.name });
    }
    return { from, to, items: sortWindows(items), truncated };
  }
  const impact = await ciImpact(query.ciId, IMPACT_LIMITS.maxDepth, actor, ports);
  truncated ||= impact.truncated;
  const reached: { ciId: string; path: readonly PathStep[] }[] = [
    { ciId: query.ciId, path: [] },
    ...impact.items.map((i) => ({ ciId: i.ci.id, path: i.path })),
  ];
  const covering = await Promise.all(reached.map((r) => ports.slas.covering(r.ciId)));
  const slas = new Map((await ports.slas.getMany([...new Set(covering.flat())])).map((s) => [s.id, s]));
  const expanded = new Map<string, BlackoutWindow[]>();
  for (const sla of slas.values()) {
    const found = windowsIn(sla, from, to, limit);
    truncated ||= found.truncated;
    expanded.set(sla.id, found.windows);
  }
  reached.forEach((r, i) => {
    for (const slaId of covering[i] ?? []) {
      const sla = slas.get(slaId);
      // A link read before its SLA changed may name an SLA that no longer covers the CI.
      if (!sla?.ciIds.includes(r.ciId)) continue;
      for (const w of expanded.get(slaId) ?? []) {
        push({ ...w, slaName: sla.name, ciId: r.ciId, path: r.path.map((s) => ({ ...s })) });
      }
    }
  });
  return { from, to, ciId: query.ciId, items: sortWindows(items), truncated };
}

function sortWindows(items: AppliedWindow[]): AppliedWindow[] {
  return items.sort(
    (a, b) =>
      a.start.localeCompare(b.start) ||
      a.slaId.localeCompare(b.slaId) ||
      a.blackoutIndex - b.blackoutIndex ||
      (a.path?.length ?? 0) - (b.path?.length ?? 0) ||
      (a.ciId ?? '').localeCompare(b.ciId ?? ''),
  );
}
