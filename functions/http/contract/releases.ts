/**
 * The releases resource's request and response schemas (DESIGN §5). The handler validates with
 * them and the OpenAPI document is generated from them.
 */

import { plannedWindowProblem } from '#domain/planned-window';
import { PACKAGE_TYPES, RELEASE_STATUSES, RELEASE_TYPES, URGENCIES } from '#domain/release/release';
import { releaseAccess } from '#domain/release/service';
import { TASK_STATUSES } from '#domain/task/task';
import { BlackoutConflictView, NextWindowsQuery, NextWindowsView } from './blackouts.ts';
import {
  AttributeValues,
  ExpectedVersion,
  Id,
  idOf,
  noRepeats,
  PageQuery,
  pageOf,
  ReleaseParams,
  StageNameQuery,
  Timestamp,
} from './common.ts';
import { resource, route } from './route.ts';
import { ExecutionViewSchema, HistoryPage } from './workflow-run.ts';
import * as z from './zod.ts';

export const CiUpdateInput = z
  .object({
    ciId: idOf('ci_payroll_app'),
    set: AttributeValues,
  })
  .strict();

/** Most deployment tasks one release plans (more than one transaction holds: readying chunks them). */
export const MAX_PLANNED_TASKS = 200;

const deploymentTaskFields = {
  title: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  workGroupId: idOf('wg_deployment', 'A work group of a deployment team (422 otherwise).'),
  technicianId: idOf(
    'bob',
    'A technician (user id) of that deployment team the task is assigned to.',
  ).optional(),
  ciIds: z.array(idOf('ci_payroll_app')).max(100).default([]),
  ciUpdates: z.array(CiUpdateInput).max(100).default([]),
};

/** Each CI update names one of the task's CIs. */
function ciUpdatesOnOwnCis(
  task: { ciIds: string[]; ciUpdates: { ciId: string }[] },
  ctx: z.core.$RefinementCtx,
): void {
  task.ciUpdates.forEach((u, i) => {
    if (!task.ciIds.includes(u.ciId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ciUpdates', i, 'ciId'],
        message: "must be one of the task's ciIds",
      });
    }
  });
}

export const DeploymentTaskInput = z.object(deploymentTaskFields).strict().superRefine(ciUpdatesOnOwnCis);

/** A task of an edited plan: `id` keeps a task planned before. */
export const EditedTaskInput = z
  .object({
    id: idOf('task_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC')
      .optional()
      .openapi({ description: 'Keep the id of a task planned on this release; left out: a new task.' }),
    ...deploymentTaskFields,
  })
  .strict()
  .superRefine(ciUpdatesOnOwnCis);

const ChangeIds = z.array(idOf('chg_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC')).max(100).superRefine(noRepeats).openapi({
  description: 'RFCs the release implements, each once; each must exist (422 listing those that do not).',
});

/**
 * Most bytes a plan of tasks takes as JSON. `Release Updated` carries a replaced plan before and
 * after, and a DynamoDB item holds at most 400 KB (docs/decisions.md).
 */
export const MAX_PLAN_BYTES = 100_000;

function planFits(tasks: readonly unknown[], ctx: z.core.$RefinementCtx): void {
  let json: string;
  try {
    json = JSON.stringify(tasks);
  } catch {
    // Too deep to serialise: the tasks' own fields already report it (AttributeValues).
    return;
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PLAN_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: `takes ${bytes} bytes as JSON; a plan takes at most ${MAX_PLAN_BYTES}`,
    });
  }
}

