/**
 * The SLA resource's request and response schemas and routes (DESIGN §5): SLAs with the CIs they
 * cover and their blackout periods, and the concrete blackout windows in a range
 * (`GET /blackouts`). The handler validates with them and the OpenAPI document is generated from
 * them.
 */
import { BLACKOUT_LIMITS, MAX_SLA_CIS, slaAccess } from '#domain/sla/service';
import { type Blackout, blackoutProblems } from '#domain/sla/sla';
import { BlackoutWindowView } from './blackouts.ts';
import { ExpectedVersion, Id, idOf, noRepeats, PageQuery, pageOf, Timestamp } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

/** At most this many blackout periods per SLA (each expands on every read of its windows). */
export const MAX_SLA_BLACKOUTS = 50;

const Name = z.string().trim().min(1).max(200).openapi({ example: 'Payroll month-end' });
const Reason = z.string().trim().min(1).max(500).openapi({ example: 'Month-end payroll run' });
const CiIds = z
  .array(idOf('ci_payroll_app'))
  .max(MAX_SLA_CIS)
  .superRefine(noRepeats)
  .openapi({
    description: `The configuration items (or services, which are CIs) it covers, each once, at most ${MAX_SLA_CIS}; each must exist (422 \`unknown-cis\` listing those that do not).`,
  });

/**
 * One blackout: one-off `{ start, end, reason }` (instants with offset) or recurring
 * `{ rrule, start, duration, tz, reason }`. One object with the fields of both, so that each bad
 * field is named (`blackouts.0.rrule`), not "matches neither".
 */
export const BlackoutBody = z
  .object({
    start: z.string().min(1).max(40).openapi({
      description:
        'One-off: the instant it starts (ISO 8601 with offset). Recurring: the local date-time of the first occurrence in `tz`, without offset (its DTSTART), e.g. `2026-01-30T22:00`.',
      example: '2026-01-30T22:00',
    }),
    end: z.string().min(1).max(40).optional().openapi({
      description: 'One-off only: the instant it ends (after `start`).',
      example: '2026-12-27T00:00:00+01:00',
    }),
    rrule: z.string().min(1).max(500).optional().openapi({
      description:
        'Recurring only: an RFC 5545 RRULE value (FREQ yearly to hourly; UNTIL in UTC or local; no DTSTART: that is `start`).',
      example: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
    }),
    duration: z.string().min(1).max(40).optional().openapi({
      description:
        'Recurring only: how long each occurrence lasts, an ISO 8601 duration of weeks, days (local days), hours, minutes, seconds; at most 31 days.',
      example: 'PT6H',
    }),
    tz: z.string().min(1).max(64).optional().openapi({
      description:
        'The IANA time zone of its local times: required for a recurring blackout; for a one-off one, the zone it is shown in (default UTC).',
      example: 'Europe/Berlin',
    }),
    reason: Reason,
  })
  .strict()
  .superRefine((b, ctx) => {
    const missing = (field: string, why: string) =>
      ctx.addIssue({ code: 'custom', path: [field], message: why });
    if (b.rrule !== undefined) {
      if (b.duration === undefined) missing('duration', 'is required for a recurring blackout');
      if (b.tz === undefined) missing('tz', 'is required for a recurring blackout');
      if (b.end !== undefined)
        missing('end', 'is only for a one-off blackout (a recurring one has a duration)');
    } else {
      if (b.end === undefined) missing('end', 'is required for a one-off blackout');
      if (b.duration !== undefined) missing('duration', 'is only for a recurring blackout (with rrule)');
    }
    const blackout = (
      b.rrule !== undefined
        ? { ...b, duration: b.duration ?? 'PT1H', tz: b.tz ?? 'UTC' }
        : { ...b, end: b.end ?? b.start }
    ) as Blackout;
    for (const problem of blackoutProblems(blackout, 0)) {
      const field = problem.path.replace(/^blackouts\.0\./, '');
      // A field reported missing above is not also malformed.
      if ((b as Record<string, unknown>)[field] === undefined) continue;
      ctx.addIssue({ code: 'custom', path: [field], message: problem.message });
    }
  })
  .openapi('Blackout');

const Blackouts = z
  .array(BlackoutBody)
  .max(MAX_SLA_BLACKOUTS)
  .openapi({
    description: `Its blackout periods, at most ${MAX_SLA_BLACKOUTS}.`,
  });

export const CreateSlaBody = z
  .object({ name: Name, ciIds: CiIds.default([]), blackouts: Blackouts.default([]) })
  .strict()
  .openapi('CreateSla');

