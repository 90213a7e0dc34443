/**
 * What the local Step Functions service keeps (in memory, and as JSON under `dataDir`) about state
 * machines and executions. Dates are epoch milliseconds.
 */
import type { RecordedHistoryEvent } from './history.ts';

/** A published, immutable version of a state machine. */
export interface StateMachineVersionRecord {
  readonly version: number;
  readonly definition: string;
  readonly roleArn: string;
  readonly revisionId: string;
  readonly description?: string;
  readonly creationDate: number;
}

/** A state machine and its versions. */
export interface StateMachineRecord {
  readonly name: string;
  readonly arn: string;
  readonly type: string;
  readonly creationDate: number;
  definition: string;
  roleArn: string;
  revisionId: string;
  updateDate: number;
  description?: string;
  versions: StateMachineVersionRecord[];
}

/** Execution status as `DescribeExecution` reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** How a task attempt ended. */
export type TaskResult =
  | { readonly ok: true; readonly output: unknown }
  | {
      readonly ok: false;
      /** Absent when `SendTaskFailure` named no error (AWS then records none either). */
      readonly error?: string | undefined;
      /** Absent when `SendTaskFailure` gave no cause. */
      readonly cause?: string | undefined;
      readonly timedOut: boolean;
    };

/** One finished task attempt, replayed (instead of invoking anything) when the execution resumes. */
export interface TaskOutcome {
  readonly state: string;
  readonly parameters: unknown;
  readonly token?: string;
  /** What the function invocation of a `.waitForTaskToken` attempt returned, if it returned. */
  readonly submittedOutput?: unknown;
  readonly result: TaskResult;
}

/** A `.waitForTaskToken` attempt waiting for its token; re-registered with the same token on resume. */
export interface WaitingTask {
  readonly state: string;
  readonly token: string;
  readonly parameters: unknown;
  /** Epoch ms after which the attempt fails with `States.Timeout` (from `TimeoutSeconds`). */
  readonly deadline?: number;
  /** `HeartbeatSeconds` in real ms (scaled); the heartbeat clock starts again on resume. */
  readonly heartbeatMs?: number;
  submittedOutput?: unknown;
}

/** An execution: what it runs, where it is, and everything needed to resume it after a restart. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly stateMachineVersionArn?: string;
  readonly definition: string;
  readonly roleArn: string;
  readonly revisionId: string;
  readonly stateMachineUpdateDate: number;
  readonly input: string;
  readonly startDate: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: RecordedHistoryEvent[];
  taskOutcomes: TaskOutcome[];
  waitingTasks: WaitingTask[];
  /** How many times `RedriveExecution` restarted it (absent: never). */
  redriveCount?: number;
  /** When it was last redriven (epoch ms). */
  redriveDate?: number;
  /** The client tokens of the last 10 redrives, which a repeated `RedriveExecution` is answered from. */
  redriveClientTokens?: string[];
  /**
   * Ids of history events a re-run does not reproduce: what followed the state a redrive restarted from
   * (the failure, and `ExecutionRedriven`). A resume drops the events it reproduces and must skip these.
   */
  notReplayed?: number[];
}
