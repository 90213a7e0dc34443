import type { WorkflowDefinitionInput } from '../definition.ts';
import { ReleaseStage } from './release-default.ts';

const cancel = { to: ReleaseStage.cancelled, requiresReason: true } as const;

/**
 * A fast track for minor, low-risk releases (e.g. pre-tested delta packages):
 * Assessment → Deployment → Closure, with Cancelled and Backed Out exits.
 */
export const releaseFastTrack = {
  name: 'Fast-track minor release',
  kind: 'release',
  description:
    'Minor, pre-tested releases: assess, deploy, close. Cancelled from any open stage; Backed Out from Deployment.',
  initialStage: ReleaseStage.assessment,
  deployStage: ReleaseStage.deployment,
  stages: [
    {
      name: ReleaseStage.assessment,
      transitions: [{ to: ReleaseStage.deployment, gates: ['noOpenBlackout'] }, cancel],
    },
    {
      name: ReleaseStage.deployment,
      transitions: [
        { to: ReleaseStage.closure, gates: ['allDeploymentTasksDone'] },
        { to: ReleaseStage.backedOut, requiresReason: true },
        cancel,
      ],
    },
    { name: ReleaseStage.closure, terminal: true },
    { name: ReleaseStage.cancelled, terminal: true },
    { name: ReleaseStage.backedOut, terminal: true },
  ],
} as const satisfies WorkflowDefinitionInput;
