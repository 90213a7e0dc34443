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

export interface BenchResults {
  readonly machine: Record<string, unknown>;
  readonly startedAt: string;
  readonly durationSeconds?: number;
  overhead?: Record<string, OverheadFigure>;
  throughput?: Record<string, { c16: ThroughputFigure; c64: ThroughputFigure }>;
  cost?: { lifecycleUsd: number } & Record<string, unknown>;
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
