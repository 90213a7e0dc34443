/**
 * Writes the OpenAPI document the API serves at GET /openapi.json: to the file named as the first
 * argument, else to stdout. The committed copy (`openapi.json` at the root, which
 * `npm run lint:openapi` lints with Redocly) is written by `npm run generate` (scripts/generate.ts).
 */
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../functions/http/contract/openapi.ts';

const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
const file = process.argv[2];
if (file) writeFileSync(file, text);
else {
  // `npm run -s openapi | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  process.stdout.write(text);
}
