/**
 * The planned window of a release or an RFC: when its change is meant to happen, `[start, end)`.
 * Its length is bounded so that "every plan sharing time with `[from, to)`" is one range read of
 * an index by planned start — `[from − the longest window, to)` — instead of a Scan or a second
 * index by end (the change calendar, `GET /calendar`).
 */
import type { FieldError } from './errors.ts';

/** The longest planned window, in days: a deployment window, not a project's duration. */
export const MAX_PLANNED_WINDOW_DAYS = 31;

export const MAX_PLANNED_WINDOW_MS = MAX_PLANNED_WINDOW_DAYS * 86_400_000;

/**
 * What is wrong with a planned window, as a field error on `plannedEnd` (the one to move), or
 * undefined when it is fine. Instants that do not parse are the schema's to report.
 */
export function plannedWindowProblem(plannedStart: string, plannedEnd: string): FieldError | undefined {
  const start = Date.parse(plannedStart);
  const end = Date.parse(plannedEnd);
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  if (end <= start) return { path: 'plannedEnd', message: 'must be later than plannedStart' };
  if (end - start > MAX_PLANNED_WINDOW_MS) {
    return {
      path: 'plannedEnd',
      message: `must be at most ${MAX_PLANNED_WINDOW_DAYS} days after plannedStart`,
    };
  }
  return undefined;
}
