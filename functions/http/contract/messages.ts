/**
 * Validation messages in the words a person uses. Each message completes a sentence that starts
 * with the field's path ("plannedEnd is required", "releaseType must be one of major, minor,
 * emergency"), which is how `errors[]` shows them.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodRawIssue;

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'array':
      return 'a list';
    case 'record':
    case 'object':
      return 'an object';
    case 'date':
      return 'a date';
    default:
      return article(expected);
  }
}

function listOf(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function sizeMessage(
  issue: Issue & { origin?: string },
  bound: number,
  more: boolean,
  inclusive: boolean,
): string {
  const op = more ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  switch (issue.origin) {
    case 'string':
      return bound === 1 && more
        ? 'must not be empty'
        : `must be ${op} ${bound} character${bound === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return bound === 1 && more
        ? 'must not be empty'
        : `must have ${op} ${bound} item${bound === 1 ? '' : 's'}`;
    case 'object':
      return `must have ${op} ${bound} field${bound === 1 ? '' : 's'}`;
    default:
      return `must be ${op} ${bound}`;
  }
}

/** zod's `customError` hook: a message for the issue, or undefined to keep zod's own. */
export function humanMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      if (issue.input === null) return `must not be null (${typeName(String(issue.expected))} is expected)`;
      return `must be ${typeName(String(issue.expected))}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${listOf(issue.values)}`
        : `must be one of ${listOf(issue.values)}`;
    case 'too_small':
      return sizeMessage(issue, Number(issue.minimum), true, issue.inclusive !== false);
    case 'too_big':
      return sizeMessage(issue, Number(issue.maximum), false, issue.inclusive !== false);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      switch (issue.format) {
        case 'datetime':
          return 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T20:00:00Z';
        case 'url':
          return 'must be a URL';
        case 'email':
          return 'must be an email address';
        case 'regex':
          return 'is not in the expected form';
        default:
          return `must be a valid ${issue.format}`;
      }
    case 'unrecognized_keys':
      return 'is not a known field';
    case 'invalid_union':
      return 'matches none of the accepted forms';
    case 'invalid_key':
      return 'has a name that is not allowed';
    case 'invalid_element':
      return 'has an entry that is not allowed';
    default:
      return undefined;
  }
}
