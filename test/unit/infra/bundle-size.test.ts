/**
 * Every Lambda function's bundle, built with the options the CDK stack bundles it with
 * (infra/constructs/bundling.ts), stays within issue 14's 250 KB minified, without the AWS SDK
 * (the runtime's). Not a timing: a change that makes a function pull in what it does not need
 * (all of zod through its `z` object, another resource's routes, the SDK) fails here, with the
 * heaviest inputs named.
 *
 * The functions listed in OVER_GOAL do not meet the goal yet (docs/decisions.md, "Lambda
 * bundles", says what they carry and what it would take); each is held to its size when measured
 * plus 5% (room for work merged alongside), and the list must shrink as they come under 250 KB.
 */
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions, MAX_BUNDLE_BYTES } from '../../../infra/constructs/bundling.ts';
import { PROJECT_ROOT } from '../../../infra/constructs/handler-function.ts';
import { deployedFunctions, type FunctionName, functionSpecs } from '../../../infra/functions.ts';

/** Functions still above 250 KB: their ceiling (bytes), measured on 2026-11-27 (in the comment) + 5%. */
const OVER_GOAL: Partial<Record<FunctionName, number>> = {
  changes: 395_000, // 376,032
  releases: 375_000, // 356,800
  openapi: 366_000, // 348,256: every route's schemas, and zod-to-openapi's generator
  calendar: 335_000, // 318,270
  slas: 329_000, // 312,668
  fallback: 326_000, // 309,524: every route's schemas, to tell 405 from 404
  teams: 271_000, // 258,014
  tasks: 270_000, // 256,428
  metrics: 268_000, // 254,637
  cis: 267_000, // 253,787
  kb: 265_000, // 251,757
  workflows: 264_000, // 251,136 once the caller's read-ahead, the packed plan and the release's standing landed
};

/** The inputs that weigh most in a bundle, for the failure message. */
function heaviest(metafile: Metafile | undefined, count = 8): string {
  const output = Object.values(metafile?.outputs ?? {})[0];
  return Object.entries(output?.inputs ?? {})
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
    .slice(0, count)
    .map(([path, { bytesInOutput }]) => `${path.replace(/^.*node_modules\//, '')} ${bytesInOutput}`)
    .join(', ');
}

describe('Lambda bundles', () => {
  it.each([...deployedFunctions])('%s stays within its minified size, without the AWS SDK', async (name) => {
    const result = await build(esbuildOptions(functionSpecs[name].entry, PROJECT_ROOT));
    const bytes = result.outputFiles?.[0]?.contents.byteLength ?? Number.NaN;
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    expect(inputs.filter((path) => path.includes('node_modules/@aws-sdk/'))).toEqual([]);
    const ceiling = OVER_GOAL[name];
    const heavy = `${name}: ${bytes} bytes; heaviest inputs ${heaviest(result.metafile)}`;
    if (ceiling === undefined) {
      expect(bytes, heavy).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    } else {
      expect(bytes, heavy).toBeLessThanOrEqual(ceiling);
      // Once under the goal it leaves the list, and the goal holds it from then on.
      expect(bytes, `${name} now meets 250 KB: remove it from OVER_GOAL`).toBeGreaterThan(MAX_BUNDLE_BYTES);
    }
  });
});
