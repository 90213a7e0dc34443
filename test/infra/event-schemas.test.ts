/**
 * The `release-desk` schema registry in the synthesized stack: one draft 4 schema per detail type,
 * converted from the published draft 2020-12 files. The app is synthesized once for the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType } from '../../functions/domain/events.ts';
import { eventSchemas, type JsonSchema } from '../../functions/events/schemas/index.ts';
import {
  JSON_SCHEMA_DRAFT_4,
  registrySchemaName,
  SCHEMA_REGISTRY_NAME,
  toDraft4,
} from '../../infra/constructs/event-schemas.ts';
import { createReleaseDeskApp } from '../../infra/release-desk-app.ts';
import { deliver, sampleEvents } from '../support/event-contract.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

let outdir: string;
let schemas: Resource[];
let registry: [string, Resource][];

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'release-desk-schemas-'));
  const { app, stack } = createReleaseDeskApp({ outdir });
  try {
    app.synth();
  } catch {
    // cdk-nag findings are the stack test's business; the template is written before validation.
  }
  const template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')));
  const resources = Object.entries(template.toJSON().Resources as Record<string, Resource>);
  registry = resources.filter(([, r]) => r.Type === 'AWS::EventSchemas::Registry');
  schemas = resources.filter(([, r]) => r.Type === 'AWS::EventSchemas::Schema').map(([, r]) => r);
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/** Keywords that do not exist in draft 4 (or mean something else there). */
const LATER_KEYWORDS = [
  '$id',
  '$defs',
  'const',
  'examples',
  'prefixItems',
  'propertyNames',
  'contains',
  'if',
];
function laterKeywords(node: unknown, path = '#'): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => laterKeywords(n, `${path}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const here = LATER_KEYWORDS.includes(key) && !path.endsWith('/properties') ? [`${path}/${key}`] : [];
    const numeric =
      (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value !== 'boolean'
        ? [`${path}/${key}`]
        : [];
    return [...here, ...numeric, ...laterKeywords(value, `${path}/${key}`)];
  });
}

describe('schema registry', () => {
  it('creates the release-desk registry', () => {
    expect(registry).toHaveLength(1);
    expect(registry[0]?.[1].Properties.RegistryName).toBe(SCHEMA_REGISTRY_NAME);
  });

  it('has one schema per detail type, in that registry, of a type CloudFormation accepts', () => {
    expect(schemas.map((s) => s.Properties.SchemaName).sort()).toEqual(
      EVENT_TYPES.map(registrySchemaName).sort(),
    );
    const registryId = registry[0]?.[0];
    for (const schema of schemas) {
      expect(schema.Properties.RegistryName).toEqual({ 'Fn::GetAtt': [registryId, 'RegistryName'] });
      expect(['OpenApi3', 'JSONSchemaDraft4']).toContain(schema.Properties.Type);
      expect(String(schema.Properties.SchemaName)).toMatch(/^[.\-_A-Za-z@]+$/);
      expect(String(schema.Properties.Description).length).toBeLessThanOrEqual(256);
    }
  });

  it.each(EVENT_TYPES)('registers %s as the draft 4 form of its published schema', (type) => {
    const schema = schemas.find((s) => s.Properties.SchemaName === registrySchemaName(type));
    const content = JSON.parse(String(schema?.Properties.Content)) as JsonSchema;
    expect(schema?.Properties.Type).toBe('JSONSchemaDraft4');
    expect(content).toEqual(toDraft4(eventSchemas[type]));
    expect(content.$schema).toBe(JSON_SCHEMA_DRAFT_4);
    expect(content.title).toBe(type);
    expect(laterKeywords(content)).toEqual([]);
  });
});

describe('toDraft4', () => {
  it('rewrites $schema, $id, const and numeric exclusive bounds, keeping property names alone', () => {
    expect(
      toDraft4({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'urn:x',
        type: 'object',
        properties: {
          const: { const: 'a', examples: ['a'] },
          n: { type: 'number', exclusiveMinimum: 0 },
          list: { type: 'array', items: { anyOf: [{ const: 1 }, { type: 'null' }] } },
        },
        additionalProperties: { not: { const: 2 } },
      }),
    ).toEqual({
      $schema: JSON_SCHEMA_DRAFT_4,
      id: 'urn:x',
      type: 'object',
      properties: {
        const: { enum: ['a'] },
        n: { type: 'number', minimum: 0, exclusiveMinimum: true },
        list: { type: 'array', items: { anyOf: [{ enum: [1] }, { type: 'null' }] } },
      },
      additionalProperties: { not: { enum: [2] } },
    });
  });

  it('refuses what draft 4 cannot say, naming where', () => {
    expect(() => toDraft4({ properties: { a: { prefixItems: [] } } })).toThrow(
      '#/properties/a: "prefixItems" has no JSON Schema draft 4 equivalent',
    );
    expect(() => toDraft4({ $defs: {} })).toThrow('$defs');
  });

  it('accepts what the domain emits, like the published schemas do', async () => {
    // Draft 4 as converted is a subset draft-07 Ajv reads the same way (no boolean bounds used).
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const compiled = new Map<EventType, ReturnType<Ajv['compile']>>(
      EVENT_TYPES.map((type) => {
        const { $schema: _s, id: _id, ...rest } = toDraft4(eventSchemas[type]);
        return [type, ajv.compile(rest)];
      }),
    );
    for (const event of await deliver(sampleEvents())) {
      const validate = compiled.get(event['detail-type'] as EventType);
      expect(validate?.(event), JSON.stringify(validate?.errors)).toBe(true);
    }
  });
});
