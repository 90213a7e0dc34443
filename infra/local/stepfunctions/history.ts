/**
 * Execution history in the shapes of Step Functions' `GetExecutionHistory`: each event has a
 * `timestamp`, a `type`, an `id`, the `previousEventId` and one `<type>EventDetails` field.
 */

/** One history event as stored: the details field is named, timestamps are epoch milliseconds. */
export interface RecordedHistoryEvent {
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  /** e.g. `taskScheduledEventDetails`; absent for events without details (e.g. `LambdaFunctionStarted`). */
  readonly detailsField?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A history event before it gets its id and timestamp. */
export interface NewHistoryEvent {
  readonly type: string;
  readonly detailsField?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const executionDataKeys = new Set(['input', 'inputDetails', 'output', 'outputDetails']);

/** The event as the AWS JSON protocol carries it (timestamp in epoch seconds). */
export function toWireEvent(
  event: RecordedHistoryEvent,
  includeExecutionData: boolean,
): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    timestamp: event.timestamp / 1000,
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsField && event.details) {
    wire[event.detailsField] = includeExecutionData
      ? event.details
      : Object.fromEntries(Object.entries(event.details).filter(([key]) => !executionDataKeys.has(key)));
  }
  return wire;
}

/** `{ truncated: false }`, the `inputDetails`/`outputDetails` AWS attaches to every payload. */
export const notTruncated = Object.freeze({ truncated: false });

/** JSON text of a payload as history events carry it. */
export function payloadText(value: unknown): string {
  return JSON.stringify(value ?? null);
}
