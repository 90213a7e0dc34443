/**
 * The change calendar (issue 16): week and month views of `GET /calendar` — planned releases, RFC
 * windows and blackout windows — as a list per day, so it reflows at 200% zoom. A conflict is
 * spelled out ("conflict: <SLA> <window>"), never shown by colour alone. Times are UTC, as the API's.
 */
import { useState } from 'preact/hooks';
import { api, apiFetch } from './api.ts';
import { Choice, ProblemAlert, TextField, useLoad } from './ui.tsx';

interface Conflict {
  readonly slaId: string;
  readonly slaName: string;
  readonly start: string;
  readonly end: string;
  readonly reason: string;
  readonly ciId?: string;
}

interface PlanEntry {
  readonly uid: string;
  readonly start: string;
  readonly end: string;
  readonly id: string;
  readonly title: string;
  readonly ciIds: readonly string[];
  readonly blackoutConflicts: readonly Conflict[];
  readonly conflictCount: number;
  readonly conflictsTruncated: boolean;
}

type CalendarItem =
  | (PlanEntry & { readonly kind: 'release'; readonly stage: string; readonly teamId?: string })
  | (PlanEntry & { readonly kind: 'change'; readonly state: string })
  | {
      readonly kind: 'blackout';
      readonly uid: string;
      readonly start: string;
      readonly end: string;
      readonly slaId: string;
      readonly slaName: string;
      readonly reason: string;
      readonly conflicts: readonly { kind: 'release' | 'change'; id: string; title: string }[];
    };

interface CalendarView {
  readonly items: readonly CalendarItem[];
  readonly truncated: boolean;
}

type Mode = 'week' | 'month';
const DAY = 86_400_000;

/** The range shown: a week from Monday, or a calendar month, both in UTC like the API. */
export function rangeOf(mode: Mode, anchor: Date): { from: Date; to: Date } {
  if (mode === 'month') {
    const from = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), 1));
    return { from, to: new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() + 1, 1)) };
  }
  const midnight = Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), anchor.getUTCDate());
  const from = new Date(midnight - ((anchor.getUTCDay() + 6) % 7) * DAY);
  return { from, to: new Date(from.getTime() + 7 * DAY) };
}

/** The same kind of range just before (`-1`) or after (`1`) the one shown. */
function step(mode: Mode, anchor: Date, by: 1 | -1): Date {
  if (mode === 'month') return new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() + by, 1));
  return new Date(anchor.getTime() + by * 7 * DAY);
}

const time = (iso: string) => `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
const day = (d: Date) => d.toISOString().slice(0, 10);
const weekday = (d: Date) => ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];

function Entry({ item }: { item: CalendarItem }) {
  const when = `${time(item.start)} – ${time(item.end)}`;
  if (item.kind === 'blackout')
    return (
      <li class={item.conflicts.length ? 'entry blackout conflict' : 'entry blackout'}>
        <strong>Blackout:</strong> {item.slaName} — {item.reason} <span class="when">({when})</span>
        {item.conflicts.length ? (
          <ul class="conflicts">
            {item.conflicts.map((c) => (
              <li key={`${c.kind}-${c.id}`}>
                conflict: {c.kind === 'release' ? 'release' : 'RFC'} {c.title}
              </li>
            ))}
          </ul>
        ) : null}
      </li>
    );
  const conflicts = item.blackoutConflicts;
  return (
    <li class={item.conflictCount ? `entry ${item.kind} conflict` : `entry ${item.kind}`}>
      <strong>{item.kind === 'release' ? 'Release:' : 'RFC:'}</strong>{' '}
      {item.kind === 'release' ? (
        <a href={`#/releases/${encodeURIComponent(item.id)}`}>{item.title}</a>
      ) : (
        item.title
      )}{' '}
      ({item.kind === 'release' ? item.stage : item.state}) <span class="when">({when})</span>
      {conflicts.length ? (
        <ul class="conflicts">
          {conflicts.map((c) => (
            <li key={`${c.slaId}-${c.start}-${c.ciId}`}>
              conflict: {c.slaName} {time(c.start)} – {time(c.end)}
              {c.ciId ? ` on ${c.ciId}` : ''}
            </li>
          ))}
          {item.conflictsTruncated || item.conflictCount > conflicts.length ? (
            <li>and more: {item.conflictCount} conflicts in all</li>
          ) : null}
        </ul>
      ) : null}
    </li>
  );
}

