/**
 * The configuration item (CI) aggregate of the CMDB: its shape, its factory and the rules of its
 * changes. Every change is an immutable version carrying what changed (before and after) and the
 * whole CI after it, so the CI's past is read, never replayed.
 */
import { attributeMapFaults } from '../attribute-value.ts';
import { type FieldError, RuleViolationError, ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import {
  CI_RELATION_TYPES,
  CI_STATUSES,
  ConfigurationItemCreated,
  ConfigurationItemUpdated,
} from './events.ts';

export { CI_RELATION_TYPES, CI_STATUSES };
export type CiRelationType = (typeof CI_RELATION_TYPES)[number];
export type CiStatus = (typeof CI_STATUSES)[number];

/** Most relations one CI holds (a change of them, with its version items, fits one transaction). */
export const MAX_CI_RELATIONS = 40;

export interface CiRelation {
  readonly type: CiRelationType;
  /** The CI this one relates to (`A depends-on B`: A holds `{ type: 'depends-on', ciId: B }`). */
  readonly ciId: string;
}

export interface Ci {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly relations: readonly CiRelation[];
  readonly status: CiStatus;
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  /** When its current version was written (never earlier than the version before). */
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** A field's value before and after a version (`null`: absent). */
export interface Change<V> {
  readonly from: V | null;
  readonly to: V | null;
}

/** What one version changed. */
export interface CiChanges {
  readonly type?: Change<string>;
  readonly name?: Change<string>;
  readonly status?: Change<CiStatus>;
  readonly relations?: Change<readonly CiRelation[]>;
  readonly attributes?: Readonly<Record<string, Change<unknown>>>;
}

/** Who asked for a change when a release made it: the release and its deployment task. */
export interface CiOrigin {
  readonly releaseId: string;
  readonly taskId: string;
}

/** One immutable version of a CI: the change, who, when, why, and the CI after it. */
export interface CiVersion {
  readonly ciId: string;
  readonly version: number;
  readonly at: string;
  readonly actor: string;
  readonly reason?: string;
  readonly releaseId?: string;
  readonly taskId?: string;
  /** The release whose back-out wrote it, restoring what that release changed. */
  readonly backoutOf?: string;
  readonly changes: CiChanges;
  readonly snapshot: Ci;
}

export interface NewCi {
  type: string;
  name: string;
  attributes: Record<string, unknown>;
  relations: CiRelation[];
}

export interface CiEdit {
  /** Attributes to set; `null` removes one. */
  set?: Record<string, unknown> | undefined;
  name?: string | undefined;
  relations?: CiRelation[] | undefined;
  status?: CiStatus | undefined;
  reason?: string | undefined;
}

/** A CI change ready to store: the CI after it, its version item and its event. */
export interface CiWrite {
  readonly ci: Ci;
  readonly version: CiVersion;
  readonly event: DomainEvent;
}

type Deps = { clock: Clock; ids: IdGenerator };

/** JSON with object keys sorted: equal values compare equal whatever their keys' order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/**
 * The rules relations follow on their own (targets are the use case's): no relation to itself,
 * none twice, at most {@link MAX_CI_RELATIONS}.
 */
export function relationFaults(ciId: string | undefined, relations: readonly CiRelation[]): FieldError[] {
  const faults: FieldError[] = [];
  if (relations.length > MAX_CI_RELATIONS) {
    faults.push({ path: 'relations', message: `must be at most ${MAX_CI_RELATIONS}` });
  }
  relations.forEach((r, i) => {
    if (!(CI_RELATION_TYPES as readonly string[]).includes(r.type)) {
      faults.push({ path: `relations.${i}.type`, message: `must be one of ${CI_RELATION_TYPES.join(', ')}` });
    }
    if (ciId !== undefined && r.ciId === ciId) {
      faults.push({ path: `relations.${i}.ciId`, message: 'is the CI itself: a CI cannot relate to itself' });
    }
    if (relations.findIndex((o) => o.type === r.type && o.ciId === r.ciId) !== i) {
      faults.push({ path: `relations.${i}`, message: `repeats ${r.type} ${r.ciId}` });
    }
  });
  return faults;
}

function requireRelations(ciId: string | undefined, relations: readonly CiRelation[]): void {
  const faults = relationFaults(ciId, relations);
  if (faults.length > 0) {
    throw new RuleViolationError(
      'invalid-ci-relations',
      `Invalid relations: ${faults.map((f) => `${f.path} ${f.message}`).join('; ')}.`,
      { errors: faults },
    );
  }
}

/** A CI's attributes as a whole must stay within the one rule of free-form values. */
function requireAttributes(attributes: Readonly<Record<string, unknown>>): void {
  if (Object.keys(attributes).length === 0) return;
  const faults = attributeMapFaults(attributes, 'attributes');
  if (faults.length > 0) {
    throw new RuleViolationError(
      'invalid-ci-attributes',
      `The attributes would break the rules of attribute values: ${faults.map((f) => `${f.path} ${f.message}`).join('; ')}.`,
      { errors: faults },
    );
  }
}

/** Builds a new CI at version 1, with its version item and `Configuration Item Created`. */
export function newCi(input: NewCi, actorId: string, deps: Deps): CiWrite {
  const nulls = Object.entries(input.attributes).filter(([, v]) => v === null);
  if (nulls.length > 0) {
    throw new ValidationError('An attribute of a new CI cannot be null: leave it out.', [
      ...nulls.map(([k]) => ({ path: `attributes.${k}`, message: 'cannot be null on a new CI' })),
    ]);
  }
  const id = deps.ids.next('ci');
  requireRelations(id, input.relations);
  requireAttributes(input.attributes);
  const now = deps.clock.now().toISOString();
  const ci: Ci = {
    id,
    type: input.type,
    name: input.name,
    attributes: { ...input.attributes },
    relations: input.relations.map((r) => ({ type: r.type, ciId: r.ciId })),
    status: 'active',
    version: 1,
    createdAt: now,
    createdBy: actorId,
    updatedAt: now,
    updatedBy: actorId,
  };
  const changes: CiChanges = {
    type: { from: null, to: ci.type },
    name: { from: null, to: ci.name },
    status: { from: null, to: ci.status },
    relations: { from: null, to: ci.relations },
    attributes: Object.fromEntries(Object.entries(ci.attributes).map(([k, v]) => [k, { from: null, to: v }])),
  };
  const event = ConfigurationItemCreated.event(
    {
      ciId: id,
      type: ci.type,
      name: ci.name,
      attributes: { ...ci.attributes },
      relations: ci.relations.map((r) => ({ ...r })),
      version: 1,
    },
    eventMeta(deps.ids, now, actorId, id),
  );
  return { ci, version: { ciId: id, version: 1, at: now, actor: actorId, changes, snapshot: ci }, event };
}

/**
 * A CI changed: `set` merged into its attributes (`null` removes one), and the name, relations or
 * status replaced. Undefined when nothing would change (no version, no event) unless `always`:
 * a planned update applied by a release is recorded as a version even when the CI already held
 * its values, so that every planned update is one version naming its release and task.
 */
export function updateCi(
  current: Ci,
  edit: CiEdit,
  actorId: string,
  deps: Deps,
  options: { origin?: CiOrigin; always?: boolean; backoutOf?: string } = {},
): CiWrite | undefined {
  const attributes: Record<string, unknown> = { ...current.attributes };
  const attributeChanges: Record<string, Change<unknown>> = {};
  for (const [key, value] of Object.entries(edit.set ?? {})) {
    const before = Object.hasOwn(current.attributes, key) ? current.attributes[key] : null;
    if (value === null) delete attributes[key];
    else attributes[key] = value;
    const after = value;
    if (!same(before, after)) attributeChanges[key] = { from: before, to: after };
  }
  const changes: {
    -readonly [K in keyof CiChanges]: CiChanges[K];
  } = {};
  if (edit.name !== undefined && edit.name !== current.name)
    changes.name = { from: current.name, to: edit.name };
  if (edit.status !== undefined && edit.status !== current.status) {
    changes.status = { from: current.status, to: edit.status };
  }
  const relations = edit.relations?.map((r) => ({ type: r.type, ciId: r.ciId }));
  if (relations !== undefined && !same(relations, current.relations)) {
    requireRelations(current.id, relations);
    changes.relations = { from: current.relations, to: relations };
  }
  if (Object.keys(attributeChanges).length > 0) {
    requireAttributes(attributes);
    changes.attributes = attributeChanges;
  }
  if (Object.keys(changes).length === 0 && !options.always) return undefined;
  // Versions follow one another in time as in number, whatever the writer's clock says, so that
  // the version in force at an instant is the last one written at or before it.
  const clock = deps.clock.now().toISOString();
  // biome-ignore lint/complexity/useMathMinMax: ISO strings of one format, compared as the instants they are.
  const now = clock > current.updatedAt ? clock : current.updatedAt;
  const ci: Ci = {
    ...current,
    ...(changes.name ? { name: edit.name as string } : {}),
    ...(changes.status ? { status: edit.status as CiStatus } : {}),
    ...(changes.relations ? { relations: relations as CiRelation[] } : {}),
    attributes,
    version: current.version + 1,
    updatedAt: now,
    updatedBy: actorId,
  };
  const { origin } = options;
  const reason = edit.reason;
  const event = ConfigurationItemUpdated.event(
    {
      ciId: ci.id,
      version: ci.version,
      reason: reason ?? null,
      releaseId: origin?.releaseId ?? null,
      taskId: origin?.taskId ?? null,
      backoutOf: options.backoutOf ?? null,
      changes: structuredClone(changes) as Record<string, unknown>,
    },
    eventMeta(deps.ids, now, actorId, ci.id),
  );
  const version: CiVersion = {
    ciId: ci.id,
    version: ci.version,
    at: now,
    actor: actorId,
    ...(reason !== undefined ? { reason } : {}),
    ...(origin ? { releaseId: origin.releaseId, taskId: origin.taskId } : {}),
    ...(options.backoutOf !== undefined ? { backoutOf: options.backoutOf } : {}),
    changes,
    snapshot: ci,
  };
  return { ci, version, event };
}
