/**
 * An incident attributed to a release: a service-desk incident (its reference there) that the
 * release caused. It is kept beside the release, once per reference, and never changes: a wrong
 * attribution is a matter for the service desk, not an edit here.
 */
import type { Actor } from '../actor.ts';
import { type DomainEvent, eventMeta } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import type { Release } from '../release/release.ts';
import { INCIDENT_SEVERITIES, IncidentAttributed } from './events.ts';

export { INCIDENT_SEVERITIES };
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export interface Incident {
  readonly releaseId: string;
  /** Its reference in the service desk (`INC0012345`): unique per release. */
  readonly reference: string;
  readonly severity: IncidentSeverity;
  /** When the incident began (UTC). */
  readonly occurredAt: string;
  readonly summary: string;
  /** The release's team when it was attributed. */
  readonly teamId?: string;
  /** Never edited: always 1 (the ETag of the answer). */
  readonly version: 1;
  readonly attributedAt: string;
  readonly attributedBy: string;
}

export interface NewIncident {
  reference: string;
  severity: IncidentSeverity;
  occurredAt: string;
  summary: string;
}

/** Builds the incident attributed to `release` now, with its `Incident Attributed` event. */
export function newIncident(
  release: Pick<Release, 'id' | 'teamId'>,
  input: NewIncident,
  actor: Actor,
  deps: { clock: Clock; ids: IdGenerator },
): { incident: Incident; event: DomainEvent } {
  const now = deps.clock.now().toISOString();
  const incident: Incident = {
    releaseId: release.id,
    reference: input.reference,
    severity: input.severity,
    occurredAt: new Date(input.occurredAt).toISOString(),
    summary: input.summary,
    ...(release.teamId !== undefined ? { teamId: release.teamId } : {}),
    version: 1,
    attributedAt: now,
    attributedBy: actor.id,
  };
  const event = IncidentAttributed.event(
    {
      releaseId: release.id,
      reference: incident.reference,
      severity: incident.severity,
      occurredAt: incident.occurredAt,
      summary: incident.summary,
      teamId: release.teamId ?? null,
    },
    eventMeta(deps.ids, now, actor.id, release.id),
  );
  return { incident, event };
}
