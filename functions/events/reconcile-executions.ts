/**
 * The reconciler (DESIGN §6, invariant 10): every active subject of every kind (releases, RFCs),
 * and every running execution of one, is compared with its counterpart and repaired or reported
 * (`#domain/workflow-run/reconcile`). In AWS a scheduled EventBridge rule runs it every few
 * minutes; the local cloud runs it at start-up and on the same schedule. Divergences it cannot
 * repair are an error log line each and the `ReleaseExecutionDivergences` metric (which record-stage
 * counts too, functions/steps/record-stage.ts).
 */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Clients } from '#app/clients';
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { countOperational, requestCorrelation, withTelemetry } from '#app/telemetry';
import type { Clock, IdGenerator } from '#domain/ports';
import type { WorkflowStore } from '#domain/workflow/service';
import type {
  ExecutionInspector,
  ExecutionStarter,
  RunStore,
  WorkflowDefinitions,
} from '#domain/workflow-run/ports';
import { type ReconcileOutcome, reconcileSubject } from '#domain/workflow-run/reconcile';
import { RUN_KINDS, type RunKind, type RunSubject, runKindOfExecution } from '#domain/workflow-run/run';

export interface ReconcilerDeps {
  readonly runs: Readonly<Record<RunKind, RunStore<RunSubject>>>;
  readonly workflows: WorkflowDefinitions;
  readonly executions: ExecutionStarter;
  readonly inspector: ExecutionInspector;
  readonly clock: Clock;
  readonly ids: IdGenerator;
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

async function activeSubjects(deps: ReconcilerDeps, kind: RunKind): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.runs[kind].active({ limit: 100, cursor });
    ids.push(...page.items.map((s) => s.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function stateMachines(deps: ReconcilerDeps): Promise<string[]> {
  const arns = new Set(Object.values(deps.config.defaultWorkflowStateMachines));
  if (deps.config.defaultReleaseStateMachineArn) arns.add(deps.config.defaultReleaseStateMachineArn);
  let cursor: string | undefined;
  do {
    const page = await deps.workflowStore.list({ limit: 100, cursor });
    for (const w of page.items) arns.add(w.stateMachineArn);
    cursor = page.nextCursor;
  } while (cursor);
  return [...arns];
}

/**
 * Subjects whose execution still runs: one that looks over may have a signal to deliver. A machine
 * that cannot be listed (deleted, throttled) is skipped and reported, never fatal.
 */
async function runningSubjects(
  sfn: SFNClient,
  machines: readonly string[],
  failures: { where: string; error: string }[],
): Promise<[RunKind, string][]> {
  const found: [RunKind, string][] = [];
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
        for (const e of page.executions ?? []) {
          const kind = e.name ? runKindOfExecution(e.name) : undefined;
          if (kind && e.name) found.push([kind, e.name]);
        }
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
  return found;
}

/** How many subjects are reconciled at once (each is a few calls to Step Functions and the table). */
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

/** One pass over every active subject and every running execution of one. */
export async function reconcileAll(deps: ReconcilerDeps): Promise<ReconcileSummary> {
  const listingFailures: { where: string; error: string }[] = [];
  const subjects = new Map<string, RunKind>();
  for (const kind of RUN_KINDS) for (const id of await activeSubjects(deps, kind)) subjects.set(id, kind);
  for (const [kind, id] of await runningSubjects(
    deps.clients.sfn,
    await stateMachines(deps),
    listingFailures,
  )) {
    subjects.set(id, kind);
  }
  const outcomes: Record<string, number> = {};
  const divergences: ReconcileOutcome[] = listingFailures.map((f) => ({
    kind: 'release' as const,
    id: f.where,
    outcome: 'diverged' as const,
    detail: `Could not list its executions: ${f.error}`,
  }));
  await eachLimited([...subjects], RECONCILE_CONCURRENCY, async ([id, kind]) => {
    let outcome: ReconcileOutcome;
    try {
      outcome = await reconcileSubject(kind, id, { ...deps, runs: deps.runs[kind] });
    } catch (error) {
      // One subject that cannot be read or repaired must not stop the others — but it is not in
      // step either: it counts as a divergence, so the alarm sees it.
      outcome = { kind, id, outcome: 'diverged', detail: `Reconciling failed: ${(error as Error).message}` };
    }
    outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome === 'diverged') {
      divergences.push(outcome);
      logger.error('Subject and execution diverged', { kind, id, detail: outcome.detail });
    } else if (outcome.outcome !== 'in-step' && outcome.outcome !== 'settling') {
      logger.warn('Subject reconciled', { kind, id, outcome: outcome.outcome });
    }
  });
  // Zeros too: each pass reports its tally, so the graphs show the reconciler ran. Published with
  // the invocation's other counts, by the function's one Metrics (functions/app/telemetry.ts).
  countOperational({
    ReleaseExecutionDivergences: divergences.length,
    ReleaseExecutionsEnded: outcomes.ended ?? 0,
    ReleaseExecutionRepairs:
      (outcomes.start ?? 0) + (outcomes.resend ?? 0) + (outcomes.follow ?? 0) + (outcomes.ended ?? 0),
  });
  return { checked: subjects.size, outcomes, divergences };
}

export function createHandler(deps: () => ReconcilerDeps) {
  return withTelemetry('reconcile-executions', requestCorrelation, async (_event: unknown) =>
    reconcileAll(deps()),
  );
}

export const handler = createHandler(environmentPorts);
