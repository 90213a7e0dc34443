/**
 * Renders `docs/events.md` from the event definitions (`functions/domain/event-catalogue.ts`):
 * the hand-written head of the file (delivery, schemas, compatibility) is kept as it is, up to
 * the {@link GENERATED_MARKER}; everything after it — the summary table and one section per
 * detail type with its fields, an example and a rule pattern — is generated. The fields come from
 * the published JSON Schema, the examples from the contract tests' sample flows
 * (`test/support/event-contract.ts`) as the bus delivers them. `npm run events:generate` writes
 * it; a unit test fails while the file differs from what this renders.
 */
import { createHash } from 'node:crypto';
import { EVENT_CATALOGUE } from '../functions/domain/event-catalogue.ts';
import {
  EVENT_SOURCE,
  EVENT_TYPES,
  type EventDefinition,
  type EventType,
} from '../functions/domain/events.ts';
import { eventSchema, type JsonSchema, schemaFileName } from '../functions/events/schemas/catalogue.ts';
import { registrySchemaName } from '../infra/constructs/event-schemas.ts';
import type { LocalEvent } from '../infra/local/eventbridge/bus.ts';
import { compilePattern } from '../infra/local/eventbridge/pattern.ts';
import { deliver, inAws, sampleEvents } from '../test/support/event-contract.ts';

/** The line after which `docs/events.md` is generated. */
export const GENERATED_MARKER =
  '<!-- Generated from the event definitions by `npm run events:generate`; edit those, not what follows. -->';

/** Markdown's widest line for a JSON value written on one line. */
const LINE_WIDTH = 110;

/** A table with every column as wide as its widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A JSON value on one line, with spaces inside braces: `{ "a": [1, 2] }`. */
function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0
      ? '{}'
      : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

const isPrimitive = (value: unknown) => value === null || typeof value !== 'object';

