import type { WorkflowDefinitionInput } from '../definition.ts';

/** The state names of the default change workflows (fixed: clients and tests rely on them). */
export const ChangeState = {
  recorded: 'Recorded',
  assessed: 'Assessed',
  approved: 'Approved',
  scheduled: 'Scheduled',
  implementing: 'Implementing',
  reviewed: 'Reviewed',
  closed: 'Closed',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
} as const;

const cancel = { to: ChangeState.cancelled, requiresReason: true } as const;
const reject = { to: ChangeState.rejected, requiresReason: true } as const;

/**
 * Normal change: Recorded → Assessed → Approved → Scheduled → Implementing → Reviewed → Closed.
 * Entering Approved needs a CAB approval; Rejected while it is assessed, Cancelled until it is implemented.
 */
export const changeNormal = {
  name: 'Normal change',
  kind: 'change',
  description:
    'Normal RFC: assessed, approved by the CAB, scheduled, implemented and reviewed. Rejected before approval; Cancelled until implementation starts.',
  initialStage: ChangeState.recorded,
  stages: [
    { name: ChangeState.recorded, transitions: [{ to: ChangeState.assessed }, reject, cancel] },
    {
      name: ChangeState.assessed,
      transitions: [
        { to: ChangeState.approved, gates: ['cabApproval'] },
        reject,
        // The assessment needs more information from the requester.
        { to: ChangeState.recorded, requiresReason: true },
        cancel,
      ],
    },
    { name: ChangeState.approved, transitions: [{ to: ChangeState.scheduled }, cancel] },
    { name: ChangeState.scheduled, transitions: [{ to: ChangeState.implementing }, cancel] },
    { name: ChangeState.implementing, transitions: [{ to: ChangeState.reviewed }] },
    {
      name: ChangeState.reviewed,
      transitions: [
        { to: ChangeState.closed },
        // The review found the implementation incomplete.
        { to: ChangeState.implementing, requiresReason: true },
      ],
    },
    { name: ChangeState.closed, terminal: true },
    { name: ChangeState.rejected, terminal: true },
    { name: ChangeState.cancelled, terminal: true },
  ],
} as const satisfies WorkflowDefinitionInput;

/** Standard (pre-approved) change: Recorded → Approved → Implementing → Closed; Cancelled until implemented. */
export const changeStandard = {
  name: 'Standard change',
  kind: 'change',
  description:
    'Pre-approved, low-risk RFC from the standard change catalogue. Cancelled until implementation starts.',
  initialStage: ChangeState.recorded,
  stages: [
    { name: ChangeState.recorded, transitions: [{ to: ChangeState.approved }, cancel] },
    { name: ChangeState.approved, transitions: [{ to: ChangeState.implementing }, cancel] },
    { name: ChangeState.implementing, transitions: [{ to: ChangeState.closed }] },
    { name: ChangeState.closed, terminal: true },
    { name: ChangeState.cancelled, terminal: true },
  ],
} as const satisfies WorkflowDefinitionInput;

/**
 * Emergency change: Recorded → Approved → Implementing → Reviewed → Closed; Cancelled until implemented.
 * Entering Approved needs the emergency CAB's approvals (its policy's `emergency` count, 1 by default).
 */
export const changeEmergency = {
  name: 'Emergency change',
  kind: 'change',
  description:
    'Emergency RFC: authorised by the emergency CAB, implemented at once and reviewed afterwards. Cancelled until implementation starts.',
  initialStage: ChangeState.recorded,
  stages: [
    {
      name: ChangeState.recorded,
      transitions: [{ to: ChangeState.approved, gates: ['cabApproval'] }, cancel],
    },
    { name: ChangeState.approved, transitions: [{ to: ChangeState.implementing }, cancel] },
    { name: ChangeState.implementing, transitions: [{ to: ChangeState.reviewed }] },
    { name: ChangeState.reviewed, transitions: [{ to: ChangeState.closed }] },
    { name: ChangeState.closed, terminal: true },
    { name: ChangeState.cancelled, terminal: true },
  ],
} as const satisfies WorkflowDefinitionInput;
