/**
 * Builds the operator console (console/src, Preact) into static assets with esbuild: one JS
 * bundle, one stylesheet, the icon and index.html. The local cloud serves them from memory at /console/
 * (infra/local/console.ts); `npm run build:console` writes them to console/dist/ for a deployment.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** One built file: its path under /console/, its media type and its bytes. */
export interface ConsoleAsset {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** The built console, keyed by path relative to its root (`index.html`, `app.js`, `app.css`). */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

/** Builds the console in memory; with `outDir`, also writes the files there. */
export async function buildConsole(
  options: { outDir?: string; minify?: boolean } = {},
): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    // Deterministic output: no absolute paths of this machine in the bundle.
    sourcemap: false,
    legalComments: 'none',
    outdir: 'out',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no JavaScript for the console');
  const assets = new Map<string, ConsoleAsset>([
    ['index.html', asset('index.html', await readFile(join(here, 'src', 'index.html')))],
    ['app.css', asset('app.css', await readFile(join(here, 'src', 'app.css')))],
    ['favicon.svg', asset('favicon.svg', await readFile(join(here, 'src', 'favicon.svg')))],
    ['app.js', asset('app.js', Buffer.from(js.contents))],
  ]);
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    for (const a of assets.values()) await writeFile(join(options.outDir, a.path), a.body);
  }
  return assets;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

function asset(path: string, body: Buffer): ConsoleAsset {
  const ext = path.slice(path.lastIndexOf('.') + 1);
  return { path, contentType: TYPES[ext] ?? 'application/octet-stream', body };
}

/**
 * The gzipped size in bytes of what a browser downloads to open the console (every asset),
 * for `npm run bench` and the budget test (issue 16: at most 150 KB gzipped).
 */
export async function consoleBundleSize(): Promise<{ bytes: number; gzipBytes: number }> {
  const assets = await buildConsole();
  let bytes = 0;
  let gzipBytes = 0;
  for (const a of assets.values()) {
    bytes += a.body.length;
    gzipBytes += gzipSync(a.body, { level: 9 }).length;
  }
  return { bytes, gzipBytes };
}

// `npm run build:console`: the files for a static host (S3 + CloudFront) in console/dist/.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = join(here, 'dist');
  await buildConsole({ outDir });
  const size = await consoleBundleSize();
  console.log(`console built into ${outDir}: ${size.bytes} bytes, ${size.gzipBytes} gzipped`);
}
