/**
 * `npm run generate` (after `events:generate`): writes the contract's generated files
 * (scripts/generated.ts) — openapi.json, client/schema.ts and asyncapi.json — at the repository root.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGenerated } from './generated.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
for (const [file, text] of await renderGenerated()) {
  const path = `${root}${file}`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${file}`);
}
