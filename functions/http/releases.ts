import { type AppPorts, environmentPorts } from '#app/ports';
import { backOutRelease } from '#domain/backout/service';
import type { DomainEvent } from '#domain/events';
import { releaseCis } from '#domain/release/planning';
import { currentApprovals, type Release } from '#domain/release/release';
import {
  approveReleaseMove,
  createRelease,
  editReleaseShowingTasks,
  getReleaseExecution,
  getReleaseWithMoves,
  listReleases,
  moveRelease,
  type OfferedMove,
  type ReleaseBlackouts,
  type ReleaseTask,
  releaseHistory,
  releaseNextWindows,
  releaseTasks,
  waitingFor,
} from '#domain/release/service';
import type { BlackoutConflict } from '#domain/sla/conflicts';
import { httpHandler, moved, pageView, preferredWaitMs, written } from '#edge/handler';
import { releaseRoutes } from './contract/releases.ts';

/**
 * The public shape of a release, in a stable field order (internal bookkeeping stays out); with
 * the caller's possible moves when they are known (a single release, not a list).
 */
export function releaseView(
  release: Release,
  moves?: readonly OfferedMove[],
  live?: readonly ReleaseTask[],
  deployStage?: string,
  blackouts?: Pick<ReleaseBlackouts, 'conflicts' | 'truncated'>,
) {
  const tasks = live ?? release.tasks;
  // Only live statuses say whether the tasks still wait (a list shows tasks as planned).
  const waiting = live ? waitingFor(release, live, deployStage) : undefined;
  return {
    id: release.id,
    version: release.version,
    title: release.title,
    ...(release.description !== undefined ? { description: release.description } : {}),
    releaseType: release.releaseType,
    packageType: release.packageType,
    urgency: release.urgency,
    businessPriority: release.businessPriority,
    ...(release.teamId !== undefined ? { teamId: release.teamId } : {}),
    workflow: { id: release.workflow.id, version: release.workflow.version },
    stage: release.stage,
    status: release.status,
    plannedStart: release.plannedStart,
    plannedEnd: release.plannedEnd,
    changeIds: release.changeIds,
    kbArticleIds: release.kbArticleIds,
    deployment: { ...release.deployment, ...(waiting ? { waitingFor: waiting } : {}) },
    tasks: tasks.map(releaseTaskView),
    ...(blackouts ? { blackoutConflicts: blackouts.conflicts.map(conflictView) } : {}),
    ...(blackouts?.truncated ? { blackoutConflictsTruncated: true as const } : {}),
    ...(moves ? { allowedTransitions: moves } : {}),
    ...approvalsView(release),
    ...(release.executionEnd ? { executionEnd: release.executionEnd } : {}),
    createdAt: release.createdAt,
    createdBy: release.createdBy,
    updatedAt: release.updatedAt,
    updatedBy: release.updatedBy,
  };
}

/** The approvals that still count, in a stable field order (none: absent). */
function approvalsView(release: Release) {
  const approvals = currentApprovals(release);
  if (approvals.length === 0) return {};
  return {
    approvals: approvals.map((a) => ({
      to: a.to,
      by: a.by,
      at: a.at,
      ...(a.comment !== undefined ? { comment: a.comment } : {}),
    })),
  };
}

/** A blackout conflict in a stable field order. */
export function conflictView(c: BlackoutConflict) {
  return {
    slaId: c.slaId,
    slaName: c.slaName,
    blackoutIndex: c.blackoutIndex,
    reason: c.reason,
    start: c.start,
    end: c.end,
    tz: c.tz,
    localStart: c.localStart,
    localEnd: c.localEnd,
    ciId: c.ciId,
    touchedCiId: c.touchedCiId,
    path: c.path.map((p) => ({ ciId: p.ciId, relation: p.relation })),
  };
}

