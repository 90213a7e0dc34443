/**
 * Detail types that are part of the contract (DESIGN §5) but that no domain function emits yet:
 * their schemas fix the envelope, and `data` is any object until the feature lands. A feature that
 * lands moves its definition beside its aggregate, with a real `data` schema.
 */
import { plannedEvent } from './events.ts';

export const DeploymentTasksReady = plannedEvent(
  'Deployment Tasks Ready',
  "A release's deployment tasks became ready for technicians.",
  { caption: 'every release whose tasks became ready' },
);
export const DeploymentTaskCompleted = plannedEvent(
  'Deployment Task Completed',
  'A technician completed a deployment task.',
  { caption: 'every completed task' },
);
export const DeploymentTaskFailed = plannedEvent(
  'Deployment Task Failed',
  'A technician reported a deployment task as failed.',
  { caption: 'every failed task' },
);
export const ConfigurationItemUpdated = plannedEvent(
  'Configuration Item Updated',
  'A configuration item in the CMDB changed.',
  { caption: 'every CI change' },
);
export const ReleaseBackedOut = plannedEvent('Release Backed Out', 'A release was backed out.', {
  caption: 'every backed-out release',
});
export const BlackoutOverridden = plannedEvent(
  'Blackout Overridden',
  'A transition went ahead despite a blackout period, with a reason.',
  { caption: 'every blackout override' },
);
