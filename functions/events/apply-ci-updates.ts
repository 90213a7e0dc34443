/**
 * Consumer of `Deployment Task Completed` (DESIGN §4, CMDB): applies the task's planned CI updates,
 * each as one new version of its CI naming the release and the task, exactly once. The event is
 * parsed with its schema first (a malformed one throws {@link MalformedEventError}: retried, then
 * set aside with that reason). A well-formed event is only a hint: the use case reads the task and
 * applies its stored updates only if it is done; the applied marks make a redelivered or racing
 * event write nothing twice. An update that cannot be applied is recorded on the task and the
 * invocation fails with the reasons ({@link CiUpdatesFailedError}), so Lambda retries it and then
 * sends it to the function's on-failure destination: never silently dropped.
 */
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { busEventCorrelation, withTelemetry } from '#app/telemetry';
import { type ApplyCiUpdatePorts, applyCiUpdates, CiUpdatesFailedError } from '#domain/ci/service';
import { DeploymentTaskCompleted } from '#domain/task/events';
import { MalformedEventError, parseDelivered } from './delivered.ts';

export { CiUpdatesFailedError, MalformedEventError };

export function createHandler(deps: () => ApplyCiUpdatePorts) {
  return withTelemetry('apply-ci-updates', busEventCorrelation, async (event: unknown): Promise<void> => {
    const { detail } = parseDelivered(event, [DeploymentTaskCompleted]);
    if (detail.subject.kind !== 'task') {
      throw new MalformedEventError(
        `"${DeploymentTaskCompleted.type}": detail.subject.kind is "${detail.subject.kind}", not "task".`,
      );
    }
    const taskId = detail.subject.id;
    const result = await applyCiUpdates(taskId, deps());
    logger.info('Planned CI updates', { taskId, ...result });
  });
}

export const handler = createHandler(environmentPorts);
