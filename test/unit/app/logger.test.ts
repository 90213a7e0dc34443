/**
 * The shared Logger (functions/app/logger.ts) names the stage's service, as the Tracer and the
 * metrics do: POWERTOOLS_SERVICE_NAME (the stack's, infra/constructs/handlers.ts), `release-desk`
 * where it is unset. The module is loaded afresh for each environment: the Logger reads it once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serviceName } from '../../../functions/app/service-name.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.resetModules();
});

/** The `service` of a line the Logger of a freshly loaded module writes. */
async function loggedService(): Promise<unknown> {
  vi.resetModules();
  const { logger } = await import('../../../functions/app/logger.ts');
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    return true;
  }) as typeof process.stdout.write);
  logger.setLogLevel('INFO');
  logger.info('Which service');
  expect(lines).toHaveLength(1);
  return lines[0]?.service;
}

describe('the Logger’s service', () => {
  it('is the stage’s POWERTOOLS_SERVICE_NAME', async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'release-desk-staging');
    expect(await loggedService()).toBe('release-desk-staging');
  });

  it('is release-desk where POWERTOOLS_SERVICE_NAME is unset or empty', async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', undefined);
    expect(await loggedService()).toBe('release-desk');
    expect(serviceName({ POWERTOOLS_SERVICE_NAME: '' })).toBe('release-desk');
    expect(serviceName({})).toBe('release-desk');
  });
});