const DeploymentInput = z
  .object({
    managedByChange: z.boolean().default(false),
    changeId: idOf(
      'chg_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC',
      'The RFC that manages the deployment: one of changeIds; by default the only one.',
    ).optional(),
    changeTriggerState: z.string().trim().min(1).max(80).optional().openapi({
      description:
        "The state of that RFC's workflow at which the tasks become ready (422 listing the valid states).",
    }),
  })
  .strict();

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
    changeIds: ChangeIds.default([]),
    kbArticleIds: z.array(idOf('kb_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC')).max(100).default([]),
    deployment: DeploymentInput.default({ managedByChange: false }),
    tasks: z.array(DeploymentTaskInput).max(MAX_PLANNED_TASKS).superRefine(planFits).default([]),
  })
  .strict()
  .superRefine((body, ctx) => {
    const window = plannedWindowProblem(body.plannedStart, body.plannedEnd);
    if (window) ctx.addIssue({ code: 'custom', path: [window.path], message: window.message });
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
    changeIds: ChangeIds.optional(),
    deployment: DeploymentInput.optional(),
    tasks: z.array(EditedTaskInput).max(MAX_PLANNED_TASKS).superRefine(planFits).optional().openapi({
      description:
        'The complete new plan of deployment tasks; editable until the tasks are ready (422 `tasks-already-ready` after), like `changeIds` and `deployment`.',
    }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.deployment?.managedByChange && !body.deployment.changeTriggerState) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'changeTriggerState'],
        message: 'is required when deployment is managed by change',
      });
    }
  })
  .refine(
    (b) =>
      b.title !== undefined ||
      b.description !== undefined ||
      b.plannedStart ||
      b.plannedEnd ||
      b.changeIds !== undefined ||
      b.deployment !== undefined ||
      b.tasks !== undefined,
    {
      message:
        'must change at least one of title, description, plannedStart, plannedEnd, changeIds, deployment, tasks',
    },
  )
  .openapi('UpdateRelease');

export const ReleaseTaskView = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().optional(),
    workGroupId: z.string(),
    technicianId: z.string().optional(),
    ciIds: z.array(z.string()),
    ciUpdates: z.array(z.object({ ciId: z.string(), set: z.record(z.string(), z.unknown()) })),
    status: z.enum(['planned', ...TASK_STATUSES]).openapi({
      description: '`planned` until the tasks are ready; then the task’s own status.',
    }),
    assignee: z.string().optional().openapi({ description: 'Once ready: who holds it.' }),
    version: z.number().int().optional().openapi({ description: 'Once ready: the task’s version.' }),
    notes: z.string().optional(),
    failureReason: z.string().optional(),
    ciUpdateFailures: z
      .array(z.object({ index: z.number().int(), ciId: z.string(), reason: z.string(), at: z.string() }))
      .optional()
      .openapi({
        description:
          'Planned CI updates of the done task that could not be applied (by `index` in `ciUpdates`), and why; absent when none.',
      }),
    updatedAt: z.string().optional(),
    updatedBy: z.string().optional(),
  })
  .openapi('ReleaseTask');

export const ReleaseTaskList = z.object({ items: z.array(ReleaseTaskView) }).openapi('ReleaseTaskList');

const PlannedCiView = z
  .object({
    ciId: z.string(),
    ci: z
      .object({ name: z.string(), type: z.string(), version: z.number().int(), status: z.string() })
      .optional()
      .openapi({ description: 'The CI now; absent when it no longer exists.' }),
    recentChanges: z
      .array(
        z.object({
          version: z.number().int(),
          at: z.string(),
          actor: z.string(),
          releaseId: z.string().optional(),
          taskId: z.string().optional(),
          reason: z.string().optional(),
        }),
      )
      .openapi({ description: 'Its latest versions, newest first: who, when, which release.' }),
    plannedBy: z
      .array(z.object({ taskId: z.string(), sets: z.array(z.string()) }))
      .openapi({ description: "This release's tasks that name it, and the attributes they set." }),
    collisions: z
      .array(z.object({ releaseId: z.string(), title: z.string(), stage: z.string() }))
      .openapi({ description: 'Other open releases whose tasks name it.' }),
  })
  .openapi('PlannedCi');

