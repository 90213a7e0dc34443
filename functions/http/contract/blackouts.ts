/**
 * Schemas of blackout windows as the routes that show them share them: a window of an SLA
 * (`GET /blackouts`), a conflict of a release's or an RFC's planned window, and the free windows
 * proposed for a release or an RFC (`…/next-windows`).
 */
import { CI_RELATION_TYPES } from '#domain/ci/events';
import { FREE_WINDOW_LIMITS, parseSpan } from '#domain/sla/conflicts';
import * as z from './zod.ts';

export const BlackoutWindowView = z
  .object({
    slaId: z.string(),
    slaName: z.string(),
    blackoutIndex: z.number().int().openapi({ description: 'Which of the SLA’s blackouts it comes from.' }),
    reason: z.string(),
    start: z.string().openapi({ description: 'UTC instant.', example: '2026-01-30T21:00:00.000Z' }),
    end: z.string().openapi({
      description: 'UTC instant (exclusive: a window ending when another starts does not overlap it).',
    }),
    tz: z.string(),
    localStart: z.string().openapi({ example: '2026-01-30T22:00:00+01:00' }),
    localEnd: z.string().openapi({ example: '2026-01-31T04:00:00+01:00' }),
    ciId: z.string().optional().openapi({
      description: 'With `ci`: the CI the SLA covers (the one asked about, or one depending on it).',
    }),
    path: z
      .array(z.object({ ciId: z.string(), relation: z.enum(CI_RELATION_TYPES) }))
      .optional()
      .openapi({
        description:
          'With `ci`: the relations from the CI asked about to `ciId`, each step a CI holding that relation to the one before (empty: the CI itself is covered).',
      }),
  })
  .openapi('BlackoutWindow');

/** A blackout window a planned window shares time with, on one CI (releases' and RFCs' `blackoutConflicts`). */
export const BlackoutConflictView = BlackoutWindowView.extend({
  ciId: z
    .string()
    .openapi({ description: 'The CI the SLA covers: one the plan touches, or one depending on it.' }),
  touchedCiId: z.string().openapi({ description: 'The CI the plan touches that leads to `ciId`.' }),
  path: z.array(z.object({ ciId: z.string(), relation: z.enum(CI_RELATION_TYPES) })).openapi({
    description:
      'The relations from `touchedCiId` to `ciId`, each step a CI holding that relation to the one before (empty: the touched CI itself is covered).',
  }),
}).openapi('BlackoutConflict');

/** A free window of `GET /releases/{id}/next-windows` and `GET /changes/{id}/next-windows`. */
export const NextWindowsQuery = z
  .object({
    duration: z
      .string()
      .refine((v) => parseSpan(v, FREE_WINDOW_LIMITS.maxHorizonDays) !== undefined, {
        message: `must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (PT3H), at most ${FREE_WINDOW_LIMITS.maxHorizonDays} days`,
      })
      .openapi({ description: 'ISO 8601 length of the window wanted.', example: 'PT3H' }),
    count: z.coerce
      .number()
      .int()
      .min(1)
      .max(FREE_WINDOW_LIMITS.maxCount)
      .optional()
      .openapi({
        description: `How many windows (default ${FREE_WINDOW_LIMITS.defaultCount}).`,
      }),
    horizon: z
      .string()
      .refine((v) => parseSpan(v, FREE_WINDOW_LIMITS.maxHorizonDays) !== undefined, {
        message: `must be an ISO 8601 duration (P90D) of at most ${FREE_WINDOW_LIMITS.maxHorizonDays} days`,
      })
      .optional()
      .openapi({
        description: `ISO 8601 span searched after \`after\` (default P${FREE_WINDOW_LIMITS.defaultHorizonDays}D, at most ${FREE_WINDOW_LIMITS.maxHorizonDays} days).`,
        example: 'P90D',
      }),
    after: z.iso
      .datetime({ offset: true })
      // A search that ends past the year 9999 has no RFC 3339 answer. A value that is no date-time
      // at all is named once, by the check above, not said to be after the year 9000 too.
      .refine((v) => !(Date.parse(v) >= Date.UTC(9000, 0, 1)), { message: 'must be before the year 9000' })
      .optional()
      .openapi({ description: 'Earliest start (default: now).' }),
  })
  .strict();

export const NextWindowsView = z
  .object({
    duration: z.string(),
    after: z.string(),
    horizonEnd: z.string(),
    ciIds: z
      .array(z.string())
      .openapi({ description: 'The CIs touched whose blackouts (and their dependents’) count.' }),
    items: z
      .array(
        z.object({
          start: z.string().openapi({ description: 'Earliest start, on a whole minute (UTC).' }),
          end: z.string().openapi({ description: '`start` + `duration`.' }),
          latestStart: z
            .string()
            .openapi({ description: 'The latest start of such a window in the same free time.' }),
          freeUntil: z.string().optional().openapi({
            description: 'When the next blackout starts; absent when none does before the horizon ends.',
          }),
        }),
      )
      .openapi({ description: 'One proposal per stretch of free time, earliest first.' }),
    detail: z.string().optional().openapi({ description: 'Why fewer windows than asked for were found.' }),
    truncated: z
      .boolean()
      .openapi({ description: 'A bound was reached: a window proposed may not be free.' }),
  })
  .openapi('NextWindows');
