/**
 * The published event schemas (JSON Schema draft 2020-12), one per detail type of the
 * `release-desk` bus. The JSON files are the artefact, rendered by `catalogue.ts` from the event
 * definitions in the domain (`npm run events:generate`).
 */
import type { EventType } from '#domain/events';
import blackoutOverridden from './blackout-overridden.json' with { type: 'json' };
import type { JsonSchema } from './catalogue.ts';
import changeApprovalRecorded from './change-approval-recorded.json' with { type: 'json' };
import changeExecutionEnded from './change-execution-ended.json' with { type: 'json' };
import changeRecorded from './change-recorded.json' with { type: 'json' };
import changeStateChanged from './change-state-changed.json' with { type: 'json' };
import changeUpdated from './change-updated.json' with { type: 'json' };
import configurationItemCreated from './configuration-item-created.json' with { type: 'json' };
import configurationItemUpdated from './configuration-item-updated.json' with { type: 'json' };
import deploymentTaskCompleted from './deployment-task-completed.json' with { type: 'json' };
import deploymentTaskFailed from './deployment-task-failed.json' with { type: 'json' };
import deploymentTaskRetried from './deployment-task-retried.json' with { type: 'json' };
import deploymentTaskStarted from './deployment-task-started.json' with { type: 'json' };
import deploymentTasksReady from './deployment-tasks-ready.json' with { type: 'json' };
import incidentAttributed from './incident-attributed.json' with { type: 'json' };
import knowledgeArticlePublished from './knowledge-article-published.json' with { type: 'json' };
import knowledgeArticleUpdated from './knowledge-article-updated.json' with { type: 'json' };
import releaseApprovalRecorded from './release-approval-recorded.json' with { type: 'json' };
import releaseBackedOut from './release-backed-out.json' with { type: 'json' };
import releaseClosed from './release-closed.json' with { type: 'json' };
import releaseCreated from './release-created.json' with { type: 'json' };
import releaseExecutionEnded from './release-execution-ended.json' with { type: 'json' };
import releaseStageEntered from './release-stage-entered.json' with { type: 'json' };
import releaseUpdated from './release-updated.json' with { type: 'json' };
import slaCreated from './sla-created.json' with { type: 'json' };
import slaUpdated from './sla-updated.json' with { type: 'json' };
import teamCreated from './team-created.json' with { type: 'json' };
import teamUpdated from './team-updated.json' with { type: 'json' };
import userCreated from './user-created.json' with { type: 'json' };
import userUpdated from './user-updated.json' with { type: 'json' };
import workflowPublished from './workflow-published.json' with { type: 'json' };

export { EVENT_CATALOGUE, type EventSpec, type JsonSchema, schemaFileName, schemaName } from './catalogue.ts';

/** The published schema of every detail type, as read from its `<kebab-case-type>.json` file. */
export const eventSchemas: Readonly<Record<EventType, JsonSchema>> = {
  'Change Recorded': changeRecorded,
  'Change Updated': changeUpdated,
  'Change State Changed': changeStateChanged,
  'Change Approval Recorded': changeApprovalRecorded,
  'Change Execution Ended': changeExecutionEnded,
  'Release Created': releaseCreated,
  'Release Updated': releaseUpdated,
  'Release Stage Entered': releaseStageEntered,
  'Deployment Tasks Ready': deploymentTasksReady,
  'Deployment Task Started': deploymentTaskStarted,
  'Deployment Task Completed': deploymentTaskCompleted,
  'Deployment Task Failed': deploymentTaskFailed,
  'Deployment Task Retried': deploymentTaskRetried,
  'Configuration Item Created': configurationItemCreated,
  'Configuration Item Updated': configurationItemUpdated,
  'Release Backed Out': releaseBackedOut,
  'Release Closed': releaseClosed,
  'Release Execution Ended': releaseExecutionEnded,
  'Blackout Overridden': blackoutOverridden,
  'Knowledge Article Published': knowledgeArticlePublished,
  'Knowledge Article Updated': knowledgeArticleUpdated,
  'SLA Created': slaCreated,
  'SLA Updated': slaUpdated,
  'Incident Attributed': incidentAttributed,
  'Team Created': teamCreated,
  'Team Updated': teamUpdated,
  'User Created': userCreated,
  'User Updated': userUpdated,
  'Workflow Published': workflowPublished,
  'Release Approval Recorded': releaseApprovalRecorded,
};
