/**
 * The error a Task override rejects with. The engine matches `Retry`/`Catch` `ErrorEquals` against the
 * error's `name` and puts its `message` in the `Cause` field, so `name` is the Step Functions error
 * (e.g. `Lambda.ServiceException`, or what `SendTaskFailure` said) and `message` is the cause.
 */
export class TaskFailure extends Error {
  /** True when the task failed with `States.Timeout` because its `TimeoutSeconds` elapsed. */
  readonly timedOut: boolean;

  /** The Step Functions error, absent when `SendTaskFailure` named none. */
  readonly error: string | undefined;
  /** The cause, absent when `SendTaskFailure` gave none. */
  readonly failureCause: string | undefined;

  constructor(error: string | undefined, cause: string | undefined, timedOut = false) {
    super(cause);
    this.error = error;
    this.failureCause = cause;
    this.timedOut = timedOut;
    // The engine builds a Catch output as { Error: name, Cause: message }: AWS gives
    // { "Error": null, "Cause": null } for a SendTaskFailure without them, so null stands in here.
    Object.defineProperty(this, 'name', { value: error ?? null, writable: true, configurable: true });
    Object.defineProperty(this, 'message', { value: cause ?? null, writable: true, configurable: true });
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
