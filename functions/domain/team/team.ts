/**
 * Release, deployment and CAB (change advisory board) teams, their work groups and members; a CAB
 * team also has an approval policy. A team is the source of truth for membership: every member
 * belongs to each of the team's work groups, and the users' `teamIds` / `workGroupIds` are a
 * projection of it, changed in the same transaction as the team.
 */
import { type Actor, PROCESSES } from '../actor.ts';
import { type FieldError, RuleViolationError, ValidationError } from '../errors.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import { applyMembership, type MembershipDelta, newUser, type User } from '../user/user.ts';
import { APPROVAL_LEVELS, TEAM_KINDS, TeamCreated, TeamUpdated } from './events.ts';
import { MAX_POLICY_RULES, type PolicyRule } from './policy.ts';

// The values `Team Created` publishes are declared with its schema.
export { APPROVAL_LEVELS, TEAM_KINDS };
export type TeamKind = (typeof TEAM_KINDS)[number];
/** A level of a CAB's approval policy: an RFC's risk, or `emergency` for emergency RFCs. */
export type ApprovalLevel = 'low' | 'medium' | 'high' | 'emergency';
/** How many approvals an RFC needs at each level, as a CAB team's policy sets it. */
export type ApprovalPolicy = Readonly<Record<ApprovalLevel, number>>;
/** Some levels of a policy, as a create or an edit sends them. */
export type ApprovalPolicyInput = { readonly [L in ApprovalLevel]?: number | undefined };

/** Most members a team has; keeps every membership change inside one transaction. */
export const MAX_TEAM_MEMBERS = 50;
/** Most work groups a team has. */
export const MAX_WORK_GROUPS = 20;
/** The policy a CAB team gets for every level its creator leaves out. */
export const DEFAULT_APPROVALS_REQUIRED: ApprovalPolicy = { low: 1, medium: 2, high: 3, emergency: 1 };
/** Most approvals a policy may ask for: no board has more members than this to give them. */
export const MAX_APPROVALS_REQUIRED = MAX_TEAM_MEMBERS;
/** DynamoDB's limit of items in one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * How old a team may be when a release, task or RFC use case checks membership, policies,
 * overriders or the CAB against it: a change to a team reaches every function instance within
 * this long (the instance that made it at once). The team's own use cases read it as stored.
 * docs/decisions.md, "Cached with a stated staleness".
 */
export const TEAM_STALENESS_MS = 5_000;

