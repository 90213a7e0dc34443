/**
 * Schemas shared by every resource: ids, paging, timestamps, problems.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };

export const Id = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be an id (1-128 characters of A-Z a-z 0-9 _ . : -)')
  .openapi({ example: 'rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' });

export const Timestamp = z.iso
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T20:00:00Z',
  })
  .openapi({ example: '2026-12-01T20:00:00Z' });

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
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json).' });

export const ExpectedVersion = z
  .number()
  .int()
  .min(1)
  .openapi({ description: 'The version the change is based on.' });
