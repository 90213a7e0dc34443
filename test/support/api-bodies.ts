/**
 * Request bodies for the typed client (client/index.ts), typed from the contract: a test that
 * builds one the contract no longer accepts does not compile. Their untyped counterparts for the
 * handler tests are in test/support/http-events.ts.
 */
import type { components } from '../../client/index.ts';

type Schemas = components['schemas'];
export type CreateRelease = Schemas['CreateRelease'];
export type PlannedTask = NonNullable<CreateRelease['tasks']>[number];

/** A minor delta release of the payroll, planned for 2026-12-01 20:00–23:00 UTC, without tasks. */
export const releaseBody = (overrides: Partial<CreateRelease> = {}): CreateRelease => ({
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  plannedStart: '2026-12-01T20:00:00Z',
  plannedEnd: '2026-12-01T23:00:00Z',
  // No deployment tasks unless a test plans some (they need a deployment team's work group).
  tasks: [],
  ...overrides,
});

/** A planned deployment task with a CI update, as a release would carry it. */
export const taskBody = (overrides: Partial<PlannedTask> = {}): PlannedTask => ({
  title: 'Upgrade app nodes',
  workGroupId: 'wg_ops',
  ciIds: ['ci_payroll'],
  ciUpdates: [{ ciId: 'ci_payroll', set: { version: '4.2.0' } }],
  ...overrides,
});
