/**
 * Captures the EMF documents Powertools Metrics writes (on stdout, where Lambda reads them) and
 * switches metrics on as inside Lambda, with a stage's service name. Call in `beforeEach`; the
 * caller's `afterEach` undoes it with `vi.unstubAllEnvs()` and `vi.restoreAllMocks()`.
 */
import { vi } from 'vitest';

export function captureEmf(service = 'release-desk-staging'): Record<string, unknown>[] {
  const published: Record<string, unknown>[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if ('_aws' in parsed) published.push(parsed);
    }
    return true;
  }) as typeof process.stdout.write);
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', service);
  return published;
}
