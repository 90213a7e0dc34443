/**
 * Domain events: every change of state emits one, committed atomically with the change and relayed
 * to the `release-desk` EventBridge bus. Detail types are part of the public contract (DESIGN §5).
 *
 * Each detail type is declared once, beside the aggregate that emits it (`<aggregate>/events.ts`),
 * as an {@link EventDefinition}: its zod schema of `data` is the source of the TypeScript type the
 * domain builds it with, of the published JSON Schema and of `docs/events.md`, and consumers parse
 * what they receive with it. `event-catalogue.ts` lists every definition. Schemas are open (loose
 * objects): fields may be added (DESIGN §5), and EventBridge adds some of its own.
 */
import * as z from 'zod';

/** The `source` of every Release Desk event on the bus. */
export const EVENT_SOURCE = 'release-desk';
/** The bus of the default stack and the local cloud (a stage's is `release-desk-<stage>`). */
export const DEFAULT_EVENT_BUS_NAME = 'release-desk';

/** Every detail type, in catalogue order; `event-catalogue.ts` holds one definition per entry. */
export const EVENT_TYPES = [
  'Change Recorded',
  'Change Updated',
  'Change State Changed',
  'Change Approval Recorded',
  'Change Execution Ended',
  'Release Created',
  'Release Updated',
  'Release Stage Entered',
  'Deployment Tasks Ready',
  'Deployment Task Started',
  'Deployment Task Completed',
  'Deployment Task Failed',
  'Deployment Task Retried',
  'Configuration Item Created',
  'Configuration Item Updated',
  'Release Backed Out',
  'Release Closed',
  'Release Execution Ended',
  'Blackout Overridden',
  'Knowledge Article Published',
  'Knowledge Article Updated',
  'SLA Created',
  'SLA Updated',
  'Incident Attributed',
  'Team Created',
  'Team Updated',
  'User Created',
  'User Updated',
  'Workflow Published',
  'Release Approval Recorded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The kinds of aggregate an event can be about. */
export const EVENT_SUBJECT_KINDS = [
  'release',
  'change',
  'ci',
  'task',
  'user',
  'team',
  'workflow',
  'article',
  'sla',
] as const;
export type EventSubjectKind = (typeof EVENT_SUBJECT_KINDS)[number];

/** The aggregate an event belongs to; its id is the event's EventBridge `resources` entry. */
export interface EventSubject {
  readonly kind: EventSubjectKind;
  readonly id: string;
}

export interface DomainEvent<D = Record<string, unknown>> {
  /** Unique, sortable (ULID); consumers deduplicate on it. */
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: string;
  readonly actor: string;
  readonly subject: EventSubject;
  readonly data: D;
}

/** The EventBridge `detail` of an event: `{ id, occurredAt, actor, data }` (DESIGN §5). */
export function eventDetail(event: DomainEvent): Record<string, unknown> {
  return {
    id: event.id,
    occurredAt: event.occurredAt,
    actor: event.actor,
    subject: event.subject,
    data: event.data,
  };
}

/** A field's value before and after a change, as `*Updated` events report it (`null` when absent). */
export interface FieldChange<V = unknown> {
  readonly from: V;
  readonly to: V;
}

/** A field's value as a change reports it: an optional field is `null` when absent. */
type Reported<T, K extends keyof T> = object extends Pick<T, K> ? Exclude<T[K], undefined> | null : T[K];

/** The `changed` map of an `*Updated` event: only the fields that changed. */
export type FieldChanges<T, F extends keyof T> = { [K in F]?: FieldChange<Reported<T, K>> };

/** JSON with every object's keys sorted: equal values give equal text whatever their keys' order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The fields that differ between two states of an aggregate, as `{ field: { from, to } }`;
 * empty when nothing changed. Values compare by their JSON with keys sorted, so arrays compare by
 * content and objects (as read back from the table, in any key order) by their entries.
 */
export function fieldChanges<T extends object, const F extends keyof T & string>(
  before: T,
  after: T,
  fields: readonly F[],
): FieldChanges<T, F> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (canonicalJson(from) !== canonicalJson(to)) changes[field] = { from, to };
  }
  return changes as FieldChanges<T, F>;
}

// ---------------------------------------------------------------------------------------------
// The vocabulary event schemas are written in.

