/**
 * The back-out's view of the CMDB and the knowledge base, built on their stores' ports: what a
 * release changed and what changed since (read from the versions the release wrote and each CI's
 * history), the restores written as CI versions, and the back-out procedures to acknowledge.
 */
import { type CiVersion, updateCi } from '../ci/ci.ts';
import type { CiStore } from '../ci/ports.ts';
import { NotFoundError, VersionConflictError } from '../errors.ts';
import type { KbPorts } from '../kb/ports.ts';
import { articlesFor } from '../kb/service.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import type { CiVersionChange, CurrentCi } from './plan.ts';
import type { BackoutCmdb, BackoutProcedures } from './ports.ts';

const PAGE = 100;

function changeOf(version: CiVersion): CiVersionChange {
  return {
    ciId: version.ciId,
    number: version.version,
    ...(version.releaseId !== undefined ? { releaseId: version.releaseId } : {}),
    ...(version.backoutOf !== undefined ? { backoutOf: version.backoutOf } : {}),
    changes: { ...(version.changes.attributes ?? {}) },
  };
}

export function cmdbForBackout(ports: { cis: CiStore; clock: Clock; ids: IdGenerator }): BackoutCmdb {
  const { cis } = ports;
  return {
    async changesOf(releaseId) {
      // The first version the release wrote on each CI, from the marks of its applied updates
      // (read consistently: an index could still miss the last ones).
      const first = new Map<string, number>();
      for (const mark of await cis.applied(releaseId)) {
        const known = first.get(mark.ciId);
        if (known === undefined || mark.version < known) first.set(mark.ciId, mark.version);
      }
      // Newest first, down to the release's first version: what happened to each CI since. The
      // CIs are independent: their histories are read side by side.
      const perCi = await Promise.all(
        [...first].map(async ([ciId, from]) => {
          const since: CiVersionChange[] = [];
          let next: string | undefined;
          let reached = false;
          do {
            const page = await cis.history(ciId, { limit: PAGE, cursor: next });
            for (const v of page.items) {
              if (v.version < from) {
                reached = true;
                break;
              }
              since.push(changeOf(v));
            }
            next = page.nextCursor;
          } while (next && !reached);
          return since;
        }),
      );
      const versions = perCi.flat();
      const found = await cis.getMany([...first.keys()]);
      const current: CurrentCi[] = [...found.values()].map((ci) => ({
        id: ci.id,
        version: ci.version,
        attributes: ci.attributes,
      }));
      return { versions, current };
    },

    async restore(restores, meta) {
      const written: { ciId: string; version: number }[] = [];
      for (const restore of restores) {
        const ci = await cis.get(restore.ciId);
        if (!ci) throw new NotFoundError('Configuration item', restore.ciId);
        if (ci.version !== restore.expectedVersion) {
          throw new VersionConflictError(
            `Configuration item ${ci.id} changed during the back-out (version ${ci.version}, not ${restore.expectedVersion}); retry the back-out.`,
            ci.version,
          );
        }
        const write = updateCi(
          ci,
          { set: { ...restore.set }, reason: `Back-out of ${meta.releaseId}: ${meta.reason}` },
          meta.actor,
          ports,
          { backoutOf: meta.releaseId, always: true },
        );
        if (!write) continue;
        // One CI per transaction: a retried back-out finds these restores and writes only the rest.
        await cis.save(write, ci.version, ci);
        written.push({ ciId: ci.id, version: write.ci.version });
      }
      return written;
    },
  };
}

export function proceduresForBackout(ports: Pick<KbPorts, 'kb'>): BackoutProcedures {
  return {
    async backoutProcedures(query) {
      const articles = await articlesFor({ releaseId: query.releaseId, ciIds: query.ciIds }, ports);
      return articles.map((a) => ({ id: a.id, version: a.version, title: a.title }));
    },
  };
}