/** The calendar view: `#/calendar`. */
export function Calendar() {
  const [mode, setMode] = useState<Mode>('week');
  const [anchor, setAnchor] = useState(() => new Date());
  const [filters, setFilters] = useState({ team: '', ci: '' });
  const [applied, setApplied] = useState(filters);
  const [downloadError, setDownloadError] = useState<unknown>();
  const { from, to } = rangeOf(mode, anchor);
  const query = new URLSearchParams(
    Object.entries({ from: from.toISOString(), to: to.toISOString(), ...applied }).filter(
      ([, v]) => v !== '',
    ),
  ).toString();
  const state = useLoad(() => api<CalendarView>('GET', `/calendar?${query}`), [query]);

  // The feed wants the bearer token like every other call, and a calendar app subscribing to a URL
  // cannot send one (nor may a token go in the URL, where logs keep it): so the console fetches the
  // feed with the token and hands it over as a file instead of offering a subscription link.
  const download = async () => {
    setDownloadError(undefined);
    try {
      const res = await apiFetch('GET', `/calendar?${query}&format=ics`, undefined, {
        accept: 'text/calendar',
      });
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = `change-calendar-${day(from)}.ics`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setDownloadError(error);
    }
  };

  const days: Date[] = [];
  for (let d = from.getTime(); d < to.getTime(); d += DAY) days.push(new Date(d));
  const items = state.data?.items ?? [];
  const onDay = (d: Date) =>
    items.filter((i) => Date.parse(i.start) < d.getTime() + DAY && Date.parse(i.end) > d.getTime());
  const field = (name: keyof typeof filters) => (value: string) =>
    setFilters({ ...filters, [name]: value.trim() });
  const title =
    mode === 'month'
      ? `${from.toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' })}`
      : `Week of ${day(from)}`;
  return (
    <main id="main">
      <h1>Change calendar</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <Choice
          id="calendar-view"
          label="View"
          value={mode}
          onValue={(v) => setMode(v as Mode)}
          options={[
            { value: 'week', label: 'Week' },
            { value: 'month', label: 'Month' },
          ]}
        />
        <TextField id="calendar-team" label="Team" value={filters.team} onValue={field('team')} />
        <TextField id="calendar-ci" label="CI" value={filters.ci} onValue={field('ci')} />
        <button type="submit">Filter</button>
      </form>
      <nav aria-label="Calendar range" class="filters">
        <button type="button" onClick={() => setAnchor(step(mode, anchor, -1))}>
          ← Previous {mode}
        </button>
        <button type="button" onClick={() => setAnchor(new Date())}>
          Today
        </button>
        <button type="button" onClick={() => setAnchor(step(mode, anchor, 1))}>
          Next {mode} →
        </button>
        <button type="button" onClick={download}>
          Download .ics
        </button>
      </nav>
      <p class="hint">
        The iCalendar feed needs your bearer token, which a calendar app subscribing to a link cannot send:
        "Download .ics" saves this range as a file to import instead.
      </p>
      <ProblemAlert error={downloadError ?? state.error} />
      <h2 data-testid="calendar-range">
        {title}{' '}
        <span class="when">
          ({day(from)} to {day(new Date(to.getTime() - DAY))}, UTC)
        </span>
      </h2>
      {state.data ? (
        <>
          {state.data.truncated ? <p>Not everything fits: narrow by team or CI.</p> : null}
          <ol class="days">
            {days.map((d) => {
              const here = onDay(d);
              return (
                // An empty day takes one line, so a month stays short enough to scan.
                <li key={day(d)} class={here.length ? 'day' : 'day quiet'}>
                  <h3>
                    {weekday(d)} {day(d)}
                  </h3>
                  {here.length ? (
                    <ul class="entries">
                      {here.map((i) => (
                        <Entry item={i} key={i.uid} />
                      ))}
                    </ul>
                  ) : (
                    <p class="empty">Nothing planned.</p>
                  )}
                </li>
              );
            })}
          </ol>
        </>
      ) : state.error ? null : (
        <p>Loading…</p>
      )}
    </main>
  );
}
