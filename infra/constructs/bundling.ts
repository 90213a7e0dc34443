/**
 * How every Lambda handler is bundled: the one set of esbuild options the CDK stack gives its
 * NodejsFunctions (infra/constructs/handler-function.ts) and that the bundle-size test and
 * `npm run bench` rebuild with esbuild's own API, so that what is measured is what is deployed.
 */
import type { BuildOptions } from 'esbuild';

// ESM bundles still meet CommonJS dependencies that call `require`; give them one.
export const REQUIRE_SHIM =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * Not bundled: the AWS SDK v3 that the Lambda Node.js 24 runtime provides (the CDK default for
 * that runtime), and Powertools, which every function gets from the Powertools layer
 * (infra/constructs/powertools-layer.ts) with its X-Ray SDK; stated here so the bench and the
 * test use the same list (docs/decisions.md, "Telemetry").
 */
export const EXTERNAL_MODULES: readonly string[] = [
  '@aws-sdk/*',
  '@aws-lambda-powertools/*',
  'aws-xray-sdk-core',
];

/** The options NodejsFunction turns into esbuild arguments (`--format`, `--target`, …). */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: REQUIRE_SHIM,
  minify: true,
  sourceMap: true,
  externalModules: EXTERNAL_MODULES,
} as const;

/** The most a function's minified bundle may weigh (issue 14: ≤ 250 KB each; 1 KB = 1,000 bytes). */
export const MAX_BUNDLE_BYTES = 250_000;

/**
 * The esbuild build options equivalent to NodejsFunction's command line for one entry
 * (`esbuild --bundle --platform=node --target=… --format=… --minify --external:…`): written to
 * memory, without the source map (it is a separate file and not loaded at init).
 */
export function esbuildOptions(entry: string, projectRoot: string): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    minify: LAMBDA_BUNDLING.minify,
    external: [...LAMBDA_BUNDLING.externalModules],
    outfile: 'index.mjs',
    write: false,
    metafile: true,
    logLevel: 'error',
  };
}
