/**
 * The change calendar's schemas and route (DESIGN §5, issue 12 item 6): `GET /calendar` answers
 * the releases planned, the RFCs' planned windows and the blackout windows of a range with their
 * conflicts, as JSON or — the same answer — as an iCalendar feed to subscribe to.
 */
import { CALENDAR_LIMITS, calendarAccess } from '#domain/calendar/service';
import { CHANGE_TYPES, RISKS } from '#domain/change/change';
import { CI_RELATION_TYPES } from '#domain/ci/events';
import { MAX_PLANNED_WINDOW_DAYS } from '#domain/planned-window';
import { RELEASE_STATUSES, RELEASE_TYPES } from '#domain/release/release';
import { RUN_STATUSES } from '#domain/workflow-run/run';
import { BlackoutConflictView } from './blackouts.ts';
import { idOf, Timestamp } from './common.ts';
import { type AlternativeRepresentation, formatQuery, resource, route } from './route.ts';
import * as z from './zod.ts';

/** The media type of the feed. */
export const ICALENDAR = 'text/calendar';

/** The calendar's other representation: the iCalendar feed (`Accept: text/calendar` or `?format=ics`). */
export const CALENDAR_ALTERNATIVES = {
  [ICALENDAR]: {
    format: 'ics',
    description:
      'The same calendar as an RFC 5545 iCalendar feed (UTF-8, CRLF, lines folded at 75 octets): one VEVENT per entry, its UID the entry’s `uid`, DTSTART/DTEND in UTC, CATEGORIES `release`, `rfc` or `blackout` (and `blackout-conflict` when it has conflicts), the conflicts in DESCRIPTION.',
  },
} as const satisfies Record<string, AlternativeRepresentation>;

export const CalendarQuery = z
  .object({
    from: Timestamp.openapi({
      description: 'The start of the range (inclusive).',
      example: '2026-12-01T00:00:00Z',
    }),
    to: Timestamp.openapi({
      description: `The end of the range (exclusive), after \`from\` and at most ${CALENDAR_LIMITS.maxRangeDays} days later.`,
      example: '2027-01-01T00:00:00Z',
    }),
    team: idOf('team_release').optional().openapi({
      description:
        'Only the plans of this team: its releases, the RFCs they implement and those it votes on as a CAB. Blackouts are all shown: a team plans around every one.',
    }),
    ci: idOf('ci_payroll_app').optional().openapi({
      description:
        'Only the plans touching this CI (releases through their tasks or their RFCs, RFCs through their CIs) and the blackouts applying to it: its SLAs’ and those of every CI depending on it, with the path.',
    }),
    format: formatQuery(CALENDAR_ALTERNATIVES),
  })
  .strict();

/** The same conflict as a release's or an RFC's own view shows. */
const CalendarConflict = BlackoutConflictView;
const PathStep = z.object({ ciId: z.string(), relation: z.enum(CI_RELATION_TYPES) });

const conflicts = {
  blackoutConflicts: z.array(CalendarConflict).openapi({
    description: `The first ${CALENDAR_LIMITS.maxConflictsPerPlan}, earliest first (the plan’s own view lists them all).`,
  }),
  conflictCount: z
    .number()
    .int()
    .openapi({ description: 'How many were found (one per window and CI covered).' }),
  conflictsTruncated: z.boolean().openapi({
    description: 'Not all are listed, or the search reached its bounds (some may be missing).',
  }),
};

const entry = {
  uid: z.string().openapi({
    description:
      'Stable across reads (the feed’s UID): a calendar app updates the entry instead of adding it again.',
    example: 'release-rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC@release-desk',
  }),
  start: z.string().openapi({ description: 'UTC instant.' }),
  end: z.string().openapi({ description: 'UTC instant (exclusive).' }),
};

export const CalendarRelease = z
  .object({
    kind: z.literal('release'),
    ...entry,
    id: z.string(),
    title: z.string(),
    teamId: z.string().optional(),
    releaseType: z.enum(RELEASE_TYPES),
    stage: z.string(),
    status: z.enum(RELEASE_STATUSES),
    ciIds: z.array(z.string()).openapi({ description: 'The CIs it touches: its tasks’ and its RFCs’.' }),
    updatedAt: z.string(),
    ...conflicts,
  })
  .openapi('CalendarRelease', { description: 'A release, over its planned window.' });

