/**
 * The events of the SLA aggregate: an SLA recorded (POST /slas) and each later version (PATCH).
 * Their data carry the covered CIs and the blackouts as written, so a subscriber can keep its own
 * calendar without reading the SLA back.
 */
import * as z from 'zod';
import { changeField, countField, defineEvent, idField, textField } from '../events.ts';

const slaId = idField('The SLA id (also `detail.subject.id`)');
const ciIds = z.array(idField('CI id')).describe('The configuration items (or services) it covers');

/** One blackout as written: one-off (`start`, `end`) or recurring (`rrule`, `start`, `duration`, `tz`). */
export const blackoutSchema = z
  .looseObject({
    reason: textField('Why changes are not allowed then'),
    start: textField(
      'One-off: the UTC instant it starts; recurring: the local date-time of the first occurrence',
    ),
    end: textField('One-off: the UTC instant it ends').optional(),
    rrule: textField('Recurring: the RFC 5545 RRULE').optional(),
    duration: textField('Recurring: the ISO 8601 duration of each occurrence').optional(),
    tz: textField('The IANA zone its local times are in').optional(),
  })
  .describe('A blackout period');
const blackouts = z.array(blackoutSchema).describe('Its blackout periods');

export const SlaCreated = defineEvent({
  type: 'SLA Created',
  description: 'An SLA was recorded (POST /slas): the CIs it covers and its blackout periods.',
  emittedBy: 'newSla (functions/domain/sla/sla.ts)',
  subjectKinds: ['sla'],
  data: z
    .looseObject({
      slaId,
      version: countField('Its version: 1'),
      name: textField('Its name'),
      ciIds,
      blackouts,
    })
    .describe('The new SLA'),
  subscription: { caption: 'every new SLA' },
});

export const SlaUpdated = defineEvent({
  type: 'SLA Updated',
  description:
    'An SLA changed (PATCH /slas/{id}): `changed` names each field that changed with its value before and after (the blackouts as a whole).',
  emittedBy: 'reviseSla (functions/domain/sla/sla.ts)',
  subjectKinds: ['sla'],
  data: z
    .looseObject({
      slaId,
      version: countField('The version written', 2),
      changed: z
        .looseObject({
          name: changeField(textField('Name'), 'New name'),
          ciIds: changeField(z.array(z.string()).describe('CI ids'), 'New covered CIs'),
          blackouts: changeField(blackouts, 'New blackout periods'),
        })
        .describe('The fields that changed, each with its value before and after'),
    })
    .describe('The new version'),
  subscription: { caption: 'every change of an SLA (its CIs, its blackouts)' },
});
