/**
 * Key builders for the single table. Every item type's keys are made here and nowhere else.
 */
import type { EventSubject } from '#domain/events';

const PREFIX: Record<EventSubject['kind'], string> = {
  release: 'REL',
  change: 'CHG',
  ci: 'CI',
  task: 'TASK',
  user: 'USER',
  team: 'TEAM',
  workflow: 'WF',
};

/** The partition of an aggregate: its state item and its events live together. */
export function aggregatePk(kind: EventSubject['kind'], id: string): string {
  return `${PREFIX[kind]}#${id}`;
}

/** Sort key of an aggregate's current-state item. */
export const STATE_SK = '#STATE';

export const keys = {
  release: (id: string) => ({ pk: aggregatePk('release', id), sk: STATE_SK }),
  user: (id: string) => ({ pk: aggregatePk('user', id), sk: STATE_SK }),
  event: (subject: EventSubject, eventId: string) => ({
    pk: aggregatePk(subject.kind, subject.id),
    sk: `EVT#${eventId}`,
  }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: STATE_SK }),
};

/** GSI1 partitions of the list views (newest first by `gsi1sk` = `<createdAt>#<id>`). */
export const LIST = {
  releases: 'RELEASES',
  users: 'USERS',
} as const;
