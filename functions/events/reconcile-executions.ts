/**
 * The reconciler (DESIGN §6, invariant 10): every active release, and every running execution of
 * a release, is compared with its counterpart and repaired or reported
 * (`#domain/release-reconcile`). In AWS a scheduled EventBridge rule runs it every few minutes;
 * the local cloud runs it at start-up and on the same schedule. Divergences it cannot repair are
 * an error log line each and the `ReleaseExecutionDivergences` metric.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type ReconcileOutcome, type ReconcilePorts, reconcileRelease } from '#domain/release-reconcile';
import type { ReleaseStore } from '#domain/release-service';
import type { WorkflowStore } from '#domain/workflow-service';
import type { Clients } from '#lib/clients';
import { logger } from '#lib/logger';
import { environmentPorts } from '#lib/ports';

let metrics: Metrics | undefined;
// Created on first use, after the local cloud had its say about POWERTOOLS_METRICS_DISABLED.
const reconcilerMetrics = () => {
  // The service dimension is the stage's (POWERTOOLS_SERVICE_NAME, set by the stack), so each
  // stage's alarm sees its own divergences.
  metrics ??= new Metrics({
    namespace: 'ReleaseDesk',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'release-desk',
  });
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

/**
 * What one pass found, by outcome; the divergences in words (what it could not repair,
 * including releases it could not even read or repair because a call failed).
 */
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

/**
 * Releases whose execution still runs: a release that looks over may have a signal to deliver. A
 * machine that cannot be listed (deleted, throttled) is skipped and reported, never fatal.
 */
async function runningReleaseIds(
  sfn: SFNClient,
  machines: readonly string[],
  failures: { where: string; error: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const stateMachineArn of machines) {
    try {
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
    } catch (error) {
      failures.push({ where: stateMachineArn, error: (error as Error).message });
      logger.error('Listing the executions of a state machine failed', {
        stateMachineArn,
        error: error as Error,
      });
    }
  }
  return ids;
}

/** How many releases are reconciled at once (each is a few calls to Step Functions and the table). */
export const RECONCILE_CONCURRENCY = 8;

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One pass over every active release and every running release execution. */
export async function reconcileAll(deps: ReconcilerDeps): Promise<ReconcileSummary> {
  const listingFailures: { where: string; error: string }[] = [];
  const ids = new Set([
    ...(await activeReleaseIds(deps)),
    ...(await runningReleaseIds(deps.clients.sfn, await stateMachines(deps), listingFailures)),
  ]);
  const outcomes: Record<string, number> = {};
  const divergences: ReconcileOutcome[] = listingFailures.map((f) => ({
    releaseId: f.where,
    outcome: 'diverged' as const,
    detail: `Could not list its executions: ${f.error}`,
  }));
  await eachLimited([...ids], RECONCILE_CONCURRENCY, async (id) => {
    let outcome: ReconcileOutcome;
    try {
      outcome = await reconcileRelease(id, deps);
    } catch (error) {
      // One release that cannot be read or repaired must not stop the others — but it is not
      // in step either: it counts as a divergence, so the alarm sees it.
      outcome = {
        releaseId: id,
        outcome: 'diverged',
        detail: `Reconciling failed: ${(error as Error).message}`,
      };
    }
    outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === 'diverged') {
      divergences.push(outcome);
      logger.error('Release and execution diverged', { releaseId: id, detail: outcome.detail });
    } else if (outcome.outcome !== 'in-step' && outcome.outcome !== 'settling') {
      logger.warn('Release reconciled', { releaseId: id, outcome: outcome.outcome });
    }
  });
  const m = reconcilerMetrics();
  m.addMetric('ReleaseExecutionDivergences', MetricUnit.Count, divergences.length);
  m.addMetric('ReleaseExecutionsEnded', MetricUnit.Count, outcomes.ended ?? 0);
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
