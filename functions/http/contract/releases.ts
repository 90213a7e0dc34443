/**
 * The releases resource's request and response schemas (DESIGN §5). The handler validates with
 * them and the OpenAPI document is generated from them.
 */
import { PACKAGE_TYPES, RELEASE_TYPES, URGENCIES } from '#domain/release';
import { ExpectedVersion, Id, pageOf, Timestamp, z } from './common.ts';

// Bodies arrive as parsed JSON, so any value here is already JSON (z.json() is recursive and breaks the OpenAPI generator).
const JsonValue = z.unknown().openapi({ description: 'Any JSON value' });

export const CiUpdateInput = z
  .object({
    ciId: Id,
    set: z
      .record(z.string().min(1).max(128), JsonValue)
      .refine((r) => Object.keys(r).length > 0, 'must set at least one attribute'),
  })
  .strict();

export const DeploymentTaskInput = z
  .object({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).optional(),
    workGroupId: Id,
    technicianId: Id.optional(),
    ciIds: z.array(Id).max(100).default([]),
    ciUpdates: z.array(CiUpdateInput).max(100).default([]),
  })
  .strict()
  .superRefine((task, ctx) => {
    task.ciUpdates.forEach((u, i) => {
      if (!task.ciIds.includes(u.ciId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ciUpdates', i, 'ciId'],
          message: "must be one of the task's ciIds",
        });
      }
    });
  });

export const CreateReleaseBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).optional(),
    releaseType: z.enum(RELEASE_TYPES),
    packageType: z.enum(PACKAGE_TYPES),
    urgency: z.enum(URGENCIES),
    businessPriority: z.number().int().min(1).max(5).openapi({ description: '1 (highest) to 5 (lowest).' }),
    teamId: Id.optional(),
    workflowId: Id.optional(),
    plannedStart: Timestamp,
    plannedEnd: Timestamp,
    changeIds: z.array(Id).max(100).default([]),
    kbArticleIds: z.array(Id).max(100).default([]),
    deployment: z
      .object({
        managedByChange: z.boolean().default(false),
        changeTriggerState: z.string().trim().min(1).max(80).optional(),
      })
      .strict()
      .default({ managedByChange: false }),
    tasks: z.array(DeploymentTaskInput).max(50).default([]),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (Date.parse(body.plannedEnd) <= Date.parse(body.plannedStart)) {
      ctx.addIssue({ code: 'custom', path: ['plannedEnd'], message: 'must be later than plannedStart' });
    }
    if (body.deployment.managedByChange) {
      if (!body.deployment.changeTriggerState) {
        ctx.addIssue({
          code: 'custom',
          path: ['deployment', 'changeTriggerState'],
          message: 'is required when deployment is managed by change',
        });
      }
      if (body.changeIds.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['changeIds'],
          message: 'must name the RFC that manages the deployment',
        });
      }
    }
  })
  .openapi('CreateRelease');

export const UpdateReleaseBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(10_000).optional(),
    plannedStart: Timestamp.optional(),
    plannedEnd: Timestamp.optional(),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .refine((b) => b.title !== undefined || b.description !== undefined || b.plannedStart || b.plannedEnd, {
    message: 'must change at least one of title, description, plannedStart, plannedEnd',
  })
  .openapi('UpdateRelease');

const PlannedTask = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  workGroupId: z.string(),
  technicianId: z.string().optional(),
  ciIds: z.array(z.string()),
  ciUpdates: z.array(z.object({ ciId: z.string(), set: z.record(z.string(), z.unknown()) })),
  status: z.enum(['planned', 'ready', 'in_progress', 'done', 'failed']),
});

export const ReleaseView = z
  .object({
    id: z.string(),
    version: z.number().int(),
    title: z.string(),
    description: z.string().optional(),
    releaseType: z.enum(RELEASE_TYPES),
    packageType: z.enum(PACKAGE_TYPES),
    urgency: z.enum(URGENCIES),
    businessPriority: z.number().int(),
    teamId: z.string().optional(),
    workflow: z.object({ id: z.string(), version: z.number().int() }),
    stage: z.string(),
    status: z.enum(['active', 'closed', 'cancelled', 'backed-out']),
    plannedStart: z.string(),
    plannedEnd: z.string(),
    changeIds: z.array(z.string()),
    kbArticleIds: z.array(z.string()),
    deployment: z.object({ managedByChange: z.boolean(), changeTriggerState: z.string().optional() }),
    tasks: z.array(PlannedTask),
    blackoutConflicts: z.array(z.unknown()),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Release');

export const ReleasePage = pageOf(ReleaseView).openapi('ReleasePage');
export const ReleaseParams = z.object({ id: Id });

export const TransitionBody = z
  .object({
    to: z.string().trim().min(1).max(80).openapi({ example: 'Development' }),
    expectedVersion: ExpectedVersion.optional(),
    reason: z.string().trim().min(1).max(2_000).optional(),
    override: z
      .object({ reason: z.string().trim().min(1).max(2_000) })
      .strict()
      .optional()
      .openapi({
        description:
          'Emergency releases only: enter the deploy stage inside a blackout, with a reason (audited).',
      }),
  })
  .strict()
  .openapi('Transition');

export const TransitionResult = ReleaseView.extend({
  execution: z.object({ inStep: z.boolean() }).openapi({
    description:
      'Whether the execution was seen waiting in the new stage before the answer (else it follows shortly).',
  }),
}).openapi('TransitionResult');

export const HistoryEntry = z
  .object({
    id: z.string(),
    type: z.string(),
    occurredAt: z.string(),
    actor: z.string(),
    from: z.string().optional(),
    to: z.string().optional(),
    reason: z.string().optional(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('HistoryEntry');

export const HistoryPage = pageOf(HistoryEntry).openapi('HistoryPage');

export const ExecutionViewSchema = z
  .object({
    executionArn: z.string(),
    status: z.string(),
    startDate: z.string().nullable(),
    stopDate: z.string().nullable(),
    currentState: z.string().nullable(),
    events: z.array(
      z.object({
        id: z.number(),
        type: z.string(),
        timestamp: z.string().nullable(),
        state: z.string().optional(),
      }),
    ),
  })
  .openapi('Execution');
