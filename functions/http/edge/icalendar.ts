/**
 * An iCalendar (RFC 5545) writer for the feeds the API serves as an alternative representation
 * (`text/calendar`): a VCALENDAR of VEVENTs with instants in UTC, content lines ending in CRLF
 * and folded at 75 octets (never inside a UTF-8 sequence), TEXT values escaped. It knows nothing
 * of releases or blackouts: the resource maps its entries to events.
 */

/** One event of a feed. Instants are ISO 8601 (any offset); they are written in UTC. */
export interface IcsEvent {
  /** Stable across reads, so a subscribed calendar updates the event instead of adding it again. */
  readonly uid: string;
  readonly start: string;
  readonly end: string;
  readonly summary: string;
  readonly description?: string;
  readonly categories?: readonly string[];
  readonly status?: 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';
  /** When what the event shows last changed. */
  readonly lastModified?: string;
}

export interface IcsCalendar {
  /** PRODID: `-//<company>//<product>//<language>` (RFC 5545 §3.7.3). */
  readonly productId: string;
  /** Shown as the calendar's name by calendar apps (RFC 7986 NAME and the common X-WR-CALNAME). */
  readonly name?: string;
  /** DTSTAMP of every event: when the feed was produced. */
  readonly stamp: string;
  /** How often a subscriber should read the feed again: an ISO 8601 duration (RFC 7986). */
  readonly refreshInterval?: string;
  readonly events: readonly IcsEvent[];
}

/** The longest content line, in octets, not counting its CRLF (RFC 5545 §3.1). */
export const MAX_LINE_OCTETS = 75;

const CRLF = '\r\n';

/**
 * A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, every line break as
 * `\n`; other control characters (which TEXT cannot hold) become spaces.
 */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
    .split('')
    .map((c) => (isControl(c) ? ' ' : c))
    .join('');
}

/** A character TEXT cannot hold: C0 controls but the tab, and DEL. */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

/** An instant as a UTC DATE-TIME (`20261224T230000Z`); fractions of a second are dropped. */
export function utcDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`Not an instant: ${iso}`);
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

const octets = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * A content line folded into lines of at most 75 octets (RFC 5545 §3.1): each continuation
 * starts with one space, which counts; a character is never split across lines.
 */
export function foldLine(line: string): string {
  if (octets(line) <= MAX_LINE_OCTETS) return line;
  const lines: string[] = [];
  let current = '';
  let size = 0;
  for (const char of line) {
    const width = octets(char);
    const limit = lines.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1;
    if (size + width > limit) {
      lines.push(current);
      current = '';
      size = 0;
    }
    current += char;
    size += width;
  }
  lines.push(current);
  return lines.join(`${CRLF} `);
}

/** One property: its name, its parameters and its value as written (already escaped). */
const property = (name: string, value: string, params = '') => foldLine(`${name}${params}:${value}`);

function eventLines(event: IcsEvent, stamp: string): string[] {
  return [
    'BEGIN:VEVENT',
    property('UID', escapeText(event.uid)),
    property('DTSTAMP', utcDateTime(stamp)),
    property('DTSTART', utcDateTime(event.start)),
    property('DTEND', utcDateTime(event.end)),
    property('SUMMARY', escapeText(event.summary)),
    ...(event.description !== undefined ? [property('DESCRIPTION', escapeText(event.description))] : []),
    ...(event.categories && event.categories.length > 0
      ? [property('CATEGORIES', event.categories.map(escapeText).join(','))]
      : []),
    ...(event.status !== undefined ? [property('STATUS', event.status)] : []),
    // A change calendar informs; subscribing to it must not make anyone look busy.
    property('TRANSP', 'TRANSPARENT'),
    ...(event.lastModified !== undefined ? [property('LAST-MODIFIED', utcDateTime(event.lastModified))] : []),
    'END:VEVENT',
  ];
}

const UTC_TIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:UTC',
  'BEGIN:STANDARD',
  'DTSTART:19700101T000000',
  'TZOFFSETFROM:+0000',
  'TZOFFSETTO:+0000',
  'TZNAME:UTC',
  'END:STANDARD',
  'END:VTIMEZONE',
];

/** The calendar as an iCalendar object: every line ends in CRLF, the last one included. */
export function writeCalendar(calendar: IcsCalendar): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    property('PRODID', escapeText(calendar.productId)),
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    ...(calendar.name !== undefined
      ? [property('NAME', escapeText(calendar.name)), property('X-WR-CALNAME', escapeText(calendar.name))]
      : []),
    ...(calendar.refreshInterval !== undefined
      ? [
          property('REFRESH-INTERVAL', calendar.refreshInterval, ';VALUE=DURATION'),
          property('X-PUBLISHED-TTL', calendar.refreshInterval),
        ]
      : []),
    ...(calendar.events.length > 0
      ? calendar.events.flatMap((event) => eventLines(event, calendar.stamp))
      : // RFC 5545 §3.6 wants at least one component: an empty feed holds the UTC zone its times are in.
        UTC_TIMEZONE),
    'END:VCALENDAR',
  ];
  return `${lines.join(CRLF)}${CRLF}`;
}
