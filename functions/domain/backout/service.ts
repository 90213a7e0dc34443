/**
 * Backing out a release in one call (DESIGN §4): its back-out procedures acknowledged at their
 * current versions, every CMDB change it made restored as new versions (history only grows), and
 * the release in its Backed Out stage — its execution too while it still runs.
 */
import { type Actor, authorize } from '../actor.ts';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors.ts';
import { eventMeta } from '../events.ts';
import { ReleaseBackedOut } from '../release/events.ts';
import type { Release } from '../release/release.ts';
import { releaseAccess } from '../release/service.ts';
import { statusOfTerminal } from '../workflow-run/run.ts';
import { requireTeam, transition } from '../workflow-run/service.ts';
import { planBackout } from './plan.ts';
import type { BackoutPorts } from './ports.ts';

export type { BackoutPorts } from './ports.ts';

export interface BackoutRequest {
  readonly acknowledgedArticles: readonly { id: string; version: number }[];
  readonly reason: string;
  readonly force?: { reason: string } | undefined;
}

/** The stage a workflow backs a release out into (the terminal stage whose status is `backed-out`). */
function backedOutStage(stages: readonly { name: string; terminal?: boolean | undefined }[]) {
  return stages.find((s) => s.terminal && statusOfTerminal(s.name) === 'backed-out')?.name;
}

export async function backOutRelease(
  id: string,
  request: BackoutRequest,
  actor: Actor,
  ports: BackoutPorts,
): Promise<{ release: Release; versions: { ciId: string; version: number }[] }> {
  authorize(actor, releaseAccess.edit);
  const release = await ports.releases.get(id);
  if (!release) throw new NotFoundError('Release', id);
  requireTeam('release', release, actor);
  const workflow = await ports.workflows.definition(release.workflow);
  const target = backedOutStage(workflow.stages);
  const order = workflow.stages.map((s) => s.name);
  const deployed =
    workflow.deployStage !== undefined && order.indexOf(release.stage) >= order.indexOf(workflow.deployStage);
  // From the deploy stage onwards, including after Closure; never out of a cancellation or twice.
  // A failed release (its execution ended outside the API) is the back-out's case above all.
  const over = release.status === 'closed' || release.status === 'failed';
  if (!target || !deployed || (release.status !== 'active' && !over)) {
    throw new RuleViolationError(
      'backout-not-allowed',
      release.status !== 'active' && !over
        ? `Release ${id} is ${release.status}; it cannot be backed out.`
        : `Release ${id} is in ${release.stage}: a release is backed out from its deploy stage${workflow.deployStage ? ` (${workflow.deployStage})` : ''} onwards, into a Backed Out stage its workflow has.`,
      { stage: release.stage, status: release.status },
    );
  }
  const { versions, current } = await ports.cmdb.changesOf(id);
  const procedures = await ports.procedures.backoutProcedures({
    releaseId: id,
    ciIds: current.map((c) => c.id),
  });
  const missing = procedures.filter(
    (p) => !request.acknowledgedArticles.some((a) => a.id === p.id && a.version === p.version),
  );
  if (missing.length > 0) {
    throw new RuleViolationError(
      'backout-procedures-not-acknowledged',
      `Follow and acknowledge every back-out procedure at its current version first: ${missing.map((p) => `${p.id} v${p.version} "${p.title}"`).join(', ')}.`,
      {
        articles: missing.map((p) => ({
          id: p.id,
          version: p.version,
          title: p.title,
          acknowledgedVersion: request.acknowledgedArticles.find((a) => a.id === p.id)?.version ?? null,
        })),
      },
    );
  }
  const plan = planBackout(id, versions, current, { force: request.force !== undefined });
  if (plan.conflicts.length > 0 && !request.force) {
    throw new ConflictError(
      'backout-conflicts',
      `Something else changed ${[...new Set(plan.conflicts.map((c) => c.ciId))].join(', ')} since release ${id} did: restoring would overwrite it. Resolve it, or force the back-out with a reason.`,
      { conflicts: plan.conflicts },
    );
  }
  const now = ports.clock.now().toISOString();
  // The release's own move is checked before anything is restored: a workflow that does not let
  // it into Backed Out from here refuses the back-out with the CMDB untouched.
  const moved =
    release.status === 'active'
      ? transition(
          'release',
          release,
          workflow,
          { to: target, expectedVersion: release.version, reason: request.reason },
          {},
          actor,
          ports,
        )
      : undefined;
  const restored = await ports.cmdb.restore(plan.restores, {
    releaseId: id,
    actor: actor.id,
    reason: request.reason,
    at: now,
  });
  // An interrupted back-out's earlier restores belong to this one too.
  const earlier = versions
    .filter((v) => v.backoutOf === id && !restored.some((r) => r.ciId === v.ciId && r.version === v.number))
    .map((v) => ({ ciId: v.ciId, version: v.number }));
  const written = [...earlier, ...restored];
  const backedOut = {
    reason: request.reason,
    stageBefore: release.stage,
    versions: written,
    acknowledgedArticles: request.acknowledgedArticles.map((a) => ({ id: a.id, version: a.version })),
    forced: request.force?.reason ?? null,
    conflicts: plan.conflicts.map((c) => ({ ciId: c.ciId, attribute: c.attribute })),
  };
  if (moved) {
    // Still running: the workflow's own move into Backed Out, its execution signalled.
    const event = ReleaseBackedOut.event(
      { releaseId: id, version: moved.subject.version, ...backedOut, executionEnded: false },
      eventMeta(ports.ids, now, actor.id, id),
    );
    await ports.releases.save(moved.subject, release.version, [...moved.events, event]);
    ports.meter.count('BackOuts');
    await ports.stageSignals.signal('release', id, moved.signal, { terminal: true });
    return { release: moved.subject, versions: written };
  }
  // Closed or failed: its execution has ended and is not restarted; the release alone records it.
  const next: Release = {
    ...release,
    stage: target,
    status: 'backed-out',
    version: release.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event = ReleaseBackedOut.event(
    { releaseId: id, version: next.version, ...backedOut, executionEnded: true },
    eventMeta(ports.ids, now, actor.id, id),
  );
  await ports.releases.save(next, release.version, [event]);
  ports.meter.count('BackOuts');
  return { release: next, versions: written };
}