/** A non-empty string (an id). */
export const idField = (description: string) => z.string().min(1).describe(description);
/** Any string. */
export const textField = (description: string) => z.string().describe(description);
/** A string, or `null` for none. */
export const nullableField = (description: string) => z.string().nullable().describe(description);
/** An RFC 3339 timestamp (`format: date-time`). */
export const timestampField = (description: string) => z.iso.datetime({ offset: true }).describe(description);
/** An integer of at least `minimum` (a version, a count). */
export const countField = (description: string, minimum = 1) => z.int().min(minimum).describe(description);
/** An entry of a `changed` map: the field's value before and after (absent when it did not change). */
export const changeField = <V extends z.ZodType>(value: V, description: string) =>
  z.looseObject({ from: value, to: value }).describe(description).optional();

/**
 * The type a value must have to match schema `S` when the domain builds it: the schema's output
 * without the index signatures of its open objects, so that the compiler also refuses a field the
 * schema does not declare. An object that declares no field at all stays open.
 */
export type Declared<T> = T extends readonly (infer U)[]
  ? readonly Declared<U>[]
  : T extends object
    ? [KnownKeys<T>] extends [never]
      ? T
      : { [K in keyof T as string extends K ? never : K]: Declared<T[K]> }
    : T;
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: true };

/** The data of an event as the domain builds it. */
export type EventData<S extends z.ZodType> = Declared<z.output<S>>;

/** Who and when, for one event; the subject is an id, or `{ kind, id }` when the type has several kinds. */
export interface EventMeta {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly subject: string | EventSubject;
}

/** Who and when for an event built now: a new event id, the instant, who caused it and about what. */
export function eventMeta(
  ids: { next(prefix: string): string },
  at: string,
  actor: string,
  subject: EventMeta['subject'],
): EventMeta {
  return { id: ids.next('evt'), at, actor, subject };
}

/** How a subscriber might match the event: a caption and the pattern's `detail` part, if any. */
export interface EventSubscription {
  readonly caption: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** One detail type: what it means, who emits it, what its `data` holds, and how to build it. */
export interface EventDefinition<T extends EventType = EventType, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  /** When the event is emitted (or, not emitted yet, what it will announce). */
  readonly description: string;
  /** The domain function that builds it and its file; `undefined` while the feature has not landed. */
  readonly emittedBy: string | undefined;
  /** The kinds of aggregate the event is about (its `detail.subject.kind`). */
  readonly subjectKinds: readonly EventSubjectKind[];
  /** The schema of `detail.data` (open: fields may be added). */
  readonly data: S;
  /** An example rule for subscribers (documented in docs/events.md). */
  readonly subscription: EventSubscription;
  /** The event, with `data` exactly as given: the compiler checks it against the schema. */
  event(data: EventData<S>, meta: EventMeta): DomainEvent;
}

/** Declares a detail type the domain emits. */
export function defineEvent<const T extends EventType, S extends z.ZodType>(
  spec: Omit<EventDefinition<T, S>, 'event'>,
): EventDefinition<T, S> {
  return {
    ...spec,
    event: (data, meta) => ({
      id: meta.id,
      type: spec.type,
      occurredAt: meta.at,
      actor: meta.actor,
      subject:
        typeof meta.subject === 'string'
          ? { kind: spec.subjectKinds[0] as EventSubjectKind, id: meta.subject }
          : meta.subject,
      data: data as Record<string, unknown>,
    }),
  };
}

/** The `data` of a type not emitted yet: any object, defined when the feature lands. */
export const PLANNED_DATA = z.looseObject({}).describe('Defined when the feature lands.');

/** Declares a detail type that is reserved but not emitted yet: any subject kind, open `data`. */
export function plannedEvent<const T extends EventType>(
  type: T,
  description: string,
  subscription: EventSubscription,
): EventDefinition<T, typeof PLANNED_DATA> {
  return defineEvent({
    type,
    description,
    emittedBy: undefined,
    subjectKinds: EVENT_SUBJECT_KINDS,
    data: PLANNED_DATA,
    subscription,
  });
}

/** The `detail` of an event as published: the domain event, with `data` as its type declares. */
export function eventDetailSchema(definition: EventDefinition, data: z.ZodType = definition.data) {
  const kinds = definition.subjectKinds;
  return z
    .looseObject({
      id: idField('Domain event id (a ULID), the same on every delivery: consumers deduplicate on it'),
      occurredAt: timestampField('When the change was committed (UTC, milliseconds)'),
      actor: idField('Who caused it: a user id, or `system:<name>` for the system itself'),
      subject: z
        .looseObject({
          kind: kinds.length === 1 ? z.literal(kinds[0] as EventSubjectKind) : z.enum(kinds),
          id: idField('Its id'),
        })
        .describe('The aggregate the event is about (`resources[0]` is `<kind>/<id>`)'),
      data,
    })
    .describe('The domain event');
}
