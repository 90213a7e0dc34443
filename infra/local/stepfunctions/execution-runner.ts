/**
 * Runs one execution on the `aws-local-stepfunctions` engine: Task states go through local overrides
 * (Lambda invoke, `.waitForTaskToken` with real tokens), the engine's event log and the overrides'
 * observations become AWS-shaped history, and a resumed execution replays its recorded task results.
 *
 * Resuming re-runs the definition from the start with the same input: each Task state takes its
 * recorded results in order (no function is invoked), the task that was waiting re-registers its SAME
 * token, and the first events the replay produces are the ones already recorded, so they are dropped
 * instead of appended again. A redrive (RedriveExecution) is the same re-run: the service has removed
 * the failed attempts of the state it restarts from and marked what followed that state as not
 * reproduced (`notReplayed`), so the replay ends where the state was entered and the rest is new.
 *
 * Wait states and the task clocks (TimeoutSeconds, HeartbeatSeconds) run on timers scaled by
 * `SFN_TIME_SCALE`; Waits are run as Task overrides because the engine's own Wait cannot be scaled.
 *
 * What `SendTaskSuccess`/`SendTaskFailure` says is recorded as the task's result at once, before the
 * engine takes it up, so the service can persist it before answering; a resume replays it like any other.
 */
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import {
  engineDefinition,
  readDefinition,
  type TaskStateInfo,
  taskStates,
  unwrapParameters,
  type WaitStateInfo,
  waitStates,
} from './definition.ts';
import { type NewHistoryEvent, notTruncated, payloadText, type RecordedHistoryEvent } from './history.ts';
import type { ExecutionRecord, ExecutionStatus, TaskOutcome, TaskResult, WaitingTask } from './records.ts';
import { failureFromInvokeError, TaskFailure } from './task-failure.ts';
import {
  mintTaskToken,
  type PendingTask,
  replaceSentinel,
  TASK_TOKEN_SENTINEL,
  type TaskTokenRegistry,
} from './task-tokens.ts';
import { scaledMs } from './time-scale.ts';

/** Invokes a Lambda function locally: by name or ARN, with a JSON payload; resolves with its result. */
export type InvokeFunction = (functionNameOrArn: string, payload: unknown) => Promise<unknown>;

/** What a runner needs from the service around it. */
export interface ExecutionRunnerDeps {
  readonly region: string;
  readonly invokeFunction: InvokeFunction;
  readonly tokens: TaskTokenRegistry;
  /** Called whenever the record changed and should be persisted (when convenient: nobody waits for it). */
  readonly onChange: (record: ExecutionRecord) => void;
  /** Called once when the execution ends (SUCCEEDED, FAILED, TIMED_OUT or ABORTED), after `onChange`. */
  readonly onEnd?: (record: ExecutionRecord) => void;
  /** `SFN_TIME_SCALE`: the factor applied to waits and timeouts (1 = real time). */
  readonly timeScale?: number;
}

/** The limits of one task attempt, from the definition or its `*Path` fields. */
interface TaskLimits {
  readonly timeoutSeconds?: number;
  readonly heartbeatSeconds?: number;
}

/** The running timers of one task attempt: `expired` rejects on a timeout or a missed heartbeat. */
interface TaskClock {
  readonly expired: Promise<never>;
  beat(): void;
  stop(): void;
}

type EngineEvent = {
  type: string;
  timestamp: number;
  input?: unknown;
  output?: unknown;
  Error?: string | null;
  Cause?: unknown;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
};

type EngineOverrides = NonNullable<RunOptions['overrides']>;
type TaskHandlers = NonNullable<EngineOverrides['taskResourceLocalHandlers']>;
type JsonValue = Parameters<TaskHandlers[string]>[0];

const toJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const maxTimerMs = 2 ** 31 - 1;

/** The AWS `Payload` wrapper `arn:aws:states:::lambda:invoke` returns. */
function lambdaInvokeResult(payload: unknown): unknown {
  return { ExecutedVersion: '$LATEST', Payload: toJson(payload), StatusCode: 200 };
}

