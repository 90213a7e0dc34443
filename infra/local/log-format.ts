/**
 * `LOG_FORMAT=pretty` for the local cloud: the functions log exactly what they log in AWS (one
 * JSON object per line, functions/app/logger.ts); the local function host renders each such line
 * for a person as it is written — time, level, function, message, correlation ids, then the rest —
 * the way CloudWatch Logs Insights would show its fields. Lines that are not a log entry (the
 * start-up banner, a stack trace) pass through untouched; an EMF metrics line becomes one line of
 * counts.
 */

/** The keys shown in their own place (or left out: the Lambda context the local cloud has not). */
const PLACED = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'function',
  'correlation_id',
  'request_id',
  'subject_id',
  'event_id',
  'execution_name',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
]);

/** The correlation ids, in the order they are shown, with their short labels. */
const CORRELATION = [
  ['correlation_id', 'corr'],
  ['request_id', 'req'],
  ['subject_id', 'subject'],
  ['event_id', 'event'],
  ['execution_name', 'execution'],
] as const;

const LEVEL_WIDTH = 5;
const FUNCTION_WIDTH = 23;

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** `2026-11-27T06:40:01.123Z` (or Powertools' offset form) → `06:40:01.123`. */
function clock(timestamp: unknown): string {
  const match = typeof timestamp === 'string' ? /T(\d\d:\d\d:\d\d(?:\.\d{3})?)/.exec(timestamp) : null;
  return match?.[1] ?? new Date().toISOString().slice(11, 23);
}

/**
 * One readable line for a log line, or undefined when the line is not a log entry or EMF document
 * (it is then shown as it is).
 */
/** A function's short name: a Lambda ARN (`arn:aws:lambda:…:function:<name>[:qualifier]`) as its name. */
function functionName(v: unknown): string {
  const name = String(v ?? '-');
  return /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(name)?.[1] ?? name;
}

export function prettyLogLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    entry = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const aws = entry._aws as { Timestamp?: number; CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] };
  if (aws?.CloudWatchMetrics) {
    const names = aws.CloudWatchMetrics.flatMap((d) => d.Metrics ?? []).map((m) => m.Name);
    const time = typeof aws.Timestamp === 'number' ? new Date(aws.Timestamp).toISOString() : undefined;
    return [
      clock(time),
      'METRIC'.padEnd(LEVEL_WIDTH),
      String(entry.service ?? '').padEnd(FUNCTION_WIDTH),
      names.map((n) => `${n}=${value(entry[n])}`).join(' '),
    ].join(' ');
  }
  if (typeof entry.level !== 'string' || !('message' in entry)) return undefined;
  const ids = CORRELATION.flatMap(([key, label]) =>
    entry[key] !== undefined && !(key === 'request_id' && entry[key] === entry.correlation_id)
      ? [`${label}=${value(entry[key])}`]
      : [],
  );
  const rest = Object.entries(entry)
    .filter(([key, v]) => !PLACED.has(key) && v !== undefined)
    .map(([key, v]) => `${key}=${value(v)}`);
  return [
    clock(entry.timestamp),
    entry.level.padEnd(LEVEL_WIDTH),
    functionName(entry.function ?? entry.function_name ?? entry.service).padEnd(FUNCTION_WIDTH),
    String(entry.message),
    ...(ids.length > 0 ? [`[${ids.join(' ')}]`] : []),
    ...rest,
  ].join(' ');
}

/** Renders every complete line of `text`, keeping the line breaks. */
export function prettyLogText(text: string): string {
  return text
    .split('\n')
    .map((line) => prettyLogLine(line) ?? line)
    .join('\n');
}

type Write = typeof process.stdout.write;

/**
 * Renders what this process writes to stdout and stderr with {@link prettyLogText} from now on.
 * Returns the function that puts the streams back.
 */
export function prettyLogs(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): () => void {
  const restore = streams.map((stream) => {
    const write = stream.write.bind(stream) as Write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      typeof chunk === 'string'
        ? (write as (c: string, ...r: unknown[]) => boolean)(prettyLogText(chunk), ...rest)
        : (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest)) as Write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const undo of restore) undo();
  };
}

/** `LOG_FORMAT`: `json` (the default: as in AWS) or `pretty`; anything else is refused by name. */
export function logFormat(env: Record<string, string | undefined> = process.env): 'json' | 'pretty' {
  const format = (env.LOG_FORMAT ?? 'json').toLowerCase();
  if (format === 'json' || format === 'pretty') return format;
  throw new Error(`LOG_FORMAT must be "json" or "pretty", got "${env.LOG_FORMAT}"`);
}