/** A release's task as it stands, in a stable field order. */
export function releaseTaskView(task: ReleaseTask) {
  return {
    id: task.id,
    title: task.title,
    ...(task.description !== undefined ? { description: task.description } : {}),
    workGroupId: task.workGroupId,
    ...(task.technicianId !== undefined ? { technicianId: task.technicianId } : {}),
    ciIds: task.ciIds,
    ciUpdates: task.ciUpdates,
    status: task.status,
    ...(task.assignee !== undefined ? { assignee: task.assignee } : {}),
    ...(task.version !== undefined ? { version: task.version } : {}),
    ...(task.notes !== undefined ? { notes: task.notes } : {}),
    ...(task.failureReason !== undefined ? { failureReason: task.failureReason } : {}),
    ...(task.ciUpdateFailures !== undefined ? { ciUpdateFailures: task.ciUpdateFailures } : {}),
    ...(task.updatedAt !== undefined ? { updatedAt: task.updatedAt } : {}),
    ...(task.updatedBy !== undefined ? { updatedBy: task.updatedBy } : {}),
  };
}

/** One audit-trail entry: who, when, what, from → to, why. */
export function historyEntry(event: DomainEvent) {
  const data = event.data as { from?: unknown; to?: unknown; reason?: unknown };
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    actor: event.actor,
    ...(typeof data.from === 'string' ? { from: data.from } : {}),
    ...(typeof data.to === 'string' ? { to: data.to } : {}),
    ...(typeof data.reason === 'string' ? { reason: data.reason } : {}),
    data: event.data,
  };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    releaseRoutes,
    {
      createRelease: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { release, replayed, blackouts } = await createRelease(body, actor, p, idempotency);
        return written(releaseView(release, undefined, release.tasks, undefined, blackouts), {
          location: `/releases/${release.id}`,
          created: true,
          replayed,
        });
      },
      listReleases: async ({ query, actor }, p: AppPorts) => {
        const { limit, cursor, ...filter } = query;
        return pageView(await listReleases(filter, { limit, cursor }, actor, p), (r) => releaseView(r));
      },
      getRelease: async ({ params, actor }, p: AppPorts) => {
        const { release, moves, tasks, deployStage, blackouts } = await getReleaseWithMoves(
          params.id as string,
          actor,
          p,
        );
        return releaseView(release, moves, tasks, deployStage, blackouts);
      },
      editRelease: async ({ params, body, version, actor }, p: AppPorts) => {
        const { release, tasks, blackouts } = await editReleaseShowingTasks(
          params.id as string,
          body,
          version,
          actor,
          p,
        );
        return releaseView(release, undefined, tasks, undefined, blackouts);
      },
      moveRelease: async (req, p: AppPorts) => {
        const waitMs = preferredWaitMs(req.headers);
        const { release, executionInStep, moves, tasks, deployStage } = await moveRelease(
          req.params.id as string,
          {
            to: req.body.to,
            expectedVersion: req.version,
            reason: req.body.reason ?? req.body.override?.reason,
            override: req.body.override,
            waitMs,
          },
          req.actor,
          p,
        );
        return moved(
          { ...releaseView(release, moves, tasks, deployStage), execution: { inStep: executionInStep } },
          waitMs,
        );
      },
      approveReleaseMove: async ({ params, body, actor }, p: AppPorts) => {
        const release = await approveReleaseMove(params.id as string, body, actor, p);
        return written(releaseView(release), { created: true });
      },
      backOutRelease: async ({ params, body, actor }, p: AppPorts) => {
        const { release, versions } = await backOutRelease(params.id as string, body, actor, p);
        return { ...releaseView(release), versions };
      },
      releaseCis: async ({ params, actor }, p: AppPorts) => ({
        items: await releaseCis(params.id as string, actor, p),
      }),
      releaseTasks: async ({ params, actor }, p: AppPorts) => ({
        items: (await releaseTasks(params.id as string, actor, p)).map(releaseTaskView),
      }),
      releaseHistory: async ({ params, query, actor }, p: AppPorts) =>
        pageView(await releaseHistory(params.id as string, query, actor, p), historyEntry),
      releaseExecution: async ({ params, actor }, p: AppPorts) =>
        getReleaseExecution(params.id as string, actor, p),
      releaseNextWindows: async ({ params, query, actor }, p: AppPorts) =>
        releaseNextWindows(params.id as string, query, actor, p),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
