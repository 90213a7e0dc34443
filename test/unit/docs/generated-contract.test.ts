/**
 * The committed contract files are what `npm run generate` renders now (scripts/generated.ts),
 * byte for byte — openapi.json, the client's types (client/schema.ts) and asyncapi.json — and the
 * AsyncAPI document is valid against the AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs).
 */
import { readFileSync } from 'node:fs';
import asyncapiSpecs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../functions/domain/events.ts';
import { eventSchemas } from '../../../functions/events/schemas/index.ts';
import {
  GENERATE_COMMAND,
  GENERATED_FILES,
  type GeneratedFile,
  renderGenerated,
} from '../../../scripts/generated.ts';

const root = new URL('../../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

let rendered: Map<GeneratedFile, string>;
beforeAll(async () => {
  rendered = await renderGenerated();
}, 60_000);

describe('generated contract files', () => {
  it.each(GENERATED_FILES)('%s is up to date', (file) => {
    const stale = `${file} is stale: run \`${GENERATE_COMMAND}\` and commit what it writes`;
    const current = read(file);
    const expected = rendered.get(file) as string;
    // Line by line first, so that a failure points at the stale line.
    expect(current.split('\n'), stale).toEqual(expected.split('\n'));
    expect(current === expected, stale).toBe(true);
  });
});

describe('asyncapi.json', () => {
  const document = JSON.parse(read('asyncapi.json'));

  it('is a valid AsyncAPI 3.0.0 document', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats.default(ajv);
    const validate = ajv.compile(asyncapiSpecs.schemasWithoutId['3.0.0'] as object);
    expect(validate(document), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('has one message and one receive operation per detail type, on the bus channel, each payload the published schema', () => {
    const messages = document.components.messages as Record<string, { name: string; payload: object }>;
    expect(Object.values(messages).map((m) => m.name)).toEqual([...EVENT_TYPES]);
    for (const message of Object.values(messages)) {
      const { $schema: _draft, ...published } = eventSchemas[message.name as (typeof EVENT_TYPES)[number]];
      expect(message.payload).toEqual(published);
    }
    expect(document.channels.releaseDesk.address).toBe('release-desk');
    const operations = Object.values(document.operations) as { action: string; channel: { $ref: string } }[];
    expect(operations).toHaveLength(EVENT_TYPES.length);
    for (const operation of operations) {
      expect(operation).toMatchObject({ action: 'receive', channel: { $ref: '#/channels/releaseDesk' } });
    }
  });
});
