import { type AppPorts, environmentPorts } from '#app/ports';
import { blackoutsIn, createSla, editSla, getSla, listSlas, type SlaPorts } from '#domain/sla/service';
import type { Blackout, Sla } from '#domain/sla/sla';
import { type EdgePorts, httpHandler, pageView, written } from '#edge/handler';
import { slaRoutes } from './contract/slas.ts';

/** One blackout as written, in a stable field order. */
function blackoutView(b: Blackout) {
  return 'rrule' in b
    ? { rrule: b.rrule, start: b.start, duration: b.duration, tz: b.tz, reason: b.reason }
    : { start: b.start, end: b.end, ...(b.tz !== undefined ? { tz: b.tz } : {}), reason: b.reason };
}

/** The public shape of an SLA, in a stable field order. */
export function slaView(sla: Sla) {
  return {
    id: sla.id,
    version: sla.version,
    name: sla.name,
    ciIds: sla.ciIds,
    blackouts: sla.blackouts.map(blackoutView),
    createdAt: sla.createdAt,
    createdBy: sla.createdBy,
    updatedAt: sla.updatedAt,
    updatedBy: sla.updatedBy,
  };
}

/** A blackout body as the domain takes it: one-off or recurring by the presence of `rrule`. */
function blackoutsOf<B extends { rrule?: string | undefined }>(blackouts: readonly B[]): Blackout[] {
  return blackouts as unknown as Blackout[];
}

// Only the SLAs' ports (and the caller's): its unit tests run it on the in-memory fakes.
export const createHandler = <P extends SlaPorts & EdgePorts>(ports: () => P) =>
  httpHandler(
    slaRoutes,
    {
      createSla: async ({ body, actor, idempotency }, p: P) => {
        const input = { name: body.name, ciIds: body.ciIds, blackouts: blackoutsOf(body.blackouts) };
        const { sla, replayed } = await createSla(input, actor, p, idempotency);
        return written(slaView(sla), { location: `/slas/${sla.id}`, created: true, replayed });
      },
      listSlas: async ({ query, actor }, p: P) => pageView(await listSlas(query, actor, p), slaView),
      getSla: async ({ params, actor }, p: P) => slaView(await getSla(params.id as string, actor, p)),
      editSla: async ({ params, body, version, actor }, p: P) => {
        const changes = {
          name: body.name,
          ciIds: body.ciIds,
          blackouts: body.blackouts && blackoutsOf(body.blackouts),
        };
        return slaView(await editSla(params.id as string, changes, version, actor, p));
      },
      listBlackouts: async ({ query, actor }, p: P) => {
        const found = await blackoutsIn({ from: query.from, to: query.to, ciId: query.ci }, actor, p);
        return {
          from: found.from,
          to: found.to,
          ...(found.ciId !== undefined ? { ciId: found.ciId } : {}),
          items: found.items.map((w) => ({
            slaId: w.slaId,
            slaName: w.slaName,
            blackoutIndex: w.blackoutIndex,
            reason: w.reason,
            start: w.start,
            end: w.end,
            tz: w.tz,
            localStart: w.localStart,
            localEnd: w.localEnd,
            ...(w.ciId !== undefined ? { ciId: w.ciId, path: w.path ?? [] } : {}),
          })),
          truncated: found.truncated,
        };
      },
    },
    ports,
  );

export const handler = createHandler<AppPorts>(environmentPorts);
