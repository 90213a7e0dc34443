/**
 * The service every log line, trace and metric of a function names: the stage's
 * POWERTOOLS_SERVICE_NAME (the stack sets it to the stage's bus name, infra/constructs/handlers.ts,
 * and the alarms read the metrics by it, infra/constructs/monitoring.ts), `release-desk` where it is
 * unset (tests, scripts, the local cloud).
 */
export const DEFAULT_SERVICE_NAME = 'release-desk';

/** The service name `env` gives (an empty value counts as unset, as Powertools reads it). */
export function serviceName(env: Record<string, string | undefined> = process.env): string {
  return env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;
}
