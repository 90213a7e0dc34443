/**
 * `npm run bench`: every figure of docs/performance.md, measured on the embedded local cloud and
 * its DynamoDB Local, each ratio against its baseline in the same run. Prints a table and writes
 * `bench/results.json`. Not part of `npm test`; at most 10 minutes on 2 cores.
 *
 * `BENCH_PARTS=overhead,cost` runs only those parts (default all: overhead, cost, scale, lambda,
 * local-cloud, console) and writes `bench/results.partial.json` (git-ignored) with only their
 * sections, leaving the whole run's figures as they are.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { run as consoleSize } from './console.ts';
import { run as cost } from './cost.ts';
import { run as lambda } from './lambda.ts';
import { run as localCloud } from './local-cloud.ts';
import { run as overhead } from './overhead.ts';
import type { BenchResults, Part, Row } from './results.ts';
import { run as scale } from './scale.ts';

const PARTS: Record<string, Part> = {
  overhead,
  cost,
  scale,
  lambda,
  'local-cloud': localCloud,
  console: consoleSize,
};

const wanted = (process.env.BENCH_PARTS ?? Object.keys(PARTS).join(','))
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const name of wanted) {
  if (!PARTS[name]) throw new Error(`Unknown bench part ${name}: one of ${Object.keys(PARTS).join(', ')}`);
}

const t0 = performance.now();
const results: BenchResults = {
  machine: {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    platform: `${process.platform} ${process.arch}`,
  },
  startedAt: new Date().toISOString(),
};
const rows: Row[] = [];
for (const name of wanted) {
  const started = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...(await (PARTS[name] as Part)(results)));
  process.stderr.write(`bench: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
(results as { durationSeconds: number }).durationSeconds = +((performance.now() - t0) / 1000).toFixed(1);

const widths = [12, 58, 22, 10, 4];
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ');
console.log(line(['part', 'figure', 'value', 'goal', 'met']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) {
  console.log(
    line([r.part, r.figure, r.value, r.goal ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']),
  );
}
// Only a run of every part replaces the committed figures (docs/performance.md cites them); a run
// of some parts (BENCH_PARTS) writes beside them, so trying one part loses nothing.
const whole = Object.keys(PARTS).every((p) => wanted.includes(p));
const file = new URL(whole ? './results.json' : './results.partial.json', import.meta.url);
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nWrote ${file.pathname} (${results.durationSeconds} s).`);
