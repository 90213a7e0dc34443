import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { allowedTransitions, checkTransition } from '../../../workflows/transitions.ts';
import { workflowWithSequenceArbitrary } from '../../support/workflow-arbitraries.ts';

const release = defaultWorkflows['release-default'];
const normal = defaultWorkflows['change-normal'];
const allFacts = {
  allDeploymentTasksDone: true,
  allCiUpdatesApplied: true,
  cabApproval: true,
  noOpenBlackout: true,
};
const manager = ['release', 'deployment'];

describe('checkTransition', () => {
  it('allows a listed transition', () => {
    expect(
      checkTransition(release, { from: 'Assessment', to: 'Development', processes: manager, facts: {} }),
    ).toStrictEqual({ ok: true, terminal: false, enteringDeployStage: false });
  });

  it('says when the target is terminal or the deploy stage', () => {
    expect(
      checkTransition(release, { from: 'CMDB Update', to: 'Closure', processes: manager, facts: allFacts }),
    ).toStrictEqual({ ok: true, terminal: true, enteringDeployStage: false });
    // The CMDB must be up to date before the release closes.
    expect(
      checkTransition(release, { from: 'CMDB Update', to: 'Closure', processes: manager, facts: {} }),
    ).toMatchObject({ ok: false, code: 'gate-failed', gates: ['allCiUpdatesApplied'] });
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

describe('what a refused transition tells its caller', () => {
  const shared = parseWorkflowDefinition({
    name: 'Shared',
    kind: 'change',
    initialStage: 'Open',
    stages: [
      {
        name: 'Open',
        transitions: [
          {
            to: 'Done',
            processes: ['change', 'release'],
            gates: ['allDeploymentTasksDone', 'cabApproval', 'noOpenBlackout', 'cabApproval'],
          },
          { to: 'Dropped', processes: ['deployment'] },
        ],
      },
      { name: 'Done', terminal: true },
      { name: 'Dropped', terminal: true },
    ],
  });
  const detail = (def: typeof release, request: Parameters<typeof checkTransition>[1]) => {
    const result = checkTransition(def, request);
    return result.ok ? undefined : result.detail;
  };

  it('names the unknown stage, the terminal stage and the stages it can move to', () => {
    expect(detail(release, { from: 'Nowhere', to: 'Audit', processes: manager, facts: {} })).toBe(
      '"Nowhere" is not a stage of workflow "Default release".',
    );
    expect(detail(release, { from: 'Audit', to: 'Nowhere', processes: manager, facts: {} })).toBe(
      '"Nowhere" is not a stage of workflow "Default release".',
    );
    expect(detail(release, { from: 'Closure', to: 'Audit', processes: manager, facts: {} })).toBe(
      '"Closure" is a terminal stage; nothing can move out of it.',
    );
    expect(detail(release, { from: 'Assessment', to: 'Audit', processes: manager, facts: {} })).toBe(
      '"Assessment" cannot move to "Audit"; it can move to "Development", "Cancelled".',
    );
    expect(
      detail(release, { from: 'Deployment', to: 'Backed Out', processes: manager, facts: {}, reason: ' ' }),
    ).toBe('Moving from "Deployment" to "Backed Out" needs a reason.');
  });

  it('takes a caller holding any one of the processes a transition lists, and names them all otherwise', () => {
    const facts = { allDeploymentTasksDone: true, cabApproval: true, noOpenBlackout: true };
    expect(
      checkTransition(shared, { from: 'Open', to: 'Done', processes: ['release'], facts }),
    ).toMatchObject({
      ok: true,
      terminal: true,
    });
    expect(detail(shared, { from: 'Open', to: 'Done', processes: ['deployment'], facts })).toBe(
      'Moving from "Open" to "Done" needs the "change" or "release" process.',
    );
    expect(allowedTransitions(shared, 'Open', ['release']).map((t) => t.to)).toEqual(['Done']);
    expect(allowedTransitions(shared, 'Open', ['deployment']).map((t) => t.to)).toEqual(['Dropped']);
  });

  it('names every gate that does not hold, once each, in words', () => {
    const refused = checkTransition(shared, { from: 'Open', to: 'Done', processes: ['change'], facts: {} });
    expect(refused).toEqual({
      ok: false,
      code: 'gate-failed',
      detail:
        'Moving from "Open" to "Done" needs every deployment task done and a CAB approval and no blackout in force.',
      gates: ['allDeploymentTasksDone', 'cabApproval', 'noOpenBlackout'],
    });
    expect(allowedTransitions(shared, 'Open', ['change'])[0]?.gates).toEqual([
      'allDeploymentTasksDone',
      'cabApproval',
      'noOpenBlackout',
    ]);
    expect(
      detail(shared, {
        from: 'Open',
        to: 'Done',
        processes: ['change'],
        facts: { allDeploymentTasksDone: true, noOpenBlackout: true },
      }),
    ).toBe('Moving from "Open" to "Done" needs a CAB approval.');
  });

  it('offers a move to a stage that is not there as not terminal', () => {
    const broken = { ...shared, stages: shared.stages.filter((s) => s.name !== 'Dropped') };
    expect(allowedTransitions(broken, 'Open', ['deployment'])).toEqual([
      { to: 'Dropped', gates: [], requiresReason: false, terminal: false },
    ]);
  });
});
