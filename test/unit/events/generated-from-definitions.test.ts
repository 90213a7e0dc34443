/**
 * What is generated from the event definitions (functions/domain/event-catalogue.ts) is what the
 * repository holds — the published JSON Schemas and docs/events.md — and every event the domain
 * builds matches its definition's zod schema. After changing a definition: `npm run events:generate`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_CATALOGUE,
  EVENT_DEFINITIONS,
  eventDefinition,
} from '../../../functions/domain/event-catalogue.ts';
import {
  type DomainEvent,
  EVENT_SUBJECT_KINDS,
  EVENT_TYPES,
  type EventType,
  eventDetail,
  eventDetailSchema,
} from '../../../functions/domain/events.ts';
import { deliveredEventSchema } from '../../../functions/events/delivered.ts';
import { renderSchemaFiles, schemaFileName } from '../../../functions/events/schemas/catalogue.ts';
import type { LocalEvent } from '../../../infra/local/eventbridge/bus.ts';
import { GENERATED_MARKER, renderEventsDoc } from '../../../scripts/event-docs.ts';
import { deliver, inAws, sampleEvents } from '../../support/event-contract.ts';

const SCHEMAS = new URL('../../../functions/events/schemas/', import.meta.url);
const DOC = new URL('../../../docs/events.md', import.meta.url);
const STALE = 'stale: run `npm run events:generate`';

describe('generated files are up to date', () => {
  it('every published JSON Schema file is what its definition renders, and there is no other', () => {
    const rendered = renderSchemaFiles();
    const files = readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'));
    expect(files.sort(), STALE).toEqual([...rendered.keys()].sort());
    for (const [file, schema] of rendered) {
      expect(JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')), `${file} is ${STALE}`).toEqual(schema);
    }
  });

  it('docs/events.md is its hand-written head followed by what the definitions render', async () => {
    const current = readFileSync(DOC, 'utf8');
    expect(current).toContain(GENERATED_MARKER);
    const expected = await renderEventsDoc(current);
    // Line by line first, so that a failure points at the stale line.
    expect(current.split('\n'), `docs/events.md is ${STALE}`).toEqual(expected.split('\n'));
    expect(current).toBe(expected);
  });

  it('refuses to render a docs/events.md without its marker', async () => {
    await expect(renderEventsDoc('# Event catalogue\n')).rejects.toThrow(GENERATED_MARKER);
  });
});

describe('the catalogue', () => {
  it('has one definition per detail type, filed under its own type, in EVENT_TYPES order', () => {
    expect(Object.keys(EVENT_CATALOGUE)).toEqual([...EVENT_TYPES]);
    expect(EVENT_DEFINITIONS.map((d) => d.type)).toEqual([...EVENT_TYPES]);
    for (const type of EVENT_TYPES) expect(EVENT_CATALOGUE[type].type).toBe(type);
  });

  it('finds a definition by detail type, and nothing for a type the bus does not carry', () => {
    expect(eventDefinition('Release Created')).toBe(EVENT_CATALOGUE['Release Created']);
    expect(eventDefinition('Release Deleted')).toBeUndefined();
    expect(eventDefinition('toString')).toBeUndefined();
  });

  it('says who emits each emitted type, in its file, and gives every type a subscriber rule', () => {
    for (const definition of EVENT_DEFINITIONS) {
      if (definition.emittedBy !== undefined) {
        expect(definition.emittedBy).toMatch(/^[a-zA-Z]+ \(functions\/domain\/[a-z-/]+\.ts\)$/);
        const file = definition.emittedBy.slice(definition.emittedBy.indexOf('(') + 1, -1);
        const source = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
        expect(source, definition.type).toContain(`function ${definition.emittedBy.split(' ')[0]}`);
      } else {
        expect(definition.subjectKinds).toEqual(EVENT_SUBJECT_KINDS);
      }
      expect(definition.subscription.caption.length, definition.type).toBeGreaterThan(5);
      expect(schemaFileName(definition.type)).toMatch(/^[a-z-]+\.json$/);
    }
  });
});

describe('what the domain builds matches its definitions', () => {
  let events: DomainEvent[];
  let delivered: LocalEvent[];

  beforeAll(async () => {
    events = sampleEvents();
    delivered = await deliver(events);
  });

  it('covers every type that says who emits it', () => {
    const emitted = EVENT_DEFINITIONS.filter((d) => d.emittedBy !== undefined).map((d) => d.type);
    expect([...new Set(events.map((e) => e.type))].sort()).toEqual([...emitted].sort());
  });

  it("parses every event's data with its type's schema, unchanged", () => {
    for (const event of events) {
      const parsed = EVENT_CATALOGUE[event.type].data.safeParse(event.data);
      expect(parsed.error, `${event.type} ${event.id}`).toBeUndefined();
      expect(parsed.data).toEqual(event.data);
    }
  });

  it('parses every event as published (detail) and as a target receives it (envelope), locally and as in AWS', () => {
    for (const event of events) {
      const parsed = eventDetailSchema(EVENT_CATALOGUE[event.type]).safeParse(eventDetail(event));
      expect(parsed.error, `${event.type} ${event.id}`).toBeUndefined();
    }
    for (const event of delivered) {
      const schema = deliveredEventSchema(EVENT_CATALOGUE[event['detail-type'] as EventType]);
      for (const shape of [event, inAws(event)]) {
        expect(schema.safeParse(shape).error, event['detail-type']).toBeUndefined();
      }
    }
  });

  it("refuses a built event's data with a field renamed, dropped or of the wrong type", () => {
    const created = events.find((e) => e.type === 'Release Created') as DomainEvent;
    const schema = EVENT_CATALOGUE['Release Created'].data;
    const { releaseId, ...rest } = created.data;
    expect(schema.safeParse({ ...rest, id: releaseId }).success).toBe(false);
    expect(schema.safeParse({ ...created.data, plannedStart: 'tomorrow' }).success).toBe(false);
    expect(schema.safeParse({ ...created.data, teamId: undefined }).success).toBe(false);
    // Open: a field added later is not an error.
    expect(schema.safeParse({ ...created.data, addedLater: 1 }).success).toBe(true);
  });

  it('builds the subject from the definition: an id alone takes its only kind', () => {
    const built = EVENT_CATALOGUE['User Created'].event(
      { userId: 'u1', displayName: null, processes: [], admin: false },
      { id: 'evt_1', at: '2026-11-26T10:00:00.000Z', actor: 'admin', subject: 'u1' },
    );
    expect(built).toEqual({
      id: 'evt_1',
      type: 'User Created',
      occurredAt: '2026-11-26T10:00:00.000Z',
      actor: 'admin',
      subject: { kind: 'user', id: 'u1' },
      data: { userId: 'u1', displayName: null, processes: [], admin: false },
    });
    const planned = EVENT_CATALOGUE['Change Recorded'].event(
      { changeId: 'chg_1' },
      { id: 'evt_2', at: 't', actor: 'a', subject: { kind: 'change', id: 'chg_1' } },
    );
    expect(planned.subject).toEqual({ kind: 'change', id: 'chg_1' });
  });
});
