/**
 * The planning view of a release (`GET /releases/{id}/cis`): every CI its tasks touch, as it is
 * now, with its last changes (who, when, which release) and the other open releases that plan
 * changes to it — a collision the release manager sees while planning.
 */
import type { Actor } from '../actor.ts';
import type { CiVersion } from '../ci/ci.ts';
import type { CiStore } from '../ci/ports.ts';
import type { Page } from '../ports.ts';
import type { ReleaseStore } from './ports.ts';
import { plannedCis, type Release } from './release.ts';
import { getRelease } from './service.ts';

/** How many of a CI's latest versions the view shows. */
export const RECENT_CHANGES = 3;

export interface PlannedCi {
  readonly ciId: string;
  /** Undefined when the CI no longer exists. */
  readonly ci?: {
    readonly name: string;
    readonly type: string;
    readonly version: number;
    readonly status: string;
  };
  /** Its latest versions, newest first. */
  readonly recentChanges: readonly Pick<
    CiVersion,
    'version' | 'at' | 'actor' | 'releaseId' | 'taskId' | 'reason'
  >[];
  /** What this release plans for it: the tasks that name it and the attributes they set. */
  readonly plannedBy: readonly { readonly taskId: string; readonly sets: readonly string[] }[];
  /** Other open (active) releases whose tasks name it. */
  readonly collisions: readonly {
    readonly releaseId: string;
    readonly title: string;
    readonly stage: string;
  }[];
}

const ACTIVE_PAGE = 100;

export async function releaseCis(
  id: string,
  actor: Actor,
  ports: { releases: ReleaseStore; cis: Pick<CiStore, 'getMany' | 'history'> },
): Promise<PlannedCi[]> {
  const release = await getRelease(id, actor, ports);
  const ciIds = plannedCis(release);
  if (ciIds.length === 0) return [];
  const [found, others] = await Promise.all([ports.cis.getMany(ciIds), openReleases(ports)]);
  return Promise.all(
    ciIds.map(async (ciId): Promise<PlannedCi> => {
      const ci = found.get(ciId);
      const history = ci ? await ports.cis.history(ciId, { limit: RECENT_CHANGES }) : { items: [] };
      return {
        ciId,
        ...(ci ? { ci: { name: ci.name, type: ci.type, version: ci.version, status: ci.status } } : {}),
        recentChanges: history.items.map((v) => ({
          version: v.version,
          at: v.at,
          actor: v.actor,
          ...(v.releaseId !== undefined ? { releaseId: v.releaseId } : {}),
          ...(v.taskId !== undefined ? { taskId: v.taskId } : {}),
          ...(v.reason !== undefined ? { reason: v.reason } : {}),
        })),
        plannedBy: release.tasks
          .filter((t) => t.ciIds.includes(ciId) || t.ciUpdates.some((u) => u.ciId === ciId))
          .map((t) => ({
            taskId: t.id,
            sets: [
              ...new Set(t.ciUpdates.filter((u) => u.ciId === ciId).flatMap((u) => Object.keys(u.set))),
            ].sort(),
          })),
        collisions: others
          .filter((r) => r.id !== release.id && plannedCis(r).includes(ciId))
          .map((r) => ({ releaseId: r.id, title: r.title, stage: r.stage })),
      };
    }),
  );
}

/**
 * Every active release, from the index of releases by status (a Query, no Scan). Its cost grows
 * with the number of open releases, which stays small (docs/decisions.md, "CMDB").
 */
async function openReleases(ports: { releases: Pick<ReleaseStore, 'list'> }): Promise<Release[]> {
  const all: Release[] = [];
  let cursor: string | undefined;
  do {
    const page: Page<Release> = await ports.releases.list(
      { status: 'active' },
      { limit: ACTIVE_PAGE, cursor },
    );
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
