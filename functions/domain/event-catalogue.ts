/**
 * Every detail type of the `release-desk` bus, by type, in {@link EVENT_TYPES} order: the one list
 * the published JSON Schemas, `docs/events.md` and the consumers' parsing are made from. The
 * aggregates import their own definitions, never this module.
 */
import {
  ChangeApprovalRecorded,
  ChangeExecutionEnded,
  ChangeRecorded,
  ChangeStateChanged,
  ChangeUpdated,
} from './change/events.ts';
import { ConfigurationItemCreated, ConfigurationItemUpdated } from './ci/events.ts';
import { EVENT_TYPES, type EventDefinition, type EventType } from './events.ts';
import { KnowledgeArticlePublished, KnowledgeArticleUpdated } from './kb/events.ts';
import { IncidentAttributed } from './metrics/events.ts';
import {
  BlackoutOverridden,
  ReleaseApprovalRecorded,
  ReleaseBackedOut,
  ReleaseClosed,
  ReleaseCreated,
  ReleaseExecutionEnded,
  ReleaseStageEntered,
  ReleaseUpdated,
} from './release/events.ts';
import { SlaCreated, SlaUpdated } from './sla/events.ts';
import {
  DeploymentTaskCompleted,
  DeploymentTaskFailed,
  DeploymentTaskRetried,
  DeploymentTaskStarted,
  DeploymentTasksReady,
} from './task/events.ts';
import { TeamCreated, TeamUpdated } from './team/events.ts';
import { UserCreated, UserUpdated } from './user/events.ts';
import { WorkflowPublished } from './workflow/events.ts';

/** Keyed by type: the compiler refuses a type without a definition, or filed under another type. */
export const EVENT_CATALOGUE: { readonly [T in EventType]: EventDefinition<T> } = {
  'Change Recorded': ChangeRecorded,
  'Change Updated': ChangeUpdated,
  'Change State Changed': ChangeStateChanged,
  'Change Approval Recorded': ChangeApprovalRecorded,
  'Change Execution Ended': ChangeExecutionEnded,
  'Release Created': ReleaseCreated,
  'Release Updated': ReleaseUpdated,
  'Release Stage Entered': ReleaseStageEntered,
  'Deployment Tasks Ready': DeploymentTasksReady,
  'Deployment Task Started': DeploymentTaskStarted,
  'Deployment Task Completed': DeploymentTaskCompleted,
  'Deployment Task Failed': DeploymentTaskFailed,
  'Deployment Task Retried': DeploymentTaskRetried,
  'Configuration Item Created': ConfigurationItemCreated,
  'Configuration Item Updated': ConfigurationItemUpdated,
  'Release Backed Out': ReleaseBackedOut,
  'Release Closed': ReleaseClosed,
  'Release Execution Ended': ReleaseExecutionEnded,
  'Blackout Overridden': BlackoutOverridden,
  'Knowledge Article Published': KnowledgeArticlePublished,
  'Knowledge Article Updated': KnowledgeArticleUpdated,
  'SLA Created': SlaCreated,
  'SLA Updated': SlaUpdated,
  'Incident Attributed': IncidentAttributed,
  'Team Created': TeamCreated,
  'Team Updated': TeamUpdated,
  'User Created': UserCreated,
  'User Updated': UserUpdated,
  'Workflow Published': WorkflowPublished,
  'Release Approval Recorded': ReleaseApprovalRecorded,
};

/** Every definition, in catalogue order. */
export const EVENT_DEFINITIONS: readonly EventDefinition[] = EVENT_TYPES.map((type) => EVENT_CATALOGUE[type]);

/** The definition of a detail type, or undefined for a type the bus does not carry. */
export function eventDefinition(type: string): EventDefinition | undefined {
  return (EVENT_TYPES as readonly string[]).includes(type) ? EVENT_CATALOGUE[type as EventType] : undefined;
}
