/**
 * Schemas shared by every resource: ids, paging, timestamps, problems.
 */
import { ATTRIBUTE_LIMITS, attributeMapFaults } from '#domain/attribute-value';
import * as z from './zod.ts';

/** What every id that reaches a table key looks like (path parameters, bodies, token subjects). */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** zod issues → the `errors[]` of a validation problem, each naming its field's path. */
export function fieldErrors(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  const join = (path: readonly PropertyKey[]) =>
    [...(prefix ? [prefix] : []), ...path.map(String)].join('.') || '(root)';
  return error.issues.flatMap((issue) =>
    // Name each unknown field itself, not the object that holds it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

export const Id = z
  .string()
  .regex(ID_PATTERN, 'must be an id (1-128 characters of A-Z a-z 0-9 _ . : -)')
  .openapi({ example: 'rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' });

/** An id with an example of the right kind (a team id is not `rel_…`). */
export const idOf = (example: string, description?: string) =>
  Id.openapi({ example, ...(description ? { description } : {}) });

/**
 * A map of attribute names to free-form JSON values (e.g. what a deployment task sets on a CI):
 * checked by the one rule of `#domain/attribute-value` on the raw input, so a reserved key is
 * refused rather than silently dropped by a record parser.
 */
export const AttributeValues = z
  .custom<Record<string, unknown>>(() => true)
  .superRefine((value, ctx) => {
    for (const fault of attributeMapFaults(value)) {
      ctx.addIssue({
        code: 'custom',
        path: fault.path === '(root)' ? [] : fault.path.split('.'),
        message: fault.message,
      });
    }
  })
  .openapi({
    type: 'object',
    minProperties: 1,
    maxProperties: ATTRIBUTE_LIMITS.maxEntries,
    additionalProperties: true,
    description: `Attribute names (1-${ATTRIBUTE_LIMITS.maxKeyLength} characters; not __proto__, constructor or prototype) to JSON values: finite numbers within DynamoDB's range (|x| < 1e126, and 0 or |x| ≥ 1e-130), strings up to ${ATTRIBUTE_LIMITS.maxStringLength} characters, at most ${ATTRIBUTE_LIMITS.maxDepth} levels of nesting, ${ATTRIBUTE_LIMITS.maxEntries} entries per object or array and ${ATTRIBUTE_LIMITS.maxBytes} bytes of JSON in all.`,
    example: { version: '4.2.0' },
  });

export const Timestamp = z.iso
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T20:00:00Z',
  })
  // Stored as UTC `toISOString()`, whose strings sort by time only for the years 0000-9999
  // (`9999-12-31T23:00:00-05:00` would become `+010000-…`).
  .refine((v) => {
    // Runs after a failed format check too: an unparsable value is that check's fault, not this one's.
    const time = Date.parse(v);
    return Number.isNaN(time) || /^\d{4}-/.test(new Date(time).toISOString());
  }, 'must be in the years 0000 to 9999 (in UTC)')
  .openapi({ example: '2026-12-01T20:00:00Z' });

/** A stage name in a query (the workflow decides which names exist). */
export const StageNameQuery = z.string().trim().min(1).max(80).openapi({ example: 'Development' });

export const PageQuery = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(20)
      .openapi({ description: 'Page size, 1-100 (default 20).' }),
    cursor: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .openapi({ description: 'The `nextCursor` of the previous page.' }),
  })
  .strict();

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() });
}

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each bad field, by its path (at most 50 are listed).' }),
    errorsOmitted: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'How many more bad fields were found but not listed.' }),
  })
  .catchall(z.unknown())
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json).' });

export const ExpectedVersion = z
  .number()
  .int()
  .min(1)
  .openapi({ description: 'The version the change is based on.' });

/** Each id once: a list of links, not a multiset (the store keeps one link item per linked id). */
export function noRepeats(ids: readonly string[], ctx: z.core.$RefinementCtx): void {
  ids.forEach((id, i) => {
    const first = ids.indexOf(id);
    if (first !== i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats the id of item ${first}` });
  });
}

/** A release's path parameters (the releases and metrics resources). */
export const ReleaseParams = z.object({ id: Id.openapi({ example: 'rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });
