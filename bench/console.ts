/**
 * Issue 16 — the operator console's weight: everything a browser downloads to open it (index.html,
 * the one script, the stylesheet), built as the local cloud and `npm run build:console` build it,
 * raw and gzipped, against the goal of 150 KB gzipped.
 */
import { consoleBundleSize } from '../console/build.ts';
import type { BenchResults, ConsoleResults, Row } from './results.ts';

/** Issue 16's goal: at most 150 KB gzipped. */
const MAX_GZIP_BYTES = 150 * 1024;

export async function run(results: BenchResults): Promise<Row[]> {
  const { bytes, gzipBytes } = await consoleBundleSize();
  const figure: ConsoleResults = { bytes, gzipBytes, maxGzipBytes: MAX_GZIP_BYTES };
  results.console = figure;
  return [
    {
      part: 'console',
      figure: 'console assets, gzipped (raw)',
      value: `${(gzipBytes / 1024).toFixed(1)} KB (${(bytes / 1024).toFixed(1)} KB)`,
      goal: '≤ 150 KB',
      met: gzipBytes <= MAX_GZIP_BYTES,
    },
  ];
}
