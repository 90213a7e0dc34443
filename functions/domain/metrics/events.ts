/**
 * The events of release metrics: an incident attributed to a release (POST
 * /releases/{id}/incidents). Its subject is the release, so it is stored in the release's history
 * and the metrics consumer reads it back from there.
 */
import * as z from 'zod';
import { defineEvent, idField, nullableField, textField, timestampField } from '../events.ts';

/** How bad an incident was, in the words urgencies use. */
export const INCIDENT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const IncidentAttributed = defineEvent({
  type: 'Incident Attributed',
  description:
    'An incident was attributed to a release as its cause (POST /releases/{id}/incidents). It counts against the release in the period the release was deployed (GET /metrics/releases): the release then has an incident and is a change failure.',
  emittedBy: 'newIncident (functions/domain/metrics/incident.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      releaseId: idField('The release the incident is attributed to (also `detail.subject.id`)'),
      reference: idField("The incident's reference in the service desk (unique per release)"),
      severity: z.enum(INCIDENT_SEVERITIES).describe('How bad it was'),
      occurredAt: timestampField('When the incident began (UTC)'),
      summary: textField('What happened'),
      teamId: nullableField('The release team of the release, or null'),
    })
    .describe('The incident attributed'),
  subscription: {
    caption: 'critical incidents caused by a release',
    detail: { data: { severity: ['critical'] } },
  },
});
