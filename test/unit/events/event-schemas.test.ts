/**
 * The event catalogue: one published JSON Schema per detail type, each a valid schema, generated
 * from the catalogue, and matching what the domain emits today as the bus delivers it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType } from '../../../functions/domain/events.ts';
import { EVENT_SOURCE } from '../../../functions/events/outbox-relay.ts';
import { renderSchemaFiles } from '../../../functions/events/schemas/catalogue.ts';
import {
  EVENT_CATALOGUE,
  eventSchemas,
  type JsonSchema,
  schemaFileName,
} from '../../../functions/events/schemas/index.ts';
import type { LocalEvent } from '../../../infra/local/eventbridge/bus.ts';
import { compilePattern } from '../../../infra/local/eventbridge/pattern.ts';
import { closed, deliver, inAws, sampleEvents, schemaAjv, validators } from '../../support/event-contract.ts';

const DIR = new URL('../../../functions/events/schemas/', import.meta.url);
const emitted = EVENT_TYPES.filter((type) => EVENT_CATALOGUE[type].emittedBy !== undefined);
const notEmitted = EVENT_TYPES.filter((type) => EVENT_CATALOGUE[type].emittedBy === undefined);

type Node = Record<string, unknown>;
const at = (schema: JsonSchema, ...path: string[]): Node =>
  path.reduce<Node>((node, key) => (node.properties as Record<string, Node>)[key] as Node, schema as Node);

describe('schema files', () => {
  it('has one file per detail type and no other', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(EVENT_TYPES.map(schemaFileName).sort());
  });

  it('names files after the kebab-cased detail type', () => {
    expect(schemaFileName('Release Stage Entered')).toBe('release-stage-entered.json');
  });

  it('are what the catalogue renders (run write-schemas.ts after changing it)', () => {
    for (const [file, schema] of renderSchemaFiles()) {
      expect(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')), file).toEqual(schema);
    }
  });

  it('are exported by detail type from index.ts', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(eventSchemas[type]).toEqual(
        JSON.parse(readFileSync(new URL(schemaFileName(type), DIR), 'utf8')),
      );
    }
  });
});

describe.each(EVENT_TYPES)('%s schema', (type) => {
  const schema = eventSchemas[type];

  it('is a valid JSON Schema draft 2020-12 that compiles in strict mode', () => {
    const ajv = schemaAjv();
    expect(ajv.validateSchema(schema as object), ajv.errorsText()).toBe(true);
    expect(() => ajv.compile(schema as object)).not.toThrow();
  });

  it('has an id, the detail type as title, a description and the full EventBridge envelope', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(`urn:release-desk:event:${schemaFileName(type).replace('.json', '')}`);
    expect(schema.title).toBe(type);
    expect(String(schema.description).length).toBeGreaterThan(20);
    // The schema registry refuses longer descriptions.
    expect(String(schema.description).length).toBeLessThanOrEqual(256);
    expect(schema.required).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(at(schema, 'detail-type').const).toBe(type);
    expect(at(schema, 'source').const).toBe(EVENT_SOURCE);
    expect(at(schema, 'version').const).toBe('0');
    expect(at(schema, 'detail').required).toEqual(['id', 'occurredAt', 'actor', 'subject', 'data']);
    expect(at(schema, 'detail', 'data').type).toBe('object');
  });
});

describe('events not emitted yet', () => {
  it.each(notEmitted)('%s has an open data object, defined when the feature lands', (type) => {
    const schema = eventSchemas[type];
    expect(at(schema, 'detail', 'data')).toEqual({
      type: 'object',
      description: 'Defined when the feature lands.',
    });
    expect(schema.description).toMatch(/Not emitted yet\.$/);
  });

  it('are exactly the types no domain function builds yet', () => {
    expect(notEmitted).toEqual([]);
  });
});

describe('contract: what the domain emits, as the bus delivers it', () => {
  let delivered: LocalEvent[];
  const published = validators(eventSchemas);
  const strict = validators(eventSchemas, closed);

  beforeAll(async () => {
    delivered = await deliver(sampleEvents());
  });

  it('covers every type the catalogue says is emitted', () => {
    expect([...new Set(delivered.map((e) => e['detail-type']))].sort()).toEqual([...emitted].sort());
  });

  it('delivers the relay entries with the EventBridge envelope', () => {
    for (const event of delivered) {
      expect(Object.keys(event).sort()).toEqual(
        ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'].sort(),
      );
    }
  });

  it('validates every delivered event against its published schema, locally and as in AWS', () => {
    for (const event of delivered) {
      const type = event['detail-type'] as EventType;
      for (const shape of [event, inAws(event)]) {
        const validate = published(type);
        expect(validate(shape), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
  });

  it('declares every field the domain emits (no undeclared field)', () => {
    for (const event of delivered) {
      const type = event['detail-type'] as EventType;
      const validate = strict(type);
      expect(validate(event), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('refuses an event whose data field was renamed, or that is of another type', () => {
    const created = delivered.find((e) => e['detail-type'] === 'Release Created') as LocalEvent;
    const { releaseId, ...data } = created.detail.data as Record<string, unknown>;
    const renamed = { ...created, detail: { ...created.detail, data: { ...data, id: releaseId } } };
    expect(published('Release Created')(renamed)).toBe(false);
    expect(published('Release Updated')(created)).toBe(false);
  });

  it('refuses a field the domain does not emit only in the closed variant', () => {
    const entered = delivered.find((e) => e['detail-type'] === 'Release Stage Entered') as LocalEvent;
    const extra = {
      ...entered,
      detail: { ...entered.detail, data: { ...(entered.detail.data as object), extra: 1 } },
    };
    expect(published('Release Stage Entered')(extra)).toBe(true);
    expect(strict('Release Stage Entered')(extra)).toBe(false);
  });
});

describe('docs/events.md', () => {
  const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
  const sections = new Map(
    doc.split(/^## /m).map((part) => [part.slice(0, part.indexOf('\n')).trim(), part] as const),
  );
  const jsonBlocks = (section: string) =>
    [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
  const published = validators(eventSchemas);
  const strict = validators(eventSchemas, closed);

  it.each(EVENT_TYPES)('has a section for %s with a rule pattern a subscriber can use', (type) => {
    const section = sections.get(type) ?? '';
    expect(section, `no "## ${type}" section`).not.toBe('');
    expect(section).toContain(schemaFileName(type));
    const pattern = jsonBlocks(section).at(-1) as Record<string, unknown>;
    expect(pattern).toMatchObject({ source: [EVENT_SOURCE], 'detail-type': [type] });
    expect(() => compilePattern(pattern)).not.toThrow();
  });

  it.each(emitted)(
    'documents %s: who emits it, every data field, a valid example its pattern matches',
    (type) => {
      const section = sections.get(type) ?? '';
      expect(section).toContain(`\`${EVENT_CATALOGUE[type].emittedBy?.split(' ')[0]}\``);
      for (const field of Object.keys(at(eventSchemas[type], 'detail', 'data').properties as object)) {
        expect(section).toMatch(new RegExp(`^\\| \`${field}\` +\\|`, 'm'));
      }
      const [example, pattern] = jsonBlocks(section);
      expect(published(type)(example), JSON.stringify(published(type).errors)).toBe(true);
      expect(strict(type)(example), JSON.stringify(strict(type).errors)).toBe(true);
      expect(compilePattern(pattern)(example)).toBe(true);
    },
  );

  it.each(notEmitted)('marks %s as not emitted yet, without an example', (type) => {
    const section = sections.get(type) ?? '';
    expect(section).toMatch(/not emitted yet/i);
    expect(jsonBlocks(section)).toHaveLength(1);
  });
});
