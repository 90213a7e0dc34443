/**
 * A strict RFC 5545 iCalendar parser for tests, written from the RFC rather than from the
 * project's writer, so a feed that parses here is one a calendar app can read. It refuses what the
 * RFC refuses (each with the line it is on): anything but CRLF line breaks, a physical line longer
 * than 75 octets, a line that is not valid UTF-8 on its own, a malformed content line, parameter
 * or escape, unbalanced components, more than one iCalendar object, a calendar without VERSION 2.0,
 * PRODID or any component, an event without UID, DTSTAMP or DTSTART, a property given twice that
 * may appear once, DTEND with DURATION or not after DTSTART, bad DATE-TIME values, unknown STATUS
 * or TRANSP values, UIDs repeated in one calendar. TEXT values come back unescaped.
 */

export class ICalendarSyntaxError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'ICalendarSyntaxError';
  }
}

export interface ICalendarProperty {
  readonly name: string;
  readonly params: Readonly<Record<string, readonly string[]>>;
  /** As written (escapes kept). */
  readonly value: string;
  /** The (first) physical line it starts on, 1-based. */
  readonly line: number;
}

export interface ICalendarComponent {
  readonly name: string;
  readonly properties: readonly ICalendarProperty[];
  readonly components: readonly ICalendarComponent[];
}

export interface ParsedEvent {
  readonly uid: string;
  /** ISO 8601 instants (UTC DATE-TIMEs) or, for a floating or zoned one, the value as written. */
  readonly dtstamp: string;
  readonly start: string;
  readonly end?: string;
  /** Whether DTSTART and DTEND are UTC (`…Z`). */
  readonly utc: boolean;
  readonly summary?: string;
  readonly description?: string;
  readonly categories: readonly string[];
  readonly status?: string;
  readonly transp?: string;
  readonly lastModified?: string;
  readonly component: ICalendarComponent;
}

export interface ParsedCalendar {
  readonly version: string;
  readonly prodId: string;
  /** NAME (RFC 7986), else X-WR-CALNAME. */
  readonly name?: string;
  readonly properties: readonly ICalendarProperty[];
  readonly components: readonly ICalendarComponent[];
  readonly events: readonly ParsedEvent[];
  /** The physical lines, without their CRLF. */
  readonly lines: readonly string[];
}

const MAX_OCTETS = 75;
const NAME = /^[A-Za-z0-9-]+$/;
/**
 * Whether text holds a CONTROL character (RFC 5545 §3.1: every octet but HTAB below 0x20, and
 * DEL), which no parameter or value may hold.
 */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** Properties of a VEVENT that may occur at most once (RFC 5545 §3.6.1). */
const EVENT_ONCE = [
  'UID',
  'DTSTAMP',
  'DTSTART',
  'CLASS',
  'CREATED',
  'DESCRIPTION',
  'GEO',
  'LAST-MODIFIED',
  'LOCATION',
  'ORGANIZER',
  'PRIORITY',
  'SEQUENCE',
  'STATUS',
  'SUMMARY',
  'TRANSP',
  'URL',
  'RECURRENCE-ID',
  'DTEND',
  'DURATION',
];
/** Properties whose value is one TEXT (RFC 5545 §3.8, RFC 7986 §5). */
const TEXT_PROPERTIES = new Set([
  'SUMMARY',
  'DESCRIPTION',
  'LOCATION',
  'COMMENT',
  'UID',
  'PRODID',
  'NAME',
  'X-WR-CALNAME',
  'X-WR-CALDESC',
  'TZNAME',
]);
const DATE_TIME_PROPERTIES = new Set([
  'DTSTAMP',
  'DTSTART',
  'DTEND',
  'LAST-MODIFIED',
  'CREATED',
  'RECURRENCE-ID',
]);
/** Properties whose DATE-TIME must be UTC (RFC 5545 §3.8.7). */
const UTC_ONLY = new Set(['DTSTAMP', 'LAST-MODIFIED', 'CREATED']);
const DURATION = /^[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/;

function decode(input: string | Uint8Array): { text: string; bytes: Uint8Array } {
  if (typeof input !== 'string') {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(input), bytes: input };
    } catch {
      throw new ICalendarSyntaxError('the stream is not valid UTF-8');
    }
  }
  return { text: input, bytes: new TextEncoder().encode(input) };
}

