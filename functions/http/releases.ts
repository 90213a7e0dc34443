import type { DomainEvent } from '#domain/events';
import type { Release } from '#domain/release';
import {
  createRelease,
  editRelease,
  getRelease,
  getReleaseExecution,
  listReleases,
  moveRelease,
  releaseHistory,
} from '#domain/release-service';
import { baseVersion, httpHandler, pageView, route, written } from '#lib/http';
import { type AppPorts, environmentPorts } from '#lib/ports';
import { PageQuery } from './contract/common.ts';
import { CreateReleaseBody, TransitionBody, UpdateReleaseBody } from './contract/releases.ts';

/** The public shape of a release, in a stable field order (internal bookkeeping stays out). */
export function releaseView(release: Release) {
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
    deployment: release.deployment,
    tasks: release.tasks,
    blackoutConflicts: [],
    createdAt: release.createdAt,
    createdBy: release.createdBy,
    updatedAt: release.updatedAt,
    updatedBy: release.updatedBy,
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
  httpHandler<AppPorts>(
    {
      'POST /releases': route({
        processes: ['release'],
        body: CreateReleaseBody,
        run: async ({ body, actor, idempotency }, p: AppPorts) => {
          const { release, replayed } = await createRelease(body, actor, p, idempotency);
          return written(releaseView(release), {
            location: `/releases/${release.id}`,
            created: true,
            replayed,
          });
        },
      }),
      'GET /releases': route({
        processes: ['change', 'release', 'deployment'],
        query: PageQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          return pageView(await listReleases(query, actor, p), releaseView);
        },
      }),
      'GET /releases/{id}': route({
        processes: ['change', 'release', 'deployment'],
        run: async ({ params, actor }, p: AppPorts) =>
          releaseView(await getRelease(params.id as string, actor, p)),
      }),
      'PATCH /releases/{id}': route({
        processes: ['release'],
        body: UpdateReleaseBody,
        run: async (req, p: AppPorts) => {
          const { expectedVersion: _v, ...changes } = req.body;
          const release = await editRelease(
            req.params.id as string,
            changes,
            baseVersion(req, { required: true }),
            req.actor,
            p,
          );
          return releaseView(release);
        },
      }),
      'POST /releases/{id}/transitions': route({
        // Which process may take which move is the workflow's call; without any, none.
        processes: ['change', 'release', 'deployment'],
        body: TransitionBody,
        run: async (req, p: AppPorts) => {
          const { release, executionInStep } = await moveRelease(
            req.params.id as string,
            {
              to: req.body.to,
              expectedVersion: baseVersion(req, { required: true }),
              reason: req.body.reason ?? req.body.override?.reason,
            },
            req.actor,
            p,
          );
          return { ...releaseView(release), execution: { inStep: executionInStep } };
        },
      }),
      'GET /releases/{id}/history': route({
        processes: ['change', 'release', 'deployment'],
        query: PageQuery,
        run: async ({ params, query, actor }, p: AppPorts) => {
          return pageView(await releaseHistory(params.id as string, query, actor, p), historyEntry);
        },
      }),
      'GET /releases/{id}/execution': route({
        processes: ['change', 'release', 'deployment'],
        run: async ({ params, actor }, p: AppPorts) => getReleaseExecution(params.id as string, actor, p),
      }),
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