/** An example event: objects expanded, arrays of plain values on one line when they fit. */
function expanded(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const flat = oneLine(value);
    if (value.every(isPrimitive) && inner.length + flat.length <= LINE_WIDTH) return flat;
    return `[\n${value.map((v) => `${inner}${expanded(v, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${expanded(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A rule pattern: on one line when it fits, else one line per top-level field. */
function patternText(pattern: Record<string, unknown>): string {
  const flat = oneLine(pattern);
  if (flat.length <= LINE_WIDTH) return flat;
  return `{\n${Object.entries(pattern)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${oneLine(v)}`)
    .join(',\n')}\n}`;
}

const code = (text: string) => `\`${text}\``;

/** How a field's type reads in the table. */
function typeText(node: JsonSchema): string {
  if (node.const !== undefined) return code(JSON.stringify(node.const));
  if (Array.isArray(node.enum)) return node.enum.map((v) => code(String(v))).join(', ');
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  // A nullable object (`z.object(…).nullable()`) is an `anyOf` of the object and null.
  if (Array.isArray(node.anyOf)) return (node.anyOf as JsonSchema[]).map(typeText).join(' \\| ');
  if (node.type === 'array') {
    const items = (node.items ?? {}) as JsonSchema;
    return `array of ${items.type === 'object' ? 'objects' : typeText(items)}`;
  }
  if (node.format) return `${String(node.type)} (${String(node.format)})`;
  return String(node.type);
}

/** One row per field of an object schema, nested fields as `a.b` and `a[].b`. */
function fieldRows(node: JsonSchema, prefix = ''): string[][] {
  const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
  const required = (node.required ?? []) as string[];
  return Object.entries(properties).flatMap(([name, field]) => {
    const path = `${prefix}${name}`;
    const row = [
      code(path),
      typeText(field),
      required.includes(name) ? 'yes' : 'no',
      String(field.description ?? ''),
    ];
    const items = field.items as JsonSchema | undefined;
    const object = ((field.anyOf ?? []) as JsonSchema[]).find((alt) => alt.type === 'object');
    const nested =
      field.type === 'object'
        ? fieldRows(field, `${path}.`)
        : object
          ? fieldRows(object, `${path}.`)
          : items?.type === 'object'
            ? fieldRows(items, `${path}[].`)
            : [];
    return [row, ...nested];
  });
}

type Node = Record<string, unknown>;
const dataSchema = (type: EventType) =>
  ((((eventSchema(type).properties as Node).detail as Node).properties as Node).data ?? {}) as JsonSchema;

const anchor = (type: EventType) => type.toLowerCase().replaceAll(' ', '-');
const functionOf = (definition: EventDefinition) => definition.emittedBy?.split(' ')[0] ?? '';
const fileOf = (definition: EventDefinition) => definition.emittedBy?.match(/\(([^)]+)\)/)?.[1] ?? '';

/** The example of a type: the first sample event its rule pattern matches (else its first). */
export function exampleOf(definition: EventDefinition, pattern: Node, delivered: readonly LocalEvent[]) {
  const ofType = delivered.filter((e) => e['detail-type'] === definition.type);
  const matches = compilePattern(pattern);
  const event = ofType.find((e) => matches(e)) ?? ofType[0];
  if (!event) return undefined;
  // EventBridge gives every publication a new id: derive one from the domain event id instead.
  const h = createHash('sha256')
    .update(String((event.detail as Node).id))
    .digest('hex');
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { ...event, id };
}

function section(definition: EventDefinition, delivered: readonly LocalEvent[]): string {
  const { type, subscription } = definition;
  const file = schemaFileName(type);
  const pattern: Node = {
    source: [EVENT_SOURCE],
    'detail-type': [type],
    ...(subscription.detail ? { detail: subscription.detail } : {}),
  };
  const parts = [
    `## ${type}`,
    `Schema: [\`functions/events/schemas/${file}\`](../functions/events/schemas/${file}) · registry: \`${registrySchemaName(type)}\``,
  ];
  if (!definition.emittedBy) {
    parts.push(
      `**Not emitted yet.** ${definition.description} Subject kind: not fixed yet. \`detail.data\` is an object, defined when the feature lands.`,
    );
  } else {
    const example = exampleOf(definition, pattern, delivered);
    parts.push(
      `**When:** ${definition.description}`,
      `**Emitted by:** \`${functionOf(definition)}\` in \`${fileOf(definition)}\`; subject ${definition.subjectKinds.map(code).join(', ')}.`,
      table(['`detail.data` field', 'type', 'required', 'meaning'], fieldRows(dataSchema(type))),
      ...(example
        ? ['Example (as delivered to a target):', `\`\`\`json\n${expanded(inAws(example))}\n\`\`\``]
        : []),
    );
  }
  parts.push(`Rule pattern (${subscription.caption}):`, `\`\`\`json\n${patternText(pattern)}\n\`\`\``);
  return parts.join('\n\n');
}

/** What follows the marker: the summary table and a section per detail type. */
export async function renderGeneratedPart(): Promise<string> {
  const delivered = await deliver(sampleEvents());
  const definitions = EVENT_TYPES.map((type) => EVENT_CATALOGUE[type]);
  const summary = table(
    ['detail type', 'emitted by', 'subject'],
    definitions.map((d) => [
      `[${d.type}](#${anchor(d.type)})`,
      d.emittedBy ? code(functionOf(d)) : '_not emitted yet_',
      d.emittedBy ? d.subjectKinds.join(', ') : '—',
    ]),
  );
  return [summary, ...definitions.map((d) => section(d, delivered))].join('\n\n');
}

/**
 * `docs/events.md` as it should be: its current head up to the marker, then the generated part.
 *
 * @throws when the current file has no marker line.
 */
export async function renderEventsDoc(current: string): Promise<string> {
  const at = current.indexOf(GENERATED_MARKER);
  if (at === -1) throw new Error(`docs/events.md has no line ${GENERATED_MARKER}`);
  const head = current.slice(0, at + GENERATED_MARKER.length);
  return `${head}\n\n${await renderGeneratedPart()}\n`;
}
