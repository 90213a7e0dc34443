/**
 * The error a Task override rejects with. The engine matches `Retry`/`Catch` `ErrorEquals` against the
 * error's `name` and puts its `message` in the `Cause` field, so `name` is the Step Functions error
 * (e.g. `Lambda.ServiceException`, or what `SendTaskFailure` said) and `message` is the cause.
 */
export class TaskFailure extends Error {
  /** True when the task failed with `States.Timeout` because its `TimeoutSeconds` elapsed. */
  readonly timedOut: boolean;

  constructor(error: string, cause: string, timedOut = false) {
    super(cause);
    this.name = error;
    this.timedOut = timedOut;
  }
}

/**
 * Turns what `invokeFunction` threw into a task failure the way Lambda reports function errors: the
 * error is the thrown error's `name` (so `Retry` on `Lambda.ServiceException`, `States.TaskFailed` or a
 * custom error name matches) and the cause is Lambda's JSON `{ errorType, errorMessage, trace }`.
 */
export function failureFromInvokeError(error: unknown): TaskFailure {
  if (error instanceof TaskFailure) return error;
  if (error instanceof Error) {
    const errorType = error.name || 'Error';
    const trace = error.stack?.split('\n') ?? [];
    return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage: error.message, trace }));
  }
  return new TaskFailure(
    'Error',
    JSON.stringify({ errorType: 'Error', errorMessage: String(error), trace: [] }),
  );
}
