/**
 * Blackout conflicts in words, shared by the release and RFC pages: which SLA forbids changes when
 * and why, and how the blackout reaches the subject (the CI it touches, or the dependency path from
 * it), each CI by name where the page could read one.
 */
import { api, type BlackoutConflict } from './api.ts';
import { formatTime } from './ui.tsx';

/** Most CIs a conflict names beyond those touched whose names are read (one GET each). */
const MAX_NAMES_READ = 20;

/**
 * The names of the CIs the page mentions, by id: those the page knows already (a release's CI list);
 * a CI a conflict reaches through dependencies is read on its own (capped; an id stays an id when
 * it cannot be read), so that the path reads as names, not as ULIDs only.
 */
export async function ciNames(
  conflicts: readonly BlackoutConflict[],
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, string>> {
  const names = new Map(known);
  const others = [...new Set(conflicts.flatMap((c) => [c.ciId, c.touchedCiId, ...c.path.map((p) => p.ciId)]))]
    .filter((ciId) => !names.has(ciId))
    .slice(0, MAX_NAMES_READ);
  const read = await Promise.all(
    others.map((ciId) =>
      api<{ name: string }>('GET', `/cis/${encodeURIComponent(ciId)}`).then(
        (ci) => [ciId, ci.name] as const,
        () => undefined,
      ),
    ),
  );
  for (const entry of read) if (entry) names.set(entry[0], entry[1]);
  return names;
}

/** A relation as a sentence reads it: `depends-on` → "depends on". */
const relationWords = (relation: string) => relation.replace(/-/g, ' ');

/**
 * How a conflict reaches the release, in words: the covered CI is one it touches, or depends on
 * one through the path's relations (each step a CI holding that relation to the one before).
 */
function reachInWords(c: BlackoutConflict, subject: string, ciLabel: (id: string) => string): string {
  if (c.path.length === 0) return `It covers ${ciLabel(c.ciId)}, a CI the ${subject} touches.`;
  let before = c.touchedCiId;
  const steps = c.path.map((step) => {
    const words = `${ciLabel(step.ciId)} ${relationWords(step.relation)} ${ciLabel(before)}`;
    before = step.ciId;
    return words;
  });
  return `It covers ${ciLabel(c.ciId)}, reached from ${ciLabel(c.touchedCiId)} that the ${subject} touches: ${steps.join(', and ')}.`;
}

/** Which SLA forbids changes when, and why: times in UTC, and in the SLA's own zone when it has another. */
function conflictInWords(c: BlackoutConflict): string {
  const local = c.tz === 'UTC' ? '' : ` (${c.localStart} to ${c.localEnd} in ${c.tz})`;
  return `SLA ${c.slaName} (${c.slaId}) forbids changes from ${formatTime(c.start)} to ${formatTime(c.end)}${local} for “${c.reason}”.`;
}

/** Each blackout window the planned window shares time with, spelled out (never a colour alone). */
export function BlackoutConflicts({
  conflicts,
  truncated,
  subject,
  names,
}: {
  conflicts: readonly BlackoutConflict[];
  truncated: boolean;
  /** "release" or "RFC", as the sentences name it. */
  subject: string;
  /** CI names by id ({@link ciNames}); a CI without one is named by its id. */
  names: ReadonlyMap<string, string>;
}) {
  const ciLabel = (ciId: string) => {
    const name = names.get(ciId);
    return name && name !== ciId ? `${name} (${ciId})` : ciId;
  };
  return (
    <section aria-labelledby="conflicts-heading">
      <h2 id="conflicts-heading">Blackout conflicts</h2>
      {conflicts.length ? (
        <ul class="conflict-list" data-testid="blackout-conflicts">
          {conflicts.map((c) => (
            <li key={`${c.slaId}#${c.blackoutIndex}#${c.start}#${c.ciId}#${c.touchedCiId}`}>
              <strong>Conflict:</strong> {conflictInWords(c)} {reachInWords(c, subject, ciLabel)}
            </li>
          ))}
          {truncated ? <li>And possibly more: the API cut the list short.</li> : null}
        </ul>
      ) : (
        <p>No blackout conflicts: the planned window is clear of every SLA's blackouts.</p>
      )}
    </section>
  );
}
