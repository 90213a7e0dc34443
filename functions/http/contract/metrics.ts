/**
 * The metrics resource's request and response schemas and routes (DESIGN §5): an incident
 * attributed to a release (`POST /releases/{id}/incidents`) and the release metrics per period and
 * team (`GET /metrics/releases`). Both are served by the metrics function: incidents exist for the
 * metrics, and the releases resource stays as it is.
 */

import { ValidationError } from '#domain/errors';
import { INCIDENT_SEVERITIES } from '#domain/metrics/incident';
import { GRANULARITIES } from '#domain/metrics/periods';
import { METRICS_LIMITS, metricsAccess, metricsRange } from '#domain/metrics/service';
import { ID_PATTERN, idOf, ReleaseParams, Timestamp } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

export const AttributeIncidentBody = z
  .object({
    reference: z.string().regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -').openapi({
      description: "The incident's reference in the service desk; attributed once per release.",
      example: 'INC0012345',
    }),
    severity: z.enum(INCIDENT_SEVERITIES).openapi({ example: 'high' }),
    occurredAt: Timestamp.openapi({
      description: 'When the incident began: not in the future, not before the release was created.',
      example: '2026-12-02T07:40:00Z',
    }),
    summary: z.string().trim().min(1).max(2_000).openapi({ example: 'Payslips show last month’s tax rate' }),
  })
  .strict()
  .openapi('AttributeIncident');

export const IncidentView = z
  .object({
    releaseId: z.string(),
    reference: z.string(),
    severity: z.enum(INCIDENT_SEVERITIES),
    occurredAt: z.string(),
    summary: z.string(),
    teamId: z.string().optional().openapi({ description: 'The release team of the release, if any.' }),
    version: z.number().int(),
    attributedAt: z.string(),
    attributedBy: z.string(),
  })
  .openapi('Incident');

/** A calendar day, `YYYY-MM-DD` (UTC), that exists. */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a calendar day, YYYY-MM-DD (UTC)')
  .refine((v) => {
    const time = Date.parse(`${v}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(v);
  }, 'must be a calendar day, YYYY-MM-DD (UTC)');

export const MetricsQuery = z
  .object({
    from: Day.optional().openapi({
      description: `First day of the range; the answer starts with the period holding it. Default: the start of the ${METRICS_LIMITS.defaultPeriods}th period before \`to\`'s, counting \`to\`'s.`,
      example: '2026-10-01',
    }),
    to: Day.optional().openapi({
      description: `Last day of the range (inclusive); the answer ends with the period holding it. Default: today (UTC). Not before \`from\`; at most ${METRICS_LIMITS.maxPeriods.month} months or ${METRICS_LIMITS.maxPeriods.week} weeks in the range.`,
      example: '2026-12-31',
    }),
    team: idOf('team_release').optional().openapi({ description: 'Only the releases of this release team.' }),
    groupBy: z.enum(GRANULARITIES).default('month').openapi({
      description: 'Calendar months, or ISO 8601 weeks (from Monday; `2026-W53`), in UTC.',
    }),
  })
  .strict()
  .superRefine((query, ctx) => {
    // The use case's own rule of a range (it checks again with its clock), so that a range that
    // ends before it starts or is too long is named like every other field of the query. A day
    // that is not one is named once, by its own schema.
    if ([query.from, query.to].some((d) => d !== undefined && !Day.safeParse(d).success)) return;
    try {
      metricsRange(query, new Date());
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const e of error.errors) ctx.addIssue({ code: 'custom', path: [e.path], message: e.message });
    }
  });

