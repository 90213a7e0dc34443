/**
 * Access policies of a release team: rules that narrow who may create, plan, move or deploy a
 * release of a given kind (package type, release type, urgency, business priority), and how many
 * distinct approvers a move needs. One pure function, {@link evaluate}, decides; the release and
 * task use cases only ask it and turn its answer into a refusal that names the rule.
 *
 * Policies only ever narrow: the processes, team membership and workflow rules still apply first,
 * and a team without rules (or a release no rule matches) behaves exactly as before.
 */
import type { PackageType, ReleaseType, Urgency } from '../release/release.ts';

export const POLICY_ACTIONS = ['create', 'plan', 'move', 'deploy'] as const;
/**
 * `create` a release; `plan` it (edit); `move` it to another stage (narrowed by `from` / `to`);
 * `deploy` it: enter its workflow's deploy stage, and start, complete, fail or retry its tasks.
 */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Most rules a team may hold; keeps the team item far below DynamoDB's 400 KB. */
export const MAX_POLICY_RULES = 50;

/** Who a rule names: members of any of `workGroups`, or any of `users`. */
export interface Principals {
  readonly workGroups?: readonly string[];
  readonly users?: readonly string[];
}

/** What a rule matches on; a field left out matches any value. */
export interface PolicyMatch {
  readonly packageType?: readonly PackageType[];
  readonly releaseType?: readonly ReleaseType[];
  readonly urgency?: readonly Urgency[];
  readonly businessPriority?: readonly number[];
}

export interface PolicyRule {
  /** Unique within the team; every refusal names it. */
  readonly id: string;
  readonly description?: string;
  readonly action: PolicyAction;
  readonly match?: PolicyMatch;
  /** `move` and `deploy`: only moves out of this stage. */
  readonly from?: string;
  /** `move`: only moves into this stage. */
  readonly to?: string;
  /** Who may; left out, anyone the other rules let. */
  readonly allow?: Principals;
  /** `move` / `deploy` (entering the deploy stage): distinct approvers the move needs first. */
  readonly approvals?: number;
  /** Who may approve for this rule; left out, the members of the release's team. */
  readonly approvers?: Principals;
}

/** The facts of a release a rule matches on. */
export type PolicySubject = Readonly<{
  packageType: PackageType;
  releaseType: ReleaseType;
  urgency: Urgency;
  businessPriority: number;
}>;

