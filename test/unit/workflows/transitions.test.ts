import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { allowedTransitions, checkTransition } from '../../../workflows/transitions.ts';
import { workflowWithSequenceArbitrary } from '../../support/workflow-arbitraries.ts';

const release = defaultWorkflows['release-default'];
const normal = defaultWorkflows['change-normal'];
const allFacts = { allDeploymentTasksDone: true, cabApproval: true, noOpenBlackout: true };
const manager = ['release', 'deployment'];

describe('checkTransition', () => {
  it('allows a listed transition', () => {
    expect(
      checkTransition(release, { from: 'Assessment', to: 'Development', processes: manager, facts: {} }),
    ).toStrictEqual({ ok: true, terminal: false, enteringDeployStage: false });
  });

  it('says when the target is terminal or the deploy stage', () => {
    expect(
      checkTransition(release, { from: 'CMDB Update', to: 'Closure', processes: manager, facts: {} }),
    ).toStrictEqual({ ok: true, terminal: true, enteringDeployStage: false });
    expect(
      checkTransition(release, { from: 'Testing', to: 'Deployment', processes: manager, facts: allFacts }),
    ).toStrictEqual({ ok: true, terminal: false, enteringDeployStage: true });
  });

  it('refuses a transition the workflow does not have', () => {
    const result = checkTransition(release, {
      from: 'Assessment',
      to: 'Closure',
      processes: manager,
      facts: {},
    });
    expect(result).toMatchObject({ ok: false, code: 'not-allowed' });
    expect(result.ok || result.detail).toMatch(/can move to "Development", "Cancelled"/);
  });

  it('refuses an unknown stage', () => {
    expect(
      checkTransition(release, { from: 'Nowhere', to: 'Development', processes: manager, facts: {} }),
    ).toMatchObject({ ok: false, code: 'unknown-stage' });
    expect(
      checkTransition(release, { from: 'Assessment', to: 'Nowhere', processes: manager, facts: {} }),
    ).toMatchObject({ ok: false, code: 'unknown-stage' });
  });

  it('refuses a caller without the process', () => {
    const technician = checkTransition(release, {
      from: 'Deployment',
      to: 'Audit',
      processes: ['deployment'],
      facts: allFacts,
    });
    expect(technician).toMatchObject({ ok: false, code: 'forbidden' });
    expect(technician.ok || technician.detail).toMatch(/"release" process/);
    expect(
      checkTransition(normal, { from: 'Recorded', to: 'Assessed', processes: manager, facts: {} }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('refuses while a gate does not hold, naming every failing gate', () => {
    expect(
      checkTransition(release, {
        from: 'Deployment',
        to: 'Audit',
        processes: manager,
        facts: { allDeploymentTasksDone: false },
      }),
    ).toMatchObject({ ok: false, code: 'gate-failed', gates: ['allDeploymentTasksDone'] });
    expect(
      checkTransition(normal, { from: 'Assessed', to: 'Approved', processes: ['change'], facts: {} }),
    ).toMatchObject({ ok: false, code: 'gate-failed', gates: ['cabApproval'] });
    expect(
      checkTransition(normal, { from: 'Assessed', to: 'Approved', processes: ['change'], facts: allFacts }),
    ).toMatchObject({ ok: true });
  });

  it('refuses without a required reason', () => {
    for (const reason of [undefined, '', '   ']) {
      expect(
        checkTransition(release, {
          from: 'Deployment',
          to: 'Backed Out',
          processes: manager,
          facts: {},
          reason,
        }),
      ).toMatchObject({ ok: false, code: 'reason-required' });
    }
    expect(
      checkTransition(release, {
        from: 'Deployment',
        to: 'Backed Out',
        processes: manager,
        facts: {},
        reason: 'Payroll run failed',
      }),
    ).toStrictEqual({ ok: true, terminal: true, enteringDeployStage: false });
  });

  it('refuses to move out of a terminal stage', () => {
    expect(
      checkTransition(release, { from: 'Closure', to: 'Assessment', processes: manager, facts: {} }),
    ).toMatchObject({ ok: false, code: 'terminal' });
  });

  it('agrees with the workflow graph on random walks', () => {
    fc.assert(
      fc.property(workflowWithSequenceArbitrary, ({ def, steps }) => {
        for (const step of steps) {
          const result = checkTransition(def, {
            ...step,
            processes: ['change', 'release', 'deployment'],
            facts: allFacts,
            reason: 'because',
          });
          expect(result.ok).toBe(step.allowed);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('allowedTransitions', () => {
  it('lists the transitions a caller may take, with their gates and reasons', () => {
    expect(allowedTransitions(release, 'Deployment', manager)).toStrictEqual([
      { to: 'Audit', gates: ['allDeploymentTasksDone'], requiresReason: false, terminal: false },
      { to: 'Backed Out', gates: [], requiresReason: true, terminal: true },
      { to: 'Cancelled', gates: [], requiresReason: true, terminal: true },
    ]);
  });

  it('is empty for a caller without the process, a terminal stage or an unknown stage', () => {
    expect(allowedTransitions(release, 'Deployment', ['deployment'])).toStrictEqual([]);
    expect(allowedTransitions(release, 'Closure', manager)).toStrictEqual([]);
    expect(allowedTransitions(release, 'Nowhere', manager)).toStrictEqual([]);
  });
});
