/**
 * The access-policy function alone (`functions/domain/team/policy.ts`): a table of rules, releases,
 * acts and callers with the decision each must get, and properties over generated policies — a
 * release no rule matches is decided as if there were no policies, and a refusal always names a
 * rule that matches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PACKAGE_TYPES, RELEASE_TYPES, URGENCIES } from '../../../functions/domain/release/release.ts';
import {
  approversFor,
  evaluate,
  POLICY_ACTIONS,
  type PolicyApproval,
  type PolicyRequest,
  type PolicyRule,
  type PolicySubject,
  ruleMatches,
} from '../../../functions/domain/team/policy.ts';

const emergencyOnlyOps: PolicyRule = {
  id: 'emergency-ops-only',
  description: 'Emergency releases only by work group Emergency ops',
  action: 'create',
  match: { releaseType: ['emergency'] },
  allow: { workGroups: ['wg_emergency'] },
};
const twoToDeploy: PolicyRule = {
  id: 'p1-full-two-approvers',
  action: 'move',
  match: { packageType: ['full'], businessPriority: [1] },
  to: 'Deployment',
  approvals: 2,
};
const deployersOnly: PolicyRule = {
  id: 'deployers',
  action: 'deploy',
  match: { urgency: ['critical'] },
  allow: { users: ['dora'] },
};
const testingExit: PolicyRule = {
  id: 'qa-leaves-testing',
  action: 'move',
  from: 'Testing',
  allow: { workGroups: ['wg_qa'] },
};
const policies = [emergencyOnlyOps, twoToDeploy, deployersOnly, testingExit];

const release = (over: Partial<PolicySubject> = {}): PolicySubject => ({
  packageType: 'delta',
  releaseType: 'minor',
  urgency: 'medium',
  businessPriority: 3,
  ...over,
});
const who = (id: string, workGroupIds: string[] = []) => ({ id, workGroupIds });
const approval = (by: string, to = 'Deployment', workGroupIds: string[] = []): PolicyApproval => ({
  by,
  to,
  workGroupIds,
});
const members = ['rita', 'sam', 'tom'];

describe('evaluate', () => {
  const table: [
    string,
    PolicySubject,
    PolicyRequest,
    ReturnType<typeof who>,
    PolicyApproval[],
    ReturnType<typeof evaluate>['outcome'],
    string?,
  ][] = [
    ['a minor release is created by anyone', release(), { action: 'create' }, who('rita'), [], 'allow'],
    [
      'an emergency release is refused outside Emergency ops',
      release({ releaseType: 'emergency' }),
      { action: 'create' },
      who('rita', ['wg_release']),
      [],
      'deny',
      'emergency-ops-only',
    ],
    [
      'an emergency release is created by a member of Emergency ops',
      release({ releaseType: 'emergency' }),
      { action: 'create' },
      who('eve', ['wg_emergency']),
      [],
      'allow',
    ],
    [
      'the emergency rule governs creating only, not planning',
      release({ releaseType: 'emergency' }),
      { action: 'plan' },
      who('rita'),
      [],
      'allow',
    ],
    [
      'a priority-1 full package needs two approvers to enter Deployment',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Testing2', to: 'Deployment' },
      who('rita'),
      [approval('sam')],
      'needsApprovals',
      'p1-full-two-approvers',
    ],
    [
      'two distinct team members approving are enough',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Staging', to: 'Deployment' },
      who('rita'),
      [approval('sam'), approval('tom')],
      'allow',
    ],
    [
      'the same approver twice counts once',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Staging', to: 'Deployment' },
      who('rita'),
      [approval('sam'), approval('sam')],
      'needsApprovals',
      'p1-full-two-approvers',
    ],
    [
      'an approval of another move does not count',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Staging', to: 'Deployment' },
      who('rita'),
      [approval('sam'), approval('tom', 'Cancelled')],
      'needsApprovals',
      'p1-full-two-approvers',
    ],
    [
      'an approval by someone outside the team does not count',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Staging', to: 'Deployment' },
      who('rita'),
      [approval('sam'), approval('mallory')],
      'needsApprovals',
      'p1-full-two-approvers',
    ],
    [
      'a priority-2 full package needs no approval',
      release({ packageType: 'full', businessPriority: 2 }),
      { action: 'move', from: 'Staging', to: 'Deployment' },
      who('rita'),
      [],
      'allow',
    ],
    [
      'leaving Testing is for QA only',
      release(),
      { action: 'move', from: 'Testing', to: 'Deployment' },
      who('rita'),
      [],
      'deny',
      'qa-leaves-testing',
    ],
    [
      'QA leaves Testing',
      release(),
      { action: 'move', from: 'Testing', to: 'Deployment' },
      who('quinn', ['wg_qa']),
      [],
      'allow',
    ],
    [
      'a denial comes before missing approvals',
      release({ packageType: 'full', businessPriority: 1 }),
      { action: 'move', from: 'Testing', to: 'Deployment' },
      who('rita'),
      [],
      'deny',
      'qa-leaves-testing',
    ],
    [
      'a critical release is deployed by dora only',
      release({ urgency: 'critical' }),
      { action: 'deploy' },
      who('rita'),
      [],
      'deny',
      'deployers',
    ],
    ['dora deploys it', release({ urgency: 'critical' }), { action: 'deploy' }, who('dora'), [], 'allow'],
  ];
  it.each(table)('%s', (_name, subject, request, actor, approvals, outcome, ruleId) => {
    const decision = evaluate(policies, subject, request, actor, approvals, members);
    expect(decision.outcome).toBe(outcome);
    if (decision.outcome !== 'allow') {
      expect(decision.ruleId).toBe(ruleId);
      expect(decision.reason).toContain(`"${ruleId}"`);
    }
  });

  it('says how many approvals the move has and needs', () => {
    expect(
      evaluate(
        [twoToDeploy],
        release({ packageType: 'full', businessPriority: 1 }),
        { action: 'move', from: 'Testing', to: 'Deployment' },
        who('rita'),
        [approval('sam')],
        members,
      ),
    ).toMatchObject({ outcome: 'needsApprovals', n: 2, have: 1 });
  });

  it('counts only the approvers a rule names when it names them', () => {
    const rule: PolicyRule = { ...twoToDeploy, approvers: { workGroups: ['wg_cab'], users: ['zoe'] } };
    expect(
      approversFor(
        rule,
        'Deployment',
        [approval('sam'), approval('zoe'), approval('ann', 'Deployment', ['wg_cab'])],
        members,
      ),
    ).toEqual(['zoe', 'ann']);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over generated policies.

const subjectArb = fc.record({
  packageType: fc.constantFrom(...PACKAGE_TYPES),
  releaseType: fc.constantFrom(...RELEASE_TYPES),
  urgency: fc.constantFrom(...URGENCIES),
  businessPriority: fc.integer({ min: 1, max: 5 }),
});
const stageArb = fc.constantFrom('Assessment', 'Testing', 'Deployment', 'Audit');
const principalsArb = fc.record(
  {
    workGroups: fc.array(fc.constantFrom('wg_a', 'wg_b', 'wg_c'), { maxLength: 2 }),
    users: fc.array(fc.constantFrom('ann', 'bob', 'cy'), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const ruleArb: fc.Arbitrary<PolicyRule> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 8 }),
    action: fc.constantFrom(...POLICY_ACTIONS),
    match: fc.record(
      {
        packageType: fc.subarray([...PACKAGE_TYPES], { minLength: 1 }),
        releaseType: fc.subarray([...RELEASE_TYPES], { minLength: 1 }),
        urgency: fc.subarray([...URGENCIES], { minLength: 1 }),
        businessPriority: fc.subarray([1, 2, 3, 4, 5], { minLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    from: stageArb,
    to: stageArb,
    allow: principalsArb,
    approvals: fc.integer({ min: 1, max: 3 }),
    approvers: principalsArb,
  },
  { requiredKeys: ['id', 'action'] },
);
const requestArb: fc.Arbitrary<PolicyRequest> = fc.record({
  action: fc.constantFrom(...POLICY_ACTIONS),
  from: fc.option(stageArb, { nil: undefined }),
  to: fc.option(stageArb, { nil: undefined }),
});
const actorArb = fc.record({
  id: fc.constantFrom('ann', 'bob', 'cy', 'dan'),
  workGroupIds: fc.subarray(['wg_a', 'wg_b', 'wg_c']),
});
const approvalsArb = fc.array(
  fc.record({
    by: fc.constantFrom('ann', 'bob', 'cy', 'dan'),
    to: stageArb,
    workGroupIds: fc.subarray(['wg_a', 'wg_b']),
  }),
  { maxLength: 5 },
);

describe('evaluate, for any policies', () => {
  it('decides a release no rule matches as if the team had no policies: allow', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 6 }),
        subjectArb,
        requestArb,
        actorArb,
        approvalsArb,
        (rules, subject, request, actor, approvals) => {
          const matching = rules.filter((r) => ruleMatches(r, subject, request));
          const unmatched = rules.filter((r) => !ruleMatches(r, subject, request));
          const withOthers = evaluate(unmatched, subject, request, actor, approvals, ['ann']);
          expect(withOthers).toEqual(evaluate([], subject, request, actor, approvals, ['ann']));
          expect(withOthers).toEqual({ outcome: 'allow' });
          // Adding rules that do not match changes no decision.
          expect(evaluate(rules, subject, request, actor, approvals, ['ann'])).toEqual(
            evaluate(matching, subject, request, actor, approvals, ['ann']),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names a matching rule in every refusal, and never lets fewer approvals pass than a matching rule asks', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 6 }),
        subjectArb,
        requestArb,
        actorArb,
        approvalsArb,
        (rules, subject, request, actor, approvals) => {
          const decision = evaluate(rules, subject, request, actor, approvals, ['ann', 'bob']);
          const matching = rules.filter((r) => ruleMatches(r, subject, request));
          if (decision.outcome !== 'allow') {
            expect(matching.map((r) => r.id)).toContain(decision.ruleId);
          } else if (request.to !== undefined) {
            for (const rule of matching) {
              expect(approversFor(rule, request.to, approvals, ['ann', 'bob']).length).toBeGreaterThanOrEqual(
                rule.approvals ?? 0,
              );
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
