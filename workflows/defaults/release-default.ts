import type { WorkflowDefinitionInput } from '../definition.ts';

/** The stage names of the default release workflow (fixed: clients and tests rely on them). */
export const ReleaseStage = {
  assessment: 'Assessment',
  development: 'Development',
  testing: 'Testing',
  deployment: 'Deployment',
  audit: 'Audit',
  cmdbUpdate: 'CMDB Update',
  closure: 'Closure',
  cancelled: 'Cancelled',
  backedOut: 'Backed Out',
} as const;

const cancel = { to: ReleaseStage.cancelled, requiresReason: true } as const;
const backOut = { to: ReleaseStage.backedOut, requiresReason: true } as const;

/**
 * The default release workflow: Assessment → Development → Testing → Deployment → Audit →
 * CMDB Update → Closure, with Cancelled from every open stage and Backed Out once deployment began.
 */
export const releaseDefault = {
  name: 'Default release',
  kind: 'release',
  description:
    'ITIL v3 release: assess, build, test, deploy, audit and update the CMDB, then close. Cancelled from any open stage; Backed Out from Deployment onwards.',
  initialStage: ReleaseStage.assessment,
  deployStage: ReleaseStage.deployment,
  stages: [
    {
      name: ReleaseStage.assessment,
      transitions: [{ to: ReleaseStage.development }, cancel],
    },
    {
      name: ReleaseStage.development,
      transitions: [
        { to: ReleaseStage.testing },
        // Scope or approach turned out wrong: assess again.
        { to: ReleaseStage.assessment, requiresReason: true },
        cancel,
      ],
    },
    {
      name: ReleaseStage.testing,
      transitions: [
        { to: ReleaseStage.deployment, gates: ['noOpenBlackout'] },
        // Failed tests go back to the developers.
        { to: ReleaseStage.development, requiresReason: true },
        cancel,
      ],
    },
    {
      name: ReleaseStage.deployment,
      transitions: [{ to: ReleaseStage.audit, gates: ['allDeploymentTasksDone'] }, backOut, cancel],
    },
    {
      name: ReleaseStage.audit,
      transitions: [{ to: ReleaseStage.cmdbUpdate }, backOut, cancel],
    },
    {
      name: ReleaseStage.cmdbUpdate,
      transitions: [{ to: ReleaseStage.closure, gates: ['allCiUpdatesApplied'] }, backOut, cancel],
    },
    { name: ReleaseStage.closure, terminal: true },
    { name: ReleaseStage.cancelled, terminal: true },
    { name: ReleaseStage.backedOut, terminal: true },
  ],
} as const satisfies WorkflowDefinitionInput;
