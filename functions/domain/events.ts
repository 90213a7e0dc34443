/**
 * Domain events: every change of state emits one, committed atomically with the change and relayed
 * to the `release-desk` EventBridge bus. Detail types are part of the public contract (DESIGN §5).
 */
/** The `source` of every Release Desk event on the bus. */
export const EVENT_SOURCE = 'release-desk';
/** The bus of the default stack and the local cloud (a stage's is `release-desk-<stage>`). */
export const DEFAULT_EVENT_BUS_NAME = 'release-desk';

export const EVENT_TYPES = [
  'Change Recorded',
  'Change State Changed',
  'Change Execution Ended',
  'Release Created',
  'Release Updated',
  'Release Stage Entered',
  'Deployment Tasks Ready',
  'Deployment Task Completed',
  'Deployment Task Failed',
  'Configuration Item Updated',
  'Release Backed Out',
  'Release Closed',
  'Release Execution Ended',
  'Blackout Overridden',
  'Team Created',
  'Team Updated',
  'User Created',
  'User Updated',
  'Workflow Published',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The aggregate an event belongs to; its id is the event's EventBridge `resources` entry. */
export interface EventSubject {
  readonly kind: 'release' | 'change' | 'ci' | 'task' | 'user' | 'team' | 'workflow';
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
export interface FieldChange {
  readonly from: unknown;
  readonly to: unknown;
}

/**
 * The fields that differ between two states of an aggregate, as `{ field: { from, to } }`;
 * empty when nothing changed. Values compare by their JSON, so arrays compare by content.
 */
export function fieldChanges<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]) {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}
