/**
 * A release meets the SLAs' blackouts: the CIs it touches (its tasks' targets and updates, and the
 * CIs of the RFCs it implements), the blackout windows its planned window shares time with on
 * every one of them and on what depends on them, each with its path.
 */

import type { CiStore } from '../ci/ports.ts';
import { type BlackoutConflict, blackoutConflicts, type ExposureOf, exposureOf } from '../sla/conflicts.ts';
import type { SlaStore } from '../sla/ports.ts';
import type { ReleaseChangeDirectory } from './ports.ts';
import { plannedCis, type Release } from './release.ts';

/** What reading a release's blackouts needs. */
export interface ReleaseBlackoutPorts {
  readonly slas: Pick<SlaStore, 'covering' | 'getMany'>;
  readonly cis: Pick<CiStore, 'dependents'>;
  readonly changes: ReleaseChangeDirectory;
}

/**
 * Every CI the release touches, each once, sorted: those its tasks name (targets and updates) and
 * those of the RFCs it implements (an RFC names the CIs its change affects). One read per RFC.
 */
export async function touchedCis(
  release: Pick<Release, 'tasks' | 'changeIds'>,
  ports: Pick<ReleaseBlackoutPorts, 'changes'>,
): Promise<string[]> {
  const changes = await Promise.all(release.changeIds.map((id) => ports.changes.get(id)));
  return [...new Set([...plannedCis(release), ...changes.flatMap((c) => c?.ciIds ?? [])])].sort();
}

/** The release's exposure to SLAs: which apply to the CIs it touches, and through which path. */
export async function releaseExposure(
  release: Pick<Release, 'tasks' | 'changeIds'>,
  ports: ReleaseBlackoutPorts,
): Promise<ExposureOf> {
  return exposureOf(await touchedCis(release, ports), ports);
}

/** The blackout windows the release's planned window shares time with, on every CI. */
export async function releaseConflicts(
  release: Pick<Release, 'tasks' | 'changeIds' | 'plannedStart' | 'plannedEnd'>,
  ports: ReleaseBlackoutPorts,
): Promise<{ items: BlackoutConflict[]; truncated: boolean }> {
  return blackoutConflicts(
    await touchedCis(release, ports),
    { start: release.plannedStart, end: release.plannedEnd },
    ports,
  );
}
