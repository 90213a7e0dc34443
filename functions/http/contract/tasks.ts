/**
 * The tasks resource (the technicians' part of DESIGN §5): deployment tasks once their release
 * made them ready — a work group's queue, one's own tasks, and the moves start, complete, fail
 * and retry. The handler validates with these schemas and the OpenAPI document is generated from them.
 */

import { taskAccess } from '#domain/task/service';
import { TASK_STATUSES } from '#domain/task/task';
import { ExpectedVersion, Id, idOf, PageQuery, pageOf } from './common.ts';
import { resource, route } from './route.ts';
import * as z from './zod.ts';

export const TaskView = z
  .object({
    id: z.string().openapi({ example: 'task_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }),
    releaseId: z.string(),
    title: z.string(),
    description: z.string().optional(),
    workGroupId: z.string(),
    technicianId: z.string().optional().openapi({ description: 'The technician planned for it.' }),
    assignee: z
      .string()
      .optional()
      .openapi({ description: 'Who holds it: the planned technician, else whoever started it.' }),
    ciIds: z.array(z.string()),
    ciUpdates: z.array(z.object({ ciId: z.string(), set: z.record(z.string(), z.unknown()) })),
    status: z.enum(TASK_STATUSES),
    version: z.number().int(),
    notes: z.string().optional(),
    failureReason: z.string().optional(),
    ciUpdateFailures: z
      .array(z.object({ index: z.number().int(), ciId: z.string(), reason: z.string(), at: z.string() }))
      .optional()
      .openapi({
        description:
          'Planned CI updates of the done task that could not be applied (by `index` in `ciUpdates`), and why; absent when none.',
      }),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Task');

export const TaskPage = pageOf(TaskView).openapi('TaskPage');
export const TaskParams = z.object({ id: Id.openapi({ example: 'task_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC' }) });

export const TaskListQuery = PageQuery.extend({
  group: idOf('wg_deployment').optional().openapi({ description: "A work group's queue (yours)." }),
  status: z.enum(TASK_STATUSES).optional(),
  assignee: idOf('me').optional().openapi({ description: '`me`, or a user id: the tasks they hold.' }),
  release: idOf('rel_01JD7Q3M8Y2N5V6W7X8Y9Z0ABC').optional().openapi({ description: "A release's tasks." }),
})
  .strict()
  .superRefine((q, ctx) => {
    if (q.group === undefined && q.assignee === undefined && q.release === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['group'],
        message: 'is required unless assignee or release is given',
      });
    }
  });

/** A move's body: only the version it is based on (or send If-Match). */
const MoveBody = z
  .object({ expectedVersion: ExpectedVersion.optional() })
  .strict()
  .default({})
  .openapi('TaskMove');

export const CompleteTaskBody = z
  .object({
    notes: z.string().trim().min(1).max(10_000).optional(),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .default({})
  .openapi('CompleteTask');

export const FailTaskBody = z
  .object({
    reason: z.string().trim().min(1).max(2_000).openapi({ example: 'Node 3 did not come back after reboot' }),
    expectedVersion: ExpectedVersion.optional(),
  })
  .strict()
  .openapi('FailTask');

const who =
  "Members of the task's work group holding `deployment` (and administrators); anyone else gets 403. Needs `expectedVersion` in the body or `If-Match` with the ETag read (409 when stale). A task whose release is over (closed, cancelled, backed out) takes no more moves (422 `release-not-active`).";

/** The tasks resource's routes. */
export const taskRoutes = resource(
  { name: 'tasks', description: 'Deployment tasks: technicians’ queues and moves', table: 'write' },
  {
    listTasks: route({
      method: 'GET',
      path: '/tasks',
      summary: 'A queue of deployment tasks, oldest first',
      description:
        "Name a work group (`group`: yours, else 403; with `status` for its queue of ready tasks), an assignee (`me` for your own) or a release. Each is read from an index of its own (group and status, group, assignee, release — the first given picks it); the other filters apply within it. Outside a named group, a caller who is not an administrator sees only the tasks of their own work groups. A release's tasks come in plan order.",
      access: taskAccess.read,
      query: TaskListQuery,
      responses: { 200: { description: 'A page of tasks', schema: TaskPage } },
    }),
    getTask: route({
      method: 'GET',
      path: '/tasks/{id}',
      summary: 'Read a deployment task',
      description:
        "Members of the task's work group holding `deployment` (and administrators); anyone else gets 403.",
      readAhead: 'task',
      access: taskAccess.read,
      params: TaskParams,
      responses: { 200: { description: 'The task', schema: TaskView } },
    }),
    startTask: route({
      method: 'POST',
      path: '/tasks/{id}/start',
      summary: 'Take a ready task: it is in progress and yours',
      description: `Assigns the caller when nobody holds it; a task another technician holds is 409 \`task-held\`. Only a ready task can be started (422 \`task-transition-not-allowed\`). ${who}`,
      readAhead: 'task',
      access: taskAccess.act,
      params: TaskParams,
      body: MoveBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The task in progress', schema: TaskView } },
    }),
    completeTask: route({
      method: 'POST',
      path: '/tasks/{id}/complete',
      summary: 'Complete the task in progress you hold',
      description: `Emits \`Deployment Task Completed\` with the task's CI updates. Only the holder (or an administrator) completes it (409 \`task-held\` otherwise); only a task in progress can be completed (422). ${who}`,
      readAhead: 'task',
      access: taskAccess.act,
      params: TaskParams,
      body: CompleteTaskBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The task, done', schema: TaskView } },
    }),
    failTask: route({
      method: 'POST',
      path: '/tasks/{id}/fail',
      summary: 'Report the task in progress you hold as failed, with why',
      description: `The release stays in its deploy stage until the task is retried and done (or the release is backed out). Only the holder (or an administrator) reports it (409 \`task-held\` otherwise); only a task in progress can fail (422). ${who}`,
      readAhead: 'task',
      access: taskAccess.act,
      params: TaskParams,
      body: FailTaskBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The task, failed', schema: TaskView } },
    }),
    retryTask: route({
      method: 'POST',
      path: '/tasks/{id}/retry',
      summary: 'Put a failed task back in its queue, ready again',
      description: `It keeps who holds it. Only a failed task can be retried (422). ${who}`,
      readAhead: 'task',
      access: taskAccess.act,
      params: TaskParams,
      body: MoveBody,
      version: 'required',
      problems: [422],
      responses: { 200: { description: 'The task, ready again', schema: TaskView } },
    }),
  },
);
