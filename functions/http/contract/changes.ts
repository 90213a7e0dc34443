/**
 * The RFC (changes) resource's request and response schemas and routes (DESIGN §5). The handler
 * validates with them and the OpenAPI document is generated from them.
 */
import { CHANGE_TYPES, DECISIONS, LEVELS, RISKS } from '#domain/change/change';
import { changeAccess } from '#domain/change/service';
import { plannedWindowProblem } from '#domain/planned-window';
import { RUN_STATUSES } from '#domain/workflow-run/run';
import { BlackoutConflictView, NextWindowsQuery, NextWindowsView } from './blackouts.ts';
import { ExpectedVersion, Id, idOf, PageQuery, pageOf, StageNameQuery, Timestamp } from './common.ts';
import { resource, route } from './route.ts';
import { ExecutionViewSchema, HistoryPage } from './workflow-run.ts';
import * as z from './zod.ts';

const Title = z.string().trim().min(1).max(200);
const Description = z.string().max(10_000);
const CiIds = z.array(idOf('ci_payroll_app')).max(100);

/**
 * A planned window is optional on an RFC; when both ends are given the end comes later, at most
 * `MAX_PLANNED_WINDOW_DAYS` later.
 */
function windowOrder(
  body: { plannedStart?: string | undefined; plannedEnd?: string | undefined },
  ctx: z.RefinementCtx,
) {
  const problem =
    body.plannedStart && body.plannedEnd
      ? plannedWindowProblem(body.plannedStart, body.plannedEnd)
      : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
}

export const CreateChangeBody = z
  .object({
    title: Title,
    description: Description.optional(),
    type: z.enum(CHANGE_TYPES),
    risk: z.enum(RISKS),
    impact: z.enum(LEVELS),
    urgency: z.enum(LEVELS),
    ciIds: CiIds.default([]),
    plannedStart: Timestamp.optional(),
    plannedEnd: Timestamp.optional(),
    workflowId: Id.optional().openapi({
      description:
        'A published change workflow; by default the one of its type (change-normal, change-standard, change-emergency).',
    }),
    cabTeamId: Id.optional().openapi({
      description: 'The change advisory board that votes on it (a `cab` team); by default `team_cab`.',
      example: 'team_cab',
    }),
  })
  .strict()
  .superRefine(windowOrder)
  .openapi('CreateChange');

