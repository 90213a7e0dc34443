/**
 * The reconciler (DESIGN §6, invariant 10): every active release, and every running execution of
 * a release, is compared with its counterpart and repaired or reported
 * (`#domain/release-reconcile`). In AWS a scheduled EventBridge rule runs it every few minutes;
 * the local cloud runs it at start-up and on the same schedule. Divergences it cannot repair are
 * an error log line each and the `ReleaseExecutionDivergences` metric.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import type { ReleaseStore } from '#domain/release/service';
import type { WorkflowStore } from '#domain/workflow/service';
import { type ReconcileOutcome, type ReconcilePorts, reconcileRelease } from '#domain/workflow-run/reconcile';

let metrics: Metrics | undefined;
// Created on first use, after the local cloud had its say about POWERTOOLS_METRICS_DISABLED.
const reconcilerMetrics = () => {
  metrics ??= new Metrics({ namespace: 'ReleaseDesk', serviceName: 'release-desk' });
  return metrics;
};

export interface ReconcilerDeps extends ReconcilePorts {
  readonly releases: ReconcilePorts['releases'] & Pick<ReleaseStore, 'list'>;
  readonly workflowStore: Pick<WorkflowStore, 'list'>;
  readonly clients: Pick<Clients, 'sfn'>;
  readonly config: {
    readonly defaultWorkflowStateMachines: Readonly<Record<string, string>>;
    readonly defaultReleaseStateMachineArn?: string | undefined;
  };
}

/** What one pass found, by outcome, and the divergences in words. */
export interface ReconcileSummary {
  readonly checked: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly divergences: readonly ReconcileOutcome[];
}

async function activeReleaseIds(deps: ReconcilerDeps): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.releases.list({ status: 'active' }, { limit: 100, cursor });
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function stateMachines(deps: ReconcilerDeps): Promise<string[]> {
  const arns = new Set(Object.values(deps.config.defaultWorkflowStateMachines));
  if (deps.config.defaultReleaseStateMachineArn) arns.add(deps.config.defaultReleaseStateMachineArn);
  let cursor: string | undefined;
  do {
    const page = await deps.workflowStore.list({ limit: 100, cursor, kind: 'release' });
    for (const w of page.items) arns.add(w.stateMachineArn);
    cursor = page.nextCursor;
  } while (cursor);
  return [...arns];
}

/** Releases whose execution still runs: a release that looks over may have a signal to deliver. */
async function runningReleaseIds(sfn: SFNClient, machines: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const stateMachineArn of machines) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          statusFilter: 'RUNNING',
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const e of page.executions ?? []) if (e.name?.startsWith('rel_')) ids.push(e.name);
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return ids;
}

/** One pass over every active release and every running release execution. */
export async function reconcileAll(deps: ReconcilerDeps): Promise<ReconcileSummary> {
  const ids = new Set([
    ...(await activeReleaseIds(deps)),
    ...(await runningReleaseIds(deps.clients.sfn, await stateMachines(deps))),
  ]);
  const outcomes: Record<string, number> = {};
  const divergences: ReconcileOutcome[] = [];
  for (const id of ids) {
    let outcome: ReconcileOutcome;
    try {
      outcome = await reconcileRelease(id, deps);
    } catch (error) {
      // One release that cannot be read must not stop the others.
      logger.warn('Reconciling a release failed; the next pass retries it', {
        releaseId: id,
        error: error as Error,
      });
      outcome = { releaseId: id, outcome: 'conflict', detail: (error as Error).message };
    }
    outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === 'diverged') {
      divergences.push(outcome);
      logger.error('Release and execution diverged', { releaseId: id, detail: outcome.detail });
    } else if (outcome.outcome !== 'in-step' && outcome.outcome !== 'settling') {
      logger.warn('Release reconciled', { releaseId: id, outcome: outcome.outcome });
    }
  }
  const m = reconcilerMetrics();
  m.addMetric('ReleaseExecutionDivergences', MetricUnit.Count, divergences.length);
  m.addMetric(
    'ReleaseExecutionRepairs',
    MetricUnit.Count,
    (outcomes.start ?? 0) + (outcomes.resend ?? 0) + (outcomes.follow ?? 0) + (outcomes.ended ?? 0),
  );
  m.publishStoredMetrics();
  return { checked: ids.size, outcomes, divergences };
}

export function createHandler(deps: () => ReconcilerDeps) {
  return async (): Promise<ReconcileSummary> => reconcileAll(deps());
}

export const handler = createHandler(environmentPorts);
