/**
 * The workflows every installation starts with, under stable ids.
 */
import { parseWorkflowDefinition, type WorkflowDefinition, type WorkflowKind } from '../definition.ts';
import { changeEmergency, changeNormal, changeStandard } from './change.ts';
import { releaseDefault } from './release-default.ts';
import { releaseFastTrack } from './release-fast-track.ts';

export { ChangeState } from './change.ts';
export { ReleaseStage } from './release-default.ts';

/** The ids of the default workflows. */
export const DEFAULT_WORKFLOW_IDS = [
  'release-default',
  'release-fast-track',
  'change-normal',
  'change-standard',
  'change-emergency',
] as const;
/** The id of a default workflow. */
export type DefaultWorkflowId = (typeof DEFAULT_WORKFLOW_IDS)[number];

/** The default workflows by id, parsed and validated when this module loads. */
export const defaultWorkflows: Readonly<Record<DefaultWorkflowId, WorkflowDefinition>> = Object.freeze({
  'release-default': parseWorkflowDefinition(releaseDefault),
  'release-fast-track': parseWorkflowDefinition(releaseFastTrack),
  'change-normal': parseWorkflowDefinition(changeNormal),
  'change-standard': parseWorkflowDefinition(changeStandard),
  'change-emergency': parseWorkflowDefinition(changeEmergency),
});

/** The workflow a release runs when none is picked. */
export const DEFAULT_RELEASE_WORKFLOW_ID = 'release-default' satisfies DefaultWorkflowId;

/** The default workflow for each RFC type. */
export const DEFAULT_CHANGE_WORKFLOW_IDS = {
  normal: 'change-normal',
  standard: 'change-standard',
  emergency: 'change-emergency',
} as const satisfies Record<'normal' | 'standard' | 'emergency', DefaultWorkflowId>;

/** The workflow a new subject of each kind runs on when none is named (nor, for a release, by its team). */
export const DEFAULT_WORKFLOW_BY_KIND = {
  release: DEFAULT_RELEASE_WORKFLOW_ID,
  change: DEFAULT_CHANGE_WORKFLOW_IDS.normal,
} as const satisfies Record<WorkflowKind, DefaultWorkflowId>;
