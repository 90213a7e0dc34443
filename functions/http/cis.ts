import { type AppPorts, environmentPorts } from '#app/ports';
import type { Ci, CiVersion } from '#domain/ci/ci';
import { ciHistory, ciImpact, createCi, editCi, getCi, getCiVersion, listCis } from '#domain/ci/service';
import { httpHandler, pageView, written } from '#edge/handler';
import { ciRoutes } from './contract/cis.ts';

/** The public shape of a CI, in a stable field order. */
export function ciView(ci: Ci) {
  return {
    id: ci.id,
    type: ci.type,
    name: ci.name,
    attributes: ci.attributes,
    relations: ci.relations.map((r) => ({ type: r.type, ciId: r.ciId })),
    status: ci.status,
    version: ci.version,
    createdAt: ci.createdAt,
    createdBy: ci.createdBy,
    updatedAt: ci.updatedAt,
    updatedBy: ci.updatedBy,
  };
}

/** A version as the history lists it (the CI it left is on GET …/versions/{n}). */
export function ciHistoryEntry(v: CiVersion) {
  return {
    ciId: v.ciId,
    version: v.version,
    at: v.at,
    actor: v.actor,
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.releaseId !== undefined ? { releaseId: v.releaseId } : {}),
    ...(v.taskId !== undefined ? { taskId: v.taskId } : {}),
    ...(v.backoutOf !== undefined ? { backoutOf: v.backoutOf } : {}),
    changes: v.changes,
  };
}

export const createHandler = (ports: () => AppPorts) =>
  httpHandler(
    ciRoutes,
    {
      createCi: async ({ body, actor, idempotency }, p: AppPorts) => {
        const { ci, replayed } = await createCi(body, actor, p, idempotency);
        return written(ciView(ci), { location: `/cis/${ci.id}`, created: true, replayed });
      },
      listCis: async ({ query, actor }, p: AppPorts) => {
        const { limit, cursor, type, name } = query;
        return pageView(await listCis({ type, name }, { limit, cursor }, actor, p), ciView);
      },
      getCi: async ({ params, query, actor }, p: AppPorts) =>
        ciView(await getCi(params.id as string, query.at, actor, p)),
      editCi: async ({ params, body, version, actor }, p: AppPorts) =>
        ciView(await editCi(params.id as string, body, version, actor, p)),
      ciHistory: async ({ params, query, actor }, p: AppPorts) =>
        pageView(await ciHistory(params.id as string, query, actor, p), ciHistoryEntry),
      getCiVersion: async ({ params, actor }, p: AppPorts) => {
        const v = await getCiVersion(params.id as string, Number(params.n), actor, p);
        return { ...ciHistoryEntry(v), snapshot: ciView(v.snapshot) };
      },
      ciImpact: async ({ params, query, actor }, p: AppPorts) => {
        const impact = await ciImpact(params.id as string, query.depth, actor, p);
        return {
          ciId: impact.ci.id,
          depth: impact.depth,
          items: impact.items.map((i) => ({ ci: ciView(i.ci), depth: i.depth, path: i.path })),
          truncated: impact.truncated,
        };
      },
    },
    ports,
  );

export const handler = createHandler(environmentPorts);
