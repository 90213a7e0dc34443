/**
 * The shape of `bench/results.json`: every figure issue 14 names is a field here, each ratio
 * measured in the same run as its baseline. Parts a run skipped (`BENCH_PARTS`) are absent.
 */
export interface OverheadFigure {
  /** The raw DynamoDB calls the operation minimally needs, as the bench makes them. */
  readonly baseline: string;
  readonly api: { readonly medianMs: number; readonly p99Ms: number; readonly n: number };
  readonly raw: { readonly medianMs: number; readonly p99Ms: number; readonly n: number };
  readonly ratioMedian: number;
  readonly ratioP99: number;
}

export interface ThroughputFigure {
  readonly apiPerSecond: number;
  readonly rawPerSecond: number;
  readonly ratio: number;
}

/** A published list price the cost part uses. */
export interface CostPrice {
  readonly name: string;
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  readonly date: string;
}

/** One count of the lifecycle's cost, beside the minimum the design needs. */
export interface CostCount {
  readonly count: number;
  readonly minimum: number;
  readonly usd: number;
  /** Why the count is above the minimum (or why it is at it). */
  readonly reason: string;
}

/** The cost part (item 3): one release lifecycle counted in AWS terms and priced. */
export interface CostResults {
  readonly lifecycleUsd: number;
  /** The lifecycle priced at every count's design minimum: the floor the goal is measured against. */
  readonly minimumUsd: number;
  /** Every run's total (the section is the median run's). */
  readonly runsUsd?: readonly number[];
  readonly goalUsd: number;
  readonly met: boolean;
  readonly shape: Record<string, unknown>;
  readonly assumptions: readonly string[];
  readonly prices: Record<string, CostPrice>;
  readonly counts: Record<string, CostCount>;
  readonly calls: Record<string, number>;
  readonly failedCalls: number;
  readonly scans: number;
  readonly byOrigin: Record<string, unknown>;
  readonly functions: Record<
    string,
    { invocations: number; ms: number; billedMs: number; gbSeconds: number }
  >;
  readonly executions: { readonly release: number; readonly change: number };
  readonly steps: {
    readonly name: string;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly events: number;
    readonly invocations: Record<string, number>;
    readonly calls: Record<string, number>;
  }[];
  readonly setup: Record<string, unknown>;
}

export interface BenchResults {
  readonly machine: Record<string, unknown>;
  readonly startedAt: string;
  readonly durationSeconds?: number;
  overhead?: Record<string, OverheadFigure>;
  throughput?: Record<string, { c16: ThroughputFigure; c64: ThroughputFigure }>;
  cost?: CostResults;
  scale?: Record<string, unknown>;
  lambda?: Record<string, unknown>;
  localCloud?: Record<string, unknown>;
  console?: Record<string, unknown>;
}

/** One line of the table `npm run bench` prints. */
export interface Row {
  readonly part: string;
  readonly figure: string;
  readonly value: string;
  /** The goal, e.g. `≤ 2×`; absent for figures reported without one. */
  readonly goal?: string;
  readonly met?: boolean;
}

/** A part of the bench: fills its section of the results and answers its rows. */
export type Part = (results: BenchResults) => Promise<Row[]>;