/** The act asked about. For `move`, `from` and `to`; `deploy` by a move also carries them. */
export interface PolicyRequest {
  readonly action: PolicyAction;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** The one asking, as policies see them. */
export interface PolicyActor {
  readonly id: string;
  readonly workGroupIds: readonly string[];
}

/** An approval of a pending move, as the release records it. */
export interface PolicyApproval {
  readonly by: string;
  readonly to: string;
  /** The approver's work groups when they approved (what the rule's `approvers` are checked against). */
  readonly workGroupIds: readonly string[];
}

export type PolicyDecision =
  | { readonly outcome: 'allow' }
  | { readonly outcome: 'deny'; readonly ruleId: string; readonly reason: string }
  | {
      readonly outcome: 'needsApprovals';
      readonly ruleId: string;
      readonly n: number;
      readonly have: number;
      readonly reason: string;
    };

const ALLOW: PolicyDecision = { outcome: 'allow' };

function includes<T>(values: readonly T[] | undefined, value: T): boolean {
  return values === undefined || values.includes(value);
}

/** Whether the rule is about this release and this act. */
export function ruleMatches(rule: PolicyRule, subject: PolicySubject, request: PolicyRequest): boolean {
  if (rule.action !== request.action) return false;
  const m = rule.match ?? {};
  if (
    !includes(m.packageType, subject.packageType) ||
    !includes(m.releaseType, subject.releaseType) ||
    !includes(m.urgency, subject.urgency) ||
    !includes(m.businessPriority, subject.businessPriority)
  ) {
    return false;
  }
  if (rule.from !== undefined && rule.from !== request.from) return false;
  if (rule.to !== undefined && rule.to !== request.to) return false;
  return true;
}

/** Whether the principals name the actor (a user id, or one of their work groups). */
export function names(principals: Principals, who: PolicyActor): boolean {
  return (
    (principals.users ?? []).includes(who.id) ||
    (principals.workGroups ?? []).some((wg) => who.workGroupIds.includes(wg))
  );
}

const describePrincipals = (p: Principals) =>
  [...(p.workGroups ?? []).map((wg) => `work group ${wg}`), ...(p.users ?? []).map((u) => `user ${u}`)].join(
    ', ',
  ) || 'nobody';

/**
 * Decides whether `actor` may do `request` to a release like `subject` under `policies`. The
 * first matching rule that does not name the actor denies; else the matching rule asking the most
 * approvals that are not there yet asks for them (`have` counts distinct approvers of the move
 * that the rule accepts); else allow. No matching rule: allow (the default behaviour).
 *
 * @param teamMembers the release team's members: the approvers of a rule that names none.
 */
export function evaluate(
  policies: readonly PolicyRule[] | undefined,
  subject: PolicySubject,
  request: PolicyRequest,
  actor: PolicyActor,
  approvals: readonly PolicyApproval[] = [],
  teamMembers: readonly string[] = [],
): PolicyDecision {
  const matching = (policies ?? []).filter((rule) => ruleMatches(rule, subject, request));
  for (const rule of matching) {
    if (rule.allow !== undefined && !names(rule.allow, actor)) {
      return {
        outcome: 'deny',
        ruleId: rule.id,
        reason: `Rule "${rule.id}"${rule.description ? ` (${rule.description})` : ''} lets only ${describePrincipals(rule.allow)} ${request.action} this release.`,
      };
    }
  }
  let wanting: Extract<PolicyDecision, { outcome: 'needsApprovals' }> | undefined;
  for (const rule of matching) {
    const n = rule.approvals ?? 0;
    if (n <= 0 || request.to === undefined) continue;
    const have = approversFor(rule, request.to, approvals, teamMembers).length;
    if (have < n && (wanting === undefined || n - have > wanting.n - wanting.have)) {
      wanting = {
        outcome: 'needsApprovals',
        ruleId: rule.id,
        n,
        have,
        reason: `Rule "${rule.id}"${rule.description ? ` (${rule.description})` : ''} needs ${n} distinct approver(s) for the move to "${request.to}"; it has ${have}. Approve it with POST /releases/{id}/approvals.`,
      };
    }
  }
  return wanting ?? ALLOW;
}

/** The distinct users whose approvals of the move to `to` the rule accepts. */
export function approversFor(
  rule: Pick<PolicyRule, 'approvers'>,
  to: string,
  approvals: readonly PolicyApproval[],
  teamMembers: readonly string[],
): string[] {
  const accepted = approvals.filter(
    (a) =>
      a.to === to &&
      (rule.approvers !== undefined
        ? names(rule.approvers, { id: a.by, workGroupIds: a.workGroupIds })
        : teamMembers.includes(a.by)),
  );
  return [...new Set(accepted.map((a) => a.by))];
}

/** Whether `who` may approve a move to `to` under some matching rule that asks for approvals. */
export function mayApprove(
  policies: readonly PolicyRule[] | undefined,
  subject: PolicySubject,
  request: { from: string; to: string; deploying: boolean },
  who: PolicyActor,
  teamMembers: readonly string[],
): { rules: PolicyRule[]; allowed: boolean } {
  const rules = approvalRules(policies, subject, request);
  const allowed = rules.some((rule) =>
    rule.approvers !== undefined ? names(rule.approvers, who) : teamMembers.includes(who.id),
  );
  return { rules, allowed };
}

/** The matching rules that ask for approvals of a move (as `move`, and as `deploy` when it deploys). */
export function approvalRules(
  policies: readonly PolicyRule[] | undefined,
  subject: PolicySubject,
  request: { from: string; to: string; deploying: boolean },
): PolicyRule[] {
  const actions: PolicyAction[] = request.deploying ? ['move', 'deploy'] : ['move'];
  return (policies ?? []).filter(
    (rule) =>
      (rule.approvals ?? 0) > 0 &&
      actions.some((action) => ruleMatches(rule, subject, { action, from: request.from, to: request.to })),
  );
}
