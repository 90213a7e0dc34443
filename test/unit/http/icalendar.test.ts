/**
 * The iCalendar writer (RFC 5545) against the strict parser of test/support/icalendar.ts: CRLF
 * lines of at most 75 octets (folded without splitting a UTF-8 character), TEXT escaping that
 * round-trips, the required properties, UTC DATE-TIMEs; and the parser refusing what the RFC
 * refuses, so that "it parses" means something.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeText,
  foldLine,
  type IcsCalendar,
  MAX_LINE_OCTETS,
  utcDateTime,
  writeCalendar,
} from '../../../functions/http/edge/icalendar.ts';
import { ICalendarSyntaxError, parseICalendar, unescapeText } from '../../support/icalendar.ts';

const calendar = (over: Partial<IcsCalendar> = {}): IcsCalendar => ({
  productId: '-//Release Desk//Change Calendar//EN',
  name: 'Release Desk change calendar',
  stamp: '2026-11-26T10:00:00.123Z',
  refreshInterval: 'PT1H',
  events: [
    {
      uid: 'release-rel_1@release-desk',
      start: '2026-12-24T10:00:00.000Z',
      end: '2026-12-24T12:00:00.000Z',
      summary: 'Release: Payroll 4.2 (Assessment) – 1 blackout conflict',
      description: 'Line one; with, specials\\ and a break\nLine two',
      categories: ['release', 'blackout-conflict'],
      status: 'TENTATIVE',
      lastModified: '2026-11-01T00:00:00.000Z',
    },
  ],
  ...over,
});

const octets = (line: string) => Buffer.byteLength(line, 'utf8');

describe('writing an iCalendar object', () => {
  it('writes a VCALENDAR the strict parser reads back: version, product, name, events in UTC', () => {
    const text = writeCalendar(calendar());
    const parsed = parseICalendar(text);
    expect(parsed).toMatchObject({
      version: '2.0',
      prodId: '-//Release Desk//Change Calendar//EN',
      name: 'Release Desk change calendar',
    });
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]).toMatchObject({
      uid: 'release-rel_1@release-desk',
      dtstamp: '2026-11-26T10:00:00.000Z',
      start: '2026-12-24T10:00:00.000Z',
      end: '2026-12-24T12:00:00.000Z',
      utc: true,
      summary: 'Release: Payroll 4.2 (Assessment) – 1 blackout conflict',
      description: 'Line one; with, specials\\ and a break\nLine two',
      categories: ['release', 'blackout-conflict'],
      status: 'TENTATIVE',
      transp: 'TRANSPARENT',
      lastModified: '2026-11-01T00:00:00.000Z',
    });
    expect(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text).toContain('\r\nDTSTART:20261224T100000Z\r\n');
    expect(text).toContain('\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n');
    // Every line break is CRLF.
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('escapes TEXT as RFC 5545 says: backslash, semicolon, comma, line breaks', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf\rg')).toBe('a\\\\b\\;c\\,d\\ne\\nf\\ng');
    // Control characters TEXT cannot hold become spaces; a tab stays.
    expect(escapeText('a\u0000b\u001fc\u007fd\te')).toBe('a b c d\te');
  });

  it('round-trips any text through escaping, folding and the parser', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (summary) => {
        // What TEXT can hold: line breaks as LF, other controls (but the tab) as spaces.
        const clean = [...summary.replace(/\r\n|\r/g, '\n')]
          .map((c) => {
            const code = c.charCodeAt(0);
            return c.length === 1 && ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f)
              ? ' '
              : c;
          })
          .join('');
        const parsed = parseICalendar(
          writeCalendar(calendar({ events: [{ ...calendar().events[0], summary } as never] })),
        );
        expect(parsed.events[0]?.summary).toBe(clean);
      }),
      { numRuns: 300 },
    );
  });

  it('folds long lines at 75 octets, never inside a UTF-8 character, and unfolds them to the same text', () => {
    const long = `SUMMARY:${'Zürich 🚀 blackout, '.repeat(20)}`;
    const folded = foldLine(long);
    const lines = folded.split('\r\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const [i, line] of lines.entries()) {
      expect(octets(line)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
      if (i > 0) expect(line.startsWith(' ')).toBe(true);
    }
    expect(lines.map((l, i) => (i === 0 ? l : l.slice(1))).join('')).toBe(long);
    // A line of exactly 75 octets is not folded; 76 is.
    expect(foldLine('X'.repeat(75))).toBe('X'.repeat(75));
    expect(foldLine('X'.repeat(76))).toBe(`${'X'.repeat(75)}\r\n X`);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }), (text) => {
        const out = foldLine(`X:${text.replace(/[\r\n]/g, ' ')}`).split('\r\n');
        for (const line of out) {
          expect(octets(line)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
          // Each physical line is valid UTF-8 on its own.
          expect(() =>
            new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(line, 'utf8')),
          ).not.toThrow();
          expect(line).not.toMatch(/[\ud800-\udfff]/u);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes instants in UTC without fractions', () => {
    expect(utcDateTime('2026-12-24T00:00:00+01:00')).toBe('20261223T230000Z');
    expect(utcDateTime('2026-12-24T10:00:00.999Z')).toBe('20261224T100000Z');
    expect(() => utcDateTime('Christmas')).toThrow();
  });

  it('gives an empty calendar the component RFC 5545 requires (the UTC zone its times are in)', () => {
    const parsed = parseICalendar(writeCalendar(calendar({ events: [] })));
    expect(parsed.events).toEqual([]);
    expect(parsed.components.map((c) => c.name)).toEqual(['VTIMEZONE']);
  });
});

describe('the strict parser refuses what RFC 5545 refuses', () => {
  const good = writeCalendar(calendar());
  const refuses = (text: string, why: RegExp) => {
    expect(() => parseICalendar(text)).toThrow(ICalendarSyntaxError);
    expect(() => parseICalendar(text)).toThrow(why);
  };

  it('bare LF line breaks, a missing final CRLF, over-long lines, empty lines', () => {
    refuses(good.replace(/\r\n/g, '\n'), /CRLF/);
    refuses(good.slice(0, -2), /CRLF/);
    refuses(good.replace('SUMMARY:', `X-LONG:${'x'.repeat(80)}\r\nSUMMARY:`), /76|octets/);
    refuses(good.replace('\r\nVERSION', '\r\n\r\nVERSION'), /empty line/);
  });

  it('a line split inside a UTF-8 character', () => {
    const bytes = Buffer.from(good.replace('SUMMARY:Release', 'SUMMARY:Zü'), 'utf8');
    const at = bytes.indexOf(Buffer.from('ü', 'utf8'));
    const broken = Buffer.concat([bytes.subarray(0, at + 1), Buffer.from('\r\n '), bytes.subarray(at + 1)]);
    expect(() => parseICalendar(new Uint8Array(broken))).toThrow(/UTF-8/);
  });

  it('unescaped separators and unknown escapes in TEXT', () => {
    refuses(good.replace('SUMMARY:Release: Payroll 4.2', 'SUMMARY:Release; Payroll'), /unescaped ";"/);
    refuses(good.replace('SUMMARY:Release: Payroll 4.2', 'SUMMARY:Release, Payroll'), /unescaped ","/);
    refuses(good.replace('SUMMARY:Release: Payroll 4.2', 'SUMMARY:Release \\x Payroll'), /escape/);
    expect(unescapeText('a\\,b,c\\;d', true)).toEqual(['a,b', 'c;d']);
  });

  it('a calendar or an event without what it must have, or with a property twice', () => {
    refuses(good.replace('VERSION:2.0\r\n', ''), /no VERSION/);
    refuses(good.replace('VERSION:2.0', 'VERSION:1.0'), /not 2.0/);
    refuses(good.replace(/PRODID:[^\r]*\r\n/, ''), /no PRODID/);
    refuses(good.replace(/UID:[^\r]*\r\n/, ''), /no UID/);
    refuses(good.replace(/DTSTAMP:[^\r]*\r\n/, ''), /no DTSTAMP/);
    refuses(good.replace(/(SUMMARY:[^\r]*\r\n)/, '$1$1'), /SUMMARY 2 times/);
    refuses(good.replace(/BEGIN:VEVENT[\s\S]*END:VEVENT\r\n/, ''), /no component/);
  });

  it('bad DATE-TIMEs, DTEND not after DTSTART, bad STATUS, repeated UIDs, unbalanced components', () => {
    refuses(good.replace('DTSTART:20261224T100000Z', 'DTSTART:20261324T100000Z'), /valid date/);
    refuses(good.replace('DTSTART:20261224T100000Z', 'DTSTART:2026-12-24'), /DATE-TIME/);
    refuses(good.replace('DTEND:20261224T120000Z', 'DTEND:20261224T100000Z'), /not after/);
    refuses(good.replace(/DTSTAMP:(\d+T\d+)Z/, 'DTSTAMP:$1'), /UTC/);
    refuses(good.replace('STATUS:TENTATIVE', 'STATUS:MAYBE'), /STATUS/);
    const event = /BEGIN:VEVENT[\s\S]*END:VEVENT\r\n/.exec(good)?.[0] as string;
    refuses(good.replace(event, event + event), /given to two events/);
    refuses(good.replace('END:VEVENT', 'END:VTODO'), /closes VEVENT/);
    refuses(good + good, /more than one/);
  });
});