/** `FunctionName` and `Payload` of `lambda:invoke` Parameters (a missing Payload is sent as `{}`). */
function lambdaInvokeArguments(parameters: unknown): { functionName: string; payload: unknown } {
  const params = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  if (typeof params.FunctionName !== 'string') {
    throw new TaskFailure('States.Runtime', 'lambda:invoke needs a string Parameters.FunctionName');
  }
  return { functionName: params.FunctionName, payload: params.Payload ?? {} };
}

/** An error the overrides reject with once the runner is closed; nothing is recorded for it. */
class RunnerClosed extends Error {
  constructor() {
    super('The execution is no longer running in this process');
    this.name = 'States.Runtime';
  }
}

/** Runs (or resumes) one execution. */
export class ExecutionRunner {
  readonly record: ExecutionRecord;
  readonly #deps: ExecutionRunnerDeps;
  readonly #tasks: Map<string, TaskStateInfo>;
  readonly #waits: Map<string, WaitStateInfo>;
  readonly #timeScale: number;
  /** Heartbeat resets of the task attempts waiting now, by token. */
  readonly #beats = new Map<string, () => void>();
  /** Sleeps of Wait states in progress, rejected when the runner closes. */
  readonly #sleeps = new Set<(error: Error) => void>();
  readonly #replay = new Map<string, TaskOutcome[]>();
  readonly #restored = new Map<string, { waiting: WaitingTask; pending: PendingTask }[]>();
  readonly #recordedEventCount: number;
  /** The recorded events this run reproduces before it adds any (see #replayable). */
  readonly #recorded: readonly RecordedHistoryEvent[];
  readonly #waitAsks = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #replayedEventCount = 0;
  #closed = false;
  #abort: (() => void) | undefined;
  #finished: Promise<void> = Promise.resolve();

  constructor(record: ExecutionRecord, deps: ExecutionRunnerDeps) {
    this.record = record;
    this.#deps = deps;
    this.#tasks = taskStates(readDefinition(record.definition));
    this.#waits = waitStates(readDefinition(record.definition));
    this.#timeScale = deps.timeScale ?? 1;
    this.#recorded = this.#replayable();
    this.#recordedEventCount = this.#recorded.length;
    for (const outcome of record.taskOutcomes) {
      const queue = this.#replay.get(outcome.state) ?? [];
      queue.push(outcome);
      this.#replay.set(outcome.state, queue);
    }
    // Registered now, not when the replay reaches them, so the token works as soon as the service is up.
    for (const waiting of record.waitingTasks) {
      const pending = deps.tokens.register(
        waiting.token,
        record.executionArn,
        waiting.state,
        (result) => this.#recordTokenResult(waiting, result),
        () => this.#beats.get(waiting.token)?.(),
      );
      const queue = this.#restored.get(waiting.state) ?? [];
      queue.push({ waiting, pending });
      this.#restored.set(waiting.state, queue);
    }
  }

  /** True while the execution runs in this process. */
  get running(): boolean {
    return !this.#closed;
  }

