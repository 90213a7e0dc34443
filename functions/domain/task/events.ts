/**
 * The events of the deployment Task aggregate: a release's tasks made ready (about the release,
 * so it is in the release's audit trail), then each task's own moves (about the task).
 */
import * as z from 'zod';
import { countField, defineEvent, idField, nullableField, textField } from '../events.ts';

/** A task's statuses once it is ready (`planned` is the release's, before). */
export const TASK_STATUSES = ['ready', 'in_progress', 'done', 'failed'] as const;

const taskId = idField('The task id (also `detail.subject.id`)');
const releaseId = idField('The release the task belongs to');
const workGroupId = idField('The work group whose technicians action it');
const version = countField('The task version after the change', 2);

const ciUpdate = z
  .looseObject({
    ciId: idField('The configuration item'),
    set: z.looseObject({}).describe('The attributes it sets on the CI, by name'),
  })
  .describe('A CI update the task applies');

export const DeploymentTasksReady = defineEvent({
  type: 'Deployment Tasks Ready',
  description:
    "A release's deployment tasks became ready, once per release: it entered its deploy stage (`trigger.kind` `stage`) or its managing RFC reached the trigger state (`change`). Committed with the task items.",
  emittedBy: 'readyDeploymentTasks (functions/domain/task/service.ts)',
  subjectKinds: ['release'],
  data: z
    .looseObject({
      releaseId: idField('The release id (also `detail.subject.id`)'),
      trigger: z
        .looseObject({
          kind: z.enum(['stage', 'change']).describe('What made them ready'),
          entry: countField('`stage`: the stage entry of the deploy stage; else null').nullable(),
          changeId: nullableField('`change`: the RFC that reached its trigger state; else null'),
          state: nullableField('`change`: the RFC state that triggered it; else null'),
        })
        .describe('What made them ready'),
      tasks: z
        .array(
          z
            .looseObject({
              id: idField('The task id (as planned on the release)'),
              title: textField('Its title'),
              workGroupId,
              technicianId: nullableField('The technician it is assigned to, or null'),
              ciIds: z.array(idField('CI id')).describe('The CIs it targets'),
            })
            .describe('A task now ready'),
        )
        .describe('Every task of the release, in plan order (empty when none was planned)'),
    })
    .describe('The tasks made ready'),
  subscription: {
    caption: 'tasks made ready when a release entered its deploy stage',
    detail: { data: { trigger: { kind: ['stage'] } } },
  },
});

export const DeploymentTaskStarted = defineEvent({
  type: 'Deployment Task Started',
  description:
    'A technician of its work group took a ready deployment task (POST /tasks/{id}/start); it is now in progress and assigned to them.',
  emittedBy: 'startTask (functions/domain/task/task.ts)',
  subjectKinds: ['task'],
  data: z
    .looseObject({
      taskId,
      releaseId,
      workGroupId,
      assignee: idField('Who holds it now'),
      version,
    })
    .describe('The task started'),
  subscription: {
    caption: 'tasks one technician took',
    detail: { data: { assignee: ['tess'] } },
  },
});

export const DeploymentTaskCompleted = defineEvent({
  type: 'Deployment Task Completed',
  description:
    'A technician completed a deployment task (POST /tasks/{id}/complete). `ciUpdates` are the CI updates it applies, as planned on the release: the CMDB applies them (exactly once, keyed on the task).',
  emittedBy: 'completeTask (functions/domain/task/task.ts)',
  subjectKinds: ['task'],
  data: z
    .looseObject({
      taskId,
      releaseId,
      workGroupId,
      assignee: idField('Who completed it'),
      version,
      notes: nullableField("The technician's notes, or null"),
      ciIds: z.array(idField('CI id')).describe('The CIs it targets'),
      ciUpdates: z.array(ciUpdate).describe('The CI updates to apply, in order'),
    })
    .describe('The completed task'),
  subscription: {
    caption: 'completed tasks of one work group',
    detail: { data: { workGroupId: ['wg_deployment'] } },
  },
});

export const DeploymentTaskFailed = defineEvent({
  type: 'Deployment Task Failed',
  description:
    'A technician reported a deployment task as failed, with the reason (POST /tasks/{id}/fail). The release stays in its deploy stage until the task is retried and done, or the release is backed out.',
  emittedBy: 'failTask (functions/domain/task/task.ts)',
  subjectKinds: ['task'],
  data: z
    .looseObject({
      taskId,
      releaseId,
      workGroupId,
      assignee: idField('Who reported it'),
      version,
      reason: textField('Why it failed'),
    })
    .describe('The failed task'),
  subscription: { caption: 'every failed task' },
});

export const DeploymentTaskRetried = defineEvent({
  type: 'Deployment Task Retried',
  description:
    'A failed deployment task was put back in its queue (POST /tasks/{id}/retry): it is ready again, still assigned to whoever held it.',
  emittedBy: 'retryTask (functions/domain/task/task.ts)',
  subjectKinds: ['task'],
  data: z
    .looseObject({
      taskId,
      releaseId,
      workGroupId,
      assignee: nullableField('Who holds it, or null'),
      version,
    })
    .describe('The task ready again'),
  subscription: { caption: 'every retried task' },
});
