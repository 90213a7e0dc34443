/**
 * Consumer of the events that change what a release adds to the metrics (`Release Stage Entered`:
 * a deployment; `Release Backed Out`; `Incident Attributed`): keeps the counters per period and
 * team that `GET /metrics/releases` reads. The event is parsed with its schema first (a malformed
 * one throws {@link MalformedEventError}: retried, then set aside with that reason). A well-formed
 * event is only a hint of which release to look at: the use case derives the release's fact from
 * the table (the release, its history, its workflow) and applies it only when it differs from what
 * the counters hold, so a redelivered, duplicated, reordered or forged event counts nothing twice.
 */
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { busEventCorrelation, withTelemetry } from '#app/telemetry';
import { IncidentAttributed } from '#domain/metrics/events';
import { type MetricsPorts, refreshReleaseMetrics } from '#domain/metrics/service';
import { ReleaseBackedOut, ReleaseStageEntered } from '#domain/release/events';
import { MalformedEventError, parseDelivered } from './delivered.ts';

export { MalformedEventError };

/** The events whose release the metrics look at again. */
export const METRICS_EVENTS = [ReleaseStageEntered, ReleaseBackedOut, IncidentAttributed] as const;

export function createHandler(deps: () => Pick<MetricsPorts, 'metrics' | 'releases' | 'workflows'>) {
  return withTelemetry(
    'record-release-metrics',
    busEventCorrelation,
    async (event: unknown): Promise<void> => {
      const { type, detail } = parseDelivered(event, METRICS_EVENTS);
      if (detail.subject.kind !== 'release') {
        throw new MalformedEventError(
          `"${type}": detail.subject.kind is "${detail.subject.kind}", not "release".`,
        );
      }
      const releaseId = detail.subject.id;
      const outcome = await refreshReleaseMetrics(releaseId, deps());
      if (outcome === 'missing') {
        logger.warn('No such release; nothing to count', { releaseId, type, eventId: detail.id });
        return;
      }
      logger.info('Release metrics', { releaseId, type, eventId: detail.id, outcome });
    },
  );
}

export const handler = createHandler(environmentPorts);
