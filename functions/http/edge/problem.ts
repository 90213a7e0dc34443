/**
 * RFC 9457 problem details. Every error response is built here, once, at the edge.
 */
import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  GateFailedError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '#domain/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** At most this many field errors are listed in one problem; `errorsOmitted` counts the rest. */
export const MAX_LISTED_ERRORS = 50;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

/** Problem type URIs: stable identifiers, listed in the OpenAPI document's descriptions. */
export const problemType = (slug: string) => `urn:release-desk:problem:${slug}`;

/** An error raised by the HTTP edge itself (auth, routing, size, content type, preconditions). */
export class HttpProblem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;
  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    options: { headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** Maps any thrown value to a problem; `undefined` means "unknown: answer a generic 500". */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } | undefined {
  const make = (
    status: number,
    slug: string,
    title: string,
    detail: string,
    ext: Record<string, unknown> = {},
  ) => ({
    // Extensions never replace a problem's own members.
    problem: { ...ext, type: problemType(slug), title, status, detail },
    headers: {},
  });
  if (error instanceof HttpProblem) {
    return {
      ...make(error.status, error.slug, error.title, error.message, { ...error.extensions }),
      headers: { ...error.headers },
    };
  }
  if (error instanceof ValidationError) {
    // A body of thousands of bad fields must not make a megabyte-sized answer.
    const listed = error.errors.slice(0, MAX_LISTED_ERRORS);
    const omitted = error.errors.length - listed.length;
    return make(
      400,
      'validation',
      'Validation failed',
      omitted > 0
        ? `${error.message} The first ${listed.length} of ${error.errors.length} faults are listed.`
        : error.message,
      { errors: listed, ...(omitted > 0 ? { errorsOmitted: omitted } : {}) },
    );
  }
  if (error instanceof NotFoundError) return make(404, 'not-found', 'Not Found', error.message);
  if (error instanceof ForbiddenError) {
    return make(403, 'forbidden', 'Forbidden', error.message, { ...error.details });
  }
  if (error instanceof VersionConflictError) {
    return make(409, 'version-conflict', 'Version conflict', error.message, {
      ...(error.currentVersion !== undefined ? { currentVersion: error.currentVersion } : {}),
    });
  }
  if (error instanceof ConflictError) {
    const title = error instanceof GateFailedError ? 'Gate not met' : 'Conflict';
    return make(409, error.code, title, error.message, { ...error.details });
  }
  if (error instanceof RuleViolationError) {
    return make(422, error.code, 'Rule violation', error.message, { ...error.details });
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return make(422, 'idempotency-key-reused', 'Idempotency-Key reused', error.message);
  }
  return undefined;
}

export const INTERNAL_PROBLEM: Problem = {
  type: problemType('internal'),
  title: 'Internal Server Error',
  status: 500,
  detail: 'Something went wrong on our side. It has been logged; please retry later.',
};
