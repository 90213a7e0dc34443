/**
 * Writes the published event schemas (`<kebab-case-type>.json`) from the catalogue:
 * `npx node functions/events/schemas/write-schemas.ts && npx biome check --write functions/events/schemas`.
 */
import { writeFileSync } from 'node:fs';
import { renderSchemaFiles } from './catalogue.ts';

for (const [file, schema] of renderSchemaFiles()) {
  writeFileSync(new URL(file, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
}
