/**
 * The events of the configuration item (CI) aggregate: a CI created, and each later change of it
 * (one per new version, whoever made it: a person through the API, or a release's deployment task
 * through apply-ci-updates).
 */
import * as z from 'zod';
import { countField, defineEvent, idField, nullableField, textField } from '../events.ts';

/** How one CI may relate to another (the relation points from the CI that holds it to `ciId`). */
export const CI_RELATION_TYPES = ['depends-on', 'runs-on', 'part-of', 'connects-to'] as const;
/** A retired CI stays (with its history) but takes no more planned updates or new relations. */
export const CI_STATUSES = ['active', 'retired'] as const;

const ciId = idField('The configuration item id (also `detail.subject.id`)');
const relation = z
  .looseObject({
    type: z.enum(CI_RELATION_TYPES).describe('How the CI relates to the other'),
    ciId: idField('The CI it relates to'),
  })
  .describe('A relation to another CI');
const relations = z.array(relation).describe('Its relations to other CIs');
const fieldChange = (value: z.ZodType, description: string) =>
  z
    .looseObject({
      from: value.describe('Before (null: absent)'),
      to: value.describe('After (null: absent)'),
    })
    .describe(description);

/** What one version changed: each field (and each attribute) with its value before and after. */
export const ciChangesSchema = z
  .looseObject({
    name: fieldChange(z.string().nullable(), 'The name').optional(),
    type: fieldChange(z.string().nullable(), 'The type (set once, at creation)').optional(),
    status: fieldChange(z.enum(CI_STATUSES).nullable(), 'The status').optional(),
    relations: fieldChange(relations.nullable(), 'The relations, as a whole').optional(),
    // An object of open keys, not a record: the registry's draft-4 copy has no propertyNames.
    attributes: z
      .object({})
      .catchall(fieldChange(z.unknown(), 'One attribute'))
      .describe('The attributes that changed, by name (null: absent)')
      .optional(),
  })
  .describe('The fields that changed, each with its value before and after');

export const ConfigurationItemCreated = defineEvent({
  type: 'Configuration Item Created',
  description: 'A configuration item was recorded in the CMDB (POST /cis): its version 1.',
  emittedBy: 'newCi (functions/domain/ci/ci.ts)',
  subjectKinds: ['ci'],
  data: z
    .looseObject({
      ciId,
      type: textField('Its type, e.g. `application`, `server`'),
      name: textField('Its name'),
      attributes: z.looseObject({}).describe('Its attributes, by name'),
      relations,
      version: countField('Its version: 1'),
    })
    .describe('The new CI'),
  subscription: { caption: 'every new application CI', detail: { data: { type: ['application'] } } },
});

export const ConfigurationItemUpdated = defineEvent({
  type: 'Configuration Item Updated',
  description:
    'A configuration item changed: a new immutable version (PATCH /cis/{id}, or a planned CI update applied when its deployment task completed: then `releaseId` and `taskId` name them). `changes` holds each changed field with its value before and after.',
  emittedBy: 'updateCi (functions/domain/ci/ci.ts)',
  subjectKinds: ['ci'],
  data: z
    .looseObject({
      ciId,
      version: countField('The version written', 2),
      reason: nullableField('Why, or null'),
      releaseId: nullableField('The release whose deployment task made the change, or null'),
      backoutOf: nullableField(
        'The release whose back-out restored these values (POST /releases/{id}/backout), or null',
      ),
      taskId: nullableField('That deployment task, or null'),
      changes: ciChangesSchema,
    })
    .describe('The change'),
  subscription: {
    caption: 'CI changes made by releases',
    detail: { data: { releaseId: [{ prefix: 'rel_' }] } },
  },
});
