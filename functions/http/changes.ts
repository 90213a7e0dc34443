import { type AppPorts, environmentPorts } from '#app/ports';
import type { Change } from '#domain/change/change';
import {
  type ChangeDetail,
  changeHistory,
  changeNextWindows,
  editChange,
  getChangeDetail,
  getChangeExecution,
  listChanges,
  moveChange,
  recordChange,
  voteOnChange,
} from '#domain/change/service';
import { httpHandler, moved, pageView, preferredWaitMs, written } from '#edge/handler';
import { changeRoutes } from './contract/changes.ts';
import { conflictView, historyEntry } from './releases.ts';

/**
 * The public shape of an RFC, in a stable field order (internal bookkeeping stays out); a single
 * RFC also shows its linked releases, where its votes stand and the caller's moves.
 */
export function changeView(change: Change, detail?: Omit<ChangeDetail, 'change'>) {
  return {
    id: change.id,
    version: change.version,
    title: change.title,
    ...(change.description !== undefined ? { description: change.description } : {}),
    type: change.type,
    risk: change.risk,
    impact: change.impact,
    urgency: change.urgency,
    priority: change.priority,
    ciIds: change.ciIds,
    ...(change.plannedStart !== undefined ? { plannedStart: change.plannedStart } : {}),
    ...(change.plannedEnd !== undefined ? { plannedEnd: change.plannedEnd } : {}),
    workflow: { id: change.workflow.id, version: change.workflow.version },
    state: change.stage,
    status: change.status,
    cabTeamId: change.cabTeamId,
    approvals: change.approvals,
    ...(detail?.approval ? { approval: detail.approval } : {}),
    ...(detail ? { releaseIds: detail.releaseIds } : {}),
    ...(detail?.moves ? { allowedTransitions: detail.moves } : {}),
    ...(detail?.blackouts ? { blackoutConflicts: detail.blackouts.items.map(conflictView) } : {}),
    ...(detail?.blackouts?.truncated ? { blackoutConflictsTruncated: true as const } : {}),
    ...(change.executionEnd ? { executionEnd: change.executionEnd } : {}),
    requester: change.createdBy,
    createdAt: change.createdAt,
    createdBy: change.createdBy,
    updatedAt: change.updatedAt,
    updatedBy: change.updatedBy,
  };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    changeRoutes,
    {
      recordChange: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { detail, replayed } = await recordChange(body, actor, p, idempotency);
        return written(changeView(detail.change, detail), {
          location: `/changes/${detail.change.id}`,
          created: true,
          replayed,
        });
      },
      listChanges: async ({ query, actor }, p: AppPorts) => {
        const { limit, cursor, ...filter } = query;
        return pageView(await listChanges(filter, { limit, cursor }, actor, p), (c) => changeView(c));
      },
      getChange: async ({ params, actor }, p: AppPorts) => {
        const detail = await getChangeDetail(params.id as string, actor, p);
        return changeView(detail.change, detail);
      },
      editChange: async ({ params, body, version, actor }, p: AppPorts) => {
        const detail = await editChange(params.id as string, body, version, actor, p);
        return changeView(detail.change, detail);
      },
      moveChange: async (req, p: AppPorts) => {
        const waitMs = preferredWaitMs(req.headers);
        const { detail, executionInStep } = await moveChange(
          req.params.id as string,
          { to: req.body.to, expectedVersion: req.version, reason: req.body.reason, waitMs },
          req.actor,
          p,
        );
        return moved(
          { ...changeView(detail.change, detail), execution: { inStep: executionInStep } },
          waitMs,
        );
      },
      voteOnChange: async ({ params, body, actor }, p: AppPorts) => {
        const detail = await voteOnChange(params.id as string, body, actor, p);
        return written(changeView(detail.change, detail), { created: true });
      },
      changeHistory: async ({ params, query, actor }, p: AppPorts) =>
        pageView(await changeHistory(params.id as string, query, actor, p), historyEntry),
      changeExecution: async ({ params, actor }, p: AppPorts) =>
        getChangeExecution(params.id as string, actor, p),
      changeNextWindows: async ({ params, query, actor }, p: AppPorts) =>
        changeNextWindows(params.id as string, query, actor, p),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