const Figures = z
  .object({
    deployed: z
      .number()
      .int()
      .openapi({ description: 'Releases deployed (left their deploy stage, not cancelled).' }),
    onTime: z.number().int().openapi({
      description:
        'Of those, the deployments that finished inside the planned window (`plannedStart ≤ at < plannedEnd`).',
    }),
    backedOut: z
      .number()
      .int()
      .openapi({ description: 'Of those, the releases backed out (then or later).' }),
    withIncidents: z
      .number()
      .int()
      .openapi({ description: 'Of those, the releases with an incident attributed.' }),
    incidents: z.number().int().openapi({ description: 'The incidents attributed to them.' }),
    failed: z.number().int().openapi({ description: 'Releases backed out or with an incident, each once.' }),
    changeFailureRate: z
      .number()
      .nullable()
      .openapi({ description: '`failed / deployed` (0-1); null when nothing was deployed.' }),
    onTimeRate: z
      .number()
      .nullable()
      .openapi({ description: '`onTime / deployed` (0-1); null when nothing was deployed.' }),
    leadTime: z
      .object({
        medianSeconds: z.number().nullable(),
        p90Seconds: z.number().nullable(),
      })
      .openapi({
        description:
          'Creation → deployment of the releases deployed, in seconds: the nearest-rank median and 90th percentile (values that occurred; the median of two is the shorter). Null when none.',
      }),
  })
  .openapi('MetricsFigures');

const TeamFigures = Figures.extend({
  teamId: z.string().nullable().openapi({ description: 'The release team; null for releases of no team.' }),
}).openapi('TeamMetricsFigures');

export const MetricsReportView = z
  .object({
    groupBy: z.enum(GRANULARITIES),
    from: z.string().openapi({ description: 'The first day asked for (or its default).' }),
    to: z.string().openapi({ description: 'The last day asked for (or its default).' }),
    teamId: z.string().nullable(),
    periods: z
      .array(
        z.object({
          period: z.string().openapi({ example: '2026-12' }),
          start: z.string().openapi({ description: 'Its first instant (UTC).' }),
          end: z.string().openapi({ description: 'The first instant after it (UTC).' }),
          teams: z
            .array(TeamFigures)
            .openapi({ description: 'Each team that deployed in it (null team last).' }),
          total: Figures,
        }),
      )
      .openapi({
        description: 'Every period of the range, in order, also those in which nothing was deployed.',
      }),
    teams: z.array(TeamFigures).openapi({ description: 'The whole range, per team.' }),
    total: Figures,
  })
  .openapi('ReleaseMetrics');

/** The metrics' routes (DESIGN §5). */
export const metricsRoutes = resource(
  {
    name: 'metrics',
    description: 'Release metrics: incidents attributed to releases, figures per period and team',
    table: 'write',
  },
  {
    attributeIncident: route({
      method: 'POST',
      path: '/releases/{id}/incidents',
      summary: 'Attribute an incident to a release (it caused it)',
      description:
        "Release managers of the release's team, change managers and administrators. The release must have entered its deploy stage (422 `release-not-deployed`); `occurredAt` is not in the future nor before the release was created (400); one reference once per release (409 `incident-already-attributed`). Emits `Incident Attributed`; the incident counts against the release in its deployment period. Send `Idempotency-Key` to make retries safe.",
      access: metricsAccess.attribute,
      params: ReleaseParams,
      body: AttributeIncidentBody,
      idempotent: true,
      problems: [409, 422],
      responses: {
        201: { description: 'Attributed (or replayed: `Idempotent-Replayed: true`)', schema: IncidentView },
      },
    }),
    releaseMetrics: route({
      method: 'GET',
      path: '/metrics/releases',
      summary: 'Release metrics per period (month or ISO week) and team, and in total',
      description:
        'Every process holder. Releases deployed, on time, backed out, with incidents, the change failure rate and the lead time, for every period of the range, per release team and in total, and for the whole range. A release counts in the period of its deployment (the first move out of its deploy stage that is not a cancellation), and so do its back-out and its incidents, whenever they came. Kept by a consumer of the release events; shortly after a change the figures may not show it yet.',
      access: metricsAccess.read,
      query: MetricsQuery,
      responses: { 200: { description: 'The figures', schema: MetricsReportView } },
    }),
  },
);
