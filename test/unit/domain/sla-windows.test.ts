/**
 * Blackout windows, pure: recurring rules expanded in their zone across daylight-saving changes
 * (Europe/Berlin and America/New_York, a monthly "last Friday" rule), the skipped and repeated
 * hours, one-off windows, the half-open overlap rule, and the checks of rules, zones and durations.
 * Every expected instant is written out by hand from the zone's offsets, not computed by the code
 * under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, ruleProblem } from '../../../functions/domain/sla/recurrence.ts';
import {
  type Blackout,
  blackoutProblems,
  intervalsIn,
  intervalsOfAll,
  overlaps,
  windowsIn,
} from '../../../functions/domain/sla/sla.ts';

const sla = (...blackouts: Blackout[]) => ({ id: 'sla_1', blackouts });
const lastFriday = (tz: string): Blackout => ({
  rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
  start: '2026-01-01T22:00',
  duration: 'PT6H',
  tz,
  reason: 'month-end batch',
});

describe('a monthly "last Friday 22:00" blackout', () => {
  it('stays at 22:00 in Europe/Berlin across both changes (CET +01:00 until 29 March, CEST +02:00 until 25 October)', () => {
    const { windows, truncated } = windowsIn(
      sla(lastFriday('Europe/Berlin')),
      '2026-01-01T00:00:00Z',
      '2027-01-01T00:00:00Z',
    );
    expect(truncated).toBe(false);
    // Last Fridays of 2026: 30 Jan, 27 Feb, 27 Mar, 24 Apr, 29 May, 26 Jun, 31 Jul, 28 Aug,
    // 25 Sep, 30 Oct, 27 Nov, 25 Dec. 22:00 CET = 21:00Z; 22:00 CEST = 20:00Z.
    expect(windows.map((w) => w.start)).toEqual([
      '2026-01-30T21:00:00.000Z',
      '2026-02-27T21:00:00.000Z',
      '2026-03-27T21:00:00.000Z', // two days before the change: still CET
      '2026-04-24T20:00:00.000Z',
      '2026-05-29T20:00:00.000Z',
      '2026-06-26T20:00:00.000Z',
      '2026-07-31T20:00:00.000Z',
      '2026-08-28T20:00:00.000Z',
      '2026-09-25T20:00:00.000Z',
      '2026-10-30T21:00:00.000Z', // five days after the change back: CET again
      '2026-11-27T21:00:00.000Z',
      '2026-12-25T21:00:00.000Z',
    ]);
    expect(windows.every((w) => Date.parse(w.end) - Date.parse(w.start) === 6 * 3_600_000)).toBe(true);
    expect(windows[2]).toMatchObject({
      localStart: '2026-03-27T22:00:00+01:00',
      localEnd: '2026-03-28T04:00:00+01:00',
      tz: 'Europe/Berlin',
      reason: 'month-end batch',
      slaId: 'sla_1',
      blackoutIndex: 0,
    });
    expect(windows[3]?.localStart).toBe('2026-04-24T22:00:00+02:00');
    expect(windows[9]?.localStart).toBe('2026-10-30T22:00:00+01:00');
  });

  it('stays at 22:00 in America/New_York (EST -05:00 until 8 March, EDT -04:00 until 1 November)', () => {
    const { windows } = windowsIn(
      sla(lastFriday('America/New_York')),
      '2026-02-01T00:00:00Z',
      '2026-12-01T00:00:00Z',
    );
    // 22:00 EST = 03:00Z the next day; 22:00 EDT = 02:00Z the next day.
    expect(windows.map((w) => w.start)).toEqual([
      '2026-02-28T03:00:00.000Z',
      '2026-03-28T02:00:00.000Z', // New York has changed, Berlin not yet
      '2026-04-25T02:00:00.000Z',
      '2026-05-30T02:00:00.000Z',
      '2026-06-27T02:00:00.000Z',
      '2026-08-01T02:00:00.000Z',
      '2026-08-29T02:00:00.000Z',
      '2026-09-26T02:00:00.000Z',
      '2026-10-31T02:00:00.000Z', // the day before New York changes back
      '2026-11-28T03:00:00.000Z',
    ]);
    expect(windows[0]?.localStart).toBe('2026-02-27T22:00:00-05:00');
    expect(windows[8]?.localStart).toBe('2026-10-30T22:00:00-04:00');
    expect(windows[9]?.localEnd).toBe('2026-11-28T04:00:00-05:00');
  });

  it('lists a window that started before the range and ends in it, and none that ends exactly at its start', () => {
    const inside = windowsIn(
      sla(lastFriday('Europe/Berlin')),
      '2026-01-31T00:00:00Z',
      '2026-02-01T00:00:00Z',
    );
    expect(inside.windows.map((w) => w.start)).toEqual(['2026-01-30T21:00:00.000Z']);
    const touching = windowsIn(
      sla(lastFriday('Europe/Berlin')),
      '2026-01-31T03:00:00Z',
      '2026-02-01T00:00:00Z',
    );
    expect(touching.windows).toEqual([]);
  });
});

describe('a window across a change, and local times the change skips or repeats', () => {
  it('lasts its exact hours across the spring change (6 hours from 22:00 CET end at 05:00 CEST)', () => {
    const weekly: Blackout = {
      rrule: 'FREQ=WEEKLY;BYDAY=SA',
      start: '2026-03-21T22:00',
      duration: 'PT6H',
      tz: 'Europe/Berlin',
      reason: 'weekend',
    };
    const { windows } = windowsIn(sla(weekly), '2026-03-28T00:00:00Z', '2026-03-29T12:00:00Z');
    expect(windows).toEqual([
      expect.objectContaining({
        start: '2026-03-28T21:00:00.000Z',
        end: '2026-03-29T03:00:00.000Z',
        localStart: '2026-03-28T22:00:00+01:00',
        localEnd: '2026-03-29T05:00:00+02:00',
      }),
    ]);
  });

  it('reads a skipped 02:30 with the offset before the gap, and a repeated 02:30 as its first occurrence', () => {
    const daily: Blackout = {
      rrule: 'FREQ=DAILY',
      start: '2026-03-28T02:30',
      duration: 'PT1H',
      tz: 'Europe/Berlin',
      reason: 'backup',
    };
    const spring = windowsIn(sla(daily), '2026-03-29T00:00:00Z', '2026-03-29T12:00:00Z').windows;
    expect(spring.map((w) => [w.start, w.localStart])).toEqual([
      ['2026-03-29T01:30:00.000Z', '2026-03-29T03:30:00+02:00'],
    ]);
    const autumn = windowsIn(
      sla({ ...daily, start: '2026-10-20T02:30' }),
      '2026-10-24T23:00:00Z',
      '2026-10-25T12:00:00Z',
    ).windows;
    expect(autumn.map((w) => w.start)).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  it('honours a UTC UNTIL and COUNT', () => {
    const until: Blackout = {
      ...lastFriday('Europe/Berlin'),
      rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22;UNTIL=20260327T210000Z',
    };
    expect(windowsIn(sla(until), '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z').windows).toHaveLength(3);
    const count: Blackout = {
      ...lastFriday('Europe/Berlin'),
      rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22;COUNT=2',
    };
    expect(windowsIn(sla(count), '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z').windows).toHaveLength(2);
  });

  it('stops at its limit and says so', () => {
    const hourly: Blackout = {
      rrule: 'FREQ=HOURLY',
      start: '2026-01-01T00:00',
      duration: 'PT30M',
      tz: 'UTC',
      reason: 'x',
    };
    const { windows, truncated } = windowsIn(
      sla(hourly),
      '2026-01-01T00:00:00Z',
      '2026-12-31T00:00:00Z',
      100,
    );
    expect(windows).toHaveLength(100);
    expect(truncated).toBe(true);
  });
});

describe('one-off windows', () => {
  it('is listed when it shares time with the range, in UTC and in its zone', () => {
    const oneOff: Blackout = {
      start: '2026-12-24T00:00:00+01:00',
      end: '2026-12-27T00:00:00+01:00',
      reason: 'Christmas',
      tz: 'Europe/Berlin',
    };
    expect(windowsIn(sla(oneOff), '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z').windows).toEqual([
      {
        slaId: 'sla_1',
        blackoutIndex: 0,
        reason: 'Christmas',
        start: '2026-12-23T23:00:00.000Z',
        end: '2026-12-26T23:00:00.000Z',
        tz: 'Europe/Berlin',
        localStart: '2026-12-24T00:00:00+01:00',
        localEnd: '2026-12-27T00:00:00+01:00',
      },
    ]);
    expect(windowsIn(sla(oneOff), '2026-12-26T23:00:00Z', '2027-01-01T00:00:00Z').windows).toEqual([]);
  });
});

describe('overlaps (half-open intervals)', () => {
  const a = { start: '2026-12-01T20:00:00Z', end: '2026-12-01T23:00:00Z' };
  it('touching windows (end == start) do not conflict, either way round', () => {
    const b = { start: '2026-12-01T23:00:00Z', end: '2026-12-02T01:00:00Z' };
    expect(overlaps(a, b)).toBe(false);
    expect(overlaps(b, a)).toBe(false);
  });
  it('one second of overlap does', () => {
    const b = { start: '2026-12-01T22:59:59Z', end: '2026-12-02T01:00:00Z' };
    expect(overlaps(a, b)).toBe(true);
    expect(overlaps(b, a)).toBe(true);
    const before = { start: '2026-12-01T18:00:00Z', end: '2026-12-01T20:00:01Z' };
    expect(overlaps(a, before)).toBe(true);
  });
  it('one inside the other does; instants with offsets compare as instants', () => {
    expect(overlaps(a, { start: '2026-12-01T21:00:00Z', end: '2026-12-01T21:00:01Z' })).toBe(true);
    expect(overlaps(a, { start: '2026-12-02T00:00:00+01:00', end: '2026-12-02T01:00:00+01:00' })).toBe(false);
  });
});

describe('what a blackout must be', () => {
  it('names each bad field', () => {
    expect(
      blackoutProblems(
        {
          rrule: 'FREQ=SOMETIMES',
          start: '2026-01-30 22:00',
          duration: 'P1M',
          tz: 'Mars/Olympus',
          reason: 'x',
        },
        2,
      ).map((e) => e.path),
    ).toEqual(['blackouts.2.tz', 'blackouts.2.rrule', 'blackouts.2.start', 'blackouts.2.duration']);
    expect(
      blackoutProblems({ start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z', reason: 'x' }, 0),
    ).toEqual([{ path: 'blackouts.0.end', message: 'must be after start' }]);
    expect(blackoutProblems(lastFriday('America/New_York'), 0)).toEqual([]);
  });

  it.each([
    ['FREQ=MONTHLY;BYHOUR=25', 'BYHOUR'],
    ['FREQ=WEEKLY;INTERVAL=0', 'INTERVAL'],
    ['FREQ=DAILY;BYDAY=XX', 'BYDAY'],
    ['FREQ=DAILY;COUNT=abc', 'COUNT'],
    ['BYDAY=FR', 'FREQ'],
    ['FREQ=MONTHLY;BYMONTHDAY=40', 'BYMONTHDAY'],
    ['FREQ=MONTHLY;FOO=1', 'unknown'],
    ['FREQ=DAILY;FREQ=WEEKLY', 'more than once'],
    ['FREQ=DAILY;COUNT=2;UNTIL=20270101', 'both'],
    ['FREQ=MINUTELY', 'FREQ'],
    ['DTSTART=20260101T220000;FREQ=DAILY', 'DTSTART'],
  ])('refuses %s', (rule, word) => {
    expect(ruleProblem(rule)).toContain(word);
  });

  it('accepts the rules of RFC 5545 it expands', () => {
    for (const rule of [
      'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
      'RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU;WKST=MO',
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
    ]) {
      expect(ruleProblem(rule)).toBeUndefined();
    }
  });

  it('reads ISO 8601 durations of weeks, days and time; refuses months, zero and more than 31 days', () => {
    expect(parseDuration('PT6H')).toEqual({ days: 0, exact: 6 * 3_600_000 });
    expect(parseDuration('P1DT2H30M')).toEqual({ days: 1, exact: 9_000_000 });
    expect(parseDuration('P2W')).toEqual({ days: 14, exact: 0 });
    for (const bad of ['P1M', 'PT0S', 'P', 'PT', 'P5W', '6h', 'PT1.5H'])
      expect(parseDuration(bad)).toBeUndefined();
  });
});

describe('expanding a rule from far back', () => {
  const DAY = 86_400_000;
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
  const rules = fc.oneof(
    fc.record({
      freq: fc.constantFrom('HOURLY', 'DAILY', 'WEEKLY'),
      interval: fc.integer({ min: 1, max: 5 }),
      byday: fc.subarray(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'], { minLength: 0, maxLength: 3 }),
      byhour: fc.subarray([0, 2, 3, 9, 17, 23], { minLength: 0, maxLength: 2 }),
      setpos: fc.option(fc.constantFrom(1, -1, 2), { nil: undefined }),
      until: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
    }),
  );

  it('gives the same occurrences in a range as expanding from the first one (hourly, daily, weekly)', () => {
    fc.assert(
      fc.property(
        rules,
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 86_399 }),
        (r, tz, offsetDays, lengthDays, seconds) => {
          const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`];
          if (r.byday.length > 0) parts.push(`BYDAY=${r.byday.join(',')}`);
          if (r.byhour.length > 0 && r.freq !== 'HOURLY') parts.push(`BYHOUR=${r.byhour.join(',')}`);
          if (r.setpos !== undefined && (r.byday.length > 0 || r.byhour.length > 0))
            parts.push(`BYSETPOS=${r.setpos}`);
          if (r.until !== undefined) {
            parts.push(
              `UNTIL=${new Date(Date.UTC(2020, 0, 1) + r.until * DAY).toISOString().slice(0, 10).replaceAll('-', '')}`,
            );
          }
          const blackout: Blackout = {
            rrule: parts.join(';'),
            start: '2020-01-01T22:30',
            duration: 'PT5H',
            tz,
            reason: 'r',
          };
          // Rules that are refused when recorded (no occurrence found in time) are not expanded.
          fc.pre(blackoutProblems(blackout, 0).length === 0);
          const sla = { id: 'sla_x', blackouts: [blackout] };
          const from = Date.UTC(2020, 0, 1) + offsetDays * DAY + seconds * 1000;
          const to = from + lengthDays * DAY;
          const iso = (ms: number) => new Date(ms).toISOString();
          // The reference: every occurrence from the rule's first, then those in the range.
          const all = windowsIn(sla, '2019-12-30T00:00:00Z', iso(to), 200_000).windows;
          const expected = all.filter((w) => Date.parse(w.start) < to && from < Date.parse(w.end));
          expect(windowsIn(sla, iso(from), iso(to), 200_000).windows).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is quick for an hourly rule begun years before the range', () => {
    const sla = {
      id: 'sla_x',
      blackouts: [
        {
          rrule: 'FREQ=HOURLY',
          start: '2015-01-01T00:10',
          duration: 'PT20M',
          tz: 'Europe/Berlin',
          reason: 'r',
        },
      ],
    };
    const started = performance.now();
    const found = windowsIn(sla, '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z');
    expect(found.windows).toHaveLength(24);
    expect(found.windows[0]?.start).toBe('2026-12-01T00:10:00.000Z');
    // From 2015 that would be over 100,000 occurrences to iterate; from just before the range, a few.
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('rules that match too rarely', () => {
  it('are refused when recorded, naming the rule, instead of stalling every read', () => {
    const started = performance.now();
    // One time per hour, so a second one (BYSETPOS=2) never exists: rrule would iterate to 9999.
    expect(
      blackoutProblems(
        {
          rrule: 'FREQ=HOURLY;BYSETPOS=2',
          start: '2026-01-01T00:00',
          duration: 'PT1H',
          tz: 'UTC',
          reason: 'r',
        },
        0,
      ),
    ).toEqual([{ path: 'blackouts.0.rrule', message: expect.stringMatching(/^matches too rarely/) }]);
    expect(performance.now() - started).toBeLessThan(2_000);
    // February 30th never comes; the monthly rule finds that out quickly.
    expect(
      blackoutProblems(
        {
          rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
          start: '2026-01-01T00:00',
          duration: 'PT1H',
          tz: 'UTC',
          reason: 'r',
        },
        0,
      ),
    ).toEqual([
      { path: 'blackouts.0.rrule', message: expect.stringMatching(/^has no occurrence in the 10 years/) },
    ]);
  });

  it('stored before that check, end their expansion in bounded time, marked truncated', () => {
    const sla = {
      id: 'sla_x',
      blackouts: [
        {
          rrule: 'FREQ=HOURLY;BYSETPOS=2',
          start: '2026-01-01T00:00',
          duration: 'PT1H',
          tz: 'UTC',
          reason: 'r',
        },
      ],
    };
    const started = performance.now();
    const found = windowsIn(sla, '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z');
    expect(found).toEqual({ windows: [], truncated: true });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('expanded together (the free-window search), give each rule the answer it has alone', () => {
    const sterile: Blackout = {
      rrule: 'FREQ=HOURLY;BYSETPOS=2',
      start: '2026-01-01T00:00',
      duration: 'PT1H',
      tz: 'UTC',
      reason: 'r',
    };
    const weekly = (day: string, hour: number): Blackout => ({
      rrule: `FREQ=WEEKLY;BYDAY=${day}`,
      start: `2026-01-05T${String(hour).padStart(2, '0')}:00`,
      duration: 'PT2H',
      tz: 'Europe/Berlin',
      reason: 'w',
    });
    const blackouts = [
      weekly('MO', 22),
      { start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z', reason: 'one-off' },
      sterile,
      weekly('WE', 3),
      weekly('SU', 23),
    ];
    const from = Date.parse('2026-11-28T00:00:00Z');
    const to = Date.parse('2026-12-12T00:00:00Z');
    const together = intervalsOfAll(blackouts, from, to, 100);
    // The same as one at a time (the sterile rule alone: truncated, nothing found, as the test
    // above shows), and the rules after it still expanded whole with their own budget.
    expect(together.filter((_, i) => i !== 2)).toEqual(
      blackouts.filter((_, i) => i !== 2).map((b) => intervalsIn(b, from, to, 100)),
    );
    expect(together.map((f) => [f.intervals.length, f.truncated])).toEqual([
      [2, false],
      [1, false],
      [0, true],
      [2, false],
      [2, false],
    ]);
  });
});
