/**
 * The stage's EventBridge schema registry (`release-desk`, or `release-desk-<stage>`) with one
 * schema per detail type, so that subscribers find the events (and generate code bindings) in the
 * console or with
 * `aws schemas describe-schema --registry-name release-desk --schema-name release-desk@ReleaseCreated`.
 */
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { EVENT_TYPES, type EventType } from '../../functions/domain/events.ts';
import { eventSchemas, type JsonSchema } from '../../functions/events/schemas/index.ts';
import { EVENT_SOURCE } from '../rules.ts';

/** The default stack's registry name (a stage's is `release-desk-<stage>`, see `infra/stage.ts`). */
export const SCHEMA_REGISTRY_NAME = 'release-desk';

export interface EventSchemasProps {
  /** @default SCHEMA_REGISTRY_NAME */
  readonly registryName?: string;
}

/** The registry accepts `OpenApi3` and `JSONSchemaDraft4` content; the published files are draft 2020-12. */
export const SCHEMA_CONTENT_TYPE = 'JSONSchemaDraft4';
export const JSON_SCHEMA_DRAFT_4 = 'http://json-schema.org/draft-04/schema#';

/** A detail type's schema name, in EventBridge's own `<source>@<DetailTypeWithoutSpaces>` style. */
export function registrySchemaName(type: EventType): string {
  return `${EVENT_SOURCE}@${type.replaceAll(' ', '')}`;
}

/** Keywords of later drafts with no draft 4 equivalent; converting a schema that uses one fails. */
const UNSUPPORTED = [
  '$defs',
  '$ref',
  '$anchor',
  'prefixItems',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
] as const;
const SCHEMA_MAPS = ['properties', 'patternProperties'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const SUBSCHEMAS = ['not', 'additionalProperties', 'items'] as const;

/**
 * Converts a draft 2020-12 schema to draft 4: `$id` → `id`, `const` → a one-value `enum`, numeric
 * `exclusiveMinimum`/`exclusiveMaximum` → the boolean form, `examples` dropped. Throws on a
 * keyword draft 4 cannot express rather than registering a schema that means something else.
 */
export function toDraft4(schema: JsonSchema, path = '#'): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if ((UNSUPPORTED as readonly string[]).includes(keyword)) {
      throw new Error(`${path}: "${keyword}" has no JSON Schema draft 4 equivalent`);
    }
    if (keyword === '$schema') out.$schema = JSON_SCHEMA_DRAFT_4;
    else if (keyword === '$id') out.id = value;
    else if (keyword === 'const') out.enum = [value];
    else if (keyword === 'examples') continue;
    else if (keyword === 'exclusiveMinimum' || keyword === 'exclusiveMaximum') {
      if (typeof value !== 'number')
        throw new Error(`${path}: "${keyword}" must be a number in draft 2020-12`);
      out[keyword === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[keyword] = true;
    } else if ((SCHEMA_MAPS as readonly string[]).includes(keyword)) {
      out[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [
          name,
          toDraft4(sub, `${path}/${keyword}/${name}`),
        ]),
      );
    } else if ((SCHEMA_LISTS as readonly string[]).includes(keyword)) {
      out[keyword] = (value as JsonSchema[]).map((sub, i) => toDraft4(sub, `${path}/${keyword}/${i}`));
    } else if ((SUBSCHEMAS as readonly string[]).includes(keyword) && typeof value === 'object') {
      if (Array.isArray(value)) throw new Error(`${path}: array-form "${keyword}" is not draft 2020-12`);
      out[keyword] = toDraft4(value as JsonSchema, `${path}/${keyword}`);
    } else out[keyword] = value;
  }
  return out;
}

/** The registry and its schemas. */
export class EventSchemas extends Construct {
  readonly registry: CfnRegistry;
  readonly schemas: ReadonlyMap<EventType, CfnSchema>;

  constructor(scope: Construct, id: string, props: EventSchemasProps = {}) {
    super(scope, id);
    this.registry = new CfnRegistry(this, 'Registry', {
      registryName: props.registryName ?? SCHEMA_REGISTRY_NAME,
      description: `Schemas of the events on the ${EVENT_SOURCE} bus (source ${EVENT_SOURCE})`,
    });
    this.schemas = new Map(
      EVENT_TYPES.map((type) => {
        const schema = eventSchemas[type];
        const cfn = new CfnSchema(this, type.replaceAll(' ', ''), {
          registryName: this.registry.attrRegistryName,
          schemaName: registrySchemaName(type),
          type: SCHEMA_CONTENT_TYPE,
          description: String(schema.description),
          content: JSON.stringify(toDraft4(schema)),
        });
        return [type, cfn] as const;
      }),
    );
  }
}