export const UpdateSlaBody = z
  .object({
    name: Name.optional(),
    ciIds: CiIds.optional().openapi({ description: 'The covered CIs, as a whole (replaces them).' }),
    blackouts: Blackouts.optional().openapi({
      description: 'The blackout periods, as a whole (replaces them).',
    }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine((b) => [b.name, b.ciIds, b.blackouts].some((v) => v !== undefined), {
    message: 'must change at least one of name, ciIds, blackouts',
  })
  .openapi('UpdateSla');

const BlackoutView = z.object({
  start: z.string(),
  end: z.string().optional(),
  rrule: z.string().optional(),
  duration: z.string().optional(),
  tz: z.string().optional(),
  reason: z.string(),
});

export const SlaView = z
  .object({
    id: z.string().openapi({ example: 'sla_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }),
    version: z.number().int(),
    name: z.string(),
    ciIds: z.array(z.string()),
    blackouts: z.array(BlackoutView).openapi({
      description: 'As written, one-off instants in UTC and rules in upper case.',
    }),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Sla');

export const SlaPage = pageOf(SlaView).openapi('SlaPage');
export const SlaParams = z.object({ id: Id.openapi({ example: 'sla_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });

export const BlackoutQuery = z
  .object({
    from: Timestamp.openapi({ description: 'The start of the range (inclusive).' }),
    to: Timestamp.openapi({
      description: `The end of the range (exclusive), after \`from\` and at most ${BLACKOUT_LIMITS.maxRangeDays} days later.`,
      example: '2027-01-01T00:00:00Z',
    }),
    ci: idOf('ci_payroll_db').optional().openapi({
      description:
        'Only the windows that apply to this CI: of the SLAs covering it and of those covering a CI that depends on it, transitively through CMDB relations.',
    }),
  })
  .strict();

export const BlackoutList = z
  .object({
    from: z.string(),
    to: z.string(),
    ciId: z.string().optional(),
    items: z.array(BlackoutWindowView),
    truncated: z.boolean().openapi({
      description: `More windows apply than listed (at most ${BLACKOUT_LIMITS.maxWindows}), or more CIs depend on the CI than were followed.`,
    }),
  })
  .openapi('BlackoutList');

const readDescription =
  'Every process holder (change, release, deployment) reads SLAs and their blackouts: whoever plans or deploys needs them.';
const writeDescription = 'Administrators manage SLAs (DESIGN §4).';

/** The SLAs' routes (DESIGN §5). */
export const slaRoutes = resource(
  {
    name: 'slas',
    description: 'SLAs, their blackout periods and the blackout windows in a range',
    table: 'write',
  },
  {
    createSla: route({
      method: 'POST',
      path: '/slas',
      summary: 'Record an SLA: the CIs it covers and its blackout periods',
      description: `${writeDescription} Invalid rules, zones, durations and instants are 400 naming the field (\`blackouts.0.rrule\`); every CI in \`ciIds\` must exist (422 \`unknown-cis\`). Send \`Idempotency-Key\` to make retries safe.`,
      access: slaAccess.write,
      body: CreateSlaBody,
      idempotent: true,
      problems: [422],
      responses: {
        201: { description: 'Recorded (or replayed: `Idempotent-Replayed: true`)', schema: SlaView },
      },
    }),
    listSlas: route({
      method: 'GET',
      path: '/slas',
      summary: 'List SLAs, by name',
      description: readDescription,
      access: slaAccess.read,
      query: PageQuery,
      responses: { 200: { description: 'A page of SLAs', schema: SlaPage } },
    }),
    getSla: route({
      method: 'GET',
      path: '/slas/{id}',
      summary: 'Read an SLA',
      description: readDescription,
      access: slaAccess.read,
      params: SlaParams,
      responses: { 200: { description: 'The SLA', schema: SlaView } },
    }),
    editSla: route({
      method: 'PATCH',
      path: '/slas/{id}',
      summary: 'Edit an SLA: its name, covered CIs or blackout periods (each replaced as a whole)',
      description: `${writeDescription} Needs \`expectedVersion\` in the body or \`If-Match\` with the ETag read; a stale version gets 409. CIs newly covered must exist (422 \`unknown-cis\`); one edit adds and removes at most ${MAX_SLA_CIS} CIs. An edit that changes nothing writes nothing.`,
      access: slaAccess.write,
      params: SlaParams,
      body: UpdateSlaBody,
      version: 'required',
      mergePatch: true,
      problems: [422],
      responses: { 200: { description: 'The new version', schema: SlaView } },
    }),
    listBlackouts: route({
      method: 'GET',
      path: '/blackouts',
      summary: 'The concrete blackout windows in a range (UTC and local), earliest first',
      description: `${readDescription} Recurring blackouts are expanded in their zone, exact across daylight-saving changes. With \`ci\`, the windows of the SLAs covering it and of those covering any CI that depends on it (through CMDB relations, up to 10 steps), one item per window and CI covered, each with its path; 404 when the CI does not exist. The range is at most ${BLACKOUT_LIMITS.maxRangeDays} days (400 otherwise).`,
      access: slaAccess.read,
      query: BlackoutQuery,
      problems: [404],
      responses: { 200: { description: 'The windows', schema: BlackoutList } },
    }),
  },
);
