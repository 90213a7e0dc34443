/**
 * `SFN_TIME_SCALE`: how fast local time runs for Wait states, task `TimeoutSeconds`/`HeartbeatSeconds`
 * and the execution's own `TimeoutSeconds` (e.g. 0.01: a one-hour wait lasts 36 s). Only durations the
 * service waits for are scaled; every date it reports (history, DescribeExecution, events) is wall-clock
 * time, so a scaled wait shows as a short gap between two real timestamps.
 */

/** The variable that sets the scale for `npm start` and the local cloud. */
export const TIME_SCALE_VARIABLE = 'SFN_TIME_SCALE';

/**
 * Parses `SFN_TIME_SCALE` (absent or empty → 1).
 * @throws RangeError naming the variable when it is not a positive finite number.
 */
export function parseTimeScale(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`${TIME_SCALE_VARIABLE} must be a positive number (e.g. 0.01), not '${value}'`);
  }
  return scale;
}

/** How long, in real milliseconds, `seconds` of execution time last at `scale`. */
export function scaledMs(seconds: number, scale: number): number {
  return Math.max(0, seconds * 1000 * scale);
}
