/**
 * Releases resource: a thin edge over the release use cases.
 */
import { ValidationError } from '#domain/errors';
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
import { type HttpRequest, httpHandler, reply, route } from '#lib/http';
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

/** The version a write is based on: `expectedVersion` in the body or `If-Match`; one is required. */
function expectedVersion(req: HttpRequest<{ expectedVersion?: number | undefined }, unknown>): number {
  const fromBody = req.body.expectedVersion;
  const fromHeader = req.ifMatchVersion;
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new ValidationError('expectedVersion and If-Match disagree.', [
      { path: 'expectedVersion', message: `is ${fromBody} but If-Match says ${fromHeader}` },
    ]);
  }
  const version = fromBody ?? fromHeader;
  if (version === undefined) {
    throw new ValidationError('Say which version the change is based on.', [
      { path: 'expectedVersion', message: 'is required (or send If-Match with the ETag you read)' },
    ]);
  }
  return version;
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler<AppPorts>(
    {
      'POST /releases': route({
        processes: ['release'],
        body: CreateReleaseBody,
        run: async ({ body, actor, idempotency }, p: AppPorts) => {
          const { release, replayed } = await createRelease(body, actor, p, idempotency);
          return reply(201, releaseView(release), {
            location: `/releases/${release.id}`,
            etag: `"${release.version}"`,
            ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
          });
        },
      }),
      'GET /releases': route({
        processes: ['change', 'release', 'deployment'],
        query: PageQuery,
        run: async ({ query, actor }, p: AppPorts) => {
          const page = await listReleases(query, actor, p);
          return {
            items: page.items.map(releaseView),
            ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          };
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
            expectedVersion(req),
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
              expectedVersion: expectedVersion(req),
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
          const page = await releaseHistory(params.id as string, query, actor, p);
          return {
            items: page.items.map(historyEntry),
            ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          };
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
