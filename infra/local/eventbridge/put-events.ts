/**
 * The PutEvents request/response shapes of the local bus and the per-entry validation EventBridge does
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 */

/** One entry of a PutEvents request. `Time` may be a Date, an RFC 3339 string, or epoch seconds (the wire form). */
export interface PutEventsEntry {
  readonly Source?: string | undefined;
  readonly DetailType?: string | undefined;
  readonly Detail?: string | undefined;
  readonly EventBusName?: string | undefined;
  readonly Resources?: readonly string[] | undefined;
  readonly Time?: Date | string | number | undefined;
  readonly TraceHeader?: string | undefined;
}

/** One entry of a PutEvents response: an event id, or an error code and message. */
export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** A PutEvents response. */
export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

/** Thrown when the whole request is invalid (as AWS's `ValidationException`), not just one entry. */
export class PutEventsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

/** A PutEvents entry that passed validation, normalised. */
export interface ValidEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly resources: string[];
  readonly time: Date | undefined;
  readonly eventBusName: string | undefined;
}

/** AWS's limits: 1 to 10 entries, 256 KiB in total (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
export const MAX_ENTRIES = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

/** Checks the request as a whole. @throws {PutEventsValidationError} */
export function validateRequest(entries: readonly PutEventsEntry[]): void {
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw new PutEventsValidationError(
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
    );
  }
  const size = entries.reduce((total, entry) => total + entrySize(entry), 0);
  if (size > MAX_REQUEST_BYTES) {
    throw new PutEventsValidationError('Total size of the entries in the request is over the limit.');
  }
}

/** Validates one entry like EventBridge does: a normalised entry, or the error to report for it. */
export function validateEntry(
  entry: PutEventsEntry,
): { ok: true; entry: ValidEntry } | { ok: false; error: Required<Omit<PutEventsResultEntry, 'EventId'>> } {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry?.[field];
    if (typeof value !== 'string' || value.length === 0) {
      return invalid(
        'InvalidArgument',
        `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      );
    }
  }
  const { Source, DetailType, Detail } = entry as Required<
    Pick<PutEventsEntry, 'Source' | 'DetailType' | 'Detail'>
  >;
  let detail: unknown;
  try {
    detail = JSON.parse(Detail);
  } catch {
    return invalid('MalformedDetail', 'Detail is malformed.');
  }
  // EventBridge's detail is always a JSON object; arrays and scalars are rejected the same way.
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return invalid('MalformedDetail', 'Detail is malformed.');
  }
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
    return invalid(
      'InvalidArgument',
      'Parameter Resources is not valid. Reason: Resources must be a list of strings.',
    );
  }
  const time = parseTime(entry.Time);
  if (time === null) {
    return invalid('InvalidArgument', 'Parameter Time is not valid. Reason: Time must be a valid timestamp.');
  }
  return {
    ok: true,
    entry: {
      source: Source,
      detailType: DetailType,
      detail: detail as Record<string, unknown>,
      resources: [...resources],
      time,
      eventBusName: entry.EventBusName || undefined,
    },
  };
}

/** EventBridge's time format: RFC 3339 in UTC, to the second. */
export function formatEventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function parseTime(time: PutEventsEntry['Time']): Date | undefined | null {
  if (time === undefined || time === null) return undefined;
  const date =
    time instanceof Date
      ? time
      : typeof time === 'number'
        ? new Date(time * 1000)
        : typeof time === 'string'
          ? new Date(time)
          : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function invalid(ErrorCode: string, ErrorMessage: string) {
  return { ok: false as const, error: { ErrorCode, ErrorMessage } };
}

// Counted as AWS documents it: 14 bytes for Time plus the UTF-8 sizes of the other fields.
function entrySize(entry: PutEventsEntry): number {
  const bytes = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);
  return (
    (entry?.Time !== undefined ? 14 : 0) +
    bytes(entry?.Source) +
    bytes(entry?.DetailType) +
    bytes(entry?.Detail) +
    (Array.isArray(entry?.Resources) ? entry.Resources.reduce((n, r) => n + bytes(r), 0) : 0)
  );
}
