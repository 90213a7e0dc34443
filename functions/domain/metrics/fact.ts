/**
 * What one release adds to the metrics — its fact — derived from the table alone: the release as
 * it stands, its history (every event committed with it) and its workflow's deploy stage. The
 * consumer that keeps the counters and the recount that checks them both derive facts with this one
 * function, so the counters equal a recount whenever every fact has been applied once.
 *
 * - **Deployed** at the first move out of its workflow's deploy stage that is not a cancellation:
 *   onwards (its tasks done, the deployment finished) or into Backed Out (the deployment reached
 *   production and was reverted: a change failure, never hidden by not counting it). A workflow
 *   without a deploy stage deploys nothing (the back-out treats it the same way).
 * - **On time**: the deployment finished (moved onwards, not backed out at that move) inside the
 *   planned window as it stood then, `plannedStart ≤ deployedAt < plannedEnd`.
 * - **Backed out**: the release is backed out now (from the deploy stage or any time later).
 * - **Incidents**: the incidents attributed to it, whenever they were attributed; they count in
 *   its deployment period, like its back-out, so a period's change failure rate stays its own.
 * - **Lead time**: from its creation to its deployment.
 */
import * as z from 'zod';
import type { DomainEvent } from '../events.ts';
import { ReleaseCreated, ReleaseStageEntered, ReleaseUpdated } from '../release/events.ts';
import type { Release } from '../release/release.ts';
import { RUN_STATUSES } from '../workflow-run/events.ts';
import { IncidentAttributed } from './events.ts';
import { periodOf } from './periods.ts';

export interface ReleaseFact {
  readonly releaseId: string;
  readonly teamId: string | null;
  readonly deployedAt: string;
  /** The periods of `deployedAt`: the counters it is added to. */
  readonly month: string;
  readonly week: string;
  readonly onTime: boolean;
  readonly backedOut: boolean;
  readonly incidents: number;
  readonly leadTimeMs: number;
}

/** The parts of a stored `Release Stage Entered` the fact reads. */
const Move = z.looseObject({
  from: z.string(),
  to: z.string(),
  status: z.enum(RUN_STATUSES),
  version: z.int(),
});
const Created = z.looseObject({ plannedStart: z.string(), plannedEnd: z.string() });
const Updated = z.looseObject({
  version: z.int(),
  changed: z.looseObject({
    plannedStart: z.looseObject({ to: z.string() }).optional(),
    plannedEnd: z.looseObject({ to: z.string() }).optional(),
  }),
});

/** The events of one type whose data has the shape `schema` reads, in the order the release's versions give. */
function eventsOf<S extends z.ZodType>(history: readonly DomainEvent[], type: string, schema: S) {
  return history.flatMap((event) => {
    if (event.type !== type) return [];
    const parsed = schema.safeParse(event.data);
    return parsed.success ? [{ event, data: parsed.data as z.output<S> }] : [];
  });
}

/** Whether the release has ever entered its workflow's deploy stage (it may have changed production). */
export function enteredDeployStage(
  history: readonly DomainEvent[],
  deployStage: string | undefined,
): boolean {
  if (deployStage === undefined) return false;
  return eventsOf(history, ReleaseStageEntered.type, Move).some(({ data }) => data.to === deployStage);
}

/** The release's fact, or undefined while it is not deployed (it then adds nothing). */
export function releaseFact(
  release: Pick<Release, 'id' | 'teamId' | 'createdAt' | 'status' | 'plannedStart' | 'plannedEnd'>,
  history: readonly DomainEvent[],
  deployStage: string | undefined,
): ReleaseFact | undefined {
  if (deployStage === undefined) return undefined;
  // A move's version orders it among the release's writes, whatever the clocks said.
  const moves = eventsOf(history, ReleaseStageEntered.type, Move).sort(
    (a, b) => a.data.version - b.data.version,
  );
  const deployment = moves.find(({ data }) => data.from === deployStage && data.status !== 'cancelled');
  if (!deployment) return undefined;
  const deployedAt = new Date(deployment.event.occurredAt).toISOString();
  const window = windowAt(release, history, deployment.data.version);
  const finished = deployment.data.status !== 'backed-out';
  const incidents = new Set(
    eventsOf(history, IncidentAttributed.type, z.looseObject({ reference: z.string() })).map(
      ({ data }) => data.reference,
    ),
  ).size;
  return {
    releaseId: release.id,
    teamId: release.teamId ?? null,
    deployedAt,
    month: periodOf('month', deployedAt).key,
    week: periodOf('week', deployedAt).key,
    onTime: finished && window.start <= deployedAt && deployedAt < window.end,
    backedOut: release.status === 'backed-out',
    incidents,
    leadTimeMs: Date.parse(deployedAt) - Date.parse(release.createdAt),
  };
}

/**
 * The planned window as it stood when the release reached `version`: as created, then each edit
 * of it before that version. A window edited after the deployment does not make it late or on time.
 */
function windowAt(
  release: Pick<Release, 'plannedStart' | 'plannedEnd'>,
  history: readonly DomainEvent[],
  version: number,
): { start: string; end: string } {
  const created = eventsOf(history, ReleaseCreated.type, Created)[0]?.data;
  // A release stored without its creation event (a fixture) has only its window as it stands.
  let start = created?.plannedStart ?? release.plannedStart;
  let end = created?.plannedEnd ?? release.plannedEnd;
  const edits = eventsOf(history, ReleaseUpdated.type, Updated)
    .filter(({ data }) => data.version < version)
    .sort((a, b) => a.data.version - b.data.version);
  for (const { data } of edits) {
    start = data.changed.plannedStart?.to ?? start;
    end = data.changed.plannedEnd?.to ?? end;
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}
