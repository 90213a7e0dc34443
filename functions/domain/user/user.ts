/**
 * Users and the ITIL processes they hold. The stored record is the authority for processes:
 * a token only says who the caller is. Team membership (`teamIds`, `workGroupIds`) is a
 * projection the teams resource keeps; the users resource never sets it.
 */
import { type Actor, type Process, withImpliedProcesses } from '../actor.ts';
import { type DomainEvent, eventMeta, fieldChanges } from '../events.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import { UserCreated, UserUpdated } from './events.ts';

export interface User {
  readonly id: string;
  readonly displayName?: string;
  readonly processes: readonly Process[];
  readonly admin: boolean;
  readonly teamIds: readonly string[];
  readonly workGroupIds: readonly string[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface UserStore {
  get(id: string): Promise<User | undefined>;
}

/** Identity claims taken from a verified JWT. */
export interface Identity {
  readonly subject: string;
  /** True when the identity provider puts the caller in the `admin` group. */
  readonly adminClaim: boolean;
}

/** The acting user: the stored user's processes; an unknown user holds no process. */
export function actorFor(identity: Identity, user: User | undefined): Actor {
  return {
    id: identity.subject,
    admin: identity.adminClaim || user?.admin === true,
    processes: new Set(withImpliedProcesses(user?.processes ?? [])),
    teamIds: user?.teamIds ?? [],
    workGroupIds: user?.workGroupIds ?? [],
  };
}

/** What an administrator says about a user: everything but team membership. */
export interface UserProfile {
  displayName?: string | undefined;
  processes: readonly Process[];
  admin?: boolean | undefined;
}

/** A change of one user's team membership, derived from a change of a team. */
export interface MembershipDelta {
  readonly userId: string;
  readonly addTeamIds: readonly string[];
  readonly removeTeamIds: readonly string[];
  readonly addWorkGroupIds: readonly string[];
  readonly removeWorkGroupIds: readonly string[];
}

type Deps = { clock: Clock; ids: IdGenerator };

function profileOf(input: UserProfile) {
  return {
    ...(input.displayName !== undefined && input.displayName !== ''
      ? { displayName: input.displayName }
      : {}),
    processes: withImpliedProcesses(input.processes),
    admin: input.admin === true,
  };
}

/** A new user (version 1, in no team) with its `User Created` event. */
export function newUser(
  id: string,
  input: UserProfile,
  actor: Pick<Actor, 'id'>,
  deps: Deps,
  membership: { teamIds: readonly string[]; workGroupIds: readonly string[] } = {
    teamIds: [],
    workGroupIds: [],
  },
): { user: User; event: DomainEvent } {
  const now = deps.clock.now().toISOString();
  const user: User = {
    id,
    ...profileOf(input),
    teamIds: [...membership.teamIds],
    workGroupIds: [...membership.workGroupIds],
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const event = UserCreated.event(
    {
      userId: id,
      displayName: user.displayName ?? null,
      processes: [...user.processes],
      admin: user.admin,
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { user, event };
}

/**
 * Replaces a user's profile (processes, display name, admin), keeping its team membership.
 * Returns `undefined` when nothing would change, so a repeated PUT writes nothing.
 */
export function replaceUserProfile(
  user: User,
  input: UserProfile,
  actor: Pick<Actor, 'id'>,
  deps: Deps,
): { user: User; event: DomainEvent } | undefined {
  const profile = profileOf(input);
  const now = deps.clock.now().toISOString();
  const { displayName: _old, ...rest } = user;
  const next: User = { ...rest, ...profile, version: user.version + 1, updatedAt: now };
  const changed = fieldChanges(user, next, ['displayName', 'processes', 'admin']);
  if (Object.keys(changed).length === 0) return undefined;
  const event = UserUpdated.event(
    { userId: user.id, version: next.version, changed },
    eventMeta(deps.ids, now, actor.id, user.id),
  );
  return { user: next, event };
}

/**
 * Applies a membership change to the user's projection. The version moves on, so a concurrent
 * profile PUT based on the old version gets 409 instead of overwriting the membership.
 */
export function applyMembership(user: User, delta: MembershipDelta, now: string): User {
  const merge = (current: readonly string[], add: readonly string[], remove: readonly string[]) => {
    const out = current.filter((x) => !remove.includes(x));
    for (const x of add) if (!out.includes(x)) out.push(x);
    return out;
  };
  return {
    ...user,
    teamIds: merge(user.teamIds, delta.addTeamIds, delta.removeTeamIds),
    workGroupIds: merge(user.workGroupIds, delta.addWorkGroupIds, delta.removeWorkGroupIds),
    version: user.version + 1,
    updatedAt: now,
  };
}