export const UpdateChangeBody = z
  .object({
    title: Title.optional(),
    description: Description.optional(),
    risk: z.enum(RISKS).optional(),
    impact: z.enum(LEVELS).optional(),
    urgency: z.enum(LEVELS).optional(),
    ciIds: CiIds.optional(),
    plannedStart: Timestamp.optional(),
    plannedEnd: Timestamp.optional(),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .superRefine(windowOrder)
  .refine(
    (b) =>
      [b.title, b.description, b.risk, b.impact, b.urgency, b.ciIds, b.plannedStart, b.plannedEnd].some(
        (v) => v !== undefined,
      ),
    {
      message:
        'must change at least one of title, description, risk, impact, urgency, ciIds, plannedStart, plannedEnd',
    },
  )
  .openapi('UpdateChange');

export const ChangeTransitionBody = z
  .object({
    to: z.string().trim().min(1).max(80).openapi({ example: 'Assessed' }),
    expectedVersion: ExpectedVersion.optional(),
    reason: z.string().trim().min(1).max(2_000).optional(),
  })
  .strict()
  .openapi('ChangeTransition');

export const VoteBody = z
  .object({
    decision: z.enum(DECISIONS),
    comment: z.string().trim().min(1).max(2_000),
  })
  .strict()
  .openapi('ChangeVote');

const Vote = z.object({
  by: z.string(),
  decision: z.enum(DECISIONS),
  comment: z.string(),
  at: z.string(),
});

export const ChangeView = z
  .object({
    id: z.string(),
    version: z.number().int(),
    title: z.string(),
    description: z.string().optional(),
    type: z.enum(CHANGE_TYPES),
    risk: z.enum(RISKS),
    impact: z.enum(LEVELS),
    urgency: z.enum(LEVELS),
    priority: z.number().int().openapi({ description: '1 (highest) to 5, from impact and urgency.' }),
    ciIds: z.array(z.string()),
    plannedStart: z.string().optional(),
    plannedEnd: z.string().optional(),
    workflow: z.object({ id: z.string(), version: z.number().int() }),
    state: z
      .string()
      .openapi({ description: "Its state in its change workflow (= its execution's waiting state)." }),
    status: z.enum(RUN_STATUSES),
    cabTeamId: z.string(),
    approvals: z.array(Vote).openapi({ description: "The board's votes, in the order cast (immutable)." }),
    approval: z
      .object({
        required: z.number().int(),
        approvals: z.number().int(),
        missing: z.number().int(),
        rejectedBy: z.array(z.string()),
        awaitingVotes: z.boolean().openapi({ description: 'It waits in a state where the board votes.' }),
      })
      .optional()
      .openapi({ description: 'On a single RFC: where the votes stand against what its risk requires.' }),
    releaseIds: z
      .array(z.string())
      .optional()
      .openapi({ description: 'On a single RFC (and what its writes answer): the releases that link it.' }),
    allowedTransitions: z
      .array(
        z.object({
          to: z.string(),
          gates: z.array(z.string()),
          unmetGates: z.array(z.string()),
          requiresReason: z.boolean(),
          terminal: z.boolean(),
        }),
      )
      .optional(),
    blackoutConflicts: z.array(BlackoutConflictView).optional().openapi({
      description:
        'On a single RFC with a planned window (and its writes’ answers): every blackout window the window shares time with, on every CI it names or that depends on one, each with its SLA, reason, CI and path. Absent in lists and without a planned window.',
    }),
    blackoutConflictsTruncated: z.literal(true).optional().openapi({
      description: 'There are more conflicts than listed (or more dependents than were followed).',
    }),
    executionEnd: z
      .object({
        status: z.string(),
        error: z.string().optional(),
        cause: z.string().optional(),
        at: z.string().optional(),
      })
      .optional(),
    requester: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Change');

export const ChangeTransitionResult = ChangeView.extend({
  execution: z.object({ inStep: z.boolean() }),
}).openapi('ChangeTransitionResult');

export const ChangePage = pageOf(ChangeView).openapi('ChangePage');
export const ChangeParams = z.object({ id: Id.openapi({ example: 'chg_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });

export const ChangeListQuery = PageQuery.extend({
  state: StageNameQuery.optional().openapi({ example: 'Assessed' }),
  type: z.enum(CHANGE_TYPES).optional(),
  awaitingApprovalBy: z.string().trim().min(1).max(128).optional().openapi({
    description:
      "`me`: the caller's approval queue (RFCs their boards wait on, not yet voted on by them, not their own).",
    example: 'me',
  }),
}).strict();

const readDescription =
  'Reads are open to every holder of a process (change, release or deployment): release managers link RFCs, CAB members vote on them.';

/** The RFC resource's routes (DESIGN §5). */
export const changeRoutes = resource(
  {
    name: 'changes',
    description: 'RFCs (requests for change) and their CAB votes',
    table: 'write',
    stepFunctions: ['SendTaskSuccess', 'DescribeExecution', 'GetExecutionHistory'],
    workflowCatalog: 'resolve',
  },
  {
    recordChange: route({
      method: 'POST',
      path: '/changes',
      summary: 'Record an RFC',
      description:
        'Change managers (the `change` process). Records the RFC in the first state of its change workflow — the one of its `type` unless `workflowId` names a published change workflow — and its Step Functions execution (name = RFC id) is started moments after the answer, by the `Change Recorded` consumer. Its board is `cabTeamId` (default `team_cab`). Send `Idempotency-Key` to make retries safe.',
      access: changeAccess.record,
      body: CreateChangeBody,
      idempotent: true,
      problems: [422],
      responses: {
        201: { description: 'Recorded (or replayed: `Idempotent-Replayed: true`)', schema: ChangeView },
      },
    }),
    listChanges: route({
      method: 'GET',
      path: '/changes',
      summary: 'List RFCs, newest first',
      description: `${readDescription} Filters: \`state\`, \`type\`; \`awaitingApprovalBy=me\` is the caller's approval queue. Each is read from an index (no Scan).`,
      access: changeAccess.read,
      query: ChangeListQuery,
      problems: [422],
      responses: { 200: { description: 'A page of RFCs', schema: ChangePage } },
    }),
    getChange: route({
      method: 'GET',
      path: '/changes/{id}',
      summary: 'Read an RFC, with its votes, linked releases and the moves the caller may make now',
      description: readDescription,
      readAhead: 'change',
      access: changeAccess.read,
      params: ChangeParams,
      responses: { 200: { description: 'The RFC', schema: ChangeView } },
    }),
    editChange: route({
      method: 'PATCH',
      path: '/changes/{id}',
      summary: 'Edit an RFC until it is approved',
      description:
        'Change managers. Needs `expectedVersion` in the body or `If-Match` with the ETag read; a stale version gets 409. Once the RFC is approved (or over) it cannot be edited (422 `change-not-editable`).',
      readAhead: 'change',
      access: changeAccess.edit,
      params: ChangeParams,
      body: UpdateChangeBody,
      version: 'required',
      mergePatch: true,
      problems: [422],
      responses: { 200: { description: 'The edited RFC', schema: ChangeView } },
    }),
    moveChange: route({
      method: 'POST',
      path: '/changes/{id}/transitions',
      summary: 'Move an RFC to another state of its change workflow',
      description:
        "Holders of a process the transition allows (`change` by default). Checks the workflow (allowed moves, processes, gates, reasons): entering `Approved` needs the CAB's approvals for the RFC's risk and no rejection (409 `transition-gate-failed` saying how many are missing or who rejected). Commits the move with its `Change State Changed` event and answers; the execution waiting in the state left is signalled just after (with `Prefer: wait=N`, before the answer, which then waits up to N seconds for it: `execution.inStep`).",
      readAhead: 'change',
      waitable: true,
      access: changeAccess.read,
      params: ChangeParams,
      body: ChangeTransitionBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The RFC in its new state', schema: ChangeTransitionResult } },
    }),
    voteOnChange: route({
      method: 'POST',
      path: '/changes/{id}/approvals',
      summary: 'Vote on an RFC as a member of its change advisory board',
      description:
        "Members of the RFC's board, while it waits for approval: one vote per member (a second is 409 `already-voted`), immutable and audited (`Change Approval Recorded`). The requester may not approve their own RFC (403). An RFC not waiting for votes (a standard change, or past approval) is 422.",
      readAhead: 'change',
      access: changeAccess.vote,
      params: ChangeParams,
      body: VoteBody,
      problems: [422],
      responses: { 201: { description: 'The RFC with the vote recorded', schema: ChangeView } },
    }),
    changeHistory: route({
      method: 'GET',
      path: '/changes/{id}/history',
      summary: "An RFC's audit trail: who, when, from → to, votes, why (oldest first)",
      readAhead: 'change',
      access: changeAccess.read,
      params: ChangeParams,
      query: PageQuery,
      responses: { 200: { description: 'A page of history entries', schema: HistoryPage } },
    }),
    changeExecution: route({
      method: 'GET',
      path: '/changes/{id}/execution',
      summary: "The RFC's Step Functions execution: status, current state, event history",
      readAhead: 'change',
      access: changeAccess.read,
      params: ChangeParams,
      responses: { 200: { description: 'The execution', schema: ExecutionViewSchema } },
    }),
    changeNextWindows: route({
      method: 'GET',
      path: '/changes/{id}/next-windows',
      summary: 'The earliest windows free of every blackout on every CI the RFC names or impacts',
      description:
        'Stretches of free time of at least `duration` in `[after, after + horizon)`, earliest first, one proposal per stretch (its earliest start on a whole minute, its latest start, and until when it stays free). The blackouts counted are those of every SLA covering a CI the RFC names or one that depends on it. Fewer than `count` found: `detail` says so.',
      readAhead: 'change',
      access: changeAccess.read,
      params: ChangeParams,
      query: NextWindowsQuery,
      responses: { 200: { description: 'The free windows', schema: NextWindowsView } },
    }),
  },
);
