import type { BenchResults, Row } from './results.ts';

/** Part not written yet. */
export async function run(_results: BenchResults): Promise<Row[]> {
  return [];
}
