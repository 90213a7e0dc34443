/**
 * The back-out plan of a release: from the CI versions the release wrote and each CI as it is now,
 * which values to restore and where something else changed the CI since (a conflict). Pure: the
 * back-out use case reads the versions and the CIs, and writes what this decides as new versions
 * (history is never rewritten, DESIGN §4).
 */
import { canonical } from '../ci/ci.ts';

/** One value of an attribute as a version records it; `null`: the attribute was absent. */
export type AttributeValue = unknown;

/** A version of a CI as the back-out reads it: who wrote it and what it changed. */
export interface CiVersionChange {
  readonly ciId: string;
  readonly number: number;
  /** The release that wrote it, if a release did. */
  readonly releaseId?: string | undefined;
  /** The release whose back-out wrote it (a restore), if one did. */
  readonly backoutOf?: string | undefined;
  /** The attributes it changed, each with its value before and after (`null`: absent). */
  readonly changes: Readonly<Record<string, { readonly from: AttributeValue; readonly to: AttributeValue }>>;
}

/** A CI as it is now. */
export interface CurrentCi {
  readonly id: string;
  readonly version: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** An attribute something else changed after the release set it. */
export interface BackoutConflict {
  readonly ciId: string;
  readonly attribute: string;
  /** What the release set it to. */
  readonly releaseValue: AttributeValue;
  /** What it is now. */
  readonly found: AttributeValue;
}

/** The new version restoring one CI: the values to set (`null` removes the attribute). */
export interface CiRestore {
  readonly ciId: string;
  /** The CI's version the restore is based on (written only if it is still the current one). */
  readonly expectedVersion: number;
  readonly set: Readonly<Record<string, AttributeValue>>;
}

export interface BackoutPlan {
  readonly restores: readonly CiRestore[];
  readonly conflicts: readonly BackoutConflict[];
}

// Key order does not make values differ (DynamoDB gives a map's keys back in any order).
const same = (a: AttributeValue, b: AttributeValue) => canonical(a ?? null) === canonical(b ?? null);

/**
 * What backing out `releaseId` restores. For each attribute the release changed on a CI: the value
 * before its first change (the prior value) and the value after its last (what it set). A CI that
 * anything else has changed since the release's first change to it is a conflict, listed by each
 * attribute the release set with the value found now; without `force` nothing is restored. With
 * `force` (audited by the caller) the release's own attributes are restored everywhere, and what
 * others changed in other attributes stays. `versions` are the versions of the CIs since the
 * release's first change to each (any writer), in any order.
 */
export function planBackout(
  releaseId: string,
  versions: readonly CiVersionChange[],
  current: readonly CurrentCi[],
  options: { force: boolean },
): BackoutPlan {
  const byCi = new Map<string, CiVersionChange[]>();
  for (const v of versions) byCi.set(v.ciId, [...(byCi.get(v.ciId) ?? []), v]);
  const restores: CiRestore[] = [];
  const conflicts: BackoutConflict[] = [];
  for (const [ciId, all] of [...byCi.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const ordered = [...all].sort((a, b) => a.number - b.number);
    const first = ordered.findIndex((v) => v.releaseId === releaseId);
    const ci = current.find((c) => c.id === ciId);
    if (first < 0 || !ci) continue;
    const prior = new Map<string, AttributeValue>();
    const set = new Map<string, AttributeValue>();
    let touchedByOthers = false;
    for (const version of ordered.slice(first)) {
      // A restore an interrupted back-out of this release already wrote is its own, not a change
      // by something else: the retry finds those values restored and goes on with the rest.
      if (version.backoutOf === releaseId) continue;
      if (version.releaseId !== releaseId) {
        touchedByOthers = true;
        continue;
      }
      for (const [attribute, change] of Object.entries(version.changes)) {
        if (!prior.has(attribute)) prior.set(attribute, change.from ?? null);
        set.set(attribute, change.to ?? null);
      }
    }
    // A version of the CI newer than those read is a change by something else too.
    if (ci.version > (ordered.at(-1)?.number ?? 0)) touchedByOthers = true;
    if (touchedByOthers) {
      for (const [attribute, releaseValue] of set) {
        conflicts.push({ ciId, attribute, releaseValue, found: ci.attributes[attribute] ?? null });
      }
    }
    const restore: Record<string, AttributeValue> = {};
    for (const [attribute, before] of prior) {
      if (!same(ci.attributes[attribute] ?? null, before)) restore[attribute] = before;
    }
    if (Object.keys(restore).length > 0) restores.push({ ciId, expectedVersion: ci.version, set: restore });
  }
  return { restores: conflicts.length > 0 && !options.force ? [] : restores, conflicts };
}
