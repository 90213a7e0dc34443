/**
 * Task tokens for `.waitForTaskToken` tasks. The engine mints none, so executions run with a Context
 * Object whose `Task.Token` is {@link TASK_TOKEN_SENTINEL}; the Task override replaces the sentinel by a
 * token minted here and waits on the registry, which `SendTaskSuccess`/`SendTaskFailure` settle.
 */
import { randomUUID } from 'node:crypto';
import type { TaskResult } from './records.ts';
import { SfnServiceError } from './service-error.ts';
import { TaskFailure } from './task-failure.ts';

/** What `$$.Task.Token` evaluates to inside the engine, before the override swaps in a real token. */
export const TASK_TOKEN_SENTINEL = '__local-stepfunctions-task-token__';

const tokenPrefix = 'AQ';

/** Mints an opaque, unique task token that still says which execution it belongs to. */
export function mintTaskToken(executionArn: string): string {
  const body = Buffer.from(JSON.stringify({ x: executionArn, n: randomUUID() })).toString('base64url');
  return `${tokenPrefix}${body}`;
}

/** The execution a token was minted for; undefined when the string is not a token of ours. */
export function tokenExecutionArn(token: string): string | undefined {
  if (!token.startsWith(tokenPrefix)) return undefined;
  try {
    const decoded: unknown = JSON.parse(
      Buffer.from(token.slice(tokenPrefix.length), 'base64url').toString('utf8'),
    );
    const arn = (decoded as { x?: unknown } | null)?.x;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    return undefined;
  }
}

/** A deep copy of `value` with every occurrence of the sentinel (also inside strings) replaced by `token`. */
export function replaceSentinel(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.split(TASK_TOKEN_SENTINEL).join(token);
  if (Array.isArray(value)) return value.map((item) => replaceSentinel(item, token));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceSentinel(item, token)]),
    );
  }
  return value;
}

/** A task waiting for its token to be sent back. */
export interface PendingTask {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  /** Settles with the parsed `SendTaskSuccess` output, or rejects with a {@link TaskFailure}. */
  readonly promise: Promise<unknown>;
}

/**
 * Told synchronously, before the task's promise settles, what `SendTaskSuccess`/`SendTaskFailure` said,
 * so the result can be recorded (and persisted) before the action answers.
 */
export type TaskResultListener = (result: TaskResult) => void;

interface Settlers {
  readonly task: PendingTask;
  readonly onResult: TaskResultListener | undefined;
  readonly onHeartbeat: (() => void) | undefined;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

/**
 * The tokens of every waiting task. A token leaves the registry when it is settled, so a second use
 * fails as in AWS: `TaskTimedOut` for a well-formed token of a known execution, `TaskDoesNotExist` for one
 * of an unknown execution, `InvalidToken` for anything else.
 */
export class TaskTokenRegistry {
  readonly #waiting = new Map<string, Settlers>();
  readonly #executionExists: (executionArn: string) => boolean;

  constructor(executionExists: (executionArn: string) => boolean) {
    this.#executionExists = executionExists;
  }

  /** Registers a token (again: returns the task already registered under it, keeping its listener). */
  register(
    token: string,
    executionArn: string,
    stateName: string,
    onResult?: TaskResultListener,
    onHeartbeat?: () => void,
  ): PendingTask {
    const existing = this.#waiting.get(token);
    if (existing) return existing.task;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    // Nobody may be awaiting yet (a task restored after a restart): keep a rejection from being "unhandled".
    promise.catch(() => {});
    const task: PendingTask = { token, executionArn, stateName, promise };
    this.#waiting.set(token, { task, onResult, onHeartbeat, resolve, reject });
    return task;
  }

  /** `SendTaskSuccess`: `output` must be JSON text. Returns the task it settled. */
  succeed(token: string, output: string): PendingTask {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new SfnServiceError('InvalidOutput', 'Invalid output: the output is not valid JSON');
    }
    const settlers = this.#take(token);
    settlers.onResult?.({ ok: true, output: parsed });
    settlers.resolve(parsed);
    return settlers.task;
  }

  /**
   * `SendTaskFailure`: the task fails with `error` as its error name and `cause` as its cause. Returns the
   * task it settled.
   */
  fail(token: string, error: string | undefined, cause: string | undefined): PendingTask {
    const settlers = this.#take(token);
    settlers.onResult?.({
      ok: false,
      ...(error === undefined ? {} : { error }),
      ...(cause === undefined ? {} : { cause }),
      timedOut: false,
    });
    settlers.reject(new TaskFailure(error, cause));
    return settlers.task;
  }

  /** `SendTaskHeartbeat`: checks the token and starts the task's heartbeat clock (HeartbeatSeconds) again. */
  heartbeat(token: string): void {
    this.#lookup(token).onHeartbeat?.();
  }

  /** Removes a token and rejects its task with `reason` (timeouts, stopped or finished executions). */
  cancel(token: string, reason: Error): void {
    const settlers = this.#waiting.get(token);
    if (!settlers) return;
    this.#waiting.delete(token);
    settlers.reject(reason);
  }

  /** Cancels every token of one execution. */
  cancelExecution(executionArn: string, reason: Error): void {
    for (const [token, settlers] of this.#waiting) {
      if (settlers.task.executionArn === executionArn) this.cancel(token, reason);
    }
  }

  #take(token: string): Settlers {
    const settlers = this.#lookup(token);
    this.#waiting.delete(token);
    return settlers;
  }

  #lookup(token: string): Settlers {
    const settlers = this.#waiting.get(token);
    if (settlers) return settlers;
    const executionArn = tokenExecutionArn(token);
    if (executionArn === undefined) throw new SfnServiceError('InvalidToken', 'Invalid Token');
    if (!this.#executionExists(executionArn)) {
      throw new SfnServiceError('TaskDoesNotExist', 'Provided task does not exist');
    }
    throw new SfnServiceError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
  }
}