export const CalendarRfc = z
  .object({
    kind: z.literal('change'),
    ...entry,
    id: z.string(),
    title: z.string(),
    type: z.enum(CHANGE_TYPES),
    risk: z.enum(RISKS),
    state: z.string(),
    status: z.enum(RUN_STATUSES),
    cabTeamId: z.string(),
    ciIds: z.array(z.string()),
    updatedAt: z.string(),
    ...conflicts,
  })
  .openapi('CalendarRfc', { description: 'An RFC, over its planned window.' });

export const CalendarBlackout = z
  .object({
    kind: z.literal('blackout'),
    ...entry,
    slaId: z.string(),
    slaName: z.string(),
    blackoutIndex: z.number().int().openapi({ description: 'Which of the SLA’s blackouts it comes from.' }),
    reason: z.string(),
    tz: z.string(),
    localStart: z.string().openapi({ example: '2026-12-24T00:00:00+01:00' }),
    localEnd: z.string(),
    appliesTo: z
      .array(z.object({ ciId: z.string(), path: z.array(PathStep) }))
      .optional()
      .openapi({
        description: `With \`ci\`: the CIs the SLA covers through which it applies (at most ${CALENDAR_LIMITS.maxAppliesPerBlackout}, shortest path first), each with the path from \`ci\`.`,
      }),
    appliesCount: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'With `ci`: how many CIs it applies through.' }),
    conflicts: z
      .array(z.object({ kind: z.enum(['release', 'change']), id: z.string(), title: z.string() }))
      .openapi({ description: 'The plans shown that conflict with it.' }),
  })
  .openapi('CalendarBlackout', { description: 'A blackout window of an SLA.' });

export const CalendarView = z
  .object({
    from: z.string(),
    to: z.string(),
    teamId: z.string().optional(),
    ciId: z.string().optional(),
    generatedAt: z.string().openapi({ description: 'When it was read (the feed’s DTSTAMP).' }),
    items: z.array(z.discriminatedUnion('kind', [CalendarRelease, CalendarRfc, CalendarBlackout])).openapi({
      description: 'Earliest first; at the same start blackouts, then RFCs, then releases.',
    }),
    truncated: z.boolean().openapi({
      description: `More plans (at most ${CALENDAR_LIMITS.maxPlans}) or blackout windows (at most ${CALENDAR_LIMITS.maxBlackouts}) share time with the range than are listed.`,
    }),
  })
  .openapi('Calendar');

/** The calendar's route (DESIGN §5). */
export const calendarRoutes = resource(
  {
    name: 'calendar',
    description: 'The change calendar: plans and blackouts of a range, as JSON or an iCalendar feed',
    // Reads only, but listing may create the table's page-cursor key on first use (store/cursor-key.ts).
    table: 'write',
  },
  {
    getCalendar: route({
      method: 'GET',
      path: '/calendar',
      summary:
        'The change calendar: planned releases, RFC windows and blackout windows, with their conflicts',
      description: `Every process holder reads it. The releases and RFCs whose planned window shares time with \`[from, to)\` (one that began before \`from\` too: a planned window is at most ${MAX_PLANNED_WINDOW_DAYS} days), each with the blackout windows it conflicts with on every CI it touches or impacts; and the blackout windows in the range (UTC and local), each with the plans conflicting with it. \`Accept: ${ICALENDAR}\` or \`format=ics\` answers the same as an iCalendar feed to subscribe to (with the same bearer token). The range is at most ${CALENDAR_LIMITS.maxRangeDays} days (400 naming \`to\`); an unknown \`team\` or \`ci\` is 404.`,
      access: calendarAccess.read,
      query: CalendarQuery,
      problems: [404],
      responses: {
        200: { description: 'The calendar', schema: CalendarView, alternatives: CALENDAR_ALTERNATIVES },
      },
    }),
  },
);
