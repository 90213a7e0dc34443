/**
 * zod as the contract uses it: extended with `.openapi()` and with messages written for a person.
 * Contract modules import it as `import * as z from './zod.ts'`, so the extension has run before
 * any of their schemas is built.
 *
 * Why a namespace import and `export *` rather than zod's own `z` object: esbuild cannot shake a
 * namespace *object* that is passed around or re-exported (`import { z } from 'zod'`,
 * `export { z }`), so each Lambda bundle carried all of zod, its JSON-schema converters and
 * its 40 locales (about 450 KB minified of a 560-720 KB bundle). Member accesses on a namespace
 * import are resolved to the exports used and the rest is dropped (issue 14, item 5).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import * as zod from 'zod';
import { humanMessage } from './messages.ts';

// zod-to-openapi reads only `ZodType` of what it is given (to patch its prototype); handing it
// the namespace itself would keep the whole of zod in every bundle.
extendZodWithOpenApi({ ZodType: zod.ZodType } as unknown as typeof zod);
// Every validation message is written for a person ("is required", "must be one of …"), not in
// the validator's own words; a schema's own message still wins.
zod.config({ customError: humanMessage });

export * from 'zod';