export const PlannedCiList = z.object({ items: z.array(PlannedCiView) }).openapi('PlannedCiList');

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
    status: z.enum(RELEASE_STATUSES),
    plannedStart: z.string(),
    plannedEnd: z.string(),
    changeIds: z.array(z.string()),
    kbArticleIds: z.array(z.string()),
    deployment: z.object({
      managedByChange: z.boolean(),
      changeId: z.string().optional(),
      changeTriggerState: z.string().optional(),
      waitingFor: z
        .union([
          z.object({ trigger: z.literal('change'), changeId: z.string(), state: z.string() }),
          z.object({ trigger: z.literal('deploy-stage'), stage: z.string().optional() }),
        ])
        .optional()
        .openapi({
          description:
            "On a single release (and its writes' answers): what its planned tasks wait for to become ready — the managing RFC reaching `state`, or the release entering its workflow's deploy stage (`stage` when known). Absent once they are ready, when none are planned, and in lists.",
        }),
    }),
    tasks: z.array(ReleaseTaskView).openapi({
      description:
        'Its deployment tasks in plan order: on a single release with their live status once ready; in lists, as planned.',
    }),
    blackoutConflicts: z.array(BlackoutConflictView).optional().openapi({
      description:
        'On a single release (`GET`, and the answers to `POST` and `PATCH`): every blackout window its planned window shares time with, on every CI it touches (its tasks’ and its RFCs’) or that depends on one, each with its SLA, reason, CI and path; touching windows do not conflict. Absent in lists and in transition answers (read the release for them).',
    }),
    blackoutConflictsTruncated: z.literal(true).optional().openapi({
      description: 'There are more conflicts than listed (or more dependents than were followed).',
    }),
    allowedTransitions: z
      .array(
        z.object({
          to: z.string(),
          gates: z.array(z.string()).openapi({ description: 'Facts the move needs.' }),
          unmetGates: z.array(z.string()).openapi({ description: 'Those of `gates` that do not hold now.' }),
          requiresReason: z.boolean(),
          terminal: z.boolean().openapi({ description: 'The move ends the release.' }),
          approvals: z
            .object({ rule: z.string(), required: z.number().int(), have: z.number().int() })
            .optional()
            .openapi({
              description:
                'An access policy of the team asks distinct approvers for this move and some are missing (POST /releases/{id}/approvals). Moves a policy refuses the caller are not offered at all.',
            }),
        }),
      )
      .optional()
      .openapi({
        description:
          'On a single release: the moves its workflow allows the caller from the current stage (empty once the release is over, or for a caller outside its team).',
      }),
    approvals: z
      .array(
        z.object({
          to: z.string(),
          by: z.string(),
          at: z.string(),
          comment: z.string().optional(),
        }),
      )
      .optional()
      .openapi({
        description:
          'Approvals of pending moves given since the release entered its current stage (access policies ask for them; POST /releases/{id}/approvals). They reset when it moves. Absent when there are none.',
      }),
    executionEnd: z
      .object({
        status: z.string(),
        error: z.string().optional(),
        cause: z.string().optional(),
        at: z.string().optional(),
      })
      .optional()
      .openapi({
        description:
          'Present when the execution ended outside the API (an operator stopped it, a task failed for good, it timed out): the release is then `failed`.',
      }),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Release');

export const ReleasePage = pageOf(ReleaseView).openapi('ReleasePage');

export const ReleaseListQuery = PageQuery.extend({
  status: z.enum(RELEASE_STATUSES).optional(),
  stage: StageNameQuery.optional(),
  teamId: Id.optional().openapi({ example: 'team_release' }),
  plannedFrom: Timestamp.optional().openapi({ description: 'Releases planned to start at or after this.' }),
  plannedTo: Timestamp.optional().openapi({ description: 'Releases planned to start before this.' }),
})
  .strict()
  .superRefine((q, ctx) => {
    if (q.plannedFrom && q.plannedTo && Date.parse(q.plannedTo) <= Date.parse(q.plannedFrom)) {
      ctx.addIssue({ code: 'custom', path: ['plannedTo'], message: 'must be later than plannedFrom' });
    }
  });

/** `POST /releases/{id}/approvals`. */
export const ApprovalBody = z
  .object({
    to: z.string().trim().min(1).max(100).openapi({ description: 'The stage the approved move enters.' }),
    comment: z.string().max(2000).optional(),
  })
  .strict()
  .openapi('ReleaseApproval');

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
      'Whether the execution was seen waiting in the new stage before the answer: only asked with `Prefer: wait=N`; otherwise false, and the execution follows within moments.',
  }),
}).openapi('TransitionResult');

