/**
 * Errors the local Step Functions service answers with. The `type` is the AWS exception name, which the
 * AWS SDK reads from `__type` to raise the matching exception class (e.g. `ExecutionAlreadyExists`).
 */
export class SfnServiceError extends Error {
  /** The AWS exception name, e.g. `StateMachineDoesNotExist`. */
  readonly type: string;
  /** HTTP status code of the response. */
  readonly statusCode: number;

  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.name = 'SfnServiceError';
    this.type = type;
    this.statusCode = statusCode;
  }
}
