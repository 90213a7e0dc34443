/**
 * The shape of `bench/results.json`: every figure issue 14 names is a field here, each ratio
 * measured in the same run as its baseline. Parts a run skipped (`BENCH_PARTS`) are absent.
 */
export interface OverheadFigure {
  /** The route, e.g. `GET /releases/{id}`. */
  readonly operation?: string;
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

/** One Lambda function's bundle (item 5). */
export interface LambdaFunctionFigure {
  readonly entry: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  /** Median wall time of a fresh `node` from spawn until the bundle is imported. */
  readonly coldInitMs: number;
  /** Median time of the `import()` alone, measured inside that process. */
  readonly importMs: number;
  /** `coldInitMs` against the bare handler's, same run. */
  readonly coldInitRatio: number;
  /** The inputs that weigh most in the bundle (bytes in the output). */
  readonly topInputs: readonly { input: string; bytes: number }[];
}

export interface LambdaResults {
  readonly bundling: { readonly options: string; readonly external: readonly string[] };
  readonly runs: number;
  readonly bare: { readonly minifiedBytes: number; readonly coldInitMs: number; readonly importMs: number };
  /** A bare handler that creates a DynamoDB DocumentClient, against the bare handler. */
  readonly sdkFloor: {
    readonly coldInitMs: number;
    readonly importMs: number;
    readonly coldInitRatio: number;
  };
  readonly functions: Record<string, LambdaFunctionFigure>;
  /**
   * What the functions load from the Powertools layer, which no bundle counts (Logger and Metrics;
   * with Tracer and the X-Ray SDK), bundled and minified as the functions are: the layer's share
   * of their init.
   */
  readonly layer?: { readonly loggerAndMetrics: number; readonly withTracer: number };
  readonly maxMinifiedBytes: number;
  readonly maxGzipBytes: number;
  readonly maxColdInitRatio: number;
  /** Functions above 250 KB minified. */
  readonly overBudget: readonly string[];
}

/** The local cloud started by `npm start` (item 6). */
export interface LocalCloudResults {
  /** Median ms from spawning `node infra/local/start.ts` on an existing data dir to GET /health 200. */
  readonly startToHealthyMs: number;
  readonly startSamplesMs: readonly number[];
  /**
   * Median CPU seconds (user + system, Node and Java) used by the time /health answered: what the
   * start costs whatever else runs on the machine, which the wall time is not.
   */
  readonly startCpuSeconds: number;
  /** The machine's 1, 5 and 15 minute load averages at the end (other work sharing the cores). */
  readonly loadAverage: readonly number[];
  /** Resident memory in MiB: the Node process, the DynamoDB Local Java child, and both. */
  readonly idle: { readonly nodeMiB: number; readonly javaMiB: number; readonly totalMiB: number };
  readonly afterLoad: {
    readonly nodeMiB: number;
    readonly javaMiB: number;
    readonly totalMiB: number;
    /** The most both held together during the load (sampled every 250 ms). */
    readonly peakTotalMiB: number;
  };
  /** What the load was. */
  readonly load: string;
  /** Which process the 400 MiB goal is checked against. */
  readonly goalAppliesTo: string;
  /** The command measured: `npm start`'s. */
  readonly command: string;
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
  lambda?: LambdaResults;
  localCloud?: LocalCloudResults;
  console?: ConsoleResults;
}

/** Issue 16: the operator console's assets (console/build.ts), all of them, raw and gzipped. */
export interface ConsoleResults {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly maxGzipBytes: number;
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