/** Splits into physical lines on CRLF only (a bare CR or LF is an error). */
function physicalLines(text: string): string[] {
  if (text.length === 0) throw new ICalendarSyntaxError('the stream is empty');
  if (!text.endsWith('\r\n')) throw new ICalendarSyntaxError('the last line does not end with CRLF');
  const lines = text.slice(0, -2).split('\r\n');
  lines.forEach((line, i) => {
    if (line.includes('\r') || line.includes('\n')) {
      throw new ICalendarSyntaxError('a line break that is not CRLF', i + 1);
    }
    const octets = new TextEncoder().encode(line);
    if (octets.length > MAX_OCTETS) {
      throw new ICalendarSyntaxError(
        `the line is ${octets.length} octets long (at most ${MAX_OCTETS})`,
        i + 1,
      );
    }
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(octets);
    } catch {
      throw new ICalendarSyntaxError('the line splits a UTF-8 character', i + 1);
    }
    if (line.length === 0) throw new ICalendarSyntaxError('an empty line', i + 1);
  });
  return lines;
}

/** Joins folded lines: a line starting with a space or a tab continues the one before. */
function unfold(lines: readonly string[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = out.at(-1);
      if (!last) throw new ICalendarSyntaxError('the first line is a continuation', i + 1);
      last.text += line.slice(1);
    } else {
      out.push({ text: line, line: i + 1 });
    }
  });
  return out;
}

