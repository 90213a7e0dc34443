/**
 * Users and the ITIL processes they hold. The stored record is the authority for processes:
 * a token only says who the caller is.
 */
import { type Actor, type Process, withImpliedProcesses } from './actor.ts';

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
