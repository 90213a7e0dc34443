/**
 * Runs one execution on the `aws-local-stepfunctions` engine: Task states go through local overrides
 * (Lambda invoke, `.waitForTaskToken` with real tokens), the engine's event log and the overrides'
 * observations become AWS-shaped history, and a resumed execution replays its recorded task results.
 *
 * Resuming re-runs the definition from the start with the same input: each Task state takes its
 * recorded results in order (no function is invoked), the task that was waiting re-registers its SAME
 * token, and the first `history.length` events the replay produces are the ones already recorded, so
 * they are dropped instead of appended again.
 *
 * What `SendTaskSuccess`/`SendTaskFailure` says is recorded as the task's result at once, before the
 * engine takes it up, so the service can persist it before answering; a resume replays it like any other.
 */
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { engineDefinition, readDefinition, type TaskStateInfo, taskStates } from './definition.ts';
import { type NewHistoryEvent, notTruncated, payloadText } from './history.ts';
import type { ExecutionRecord, ExecutionStatus, TaskOutcome, TaskResult, WaitingTask } from './records.ts';
import { failureFromInvokeError, TaskFailure } from './task-failure.ts';
import {
  mintTaskToken,
  type PendingTask,
  replaceSentinel,
  TASK_TOKEN_SENTINEL,
  type TaskTokenRegistry,
} from './task-tokens.ts';

/** Invokes a Lambda function locally: by name or ARN, with a JSON payload; resolves with its result. */
export type InvokeFunction = (functionNameOrArn: string, payload: unknown) => Promise<unknown>;