  /** Resolves when the engine run and its event log have ended. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** Starts (or resumes) the engine run. */
  start(): void {
    const definition = readDefinition(this.record.definition);
    const machine = new StateMachine(engineDefinition(definition, this.#timeScale), {
      validationOptions: { noValidate: true },
    });
    const taskResourceLocalHandlers: TaskHandlers = {};
    for (const task of this.#tasks.values()) {
      taskResourceLocalHandlers[task.name] = async (parameters) =>
        (await this.#runTask(task, parameters)) as JsonValue;
    }
    for (const wait of this.#waits.values()) {
      taskResourceLocalHandlers[wait.name] = async (parameters) =>
        (await this.#runWait(wait, parameters)) as JsonValue;
    }
    const run = machine.run(JSON.parse(this.record.input), {
      overrides: {
        taskResourceLocalHandlers,
        // Replayed retries already happened before the restart: no pause for them.
        retryIntervalOverrides: new Proxy({}, { get: () => (this.#replaying ? 0 : undefined) }),
      },
      context: {
        Execution: {
          Id: this.record.executionArn,
          Name: this.record.name,
          RoleArn: this.record.roleArn,
          StartTime: new Date(this.record.startDate).toISOString(),
        },
        StateMachine: {
          Id: this.record.stateMachineVersionArn ?? this.record.stateMachineArn,
          Name: this.record.stateMachineName,
        },
        Task: { Token: TASK_TOKEN_SENTINEL },
      },
    });
    this.#abort = run.abort;
    const result = run.result.then(
      () => {},
      () => {},
    );
    this.#finished = Promise.all([this.#consume(run.eventLogs as AsyncGenerator<EngineEvent>), result]).then(
      () => {},
    );
  }

  /** `StopExecution`: ends the execution as ABORTED now. */
  stop(error: string | undefined, cause: string | undefined): void {
    if (this.#closed) return;
    const details: Record<string, unknown> = {};
    if (error !== undefined) details.error = error;
    if (cause !== undefined) details.cause = cause;
    this.#replayedEventCount = this.#recordedEventCount;
    this.#emit({ type: 'ExecutionAborted', detailsField: 'executionAbortedEventDetails', details });
    this.#end('ABORTED', { error, cause });
    this.#abort?.();
  }

  /** Lets go of the execution without changing its record (the service is stopping; it resumes later). */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    this.#abort?.();
  }

  /**
   * The recorded events a re-run reproduces, in order: all of them, except what followed the states
   * redrives restarted from (see ExecutionRecord.notReplayed).
   */
  #replayable() {
    const skipped = new Set(this.record.notReplayed ?? []);
    return this.record.history.filter((event) => !skipped.has(event.id));
  }

  get #replaying(): boolean {
    return this.#replayedEventCount < this.#recordedEventCount;
  }

  /**
   * A Wait state (run as a Task override, see engineDefinition): waits `Seconds`/`SecondsPath` scaled by
   * `SFN_TIME_SCALE`, or until a `Timestamp`/`TimestampPath` whose distance from the moment the state
   * was entered is scaled the same way. A wait replayed on resume is over already; the one in progress
   * at the restart waits only what is left of it.
   */
  async #runWait(wait: WaitStateInfo, raw: unknown): Promise<unknown> {
    const { parameters: input, waitSeconds, waitTimestamp } = unwrapParameters(raw);
    const asks = (this.#waitAsks.get(wait.name) ?? 0) + 1;
    this.#waitAsks.set(wait.name, asks);
    const entered = this.#recorded.filter(
      (event) => event.type === 'WaitStateEntered' && event.details?.name === wait.name,
    );
    if (asks < entered.length) return input;
    // The wait in progress when the execution stopped resumes from its entry, unless a redrive came
    // since: a redrive re-runs the unsuccessful step ("continues … from the unsuccessful step",
    // API_RedriveExecution), so an aborted Wait waits its whole time again from the redrive.
    const redrivenAt = this.record.history.findLast((event) => event.type === 'ExecutionRedriven')?.timestamp;
    const resumedAt = entered.at(-1)?.timestamp;
    const enteredAt =
      asks === entered.length && resumedAt !== undefined
        ? Math.max(resumedAt, redrivenAt ?? resumedAt)
        : Date.now();
    const seconds = wait.seconds ?? waitSeconds;
    const timestamp = wait.timestamp ?? waitTimestamp;
    let end: number;
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw new TaskFailure(
          'States.Runtime',
          `The SecondsPath of '${wait.name}' must give a non-negative integer`,
        );
      }
      end = enteredAt + scaledMs(seconds, this.#timeScale);
    } else {
      const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
      if (Number.isNaN(at)) {
        throw new TaskFailure(
          'States.Runtime',
          `The TimestampPath of '${wait.name}' must give an ISO 8601 timestamp`,
        );
      }
      end = enteredAt + Math.max(0, at - enteredAt) * this.#timeScale;
    }
    // One timer holds at most maxTimerMs: sleep again until the end (README, "A limit AWS does not have").
    while (Date.now() < end) {
      await this.#sleep(end - Date.now());
      this.#assertOpen();
    }
    this.#assertOpen();
    return input;
  }

