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
  team: (id: string) => ({ pk: aggregatePk('team', id), sk: STATE_SK }),
  /** Claim of a work group id by the team that holds it (work group ids are unique across teams). */
  workGroup: (id: string) => ({ pk: `WG#${id}`, sk: STATE_SK }),
  event: (subject: EventSubject, eventId: string) => ({
    pk: aggregatePk(subject.kind, subject.id),
    sk: `EVT#${eventId}`,
  }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: STATE_SK }),
};

/**
 * GSI1 partitions of the list views: releases newest first by `gsi1sk` = `<createdAt>#<id>`,
 * users by `gsi1sk` = `<id>`, teams by `gsi1sk` = `<lower-case name>#<id>`.
 */
export const LIST = {
  releases: 'RELEASES',
  users: 'USERS',
  teams: 'TEAMS',
} as const;

/** GSI2 partition of the teams of one kind (`gsi2sk` as the teams' `gsi1sk`). */
export const teamsOfKind = (kind: string) => `TEAMS#${kind}`;
