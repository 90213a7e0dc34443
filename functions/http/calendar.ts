import { type AppPorts, environmentPorts } from '#app/ports';
import {
  type BlackoutEntry,
  type Calendar,
  type CalendarEntry,
  type CalendarPorts,
  type ChangeEntry,
  calendarOf,
  type ReleaseEntry,
} from '#domain/calendar/service';
import type { BlackoutConflict } from '#domain/sla/conflicts';
import type { PathStep } from '#domain/sla/service';
import { type EdgePorts, httpHandler, representation } from '#edge/handler';
import { type IcsEvent, writeCalendar } from '#edge/icalendar';
import { calendarRoutes, ICALENDAR } from './contract/calendar.ts';

/** The feed's product id (RFC 5545 PRODID) and how often subscribers read it again. */
const PRODUCT_ID = '-//Release Desk//Change Calendar//EN';
const REFRESH_INTERVAL = 'PT1H';

/** A path of relations as people read it: `ci_db → ci_app (depends-on) → ci_web (depends-on)`. */
function pathText(from: string, path: readonly PathStep[]): string {
  return [from, ...path.map((s) => `${s.ciId} (${s.relation})`)].join(' → ');
}

function conflictLine(c: BlackoutConflict): string {
  const through = c.path.length > 0 ? ` through ${pathText(c.touchedCiId, c.path)}` : '';
  return `- ${c.slaName}: ${c.reason}, ${c.localStart} to ${c.localEnd} (${c.tz}), on ${c.ciId}${through}`;
}

function conflictLines(entry: ReleaseEntry | ChangeEntry, more: string): string[] {
  if (entry.conflictCount === 0) return ['No blackout conflicts.'];
  const rest = entry.conflictCount - entry.blackoutConflicts.length;
  return [
    `Blackout conflicts (${entry.conflictCount}):`,
    ...entry.blackoutConflicts.map(conflictLine),
    ...(rest > 0 || entry.conflictsTruncated
      ? [`… ${rest > 0 ? `${rest} more` : 'possibly more'}: ${more}`]
      : []),
  ];
}

/** The summary's note of conflicts, so they show in a calendar's grid without opening the event. */
const conflictNote = (count: number) =>
  count === 0 ? '' : ` – ${count} blackout conflict${count === 1 ? '' : 's'}`;

/** A plan that may still move is tentative; one that is over happened (or was called off). */
function planStatus(status: string): IcsEvent['status'] {
  if (status === 'cancelled') return 'CANCELLED';
  return status === 'active' ? 'TENTATIVE' : 'CONFIRMED';
}

function eventOf(entry: CalendarEntry, ciId: string | undefined): IcsEvent {
  const window = { uid: entry.uid, start: entry.start, end: entry.end };
  switch (entry.kind) {
    case 'release':
      return {
        ...window,
        summary: `Release: ${entry.title} (${entry.stage})${conflictNote(entry.conflictCount)}`,
        description: [
          `Release ${entry.id}: ${entry.title}`,
          `Type ${entry.releaseType}, stage ${entry.stage}, status ${entry.status}${entry.teamId ? `, team ${entry.teamId}` : ''}.`,
          `Planned ${entry.start} to ${entry.end} (UTC).`,
          `CIs: ${entry.ciIds.join(', ') || 'none'}.`,
          ...conflictLines(entry, `GET /releases/${entry.id}`),
        ].join('\n'),
        categories: ['release', ...(entry.conflictCount > 0 ? ['blackout-conflict'] : [])],
        status: planStatus(entry.status),
        lastModified: entry.updatedAt,
      };
    case 'change':
      return {
        ...window,
        summary: `RFC: ${entry.title} (${entry.state})${conflictNote(entry.conflictCount)}`,
        description: [
          `RFC ${entry.id}: ${entry.title}`,
          `Type ${entry.type}, risk ${entry.risk}, state ${entry.state}, status ${entry.status}, CAB ${entry.cabTeamId}.`,
          `Planned ${entry.start} to ${entry.end} (UTC).`,
          `CIs: ${entry.ciIds.join(', ') || 'none'}.`,
          ...conflictLines(entry, `GET /changes/${entry.id}`),
        ].join('\n'),
        categories: ['rfc', ...(entry.conflictCount > 0 ? ['blackout-conflict'] : [])],
        status: planStatus(entry.status),
        lastModified: entry.updatedAt,
      };
    case 'blackout':
      return { ...window, ...blackoutEvent(entry, ciId) };
  }
}

function blackoutEvent(
  entry: BlackoutEntry,
  ciId: string | undefined,
): Omit<IcsEvent, 'uid' | 'start' | 'end'> {
  const applies = entry.appliesTo ?? [];
  return {
    summary: `Blackout: ${entry.slaName} – ${entry.reason}`,
    description: [
      `Blackout of SLA ${entry.slaName} (${entry.slaId}, blackout ${entry.blackoutIndex}): ${entry.reason}`,
      `${entry.localStart} to ${entry.localEnd} (${entry.tz}).`,
      ...(applies.length > 0
        ? [
            `Applies through ${entry.appliesCount ?? applies.length} CI(s):`,
            ...applies.map(
              (a) => `- ${a.ciId}${a.path.length > 0 ? `: ${pathText(ciId ?? '', a.path)}` : ''}`,
            ),
          ]
        : []),
      ...(entry.conflicts.length > 0
        ? [
            `Conflicting plans (${entry.conflicts.length}):`,
            ...entry.conflicts.map(
              (p) => `- ${p.kind === 'release' ? 'Release' : 'RFC'} ${p.id}: ${p.title}`,
            ),
          ]
        : ['No plan conflicts with it.']),
    ].join('\n'),
    categories: ['blackout', ...(entry.conflicts.length > 0 ? ['blackout-conflict'] : [])],
    status: 'CONFIRMED',
  };
}

/** The calendar as an iCalendar feed: one VEVENT per entry, stamped when it was read. */
export function feedOf(calendar: Calendar): string {
  const scope = [calendar.teamId && `team ${calendar.teamId}`, calendar.ciId && `CI ${calendar.ciId}`]
    .filter(Boolean)
    .join(', ');
  return writeCalendar({
    productId: PRODUCT_ID,
    name: `Release Desk change calendar${scope ? ` (${scope})` : ''}`,
    stamp: calendar.generatedAt,
    refreshInterval: REFRESH_INTERVAL,
    events: calendar.items.map((entry) => eventOf(entry, calendar.ciId)),
  });
}

// Only the calendar's ports (and the caller's): its unit tests run it on the in-memory fakes.
export const createHandler = <P extends CalendarPorts & EdgePorts>(ports: () => P) =>
  httpHandler(
    calendarRoutes,
    {
      getCalendar: async ({ query, actor, representation: wanted }, p: P) => {
        const calendar = await calendarOf(
          { from: query.from, to: query.to, teamId: query.team, ciId: query.ci },
          actor,
          p,
        );
        // The entries are the view: the declared schema describes them as they are.
        return wanted === ICALENDAR ? representation(ICALENDAR, feedOf(calendar)) : calendar;
      },
    },
    ports,
  );

export const handler = createHandler<AppPorts>(environmentPorts);
