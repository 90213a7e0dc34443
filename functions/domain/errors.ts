/**
 * Named domain errors. The domain throws these; the HTTP edge maps them to problem+json once.
 */

/** One offending field of an input, named by its path. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The input does not have the right shape (400). */
export class ValidationError extends Error {
  readonly errors: readonly FieldError[];
  constructor(message: string, errors: readonly FieldError[] = []) {
    super(message);
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

/** The thing asked for does not exist, or the caller may not know it exists (404). */
export class NotFoundError extends Error {
  constructor(what: string, id: string) {
    super(`${what} ${id} was not found.`);
    this.name = 'NotFoundError';
  }
}

/** A write was based on a version that is no longer current (409). */
export class VersionConflictError extends Error {
  readonly currentVersion: number | undefined;
  constructor(message: string, currentVersion?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VersionConflictError';
    this.currentVersion = currentVersion;
  }
}

/** The request is well formed but breaks a business rule (422), e.g. an illegal stage transition. */
export class RuleViolationError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'RuleViolationError';
    this.code = code;
    this.details = details;
  }
}

/**
 * The request is right but the state of things does not allow it now (409): a second vote by the
 * same board member, a deployment task another technician holds. `code` is the problem type's
 * slug, `details` says who or what stands in the way.
 */
export class ConflictError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ConflictError';
    this.code = code;
    this.details = details;
  }
}

/**
 * A transition whose gates do not hold now (409): the request is right, the state of things is
 * not yet — tasks not done, approvals missing. It may succeed later without any change to it, which
 * is what sets it apart from a rule violation (422). `details` says what each gate waits for.
 */
export class GateFailedError extends ConflictError {
  constructor(message: string, details: Record<string, unknown>) {
    super('transition-gate-failed', message, details);
    this.name = 'GateFailedError';
  }
}

/**
 * The caller is known but lacks the process, team or role the action needs (403). `details` says
 * which rule refused when one did (an access policy's `rule`).
 */
export class ForbiddenError extends Error {
  readonly details: Readonly<Record<string, unknown>>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ForbiddenError';
    this.details = details;
  }
}

/** An Idempotency-Key was reused with a different request (422). */
export class IdempotencyKeyReusedError extends Error {
  constructor() {
    super('This Idempotency-Key was already used with a different request.');
    this.name = 'IdempotencyKeyReusedError';
  }
}
