import { type AppPorts, environmentPorts } from '#app/ports';
import {
  completeDeploymentTask,
  failDeploymentTask,
  getTask,
  listTasks,
  retryDeploymentTask,
  startDeploymentTask,
} from '#domain/task/service';
import type { Task } from '#domain/task/task';
import { httpHandler, pageView } from '#edge/handler';
import { taskRoutes } from './contract/tasks.ts';

/** The public shape of a task, in a stable field order (its place in the plan stays internal). */
export function taskView(task: Task) {
  return {
    id: task.id,
    releaseId: task.releaseId,
    title: task.title,
    ...(task.description !== undefined ? { description: task.description } : {}),
    workGroupId: task.workGroupId,
    ...(task.technicianId !== undefined ? { technicianId: task.technicianId } : {}),
    ...(task.assignee !== undefined ? { assignee: task.assignee } : {}),
    ciIds: task.ciIds,
    ciUpdates: task.ciUpdates,
    status: task.status,
    version: task.version,
    ...(task.notes !== undefined ? { notes: task.notes } : {}),
    ...(task.failureReason !== undefined ? { failureReason: task.failureReason } : {}),
    ...(task.ciUpdateFailures !== undefined ? { ciUpdateFailures: task.ciUpdateFailures } : {}),
    createdAt: task.createdAt,
    createdBy: task.createdBy,
    updatedAt: task.updatedAt,
    updatedBy: task.updatedBy,
  };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    taskRoutes,
    {
      listTasks: async ({ query, actor }, p: AppPorts) => {
        const { limit, cursor, group, status, assignee, release } = query;
        const page = await listTasks(
          { workGroupId: group, status, assignee, releaseId: release },
          { limit, cursor },
          actor,
          p,
        );
        return pageView(page, taskView);
      },
      getTask: async ({ params, actor }, p: AppPorts) =>
        taskView(await getTask(params.id as string, actor, p)),
      startTask: async ({ params, version, actor }, p: AppPorts) =>
        taskView(await startDeploymentTask(params.id as string, version, actor, p)),
      completeTask: async ({ params, body, version, actor }, p: AppPorts) =>
        taskView(await completeDeploymentTask(params.id as string, body.notes, version, actor, p)),
      failTask: async ({ params, body, version, actor }, p: AppPorts) =>
        taskView(await failDeploymentTask(params.id as string, body.reason, version, actor, p)),
      retryTask: async ({ params, version, actor }, p: AppPorts) =>
        taskView(await retryDeploymentTask(params.id as string, version, actor, p)),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
