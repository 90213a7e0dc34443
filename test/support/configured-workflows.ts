/**
 * Until workflows are published through the API, every release runs on the default release
 * workflow's state machine named by the configuration.
 */
import { NotFoundError, RuleViolationError } from '#domain/errors';
import type { WorkflowCatalog } from '#domain/workflow-run/ports';
import { defaultWorkflows } from '#workflows/defaults/index';

export const DEFAULT_RELEASE_WORKFLOW = {
  id: 'release-default',
  version: 1,
  initialStage: 'Assessment',
} as const;

export function configuredWorkflowCatalog(stateMachineArn: string | undefined): WorkflowCatalog {
  return {
    async workflowFor(kind, workflowId) {
      if (kind !== 'release' || (workflowId !== undefined && workflowId !== DEFAULT_RELEASE_WORKFLOW.id)) {
        throw new RuleViolationError('unknown-workflow', `Workflow ${workflowId} does not exist.`, {
          workflowId,
        });
      }
      if (!stateMachineArn) throw new Error('DEFAULT_RELEASE_STATE_MACHINE_ARN is not set');
      return { ...DEFAULT_RELEASE_WORKFLOW, stateMachineArn };
    },
    async definition(ref) {
      const def = ref.version === 1 ? defaultWorkflows[ref.id as keyof typeof defaultWorkflows] : undefined;
      if (!def) throw new NotFoundError('Workflow', `${ref.id} v${ref.version}`);
      return def;
    },
  };
}