/** What a runner needs from the service around it. */
export interface ExecutionRunnerDeps {
  readonly region: string;
  readonly invokeFunction: InvokeFunction;
  readonly tokens: TaskTokenRegistry;
  /** Called whenever the record changed and should be persisted (when convenient: nobody waits for it). */
  readonly onChange: (record: ExecutionRecord) => void;
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
  readonly #replay = new Map<string, TaskOutcome[]>();
  readonly #restored = new Map<string, { waiting: WaitingTask; pending: PendingTask }[]>();
  readonly #recordedEventCount: number;
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
    this.#recordedEventCount = record.history.length;
    for (const outcome of record.taskOutcomes) {
      const queue = this.#replay.get(outcome.state) ?? [];
      queue.push(outcome);
      this.#replay.set(outcome.state, queue);
    }
    // Registered now, not when the replay reaches them, so the token works as soon as the service is up.
    for (const waiting of record.waitingTasks) {
      const pending = deps.tokens.register(waiting.token, record.executionArn, waiting.state, (result) =>
        this.#recordTokenResult(waiting, result),
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
    const machine = new StateMachine(engineDefinition(definition), {
      validationOptions: { noValidate: true },
    });
    const taskResourceLocalHandlers: TaskHandlers = {};
    for (const task of this.#tasks.values()) {
      taskResourceLocalHandlers[task.name] = async (parameters) =>
        (await this.#runTask(task, parameters)) as JsonValue;
    }
    const run = machine.run(JSON.parse(this.record.input), {
      overrides: {
        taskResourceLocalHandlers,
        // Replayed retries and waits already happened before the restart: no pause for them.
        retryIntervalOverrides: new Proxy({}, { get: () => (this.#replaying ? 0 : undefined) }),
        waitTimeOverrides: new Proxy(
          {},
          { get: (_target, name) => this.#waitOverride(String(name), definition) },
        ),
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

  get #replaying(): boolean {
    return this.#replayedEventCount < this.#recordedEventCount;
  }

  #waitOverride(stateName: string, definition: ReturnType<typeof readDefinition>): number | undefined {
    const asks = (this.#waitAsks.get(stateName) ?? 0) + 1;
    this.#waitAsks.set(stateName, asks);
    const entered = this.record.history
      .slice(0, this.#recordedEventCount)
      .filter((event) => event.type === 'WaitStateEntered' && event.details?.name === stateName);
    if (asks < entered.length) return 0;
    if (asks > entered.length) return undefined;
    // The wait in progress at the restart: with a fixed `Seconds`, only what is left of it.
    const enteredAt = entered.at(-1)?.timestamp ?? Date.now();
    const state = findState(definition, stateName);
    const seconds = state && typeof state.Seconds === 'number' ? state.Seconds : undefined;
    return seconds === undefined ? undefined : Math.max(0, enteredAt + seconds * 1000 - Date.now());
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
  }

  #release(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
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
          type: `${event.state.type}StateEntered`,
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
          type: `${event.state.type}StateExited`,
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

  #assertOpen(): void {
    if (this.#closed) throw new RunnerClosed();
  }

  async #runTask(task: TaskStateInfo, parameters: unknown): Promise<unknown> {
    // Let the event log catch up first, so TaskScheduled lands after the state's *StateEntered.
    await nextMacrotask();
    this.#assertOpen();
    const recorded = this.#replay.get(task.name)?.shift();
    if (recorded) return this.#replayOutcome(task, recorded);
    switch (task.kind) {
      case 'waitForTaskToken':
        return this.#runWaitForToken(task, parameters);
      case 'invoke':
      case 'function':
        return this.#runInvoke(task, parameters);
      default:
        throw new TaskFailure(
          'States.Runtime',
          `The local Step Functions service cannot run resource '${task.resource}'`,
        );
    }
  }

  #replayOutcome(task: TaskStateInfo, outcome: TaskOutcome): unknown {
    const events = this.#taskEvents(task);
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

  async #runInvoke(task: TaskStateInfo, parameters: unknown): Promise<unknown> {
    const events = this.#taskEvents(task);
    events.scheduled(parameters);
    events.started();
    const deadline = task.timeoutSeconds === undefined ? undefined : Date.now() + task.timeoutSeconds * 1000;
    let value: unknown;
    let thrown: unknown;
    try {
      const { functionName, payload } =
        task.kind === 'invoke'
          ? lambdaInvokeArguments(parameters)
          : { functionName: task.resource, payload: parameters };
      value = await this.#withDeadline(this.#deps.invokeFunction(functionName, payload), deadline);
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

  async #runWaitForToken(task: TaskStateInfo, rawParameters: unknown): Promise<unknown> {
    const events = this.#taskEvents(task);
    const restored = this.#restored.get(task.name)?.shift();
    if (restored) {
      const { waiting, pending } = restored;
      events.scheduled(waiting.parameters);
      events.started();
      if (waiting.submittedOutput !== undefined) events.submitted(waiting.submittedOutput);
      return this.#awaitToken(task, waiting, pending, events);
    }
    const token = mintTaskToken(this.record.executionArn);
    const parameters = replaceSentinel(rawParameters, token);
    const waiting: WaitingTask = {
      state: task.name,
      token,
      parameters,
      ...(task.timeoutSeconds === undefined ? {} : { deadline: Date.now() + task.timeoutSeconds * 1000 }),
    };
    const pending = this.#deps.tokens.register(token, this.record.executionArn, task.name, (result) =>
      this.#recordTokenResult(waiting, result),
    );
    this.record.waitingTasks.push(waiting);
    events.scheduled(parameters);
    events.started();
    this.#deps.onChange(this.record);
    let invokeError: unknown;
    try {
      const { functionName, payload } = lambdaInvokeArguments(parameters);
      const result = await this.#withDeadline(
        this.#deps.invokeFunction(functionName, payload),
        waiting.deadline,
      );
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
    return this.#awaitToken(task, waiting, pending, events);
  }

  async #awaitToken(task: TaskStateInfo, waiting: WaitingTask, pending: PendingTask, events: TaskEvents) {
    let output: unknown;
    let thrown: unknown;
    try {
      output = await this.#withDeadline(pending.promise, waiting.deadline, () =>
        this.#deps.tokens.cancel(waiting.token, new RunnerClosed()),
      );
    } catch (error) {
      thrown = error ?? new Error('task failed');
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

  /** Races `work` against the task's deadline; on expiry rejects with `States.Timeout`. */
  #withDeadline<T>(work: Promise<T>, deadline: number | undefined, onTimeout?: () => void): Promise<T> {
    if (deadline === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          onTimeout?.();
          reject(new TaskFailure('States.Timeout', 'Task timed out', true));
        },
        Math.min(maxTimerMs, Math.max(0, deadline - Date.now())),
      );
      this.#timers.add(timer);
      work.then(
        (value) => {
          clearTimeout(timer);
          this.#timers.delete(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.#timers.delete(timer);
          reject(error);
        },
      );
    });
  }

  #taskEvents(task: TaskStateInfo): TaskEvents {
    const emit = (event: NewHistoryEvent) => this.#emit(event);
    const timeout = task.timeoutSeconds === undefined ? {} : { timeoutInSeconds: task.timeoutSeconds };
    if (task.kind === 'function') {
      return {
        scheduled: (input) =>
          emit({
            type: 'LambdaFunctionScheduled',
            detailsField: 'lambdaFunctionScheduledEventDetails',
            details: {
              resource: task.resource,
              input: payloadText(input),
              inputDetails: notTruncated,
              ...timeout,
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

/** Finds a state by name anywhere in the definition (top level, branches, Map processors). */
function findState(definition: unknown, name: string): Record<string, unknown> | undefined {
  const states = (definition as { States?: Record<string, Record<string, unknown>> }).States ?? {};
  if (states[name]) return states[name];
  for (const state of Object.values(states)) {
    const nested = [...((state.Branches as unknown[]) ?? []), state.ItemProcessor ?? state.Iterator].filter(
      Boolean,
    );
    for (const child of nested) {
      const found = findState(child, name);
      if (found) return found;
    }
  }
  return undefined;
}