export interface WorkGroup {
  /** Unique across all teams (tasks and queues name a work group by id alone). */
  readonly id: string;
  readonly name: string;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly kind: TeamKind;
  readonly description?: string;
  readonly workGroups: readonly WorkGroup[];
  /** User ids; each member belongs to every work group of the team. */
  readonly members: readonly string[];
  /** Release teams only: the workflow new releases of the team run on when none is named. */
  readonly defaultWorkflowId?: string;
  /** CAB teams only, and always there: approvals an RFC needs by level (see {@link requiredApprovals}). */
  readonly approvalsRequired?: ApprovalPolicy;
  /**
   * Release teams only: the members who may override a blackout to deploy an emergency release
   * (`override` on a transition whose `noOpenBlackout` gate does not hold). Nobody when absent.
   */
  readonly blackoutOverriders?: readonly string[];
  /**
   * Release teams only: access policies that narrow who may create, plan, move or deploy its
   * releases of a given kind, and the approvals a move needs (`./policy.ts`). None when absent.
   */
  readonly policies?: readonly PolicyRule[];
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface WorkGroupInput {
  id?: string | undefined;
  name: string;
}

export interface NewTeam {
  name: string;
  kind: TeamKind;
  description?: string | undefined;
  workGroups: WorkGroupInput[];
  members: string[];
  defaultWorkflowId?: string | undefined;
  /** CAB teams: the levels left out take the defaults (1, 2, 3, 1). */
  approvalsRequired?: ApprovalPolicyInput | undefined;
  blackoutOverriders?: string[] | undefined;
  policies?: PolicyRule[] | undefined;
}

export interface TeamChanges {
  name?: string | undefined;
  description?: string | undefined;
  /** The complete new list; entries without an id keep the id of a same-named group, else get one. */
  workGroups?: WorkGroupInput[] | undefined;
  /** The complete new member list. */
  members?: string[] | undefined;
  /** `null` removes the default workflow. */
  defaultWorkflowId?: string | null | undefined;
  /** CAB teams: the levels sent replace the current ones; the others stay. */
  approvalsRequired?: ApprovalPolicyInput | undefined;
  /** Release teams: the complete new list (an empty list: nobody may override). */
  blackoutOverriders?: string[] | undefined;
  /** Release teams: the complete new list of access rules (an empty list: none). */
  policies?: PolicyRule[] | undefined;
}

/** A change of teams and the user items that follow from it, committed as one transaction. */
export interface TeamChange {
  /** `previous` undefined: the team is new; else its stored version must still be `previous.version`. */
  readonly teams: readonly { readonly team: Team; readonly previous: Team | undefined }[];
  /** `expectedVersion` undefined: the user is new. */
  readonly users: readonly { readonly user: User; readonly expectedVersion: number | undefined }[];
  readonly events: readonly DomainEvent[];
}

type Deps = { clock: Clock; ids: IdGenerator };

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * A policy with every level, in one key order: the levels given, else those of `base`. The fixed
 * order matters because edits are compared by their JSON, and a stored map's keys may come back in
 * any order.
 */
function completePolicy(given: ApprovalPolicyInput | undefined, base: ApprovalPolicy): ApprovalPolicy {
  const entries = APPROVAL_LEVELS.map((level) => [level, given?.[level] ?? base[level]] as const);
  return Object.fromEntries(entries) as Record<ApprovalLevel, number>;
}

/**
 * The approvals an RFC at `level` needs from `team`'s board: its policy's value, capped at the
 * number of members (a board of two cannot give three approvals, and its RFCs must not be stuck
 * for that), and never below 1, so that an empty board approves nothing rather than everything.
 */
export function requiredApprovals(team: Team, level: ApprovalLevel): number {
  const policy = team.approvalsRequired ?? DEFAULT_APPROVALS_REQUIRED;
  return Math.max(1, Math.min(policy[level], team.members.length));
}

function resolveWorkGroups(
  input: readonly WorkGroupInput[],
  previous: readonly WorkGroup[],
  ids: IdGenerator,
): WorkGroup[] {
  return input.map((wg) => ({
    id: wg.id ?? previous.find((p) => sameName(p.name, wg.name))?.id ?? ids.next('wg'),
    name: wg.name.trim(),
  }));
}

/** Checks a team's own invariants; every fault is named by its field path. */
export function teamFaults(
  team: Pick<
    Team,
    | 'kind'
    | 'workGroups'
    | 'members'
    | 'defaultWorkflowId'
    | 'approvalsRequired'
    | 'blackoutOverriders'
    | 'policies'
  >,
) {
  const errors: FieldError[] = [];
  if (team.members.length > MAX_TEAM_MEMBERS) {
    errors.push({ path: 'members', message: `must have at most ${MAX_TEAM_MEMBERS} members` });
  }
  team.members.forEach((m, i) => {
    if (team.members.indexOf(m) !== i) errors.push({ path: `members.${i}`, message: `repeats user ${m}` });
  });
  if (team.workGroups.length > MAX_WORK_GROUPS) {
    errors.push({ path: 'workGroups', message: `must have at most ${MAX_WORK_GROUPS} work groups` });
  }
  team.workGroups.forEach((wg, i) => {
    const first = team.workGroups.findIndex((o) => sameName(o.name, wg.name));
    if (first !== i) {
      errors.push({ path: `workGroups.${i}.name`, message: `repeats the name of workGroups.${first}` });
    }
    const firstId = team.workGroups.findIndex((o) => o.id === wg.id);
    if (firstId !== i) {
      errors.push({ path: `workGroups.${i}.id`, message: `repeats the id of workGroups.${firstId}` });
    }
  });
  if (team.defaultWorkflowId !== undefined && team.kind !== 'release') {
    errors.push({ path: 'defaultWorkflowId', message: 'only release teams have a default workflow' });
  }
  if (team.approvalsRequired !== undefined && team.kind !== 'cab') {
    errors.push({ path: 'approvalsRequired', message: 'only CAB teams have an approval policy' });
  } else if (team.approvalsRequired !== undefined) {
    for (const level of APPROVAL_LEVELS) {
      const n = team.approvalsRequired[level];
      if (!Number.isInteger(n) || n < 1 || n > MAX_APPROVALS_REQUIRED) {
        errors.push({
          path: `approvalsRequired.${level}`,
          message: `must be a whole number from 1 to ${MAX_APPROVALS_REQUIRED}`,
        });
      }
    }
  }
  if (team.blackoutOverriders !== undefined && team.kind !== 'release') {
    errors.push({ path: 'blackoutOverriders', message: 'only release teams have blackout overriders' });
  }
  team.blackoutOverriders?.forEach((u, i) => {
    if (!team.members.includes(u)) {
      errors.push({ path: `blackoutOverriders.${i}`, message: `user ${u} is not a member of the team` });
    } else if (team.blackoutOverriders?.indexOf(u) !== i) {
      errors.push({ path: `blackoutOverriders.${i}`, message: `repeats user ${u}` });
    }
  });
  errors.push(...policyFaults(team));
  return errors;
}

/** A release team's rules hold together: unique ids, and only what their action can use. */
function policyFaults(team: Pick<Team, 'kind' | 'policies'>): FieldError[] {
  const errors: FieldError[] = [];
  const rules = team.policies;
  if (rules === undefined) return errors;
  if (team.kind !== 'release') {
    errors.push({ path: 'policies', message: 'only release teams have access policies' });
    return errors;
  }
  if (rules.length > MAX_POLICY_RULES) {
    errors.push({ path: 'policies', message: `must have at most ${MAX_POLICY_RULES} rules` });
  }
  rules.forEach((rule, i) => {
    const first = rules.findIndex((r) => r.id === rule.id);
    if (first !== i)
      errors.push({ path: `policies.${i}.id`, message: `repeats the id of policies.${first}` });
    const moving = rule.action === 'move' || rule.action === 'deploy';
    if (!moving && (rule.from !== undefined || rule.to !== undefined)) {
      errors.push({ path: `policies.${i}`, message: `a ${rule.action} rule has no from or to` });
    }
    if (!moving && (rule.approvals !== undefined || rule.approvers !== undefined)) {
      errors.push({
        path: `policies.${i}.approvals`,
        message: 'only move and deploy rules ask for approvals',
      });
    }
    if (rule.approvers !== undefined && (rule.approvals ?? 0) === 0) {
      errors.push({ path: `policies.${i}.approvers`, message: 'names approvers for no approvals' });
    }
    if (rule.allow === undefined && (rule.approvals ?? 0) === 0) {
      errors.push({ path: `policies.${i}`, message: 'says nothing: give allow, approvals or both' });
    }
  });
  return errors;
}

/** Whether the team lets this user override a blackout for an emergency release. */
export function mayOverrideBlackout(team: Pick<Team, 'blackoutOverriders'>, userId: string): boolean {
  return team.blackoutOverriders?.includes(userId) ?? false;
}

function assertValid(team: Team): void {
  const errors = teamFaults(team);
  if (errors.length > 0) throw new ValidationError('The team is not valid.', errors);
}

/** Builds a new team (version 1) with its `Team Created` event. */
export function newTeam(
  input: NewTeam,
  actor: Pick<Actor, 'id'>,
  deps: Deps,
  fixedId?: string,
): { team: Team; event: DomainEvent } {
  const now = deps.clock.now().toISOString();
  const id = fixedId ?? deps.ids.next('team');
  const team: Team = {
    id,
    name: input.name.trim(),
    kind: input.kind,
    ...(input.description ? { description: input.description } : {}),
    workGroups: resolveWorkGroups(input.workGroups, [], deps.ids),
    members: [...input.members],
    ...(input.defaultWorkflowId ? { defaultWorkflowId: input.defaultWorkflowId } : {}),
    // Every board has a whole policy; a policy sent for another kind is kept to be refused below.
    ...(input.kind === 'cab' || input.approvalsRequired !== undefined
      ? { approvalsRequired: completePolicy(input.approvalsRequired, DEFAULT_APPROVALS_REQUIRED) }
      : {}),
    ...(input.blackoutOverriders && input.blackoutOverriders.length > 0
      ? { blackoutOverriders: [...input.blackoutOverriders] }
      : {}),
    ...(input.policies && input.policies.length > 0 ? { policies: input.policies.map(copyRule) } : {}),
    version: 1,
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  assertValid(team);
  const event = TeamCreated.event(
    {
      teamId: id,
      name: team.name,
      kind: team.kind,
      workGroups: team.workGroups.map((wg) => ({ ...wg })),
      members: [...team.members],
      defaultWorkflowId: team.defaultWorkflowId ?? null,
      approvalsRequired: team.approvalsRequired ? { ...team.approvalsRequired } : null,
      blackoutOverriders: [...(team.blackoutOverriders ?? [])],
      policies: (team.policies ?? []).map(copyRule),
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { team, event };
}

/**
 * Applies an edit; returns the new state and its `Team Updated` event, or `undefined` when the
 * edit changes nothing (nothing is then written).
 */
export function updateTeam(
  team: Team,
  changes: TeamChanges,
  actor: Pick<Actor, 'id'>,
  deps: Deps,
): { team: Team; event: DomainEvent } | undefined {
  const workGroups = changes.workGroups
    ? resolveWorkGroups(changes.workGroups, team.workGroups, deps.ids)
    : team.workGroups;
  const members = changes.members ? [...changes.members] : team.members;
  const {
    description: _d,
    defaultWorkflowId: _w,
    approvalsRequired: _a,
    blackoutOverriders: _o,
    policies: _p,
    ...rest
  } = team;
  const policies = changes.policies ?? team.policies;
  // Members who leave the team leave its overriders; a list sent is checked as it is.
  const blackoutOverriders =
    changes.blackoutOverriders ?? team.blackoutOverriders?.filter((u) => members.includes(u));
  const description = changes.description !== undefined ? changes.description : team.description;
  const defaultWorkflowId =
    changes.defaultWorkflowId === null ? undefined : (changes.defaultWorkflowId ?? team.defaultWorkflowId);
  // The current policy in its canonical key order, so that an edit to the same values changes nothing.
  const policyBefore = team.approvalsRequired
    ? completePolicy(team.approvalsRequired, DEFAULT_APPROVALS_REQUIRED)
    : undefined;
  const approvalsRequired =
    changes.approvalsRequired !== undefined || team.kind === 'cab'
      ? completePolicy(changes.approvalsRequired, policyBefore ?? DEFAULT_APPROVALS_REQUIRED)
      : undefined;
  const now = deps.clock.now().toISOString();
  const next: Team = {
    ...rest,
    ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
    ...(description ? { description } : {}),
    workGroups,
    members,
    ...(defaultWorkflowId ? { defaultWorkflowId } : {}),
    ...(approvalsRequired ? { approvalsRequired } : {}),
    ...(blackoutOverriders && blackoutOverriders.length > 0
      ? { blackoutOverriders: [...blackoutOverriders] }
      : {}),
    ...(policies && policies.length > 0 ? { policies: policies.map(copyRule) } : {}),
    version: team.version + 1,
    updatedAt: now,
    updatedBy: actor.id,
  };
  assertValid(next);
  const before: Team = policyBefore ? { ...team, approvalsRequired: policyBefore } : team;
  const changed = fieldChanges(before, next, [
    'name',
    'description',
    'defaultWorkflowId',
    'approvalsRequired',
    'blackoutOverriders',
    'policies',
  ]);
  const groups = workGroupDiff(team, next);
  const renamed = next.workGroups.flatMap((wg) => {
    const before = team.workGroups.find((p) => p.id === wg.id);
    return before && before.name !== wg.name ? [{ id: wg.id, from: before.name, to: wg.name }] : [];
  });
  const membersAdded = next.members.filter((m) => !team.members.includes(m));
  const membersRemoved = team.members.filter((m) => !next.members.includes(m));
  const reordered =
    next.workGroups.map((wg) => wg.id).join() !== team.workGroups.map((wg) => wg.id).join() ||
    next.members.join() !== team.members.join();
  if (
    Object.keys(changed).length === 0 &&
    groups.added.length + groups.removed.length + renamed.length === 0 &&
    membersAdded.length + membersRemoved.length === 0 &&
    !reordered
  ) {
    return undefined;
  }
  const event = TeamUpdated.event(
    {
      teamId: team.id,
      version: next.version,
      changed,
      membersAdded,
      membersRemoved,
      workGroupsAdded: groups.added.map((wg) => ({ ...wg })),
      workGroupsRemoved: groups.removed.map((wg) => ({ ...wg })),
      workGroupsRenamed: renamed,
    },
    eventMeta(deps.ids, now, actor.id, team.id),
  );
  return { team: next, event };
}

/**
 * A rule in one key order with only the fields it has: edits are compared by their JSON, and a
 * stored map's keys may come back in any order.
 */
export function copyRule(rule: PolicyRule): PolicyRule {
  const principals = (p: PolicyRule['allow']) =>
    p === undefined
      ? undefined
      : {
          ...(p.workGroups !== undefined ? { workGroups: [...p.workGroups] } : {}),
          ...(p.users !== undefined ? { users: [...p.users] } : {}),
        };
  const m = rule.match;
  const match =
    m === undefined
      ? undefined
      : {
          ...(m.packageType !== undefined ? { packageType: [...m.packageType] } : {}),
          ...(m.releaseType !== undefined ? { releaseType: [...m.releaseType] } : {}),
          ...(m.urgency !== undefined ? { urgency: [...m.urgency] } : {}),
          ...(m.businessPriority !== undefined ? { businessPriority: [...m.businessPriority] } : {}),
        };
  const allow = principals(rule.allow);
  const approvers = principals(rule.approvers);
  return {
    id: rule.id,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
    action: rule.action,
    ...(match !== undefined ? { match } : {}),
    ...(rule.from !== undefined ? { from: rule.from } : {}),
    ...(rule.to !== undefined ? { to: rule.to } : {}),
    ...(allow !== undefined ? { allow } : {}),
    ...(rule.approvals !== undefined ? { approvals: rule.approvals } : {}),
    ...(approvers !== undefined ? { approvers } : {}),
  };
}

/** Work groups a change adds to and removes from the team (by id). */
export function workGroupDiff(
  before: Pick<Team, 'workGroups'> | undefined,
  after: Pick<Team, 'workGroups'>,
): { added: WorkGroup[]; removed: WorkGroup[] } {
  const beforeGroups = before?.workGroups ?? [];
  return {
    added: after.workGroups.filter((wg) => !beforeGroups.some((b) => b.id === wg.id)),
    removed: beforeGroups.filter((wg) => !after.workGroups.some((a) => a.id === wg.id)),
  };
}

/** How each affected user's membership changes when a team goes from `before` to `after`. */
export function membershipDeltas(before: Team | undefined, after: Team): MembershipDelta[] {
  const beforeMembers = before?.members ?? [];
  const beforeGroups = (before?.workGroups ?? []).map((wg) => wg.id);
  const afterGroups = after.workGroups.map((wg) => wg.id);
  const { added, removed } = workGroupDiff(before, after);
  const deltas: MembershipDelta[] = [];
  for (const userId of beforeMembers) {
    if (!after.members.includes(userId)) {
      deltas.push({
        userId,
        addTeamIds: [],
        removeTeamIds: [after.id],
        addWorkGroupIds: [],
        removeWorkGroupIds: beforeGroups,
      });
    } else if (added.length + removed.length > 0) {
      deltas.push({
        userId,
        addTeamIds: [],
        removeTeamIds: [],
        addWorkGroupIds: added.map((wg) => wg.id),
        removeWorkGroupIds: removed.map((wg) => wg.id),
      });
    }
  }
  for (const userId of after.members) {
    if (!beforeMembers.includes(userId)) {
      deltas.push({
        userId,
        addTeamIds: [after.id],
        removeTeamIds: [],
        addWorkGroupIds: afterGroups,
        removeWorkGroupIds: [],
      });
    }
  }
  return deltas;
}

/**
 * The items a team change writes: state items, events, the user items it touches and one claim
 * item per work group added or removed (work group ids are unique across teams).
 */
export function transactionItems(change: TeamChange, extra = 0): number {
  const claims = change.teams.reduce((n, { team, previous }) => {
    const diff = workGroupDiff(previous, team);
    return n + diff.added.length + diff.removed.length;
  }, 0);
  return change.teams.length + change.users.length + change.events.length + claims + extra;
}

/** Refuses a change that would not fit in one transaction (it would not be atomic otherwise). */
export function assertFitsOneTransaction(change: TeamChange, extra = 0): void {
  const items = transactionItems(change, extra);
  if (items > MAX_TRANSACTION_ITEMS) {
    throw new RuleViolationError(
      'change-too-large',
      `This change touches ${items} items; at most ${MAX_TRANSACTION_ITEMS} can change together. Split it, e.g. remove members in one request and add them in the next.`,
      { items, maxItems: MAX_TRANSACTION_ITEMS },
    );
  }
}

/** The fixed ids of what {@link planBootstrap} creates. */
export const BOOTSTRAP = {
  actor: 'system:bootstrap',
  adminUserId: 'admin',
  releaseTeam: {
    id: 'team_release',
    name: 'Release team',
    kind: 'release',
    workGroup: { id: 'wg_release', name: 'Release engineering' },
  },
  deploymentTeam: {
    id: 'team_deployment',
    name: 'Deployment team',
    kind: 'deployment',
    workGroup: { id: 'wg_deployment', name: 'Deployment technicians' },
  },
  cabTeam: {
    id: 'team_cab',
    name: 'Change advisory board',
    kind: 'cab',
    workGroup: { id: 'wg_cab', name: 'CAB members' },
  },
} as const;

/**
 * What bootstrap must write so that the release team, the deployment team, the change advisory
 * board (with the default policy) and the `admin` user exist; `undefined` when they all do. Only
 * missing items are created: what an administrator has since changed is left as it is, and an
 * installation from before CAB teams gets `team_cab` on its next bootstrap.
 */
export function planBootstrap(
  existing: {
    releaseTeam?: Team | undefined;
    deploymentTeam?: Team | undefined;
    cabTeam?: Team | undefined;
    admin?: User | undefined;
  },
  deps: Deps,
  adminId: string = BOOTSTRAP.adminUserId,
): TeamChange | undefined {
  const actor = { id: BOOTSTRAP.actor };
  const teams: { team: Team; previous: undefined }[] = [];
  const events: DomainEvent[] = [];
  for (const [spec, current] of [
    [BOOTSTRAP.releaseTeam, existing.releaseTeam],
    [BOOTSTRAP.deploymentTeam, existing.deploymentTeam],
    [BOOTSTRAP.cabTeam, existing.cabTeam],
  ] as const) {
    if (current) continue;
    const created = newTeam(
      { name: spec.name, kind: spec.kind, workGroups: [{ ...spec.workGroup }], members: [adminId] },
      actor,
      deps,
      spec.id,
    );
    teams.push({ team: created.team, previous: undefined });
    events.push(created.event);
  }
  const users: TeamChange['users'][number][] = [];
  if (!existing.admin) {
    const all = [
      existing.releaseTeam,
      existing.deploymentTeam,
      existing.cabTeam,
      ...teams.map((t) => t.team),
    ];
    const mine = all.filter((t): t is Team => t?.members.includes(adminId) === true);
    const created = newUser(
      adminId,
      { displayName: 'Administrator', processes: [...PROCESSES], admin: true },
      actor,
      deps,
      {
        teamIds: mine.map((t) => t.id),
        workGroupIds: mine.flatMap((t) => t.workGroups.map((wg) => wg.id)),
      },
    );
    users.push({ user: created.user, expectedVersion: undefined });
    events.push(created.event);
  } else if (teams.length > 0) {
    const now = deps.clock.now().toISOString();
    let admin = existing.admin;
    for (const { team } of teams) {
      const [delta] = membershipDeltas(undefined, team);
      if (delta) admin = applyMembership(admin, delta, now);
    }
    // One write of the user, however many teams were created.
    users.push({
      user: { ...admin, version: existing.admin.version + 1 },
      expectedVersion: existing.admin.version,
    });
  }
  if (teams.length === 0 && users.length === 0) return undefined;
  return { teams, users, events };
}
