/**
 * Writes what is generated from the event definitions (`functions/domain/event-catalogue.ts`):
 * the published JSON Schemas (`functions/events/schemas/<kebab-case-type>.json`) and the generated
 * part of `docs/events.md`. `npm run events:generate` runs it, then formats the JSON files.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { renderSchemaFiles } from '../functions/events/schemas/catalogue.ts';
import { renderEventsDoc } from './event-docs.ts';

const schemas = new URL('../functions/events/schemas/', import.meta.url);
const files = renderSchemaFiles();
for (const stale of readdirSync(schemas).filter((f) => f.endsWith('.json') && !files.has(f))) {
  rmSync(new URL(stale, schemas));
}
for (const [file, schema] of files) {
  writeFileSync(new URL(file, schemas), `${JSON.stringify(schema, null, 2)}\n`);
}

const doc = new URL('../docs/events.md', import.meta.url);
writeFileSync(doc, await renderEventsDoc(readFileSync(doc, 'utf8')));