/** One content line: `name *(";" param) ":" value` (RFC 5545 §3.1). */
function contentLine(text: string, line: number): ICalendarProperty {
  const nameMatch = /^[A-Za-z0-9-]+/.exec(text);
  if (!nameMatch) throw new ICalendarSyntaxError(`no property name in "${text.slice(0, 20)}"`, line);
  const name = nameMatch[0].toUpperCase();
  let at = nameMatch[0].length;
  const params: Record<string, string[]> = {};
  while (text[at] === ';') {
    at++;
    const paramName = /^[A-Za-z0-9-]+/.exec(text.slice(at));
    if (!paramName) throw new ICalendarSyntaxError(`a parameter without a name in ${name}`, line);
    at += paramName[0].length;
    if (text[at] !== '=')
      throw new ICalendarSyntaxError(`parameter ${paramName[0]} of ${name} has no "="`, line);
    at++;
    const values: string[] = [];
    for (;;) {
      if (text[at] === '"') {
        const close = text.indexOf('"', at + 1);
        if (close < 0) throw new ICalendarSyntaxError(`an unterminated quoted parameter in ${name}`, line);
        const quoted = text.slice(at + 1, close);
        if (hasControl(quoted))
          throw new ICalendarSyntaxError(`a control character in a parameter of ${name}`, line);
        values.push(quoted);
        at = close + 1;
      } else {
        const plain = /^[^";:,]*/.exec(text.slice(at))?.[0] ?? '';
        if (hasControl(plain))
          throw new ICalendarSyntaxError(`a control character in a parameter of ${name}`, line);
        values.push(plain);
        at += plain.length;
      }
      if (text[at] !== ',') break;
      at++;
    }
    params[paramName[0].toUpperCase()] = values;
  }
  if (text[at] !== ':') throw new ICalendarSyntaxError(`property ${name} has no ":" before its value`, line);
  const value = text.slice(at + 1);
  if (hasControl(value)) throw new ICalendarSyntaxError(`a control character in the value of ${name}`, line);
  return { name, params, value, line };
}

/**
 * The TEXT values of a property value, unescaped: one, or a comma-separated list. A backslash
 * escapes only `\\ \; \, \n \N`; an unescaped `;` (or `,` outside a list) is refused.
 */
export function unescapeText(value: string, list: boolean, where = 'TEXT'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === '\\' || next === ';' || next === ',') current += next;
      else if (next === 'n' || next === 'N') current += '\n';
      else throw new ICalendarSyntaxError(`${where}: "\\${next ?? ''}" is not an escape of TEXT`);
      i++;
    } else if (c === ';') {
      throw new ICalendarSyntaxError(`${where}: an unescaped ";" in TEXT`);
    } else if (c === ',') {
      if (!list) throw new ICalendarSyntaxError(`${where}: an unescaped "," in TEXT`);
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** A DATE-TIME (`19980118T230000`, `…Z`), checked to be a real date and time. */
function dateTime(value: string, where: string, line: number): { iso: string; utc: boolean } {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(value);
  if (!m) throw new ICalendarSyntaxError(`${where} is not a DATE-TIME: "${value}"`, line);
  const [, y, mo, d, h, mi, s, z] = m as unknown as string[];
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`;
  const ms = Date.parse(iso);
  // Seconds may be 60 (a leap second); anything else must survive a round trip.
  if (Number.isNaN(ms) || (new Date(ms).toISOString() !== iso && s !== '60')) {
    throw new ICalendarSyntaxError(`${where} is not a valid date and time: "${value}"`, line);
  }
  return { iso: z === 'Z' ? iso : value, utc: z === 'Z' };
}

function checkValues(component: ICalendarComponent): void {
  for (const p of component.properties) {
    const where = `${component.name} ${p.name}`;
    if (TEXT_PROPERTIES.has(p.name)) unescapeText(p.value, false, `${where} (line ${p.line})`);
    if (p.name === 'CATEGORIES') unescapeText(p.value, true, `${where} (line ${p.line})`);
    if (DATE_TIME_PROPERTIES.has(p.name) && p.params.VALUE?.[0] !== 'DATE') {
      const { utc } = dateTime(p.value, where, p.line);
      if (UTC_ONLY.has(p.name) && !utc) throw new ICalendarSyntaxError(`${where} must be in UTC`, p.line);
      if (utc && p.params.TZID) throw new ICalendarSyntaxError(`${where} is UTC and has a TZID`, p.line);
    }
    if ((p.name === 'DURATION' || p.name === 'REFRESH-INTERVAL') && !DURATION.test(p.value)) {
      throw new ICalendarSyntaxError(`${where} is not a DURATION: "${p.value}"`, p.line);
    }
    if (p.name === 'REFRESH-INTERVAL' && p.params.VALUE?.[0] !== 'DURATION') {
      throw new ICalendarSyntaxError(`${where} needs VALUE=DURATION (RFC 7986)`, p.line);
    }
  }
}

const only = (component: ICalendarComponent, name: string) =>
  component.properties.filter((p) => p.name === name);

function once(component: ICalendarComponent, name: string, required: boolean): ICalendarProperty | undefined {
  const found = only(component, name);
  if (found.length > 1)
    throw new ICalendarSyntaxError(`${component.name} has ${name} ${found.length} times`, found[1]?.line);
  if (required && found.length === 0) throw new ICalendarSyntaxError(`${component.name} has no ${name}`);
  return found[0];
}

function event(component: ICalendarComponent): ParsedEvent {
  for (const name of EVENT_ONCE) once(component, name, false);
  const uid = once(component, 'UID', true) as ICalendarProperty;
  const stamp = once(component, 'DTSTAMP', true) as ICalendarProperty;
  // DTSTART is required when the calendar has no METHOD; Release Desk's feeds always give it.
  const start = once(component, 'DTSTART', true) as ICalendarProperty;
  const end = once(component, 'DTEND', false);
  if (end && once(component, 'DURATION', false)) {
    throw new ICalendarSyntaxError('VEVENT has both DTEND and DURATION', end.line);
  }
  const startAt = dateTime(start.value, 'DTSTART', start.line);
  const endAt = end && dateTime(end.value, 'DTEND', end.line);
  if (endAt) {
    if (endAt.utc !== startAt.utc)
      throw new ICalendarSyntaxError('DTSTART and DTEND differ in form', end.line);
    if (endAt.utc && Date.parse(endAt.iso) <= Date.parse(startAt.iso)) {
      throw new ICalendarSyntaxError('DTEND is not after DTSTART', end.line);
    }
  }
  const status = once(component, 'STATUS', false)?.value;
  if (status !== undefined && !['TENTATIVE', 'CONFIRMED', 'CANCELLED'].includes(status)) {
    throw new ICalendarSyntaxError(`VEVENT STATUS ${status} is not TENTATIVE, CONFIRMED or CANCELLED`);
  }
  const transp = once(component, 'TRANSP', false)?.value;
  if (transp !== undefined && !['OPAQUE', 'TRANSPARENT'].includes(transp)) {
    throw new ICalendarSyntaxError(`VEVENT TRANSP ${transp} is not OPAQUE or TRANSPARENT`);
  }
  const text = (name: string) => {
    const p = once(component, name, false);
    return p && unescapeText(p.value, false)[0];
  };
  const lastModified = once(component, 'LAST-MODIFIED', false);
  return {
    uid: unescapeText(uid.value, false)[0] as string,
    dtstamp: dateTime(stamp.value, 'DTSTAMP', stamp.line).iso,
    start: startAt.iso,
    ...(endAt ? { end: endAt.iso } : {}),
    utc: startAt.utc && (endAt?.utc ?? true),
    ...(text('SUMMARY') !== undefined ? { summary: text('SUMMARY') as string } : {}),
    ...(text('DESCRIPTION') !== undefined ? { description: text('DESCRIPTION') as string } : {}),
    categories: only(component, 'CATEGORIES').flatMap((p) => unescapeText(p.value, true)),
    ...(status !== undefined ? { status } : {}),
    ...(transp !== undefined ? { transp } : {}),
    ...(lastModified
      ? { lastModified: dateTime(lastModified.value, 'LAST-MODIFIED', lastModified.line).iso }
      : {}),
    component,
  };
}

function timezone(component: ICalendarComponent): void {
  once(component, 'TZID', true);
  const rules = component.components.filter((c) => c.name === 'STANDARD' || c.name === 'DAYLIGHT');
  if (rules.length === 0) throw new ICalendarSyntaxError('VTIMEZONE has no STANDARD or DAYLIGHT');
  for (const rule of rules) {
    for (const name of ['DTSTART', 'TZOFFSETFROM', 'TZOFFSETTO']) {
      const p = once(rule, name, true) as ICalendarProperty;
      if (name !== 'DTSTART' && !/^[+-]\d{4}(\d{2})?$/.test(p.value)) {
        throw new ICalendarSyntaxError(`${rule.name} ${name} is not a UTC offset: "${p.value}"`, p.line);
      }
    }
  }
}

/** Parses and checks one iCalendar object (a `text/calendar` body). */
export function parseICalendar(input: string | Uint8Array): ParsedCalendar {
  const { text } = decode(input);
  const lines = physicalLines(text);
  const stack: { name: string; properties: ICalendarProperty[]; components: ICalendarComponent[] }[] = [];
  const roots: ICalendarComponent[] = [];
  for (const { text: unfolded, line } of unfold(lines)) {
    const p = contentLine(unfolded, line);
    if (p.name === 'BEGIN' || p.name === 'END') {
      const name = p.value.toUpperCase();
      if (!NAME.test(name)) throw new ICalendarSyntaxError(`${p.name}:${p.value} names no component`, line);
      if (p.name === 'BEGIN') {
        if (stack.length === 0 && roots.length > 0) {
          throw new ICalendarSyntaxError('more than one iCalendar object', line);
        }
        stack.push({ name, properties: [], components: [] });
        continue;
      }
      const open = stack.pop();
      if (!open || open.name !== name) {
        throw new ICalendarSyntaxError(`END:${name} closes ${open ? open.name : 'nothing'}`, line);
      }
      const parent = stack.at(-1);
      if (parent) parent.components.push(open);
      else roots.push(open);
      continue;
    }
    const current = stack.at(-1);
    if (!current) throw new ICalendarSyntaxError(`property ${p.name} outside any component`, line);
    current.properties.push(p);
  }
  if (stack.length > 0) throw new ICalendarSyntaxError(`${stack.at(-1)?.name} is not closed`);
  const calendar = roots[0];
  if (calendar?.name !== 'VCALENDAR') throw new ICalendarSyntaxError('the object is not a VCALENDAR');
  const version = once(calendar, 'VERSION', true) as ICalendarProperty;
  if (version.value !== '2.0')
    throw new ICalendarSyntaxError(`VERSION is ${version.value}, not 2.0`, version.line);
  const prodId = once(calendar, 'PRODID', true) as ICalendarProperty;
  const calscale = once(calendar, 'CALSCALE', false);
  if (calscale && calscale.value !== 'GREGORIAN') throw new ICalendarSyntaxError('CALSCALE is not GREGORIAN');
  once(calendar, 'METHOD', false);
  if (calendar.components.length === 0) {
    // RFC 5545 §3.6: icalbody = calprops component, component = 1*(…).
    throw new ICalendarSyntaxError('VCALENDAR has no component');
  }
  const check = (c: ICalendarComponent) => {
    checkValues(c);
    c.components.forEach(check);
  };
  check(calendar);
  for (const c of calendar.components) if (c.name === 'VTIMEZONE') timezone(c);
  const events = calendar.components.filter((c) => c.name === 'VEVENT').map(event);
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.uid)) throw new ICalendarSyntaxError(`UID ${e.uid} is given to two events`);
    seen.add(e.uid);
  }
  const nameProperty = once(calendar, 'NAME', false) ?? once(calendar, 'X-WR-CALNAME', false);
  return {
    version: version.value,
    prodId: unescapeText(prodId.value, false)[0] as string,
    ...(nameProperty ? { name: unescapeText(nameProperty.value, false)[0] as string } : {}),
    properties: calendar.properties,
    components: calendar.components,
    events,
    lines,
  };
}