  /** Sleeps `ms` (none when not positive); rejects with {@link RunnerClosed} if the runner closes first. */
  #sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          this.#sleeps.delete(reject);
          resolve();
        },
        Math.min(maxTimerMs, ms),
      );
      this.#timers.add(timer);
      this.#sleeps.add(reject);
    });
  }

  #emit(event: NewHistoryEvent, timestamp = Date.now()): void {
    if (this.#closed) return;
    if (this.#replaying) {
      this.#replayedEventCount++;
      return;
    }
    const id = this.record.history.length + 1;
    this.record.history.push({
      timestamp,
      id,
      previousEventId: this.#previousEventId(event.type, id),
      ...event,
    });
    this.#deps.onChange(this.record);
  }

  /**
   * AWS links each event to the one before it, except two that start a chain of their own: the first
   * state's `*StateEntered` and `ExecutionAborted` both say 0 (docs/decisions.md, "Step Functions history
   * as AWS records it").
   */
  #previousEventId(type: string, id: number): number {
    if (type === 'ExecutionAborted') return 0;
    if (type.endsWith('StateEntered') && !this.record.history.some((e) => e.type.endsWith('StateEntered'))) {
      return 0;
    }
    return id - 1;
  }

  #end(
    status: ExecutionStatus,
    fields: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (this.#closed) return;
    this.record.status = status;
    this.record.stopDate = Date.now();
    if (fields.output !== undefined) this.record.output = fields.output;
    if (fields.error !== undefined) this.record.error = fields.error;
    if (fields.cause !== undefined) this.record.cause = fields.cause;
    this.record.waitingTasks = [];
    this.#deps.onChange(this.record);
    this.#closed = true;
    this.#release();
    this.#deps.onEnd?.(this.record);
  }

  #release(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const reject of this.#sleeps) reject(new RunnerClosed());
    this.#sleeps.clear();
    this.#beats.clear();
    // Settles overrides still waiting (e.g. a Parallel branch the engine abandoned), freeing engine timers.
    this.#deps.tokens.cancelExecution(this.record.executionArn, new RunnerClosed());
    for (const queue of this.#restored.values()) {
      for (const { pending } of queue) this.#deps.tokens.cancel(pending.token, new RunnerClosed());
    }
  }

  async #consume(events: AsyncGenerator<EngineEvent>): Promise<void> {
    for await (const event of events) this.#translate(event);
  }

  #translate(event: EngineEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
        this.#emit(
          {
            type: 'ExecutionStarted',
            detailsField: 'executionStartedEventDetails',
            details: {
              input: this.record.input,
              inputDetails: notTruncated,
              roleArn: this.record.roleArn,
              ...(this.record.stateMachineVersionArn
                ? { stateMachineVersionArn: this.record.stateMachineVersionArn }
                : {}),
            },
          },
          // The execution started when StartExecution answered, not when the engine got going.
          this.record.startDate,
        );
        return;
      case 'StateEntered':
        if (!event.state) return;
        this.#emit({
          type: `${this.#stateType(event.state)}StateEntered`,
          detailsField: 'stateEnteredEventDetails',
          details: {
            name: event.state.name,
            input: payloadText(event.state.input),
            inputDetails: notTruncated,
          },
        });
        return;
      case 'StateExited':
        if (!event.state) return;
        this.#emit({
          type: `${this.#stateType(event.state)}StateExited`,
          detailsField: 'stateExitedEventDetails',
          details: {
            name: event.state.name,
            output: payloadText(event.state.output),
            outputDetails: notTruncated,
          },
        });
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const detailsField = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        this.#emit({
          type: event.type,
          detailsField,
          details: { name: event.parentState?.name, index: event.index },
        });
        return;
      }
      case 'ExecutionSucceeded': {
        const output = payloadText(event.output);
        this.#emit({
          type: 'ExecutionSucceeded',
          detailsField: 'executionSucceededEventDetails',
          details: { output, outputDetails: notTruncated },
        });
        this.#end('SUCCEEDED', { output });
        return;
      }
      case 'ExecutionFailed': {
        // null: a SendTaskFailure without error/cause, which AWS records as absent.
        const error = event.Error === null ? undefined : (event.Error ?? 'States.Runtime');
        const cause =
          event.Cause === null
            ? undefined
            : typeof event.Cause === 'string'
              ? event.Cause
              : JSON.stringify(event.Cause ?? '');
        this.#emit({
          type: 'ExecutionFailed',
          detailsField: 'executionFailedEventDetails',
          details: errorDetails(error, cause),
        });
        this.#end('FAILED', { error, cause });
        return;
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        const details = { error, cause: 'The execution exceeded its TimeoutSeconds' };
        this.#emit({ type: 'ExecutionTimedOut', detailsField: 'executionTimedOutEventDetails', details });
        this.#end('TIMED_OUT', details);
        return;
      }
      case 'ExecutionAborted':
        this.#emit({ type: 'ExecutionAborted', detailsField: 'executionAbortedEventDetails', details: {} });
        this.#end('ABORTED', {});
        return;
      default:
        // StateFailed/Retried/Caught and Parallel branch events have no AWS history event of their own.
        return;
    }
  }

  /** The state's ASL type: Wait states run as Tasks in the engine (see engineDefinition). */
  #stateType(state: { name: string; type: string }): string {
    return state.type === 'Task' && this.#waits.has(state.name) ? 'Wait' : state.type;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RunnerClosed();
  }

  async #runTask(task: TaskStateInfo, raw: unknown): Promise<unknown> {
    // Let the event log catch up first, so TaskScheduled lands after the state's *StateEntered.
    await nextMacrotask();
    this.#assertOpen();
    const { parameters, limits } = this.#taskLimits(task, raw);
    const recorded = this.#replay.get(task.name)?.shift();
    if (recorded) return this.#replayOutcome(task, recorded, limits);
    switch (task.kind) {
      case 'waitForTaskToken':
        return this.#runWaitForToken(task, parameters, limits);
      case 'invoke':
      case 'function':
        return this.#runInvoke(task, parameters, limits);
      default:
        throw new TaskFailure(
          'States.Runtime',
          `The local Step Functions service cannot run resource '${task.resource}'`,
        );
    }
  }

  /**
   * The task's own parameters and limits: `TimeoutSecondsPath`/`HeartbeatSecondsPath` values arrive
   * wrapped with the parameters (see engineDefinition) and must be positive integers, as in AWS.
   */
  #taskLimits(task: TaskStateInfo, raw: unknown): { parameters: unknown; limits: TaskLimits } {
    if (!task.dynamicTimeouts) {
      return {
        parameters: raw,
        limits: {
          ...(task.timeoutSeconds === undefined ? {} : { timeoutSeconds: task.timeoutSeconds }),
          ...(task.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: task.heartbeatSeconds }),
        },
      };
    }
    const unwrapped = unwrapParameters(raw);
    const pick = (value: unknown, fixed: number | undefined, field: string): number | undefined => {
      if (value === undefined) return fixed;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TaskFailure(
          'States.Runtime',
          `The ${field} of '${task.name}' must give a positive integer`,
        );
      }
      return value;
    };
    const timeoutSeconds = pick(unwrapped.timeoutSeconds, task.timeoutSeconds, 'TimeoutSecondsPath');
    const heartbeatSeconds = pick(unwrapped.heartbeatSeconds, task.heartbeatSeconds, 'HeartbeatSecondsPath');
    return {
      parameters: unwrapped.parameters,
      limits: {
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
        ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
      },
    };
  }

  #replayOutcome(task: TaskStateInfo, outcome: TaskOutcome, limits: TaskLimits): unknown {
    const events = this.#taskEvents(task, limits);
    events.scheduled(outcome.parameters);
    events.started();
    if (outcome.submittedOutput !== undefined) events.submitted(outcome.submittedOutput);
    return this.#finish(outcome.result, events);
  }

  /** Emits the end of a task attempt and returns its output or throws its failure. */
  #finish(result: TaskResult, events: TaskEvents): unknown {
    if (result.ok) {
      events.succeeded(result.output);
      return result.output;
    }
    if (result.timedOut) events.timedOut(result.error, result.cause);
    else events.failed(result.error, result.cause);
    throw new TaskFailure(result.error, result.cause, result.timedOut);
  }

  #settle(outcome: Omit<TaskOutcome, 'result'>, run: () => unknown, events: TaskEvents) {
    let result: TaskResult;
    try {
      result = { ok: true, output: toJson(run()) };
    } catch (error) {
      const failure = failureFromInvokeError(error);
      result = { ok: false, error: failure.error, cause: failure.failureCause, timedOut: failure.timedOut };
    }
    this.record.taskOutcomes.push({ ...outcome, result });
    this.#deps.onChange(this.record);
    return this.#finish(result, events);
  }

  async #runInvoke(task: TaskStateInfo, parameters: unknown, limits: TaskLimits): Promise<unknown> {
    const events = this.#taskEvents(task, limits);
    events.scheduled(parameters);
    events.started();
    const deadline = this.#deadline(limits.timeoutSeconds);
    let value: unknown;
    let thrown: unknown;
    try {
      const { functionName, payload } =
        task.kind === 'invoke'
          ? lambdaInvokeArguments(parameters)
          : { functionName: task.resource, payload: parameters };
      const clock = this.#startClock(deadline, undefined);
      try {
        value = await this.#race(this.#deps.invokeFunction(functionName, payload), clock);
      } finally {
        clock.stop();
      }
    } catch (error) {
      thrown = error ?? new Error('invokeFunction failed');
    }
    this.#assertOpen();
    return this.#settle(
      { state: task.name, parameters },
      () => {
        if (thrown !== undefined) throw thrown;
        return task.kind === 'invoke' ? lambdaInvokeResult(value) : value;
      },
      events,
    );
  }

  async #runWaitForToken(task: TaskStateInfo, rawParameters: unknown, limits: TaskLimits): Promise<unknown> {
    const events = this.#taskEvents(task, limits);
    const restored = this.#restored.get(task.name)?.shift();
    if (restored) {
      const { waiting, pending } = restored;
      events.scheduled(waiting.parameters);
      events.started();
      if (waiting.submittedOutput !== undefined) events.submitted(waiting.submittedOutput);
      // The heartbeat clock starts again with the resume; the deadline is the one recorded.
      const clock = this.#startClock(waiting.deadline, waiting.heartbeatMs, waiting.token);
      return this.#awaitToken(task, waiting, pending, events, clock);
    }
    const token = mintTaskToken(this.record.executionArn);
    const parameters = replaceSentinel(rawParameters, token);
    const deadline = this.#deadline(limits.timeoutSeconds);
    const heartbeatMs =
      limits.heartbeatSeconds === undefined ? undefined : scaledMs(limits.heartbeatSeconds, this.#timeScale);
    const waiting: WaitingTask = {
      state: task.name,
      token,
      parameters,
      ...(deadline === undefined ? {} : { deadline }),
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    };
    const pending = this.#deps.tokens.register(
      token,
      this.record.executionArn,
      task.name,
      (result) => this.#recordTokenResult(waiting, result),
      () => this.#beats.get(token)?.(),
    );
    this.record.waitingTasks.push(waiting);
    events.scheduled(parameters);
    events.started();
    this.#deps.onChange(this.record);
    // Both clocks run from the start of the task, also while its function is being invoked.
    const clock = this.#startClock(deadline, heartbeatMs, token);
    let invokeError: unknown;
    try {
      const { functionName, payload } = lambdaInvokeArguments(parameters);
      const result = await this.#race(this.#deps.invokeFunction(functionName, payload), clock);
      this.#assertOpen();
      waiting.submittedOutput = lambdaInvokeResult(result);
      this.#addSubmittedOutput(waiting);
      events.submitted(waiting.submittedOutput);
      this.#deps.onChange(this.record);
    } catch (error) {
      invokeError = error ?? new Error('invokeFunction failed');
    }
    // A result the token's sender was already told about stands, even if the invocation then failed.
    if (invokeError !== undefined && this.#recordedOutcome(token) === undefined) {
      clock.stop();
      this.#assertOpen();
      this.#deps.tokens.cancel(token, new RunnerClosed());
      this.#dropWaiting(waiting);
      return this.#settle(
        { state: task.name, parameters, token },
        () => {
          throw invokeError;
        },
        events,
      );
    }
    return this.#awaitToken(task, waiting, pending, events, clock);
  }

  async #awaitToken(
    task: TaskStateInfo,
    waiting: WaitingTask,
    pending: PendingTask,
    events: TaskEvents,
    clock: TaskClock,
  ) {
    let output: unknown;
    let thrown: unknown;
    try {
      output = await this.#race(pending.promise, clock);
    } catch (error) {
      thrown = error ?? new Error('task failed');
    } finally {
      clock.stop();
    }
    // A timed-out token is spent: a late SendTaskSuccess/Failure gets TaskTimedOut, as in AWS.
    if (thrown instanceof TaskFailure && thrown.timedOut) {
      this.#deps.tokens.cancel(waiting.token, new RunnerClosed());
    }
    if (thrown instanceof RunnerClosed) throw thrown;
    this.#assertOpen();
    this.#dropWaiting(waiting);
    const recorded = this.#recordedOutcome(waiting.token);
    if (recorded) return this.#finish(recorded.result, events);
    const outcome: Omit<TaskOutcome, 'result'> = {
      state: task.name,
      parameters: waiting.parameters,
      token: waiting.token,
      ...(waiting.submittedOutput === undefined ? {} : { submittedOutput: waiting.submittedOutput }),
    };
    return this.#settle(
      outcome,
      () => {
        if (thrown !== undefined) throw thrown;
        return output;
      },
      events,
    );
  }

  /**
   * The token's sender is answered once the record is on disk, so the result goes into the record now:
   * a resume replays it (the token is no longer waiting, a second use of it is refused).
   */
  #recordTokenResult(waiting: WaitingTask, result: TaskResult): void {
    if (this.#closed) return;
    this.#dropWaiting(waiting);
    this.record.taskOutcomes.push({
      state: waiting.state,
      parameters: waiting.parameters,
      token: waiting.token,
      ...(waiting.submittedOutput === undefined ? {} : { submittedOutput: waiting.submittedOutput }),
      result,
    });
    this.#deps.onChange(this.record);
  }

  #recordedOutcome(token: string): TaskOutcome | undefined {
    return this.record.taskOutcomes.find((outcome) => outcome.token === token);
  }

  /** The function returned after the token was settled: the replay must emit its `TaskSubmitted` too. */
  #addSubmittedOutput(waiting: WaitingTask): void {
    const index = this.record.taskOutcomes.findIndex((outcome) => outcome.token === waiting.token);
    const outcome = this.record.taskOutcomes[index];
    if (outcome) this.record.taskOutcomes[index] = { ...outcome, submittedOutput: waiting.submittedOutput };
  }

  #dropWaiting(waiting: WaitingTask): void {
    this.record.waitingTasks = this.record.waitingTasks.filter((item) => item !== waiting);
  }

  /** When a task attempt starting now times out (epoch ms), `TimeoutSeconds` scaled by SFN_TIME_SCALE. */
  #deadline(timeoutSeconds: number | undefined): number | undefined {
    return timeoutSeconds === undefined ? undefined : Date.now() + scaledMs(timeoutSeconds, this.#timeScale);
  }

  /**
   * Starts a task attempt's clocks: the deadline (`States.Timeout`) and, with `heartbeatMs`, the
   * heartbeat clock (`States.HeartbeatTimeout`) that each `SendTaskHeartbeat` of `token` starts again.
   */
  #startClock(deadline: number | undefined, heartbeatMs: number | undefined, token?: string): TaskClock {
    const { promise, reject } = Promise.withResolvers<never>();
    promise.catch(() => {});
    const timers = new Set<NodeJS.Timeout>();
    const arm = (ms: number, error: string) => {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          reject(new TaskFailure(error, 'Task timed out', true));
        },
        Math.min(maxTimerMs, Math.max(0, ms)),
      );
      timers.add(timer);
      this.#timers.add(timer);
      return timer;
    };
    const disarm = (timer: NodeJS.Timeout | undefined) => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timers.delete(timer);
      this.#timers.delete(timer);
    };
    if (deadline !== undefined) arm(deadline - Date.now(), 'States.Timeout');
    let heartbeat = heartbeatMs === undefined ? undefined : arm(heartbeatMs, 'States.HeartbeatTimeout');
    const beat = () => {
      if (heartbeatMs === undefined) return;
      disarm(heartbeat);
      heartbeat = arm(heartbeatMs, 'States.HeartbeatTimeout');
    };
    if (token !== undefined) this.#beats.set(token, beat);
    return {
      expired: promise,
      beat,
      stop: () => {
        for (const timer of [...timers]) disarm(timer);
        if (token !== undefined && this.#beats.get(token) === beat) this.#beats.delete(token);
      },
    };
  }

  /** Races `work` against the clock; on expiry rejects with its `States.Timeout`/`HeartbeatTimeout`. */
  async #race<T>(work: Promise<T>, clock: TaskClock): Promise<T> {
    return await Promise.race([work, clock.expired]);
  }

  #taskEvents(task: TaskStateInfo, limits: TaskLimits): TaskEvents {
    const emit = (event: NewHistoryEvent) => this.#emit(event);
    const timeout = {
      ...(limits.timeoutSeconds === undefined ? {} : { timeoutInSeconds: limits.timeoutSeconds }),
      ...(limits.heartbeatSeconds === undefined ? {} : { heartbeatInSeconds: limits.heartbeatSeconds }),
    };
    if (task.kind === 'function') {
      // LambdaFunctionScheduled has a timeout but no heartbeat field.
      const { heartbeatInSeconds: _heartbeat, ...lambdaTimeout } = timeout;
      return {
        scheduled: (input) =>
          emit({
            type: 'LambdaFunctionScheduled',
            detailsField: 'lambdaFunctionScheduledEventDetails',
            details: {
              resource: task.resource,
              input: payloadText(input),
              inputDetails: notTruncated,
              ...lambdaTimeout,
            },
          }),
        started: () => emit({ type: 'LambdaFunctionStarted' }),
        submitted: () => {},
        succeeded: (output) =>
          emit({
            type: 'LambdaFunctionSucceeded',
            detailsField: 'lambdaFunctionSucceededEventDetails',
            details: { output: payloadText(output), outputDetails: notTruncated },
          }),
        failed: (error, cause) =>
          emit({
            type: 'LambdaFunctionFailed',
            detailsField: 'lambdaFunctionFailedEventDetails',
            details: errorDetails(error, cause),
          }),
        timedOut: (error, cause) =>
          emit({
            type: 'LambdaFunctionTimedOut',
            detailsField: 'lambdaFunctionTimedOutEventDetails',
            details: { error, cause },
          }),
      };
    }
    const resourceType = 'lambda';
    const resource = task.resource.slice('arn:aws:states:::lambda:'.length) || task.resource;
    const base = { resourceType, resource };
    return {
      scheduled: (parameters) =>
        emit({
          type: 'TaskScheduled',
          detailsField: 'taskScheduledEventDetails',
          details: { ...base, region: this.#deps.region, parameters: payloadText(parameters), ...timeout },
        }),
      started: () => emit({ type: 'TaskStarted', detailsField: 'taskStartedEventDetails', details: base }),
      submitted: (output) =>
        emit({
          type: 'TaskSubmitted',
          detailsField: 'taskSubmittedEventDetails',
          details: { ...base, output: payloadText(output), outputDetails: notTruncated },
        }),
      succeeded: (output) =>
        emit({
          type: 'TaskSucceeded',
          detailsField: 'taskSucceededEventDetails',
          details: { ...base, output: payloadText(output), outputDetails: notTruncated },
        }),
      failed: (error, cause) =>
        emit({
          type: 'TaskFailed',
          detailsField: 'taskFailedEventDetails',
          details: { ...base, ...errorDetails(error, cause) },
        }),
      // AWS's TaskTimedOut carries the error (States.Timeout) and the resource, no cause.
      timedOut: (error) =>
        emit({
          type: 'TaskTimedOut',
          detailsField: 'taskTimedOutEventDetails',
          details: { ...base, error },
        }),
    };
  }
}

interface TaskEvents {
  scheduled(parameters: unknown): void;
  started(): void;
  submitted(output: unknown): void;
  succeeded(output: unknown): void;
  failed(error: string | undefined, cause: string | undefined): void;
  timedOut(error: string | undefined, cause: string | undefined): void;
}

/** `error`/`cause` as AWS records them: a key only for a value given. */
function errorDetails(error: string | undefined, cause: string | undefined): Record<string, string> {
  return { ...(error === undefined ? {} : { error }), ...(cause === undefined ? {} : { cause }) };
}
