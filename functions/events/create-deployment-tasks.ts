/**
 * Trigger consumer that makes a release's deployment tasks ready (DESIGN §4): rule (a) delivers
 * `Release Stage Entered` into the workflow's deploy stage; a change-managed release's trigger
 * (an RFC reaching its trigger state) is one more branch here, dispatched on `detail-type`. The
 * event is parsed with its schema first: a malformed one throws {@link MalformedEventError}
 * (retried, then set aside with that reason). A well-formed event is only a hint: the use case
 * reads the release and readies its tasks only when the table says they are due, once per release
 * (a redelivered, duplicated or racing trigger finds them ready and creates nothing).
 */
import { logger } from '#app/logger';
import { environmentPorts } from '#app/ports';
import { busEventCorrelation, withTelemetry } from '#app/telemetry';
import { ChangeStateChanged } from '#domain/change/events';
import { ReleaseStageEntered } from '#domain/release/events';
import { type ChangeTriggerPorts, readyDeploymentTasks, readyTasksOfChange } from '#domain/task/service';
import { MalformedEventError, parseDelivered } from './delivered.ts';

export { MalformedEventError };

export function createHandler(deps: () => ChangeTriggerPorts) {
  return withTelemetry(
    'create-deployment-tasks',
    busEventCorrelation,
    async (event: unknown): Promise<void> => {
      const { type, detail, truncated } = parseDelivered(event, [ReleaseStageEntered, ChangeStateChanged]);
      const releaseId = detail.subject.id;
      switch (type) {
        case 'Release Stage Entered': {
          if (detail.subject.kind !== 'release') {
            throw new MalformedEventError(
              `"${type}": detail.subject.kind is "${detail.subject.kind}", not "release".`,
            );
          }
          // Parsed with its schema above; the relay's truncation pointer (an event over EventBridge's
          // size limit) carries neither field: any entry will do, the stored release decides.
          const move = truncated
            ? { entry: 0, deployStage: true }
            : (detail.data as { entry: number; deployStage: boolean });
          if (!move.deployStage) {
            logger.info('Not a move into the deploy stage; nothing to make ready', { releaseId });
            return;
          }
          const outcome = await readyDeploymentTasks(releaseId, { kind: 'stage', entry: move.entry }, deps());
          logger.info('Deployment tasks', { releaseId, trigger: 'stage', entry: move.entry, outcome });
          return;
        }
        case 'Change State Changed': {
          if (detail.subject.kind !== 'change') {
            throw new MalformedEventError(
              `"${type}": detail.subject.kind is "${detail.subject.kind}", not "change".`,
            );
          }
          // Which state it entered is read back from the move committed under the event's id.
          const changeId = detail.subject.id;
          const outcome = await readyTasksOfChange(changeId, detail.id, deps());
          if (outcome === undefined) {
            logger.warn('No such move of the RFC was committed; nothing to make ready', {
              changeId,
              eventId: detail.id,
            });
            return;
          }
          logger.info('Deployment tasks', { changeId, trigger: 'change', ...outcome });
          return;
        }
        default:
          throw new MalformedEventError(`detail-type "${type}" is not a trigger of deployment tasks.`);
      }
    },
  );
}

export const handler = createHandler(environmentPorts);
