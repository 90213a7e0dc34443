/**
 * Where the release and task use cases meet their team's access policies: they read the team,
 * ask the one pure function (`../team/policy.ts`) and turn its answer into a refusal that names
 * the rule — 403 for a rule that does not let the caller, 409 `approvals-required` for a move that
 * still lacks approvals (it may succeed later without any change to the request). A release of no
 * team, or a team without rules, is never refused here.
 */
import { ConflictError, ForbiddenError } from '../errors.ts';
import { evaluate, type PolicyRequest, type PolicySubject } from '../team/policy.ts';
import type { Team } from '../team/team.ts';
import { currentApprovals, type Release } from './release.ts';

/** The caller as policies see them. */
type Who = { readonly id: string; readonly workGroupIds: readonly string[] };

/**
 * Throws unless the team's policies let `actor` do `request` to a release like `subject`
 * (approvals counted from `release`, when it exists).
 */
export function enforcePolicies(
  team: Pick<Team, 'policies' | 'members'> | undefined,
  subject: PolicySubject,
  request: PolicyRequest,
  actor: Who,
  release?: Pick<Release, 'id' | 'approvals' | 'stageEntry'>,
): void {
  if (!team?.policies || team.policies.length === 0) return;
  const decision = evaluate(
    team.policies,
    subject,
    request,
    actor,
    release ? currentApprovals(release) : [],
    team.members,
  );
  if (decision.outcome === 'deny') {
    throw new ForbiddenError(decision.reason, { rule: decision.ruleId, action: request.action });
  }
  if (decision.outcome === 'needsApprovals') {
    throw new ConflictError('approvals-required', decision.reason, {
      rule: decision.ruleId,
      to: request.to,
      required: decision.n,
      have: decision.have,
    });
  }
}

/** The facts of a release (or of one being created) that rules match on. */
export const policySubject = (r: PolicySubject): PolicySubject => ({
  packageType: r.packageType,
  releaseType: r.releaseType,
  urgency: r.urgency,
  businessPriority: r.businessPriority,
});
