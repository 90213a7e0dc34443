/**
 * The published event schemas, rendered: for each detail type, the JSON Schema (draft 2020-12) of
 * the whole event as a target receives it — the EventBridge envelope around `detail`, `data` as
 * the type's definition declares it. The definitions are the domain's zod schemas
 * (`functions/domain/event-catalogue.ts`); this module only renders them with `z.toJSONSchema`.
 * The `<kebab-case-type>.json` files beside it are written by `npm run events:generate` and are
 * what the project publishes; a unit test keeps them equal to what this module renders.
 *
 * Schemas are open: they name every field emitted today but do not forbid others, because fields
 * may be added (DESIGN §5) and EventBridge itself adds `replay-name` to replayed events.
 */
import * as z from 'zod';
import { EVENT_CATALOGUE } from '#domain/event-catalogue';
import { EVENT_SOURCE, EVENT_TYPES, type EventDefinition, type EventType } from '#domain/events';
import { deliveredEventSchema } from '../delivered.ts';

export { EVENT_CATALOGUE };

/** A JSON Schema document or subschema. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** What the catalogue says about one detail type (its definition in the domain). */
export type EventSpec = EventDefinition;

/** The `source` of every Release Desk event. */
export const SCHEMA_EVENT_SOURCE = EVENT_SOURCE;
export const JSON_SCHEMA_DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** The order keywords are written in, so that the files read the same from one render to the next. */
const KEYWORD_ORDER = [
  'type',
  'const',
  'enum',
  'minLength',
  'minimum',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'items',
  'description',
  'required',
  'properties',
];
const rank = (keyword: string) => {
  const at = KEYWORD_ORDER.indexOf(keyword);
  // Keywords not listed go between `items` and `description`.
  return at === -1 ? KEYWORD_ORDER.indexOf('description') - 0.5 : at;
};

/**
 * A node of `z.toJSONSchema`'s output as the files state it: open objects without the
 * `additionalProperties: {}` zod spells openness with (JSON Schema's default), no bound that only
 * restates JavaScript's safe integers, `format: date-time` without zod's equivalent pattern, an
 * integer constant typed `integer`, and `required` listed even when empty.
 */
function tidy(node: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = { ...node };
  if (
    typeof out.additionalProperties === 'object' &&
    Object.keys(out.additionalProperties ?? {}).length === 0
  ) {
    delete out.additionalProperties;
  }
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.format === 'date-time') delete out.pattern;
  if (out.type === 'number' && Number.isInteger(out.const)) out.type = 'integer';
  if (out.properties !== undefined) {
    const properties = Object.entries(out.properties as Record<string, JsonSchema>);
    if (properties.length === 0) delete out.properties;
    else {
      out.properties = Object.fromEntries(properties.map(([name, schema]) => [name, tidy(schema)]));
      out.required ??= [];
    }
  }
  if (out.items !== undefined) out.items = tidy(out.items as JsonSchema);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => rank(a) - rank(b)));
}

/** `Release Stage Entered` → `release-stage-entered`. */
export function schemaName(type: EventType): string {
  return type.toLowerCase().replaceAll(' ', '-');
}

/** The published schema file of a detail type, relative to this directory. */
export const schemaFileName = (type: EventType): string => `${schemaName(type)}.json`;

/** The description a type is published with (a type not emitted yet says so). */
export function publishedDescription(definition: EventDefinition): string {
  return definition.emittedBy ? definition.description : `${definition.description} Not emitted yet.`;
}

/** The full schema of a detail type: the EventBridge event as delivered, `detail.data` as emitted. */
export function eventSchema(type: EventType): JsonSchema {
  const definition = EVENT_CATALOGUE[type];
  const { $schema: _draft, ...schema } = z.toJSONSchema(deliveredEventSchema(definition), {
    target: 'draft-2020-12',
    io: 'input',
  });
  return {
    $schema: JSON_SCHEMA_DRAFT_2020_12,
    $id: `urn:release-desk:event:${schemaName(type)}`,
    title: type,
    description: publishedDescription(definition),
    ...tidy(schema),
  };
}

/** Every schema file this directory publishes, by file name. */
export function renderSchemaFiles(): Map<string, JsonSchema> {
  return new Map(EVENT_TYPES.map((type) => [schemaFileName(type), eventSchema(type)]));
}
