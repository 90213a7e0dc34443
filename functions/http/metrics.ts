import { type AppPorts, environmentPorts } from '#app/ports';
import type { Incident } from '#domain/metrics/incident';
import { attributeIncident, type MetricsPorts, releaseMetrics } from '#domain/metrics/service';
import { type EdgePorts, httpHandler, written } from '#edge/handler';
import { metricsRoutes } from './contract/metrics.ts';

/** The public shape of an incident, in a stable field order. */
function incidentView(incident: Incident) {
  return {
    releaseId: incident.releaseId,
    reference: incident.reference,
    severity: incident.severity,
    occurredAt: incident.occurredAt,
    summary: incident.summary,
    ...(incident.teamId !== undefined ? { teamId: incident.teamId } : {}),
    version: incident.version,
    attributedAt: incident.attributedAt,
    attributedBy: incident.attributedBy,
  };
}

// Only the metrics' ports (and the caller's): its unit tests run it on the in-memory fakes.
export const createHandler = <P extends MetricsPorts & EdgePorts>(ports: () => P) =>
  httpHandler(
    metricsRoutes,
    {
      attributeIncident: async ({ params, body, actor, idempotency }, p: P) => {
        const { incident, replayed } = await attributeIncident(
          params.id as string,
          body,
          actor,
          p,
          idempotency,
        );
        return written(incidentView(incident), { created: true, replayed });
      },
      releaseMetrics: ({ query, actor }, p: P) => releaseMetrics(query, actor, p),
    },
    ports,
  );

export const handler = createHandler<AppPorts>(environmentPorts);