export const BackoutBody = z
  .object({
    acknowledgedArticles: z
      .array(
        z.object({ id: idOf('kb_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC'), version: z.number().int().min(1) }).strict(),
      )
      .max(100)
      .openapi({
        description:
          'Every back-out procedure linked to the release or to a CI it changed, at its current version, as followed.',
      }),
    reason: z.string().trim().min(1).max(2_000),
    force: z
      .object({ reason: z.string().trim().min(1).max(2_000) })
      .strict()
      .optional()
      .openapi({
        description:
          "Restore the release's own attributes even where something else changed the CI since (audited in Release Backed Out).",
      }),
  })
  .strict()
  .openapi('Backout');

export const BackoutResult = ReleaseView.extend({
  versions: z
    .array(z.object({ ciId: z.string(), version: z.number().int() }))
    .openapi({ description: 'The CI versions written, restoring the values from before the release.' }),
}).openapi('BackoutResult');

const releaseDescription =
  "Reads are open to every holder of a process (change, release or deployment): change managers, CAB members and technicians follow releases of every team. Writes are for release managers of the release's team (or administrators).";

/** The releases resource's routes (DESIGN §5). */
export const releaseRoutes = resource(
  {
    name: 'releases',
    description: 'Releases resource',
    table: 'write',
    stepFunctions: ['SendTaskSuccess', 'DescribeExecution', 'GetExecutionHistory'],
    workflowCatalog: 'resolve',
  },
  {
    createRelease: route({
      method: 'POST',
      path: '/releases',
      summary: 'Create a release',
      description:
        "Creates a release in its workflow's first stage; its Step Functions execution (name = release id) is started moments after the answer, by the `Release Created` consumer. The release belongs to `teamId`, a release team the caller is a member of (default: the caller's only release team). Each planned task names a work group of a deployment team and, optionally, a technician of that team (422 `invalid-deployment-tasks` naming each bad field otherwise); the tasks become ready for technicians when the release enters its workflow's deploy stage (or, managed by change, when the RFC reaches the trigger state). Send `Idempotency-Key` to make retries safe.",
      access: releaseAccess.create,
      body: CreateReleaseBody,
      idempotent: true,
      responses: {
        201: { description: 'Created (or replayed: `Idempotent-Replayed: true`)', schema: ReleaseView },
      },
    }),
    listReleases: route({
      method: 'GET',
      path: '/releases',
      summary: 'List releases, newest first',
      description: `${releaseDescription} Filters: \`status\`, \`stage\`, \`teamId\` and the planned start (\`plannedFrom\` ≤ plannedStart < \`plannedTo\`). Each is read from an index of its own (the most selective one given: stage, then team, then status, then planned start); the others are applied within it. Newest first, except when only the planned start is filtered on: then in planned-start order.`,
      access: releaseAccess.read,
      query: ReleaseListQuery,
      responses: { 200: { description: 'A page of releases', schema: ReleasePage } },
    }),
    getRelease: route({
      method: 'GET',
      path: '/releases/{id}',
      summary: 'Read a release, with the moves the caller may make now',
      description: releaseDescription,
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      responses: { 200: { description: 'The release', schema: ReleaseView } },
    }),
    editRelease: route({
      method: 'PATCH',
      path: '/releases/{id}',
      summary: 'Edit title, description, planned window, linked RFCs, deployment setting or planned tasks',
      description:
        "Release managers of the release's team (or administrators). Needs `expectedVersion` in the body or `If-Match` with the ETag read; a stale version gets 409. A release that is over cannot be edited (422). `tasks` replaces the plan until the tasks are ready (422 `tasks-already-ready` after), checked as on creation.",
      readAhead: 'release',
      access: releaseAccess.edit,
      params: ReleaseParams,
      body: UpdateReleaseBody,
      version: 'required',
      mergePatch: true,
      problems: [422],
      responses: { 200: { description: 'The edited release', schema: ReleaseView } },
    }),
    moveRelease: route({
      method: 'POST',
      path: '/releases/{id}/transitions',
      summary: 'Move a release to another stage of its workflow',
      description:
        "Members of the release's team (or administrators) holding a process the transition allows. Checks the workflow (allowed moves, processes, gates, reasons), commits the move with its `Release Stage Entered` event and answers; the execution waiting in the stage left is signalled just after (with `Prefer: wait=N`, before the answer, which then waits up to N seconds for it: `execution.inStep`).",
      readAhead: 'release',
      waitable: true,
      access: releaseAccess.read,
      params: ReleaseParams,
      body: TransitionBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The release in its new stage', schema: TransitionResult } },
    }),
    approveReleaseMove: route({
      method: 'POST',
      path: '/releases/{id}/approvals',
      summary: "Approve a pending move of a release that its team's access policies ask approvals for",
      description:
        'One approval per user per pending move (a second is 409 `already-approved`); approvals count for the stage the release is in and reset when it moves; audited (`Release Approval Recorded`). Only a user a matching rule accepts as approver (its `approvers`, else the release team’s members) may approve (403 with `rule`); a move no rule asks approvals for is 422 `no-approval-required`.',
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      body: ApprovalBody,
      problems: [409, 422],
      responses: { 201: { description: 'The release with the approval recorded', schema: ReleaseView } },
    }),
    backOutRelease: route({
      method: 'POST',
      path: '/releases/{id}/backout',
      summary: 'Back a release out in one call: its CMDB changes reverted, the release Backed Out',
      description:
        "Release managers of the release's team (or administrators), from its deploy stage onwards (also after Closure: the ended execution is not restarted, the history says so). Every `backout-procedure` article linked to the release or to a CI it changed must be acknowledged at its current version (422 listing the others). Every CMDB change the release made is then restored as a new CI version (history only grows); a CI something else changed since is a conflict (409 listing CI, attribute, the value the release set and the value found) unless `force` gives a reason. Interrupted, it is retried to completion by calling it again.",
      readAhead: 'release',
      access: releaseAccess.edit,
      params: ReleaseParams,
      body: BackoutBody,
      problems: [409, 422],
      responses: {
        200: { description: 'The release, Backed Out, and the versions written', schema: BackoutResult },
      },
    }),
    releaseCis: route({
      method: 'GET',
      path: '/releases/{id}/cis',
      summary:
        'The CIs a release touches: each as it is, its last changes, and other open releases planning it',
      description: `${releaseDescription} Every CI the release's tasks name, with its current version, its latest changes (who, when, which release) and the other open releases whose tasks name it (a collision to see while planning).`,
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      responses: { 200: { description: 'Its CIs', schema: PlannedCiList } },
    }),
    releaseTasks: route({
      method: 'GET',
      path: '/releases/{id}/tasks',
      summary: "A release's deployment tasks as they stand, in plan order",
      description: `${releaseDescription} Each task shows \`planned\` until the tasks are ready, then its live status, who holds it and its version (work on it through /tasks/{id}).`,
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      responses: { 200: { description: 'Its tasks', schema: ReleaseTaskList } },
    }),
    releaseHistory: route({
      method: 'GET',
      path: '/releases/{id}/history',
      summary: "A release's audit trail: who, when, from → to, why (oldest first)",
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      query: PageQuery,
      responses: { 200: { description: 'A page of history entries', schema: HistoryPage } },
    }),
    releaseExecution: route({
      method: 'GET',
      path: '/releases/{id}/execution',
      summary: "The release's Step Functions execution: status, current state, event history",
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      responses: { 200: { description: 'The execution', schema: ExecutionViewSchema } },
    }),
    releaseNextWindows: route({
      method: 'GET',
      path: '/releases/{id}/next-windows',
      summary: 'The earliest windows free of every blackout on every CI the release touches or impacts',
      description:
        'Stretches of free time of at least `duration` in `[after, after + horizon)`, earliest first, one proposal per stretch (its earliest start on a whole minute, its latest start, and until when it stays free). The blackouts counted are those of every SLA covering a CI the release touches (its tasks’ and its RFCs’) or one that depends on it. Fewer than `count` found: `detail` says so.',
      readAhead: 'release',
      access: releaseAccess.read,
      params: ReleaseParams,
      query: NextWindowsQuery,
      responses: { 200: { description: 'The free windows', schema: NextWindowsView } },
    }),
  },
);
