/**
 * Issue 14, item 5 — Lambda: each function's bundle as the CDK stack builds it (the esbuild
 * options of infra/constructs/bundling.ts, which HandlerFunction gives NodejsFunction), its
 * minified and gzipped size, the inputs that weigh most in it, and its cold init against a bare
 * handler bundled the same way.
 *
 * Cold init is the wall time of a fresh `node` process from spawn until the bundle's `import()`
 * has resolved (what Lambda's Init Duration covers: the runtime starting, then the module's
 * top level), median of BENCH_LAMBDA_RUNS runs interleaved across all bundles so that load from
 * other work on the machine falls on all of them alike. The import alone (`importMs`, timed
 * inside the process) is reported too, and so is a bare handler that only creates a DynamoDB
 * DocumentClient: the floor for any function that uses the table. The AWS SDK is not in the bundles (the runtime has it):
 * the bundles import it from the project's node_modules, as Lambda imports it from the runtime's.
 * Nor is Powertools (the Powertools layer has it, infra/constructs/powertools-layer.ts): the
 * bundles import it from node_modules too, so cold init still includes loading it, but the sizes
 * do not; `layer` says how much the functions load from the layer (Logger and Metrics, which every
 * function imports; with Tracer and the X-Ray SDK, which only Lambda loads), bundled and minified as
 * the functions are.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { EXTERNAL_MODULES, esbuildOptions, MAX_BUNDLE_BYTES } from '../infra/constructs/bundling.ts';
import { PROJECT_ROOT } from '../infra/constructs/handler-function.ts';
import { deployedFunctions, functionSpecs } from '../infra/functions.ts';
import type { BenchResults, LambdaFunctionFigure, LambdaResults, Row } from './results.ts';
import { percentile, round } from './support.ts';

/** Issue 14's goals for item 5. */
const MAX_COLD_INIT_RATIO = 3;
const RUNS = Number(process.env.BENCH_LAMBDA_RUNS ?? 7);
const BARE = 'bare handler';
/** A bare handler that also loads the DynamoDB DocumentClient: the floor for a table function. */
const SDK_FLOOR = 'bare handler + DynamoDB SDK';

/** What a function's environment holds at init in AWS (values do not matter, presence does). */
const LAMBDA_ENV = {
  TABLE_NAME: 'release-desk-bench',
  EVENT_BUS_NAME: 'release-desk-bench',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

// Runs in the fresh process: times the import alone and prints it; the parent times the whole.
const INIT_SCRIPT = `const t0 = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - t0));`;

interface Built {
  readonly name: string;
  readonly file: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly topInputs: { input: string; bytes: number }[];
}

function topInputs(metafile: Metafile, count = 6) {
  const output = Object.values(metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
    .slice(0, count)
    .map(([input, { bytesInOutput }]) => ({
      input: input.replace(/^.*node_modules\//, ''),
      bytes: bytesInOutput,
    }));
}

async function bundle(
  name: string,
  entry: string,
  dir: string,
  external: readonly string[] = EXTERNAL_MODULES,
): Promise<Built> {
  const result = await build({ ...esbuildOptions(entry, PROJECT_ROOT), external: [...external] });
  const code = result.outputFiles?.[0]?.contents;
  if (!code) throw new Error(`esbuild wrote no bundle for ${name}`);
  const file = join(dir, name.replaceAll(' ', '-'), 'index.mjs');
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, code);
  return {
    name,
    file,
    minifiedBytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    topInputs: topInputs(result.metafile as Metafile),
  };
}

/** One cold init: spawn to imported, in ms, and the import alone as the process measured it. */
function coldInit(file: string): Promise<{ wallMs: number; importMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', INIT_SCRIPT, pathToFileURL(file).href],
      {
        env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) reject(new Error(`Importing ${file} failed (${code}): ${err.slice(0, 500)}`));
      else resolve({ wallMs, importMs: Number(out) });
    });
  });
}

export async function run(results: BenchResults): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'release-desk-bench-lambda-'));
  try {
    // The bundles leave the AWS SDK external; let them find it as the runtime's copy is found.
    await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const bareEntry = join(dir, 'bare.ts');
    await writeFile(bareEntry, 'export const handler = async () => ({});\n');
    const sdkEntry = join(dir, 'sdk-floor.ts');
    await writeFile(
      sdkEntry,
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nconst db = DynamoDBDocumentClient.from(new DynamoDBClient({}));\nexport const handler = async () => ({ db: typeof db });\n",
    );
    const bundles = [await bundle(BARE, bareEntry, dir), await bundle(SDK_FLOOR, sdkEntry, dir)];
    for (const name of deployedFunctions) bundles.push(await bundle(name, functionSpecs[name].entry, dir));
    // What the functions load from the layer: bundled with only the runtime's SDK left out.
    const layerEntry = (name: string, code: string) =>
      writeFile(join(dir, name), code).then(() => join(dir, name));
    const runtimeOnly = EXTERNAL_MODULES.filter((m) => m === '@aws-sdk/*');
    const imported =
      "export { Logger } from '@aws-lambda-powertools/logger';\nexport { Metrics } from '@aws-lambda-powertools/metrics';\n";
    const loggerAndMetrics = await bundle(
      'layer-logger-metrics',
      await layerEntry('layer-logger-metrics.ts', imported),
      dir,
      runtimeOnly,
    );
    const withTracer = await bundle(
      'layer-tracer',
      await layerEntry(
        'layer-tracer.ts',
        `${imported}export { Tracer } from '@aws-lambda-powertools/tracer';\n`,
      ),
      dir,
      runtimeOnly,
    );

    const samples = new Map(bundles.map((b) => [b.name, { wall: [] as number[], imports: [] as number[] }]));
    await coldInit(bundles[0]?.file as string); // warm the file system cache, not measured
    for (let i = 0; i < RUNS; i++) {
      // Interleaved: each round imports every bundle once, the order rotated per round.
      const order = bundles.map((_, k) => bundles[(k + i) % bundles.length] as Built);
      for (const b of order) {
        const { wallMs, importMs } = await coldInit(b.file);
        samples.get(b.name)?.wall.push(wallMs);
        samples.get(b.name)?.imports.push(importMs);
      }
    }
    const median = (name: string, key: 'wall' | 'imports') => percentile(samples.get(name)?.[key] ?? [], 50);
    const bareMs = median(BARE, 'wall');
    const functions: Record<string, LambdaFunctionFigure> = {};
    for (const b of bundles.slice(2)) {
      functions[b.name] = {
        entry: functionSpecs[b.name as keyof typeof functionSpecs].entry,
        minifiedBytes: b.minifiedBytes,
        gzipBytes: b.gzipBytes,
        coldInitMs: round(median(b.name, 'wall'), 1),
        importMs: round(median(b.name, 'imports'), 1),
        coldInitRatio: round(median(b.name, 'wall') / bareMs, 2),
        topInputs: b.topInputs,
      };
    }
    const figures = Object.values(functions);
    const section: LambdaResults = {
      bundling: {
        options:
          'infra/constructs/bundling.ts (esbuild: bundle, platform node, esm, node24, minify, mainFields module,main)',
        external: [...EXTERNAL_MODULES],
      },
      runs: RUNS,
      bare: {
        minifiedBytes: bundles[0]?.minifiedBytes ?? 0,
        coldInitMs: round(bareMs, 1),
        importMs: round(median(BARE, 'imports'), 1),
      },
      sdkFloor: {
        coldInitMs: round(median(SDK_FLOOR, 'wall'), 1),
        importMs: round(median(SDK_FLOOR, 'imports'), 1),
        coldInitRatio: round(median(SDK_FLOOR, 'wall') / bareMs, 2),
      },
      functions,
      layer: { loggerAndMetrics: loggerAndMetrics.minifiedBytes, withTracer: withTracer.minifiedBytes },
      maxMinifiedBytes: Math.max(...figures.map((f) => f.minifiedBytes)),
      maxGzipBytes: Math.max(...figures.map((f) => f.gzipBytes)),
      maxColdInitRatio: Math.max(...figures.map((f) => f.coldInitRatio)),
      overBudget: Object.entries(functions)
        .filter(([, f]) => f.minifiedBytes > MAX_BUNDLE_BYTES)
        .map(([name]) => name),
    };
    results.lambda = section;

    const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
    const rows: Row[] = Object.entries(functions).map(([name, f]) => ({
      part: 'lambda',
      figure: `${name}: minified (gzip ${kb(f.gzipBytes)}), init ${f.coldInitMs} ms`,
      value: `${kb(f.minifiedBytes)}, ${f.coldInitRatio}×`,
      goal: '≤ 250 KB, 3×',
      met: f.minifiedBytes <= MAX_BUNDLE_BYTES && f.coldInitRatio <= MAX_COLD_INIT_RATIO,
    }));
    rows.push(
      {
        part: 'lambda',
        figure: 'largest bundle (minified, 1 KB = 1,000 bytes)',
        value: kb(section.maxMinifiedBytes),
        goal: '≤ 250 KB',
        met: section.maxMinifiedBytes <= MAX_BUNDLE_BYTES,
      },
      {
        part: 'lambda',
        figure: `largest cold init vs bare handler (${section.bare.coldInitMs} ms)`,
        value: `${section.maxColdInitRatio}×`,
        goal: '≤ 3×',
        met: section.maxColdInitRatio <= MAX_COLD_INIT_RATIO,
      },
      {
        part: 'lambda',
        figure: 'bare handler + DynamoDB client, vs bare (the SDK floor)',
        value: `${section.sdkFloor.coldInitRatio}× (${section.sdkFloor.coldInitMs} ms)`,
      },
      {
        part: 'lambda',
        figure:
          'from the Powertools layer, in no bundle: Logger and Metrics; with Tracer and X-Ray SDK (minified)',
        value: `${kb(loggerAndMetrics.minifiedBytes)}; ${kb(withTracer.minifiedBytes)}`,
      },
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
