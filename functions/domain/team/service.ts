/**
 * Team use cases. Administrators create and edit teams; anyone holding a process may read them.
 * Every change of members or work groups rewrites the affected users' membership in the same
 * transaction as the team, so authorisation never sees a half-applied change.
 */
import { type Access, type Actor, ADMIN, ANY_PROCESS, authorize } from '../actor.ts';
import { NotFoundError, RuleViolationError, VersionConflictError } from '../errors.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Page } from '../ports.ts';
import { applyMembership, type User, type UserStore } from '../user/user.ts';
import {
  assertFitsOneTransaction,
  BOOTSTRAP,
  membershipDeltas,
  type NewTeam,
  newTeam,
  planBootstrap,
  type Team,
  type TeamChange,
  type TeamChanges,
  type TeamKind,
  updateTeam,
} from './team.ts';

export interface TeamStore {
  /**
   * The team; with `maxAgeMs`, possibly as this process read or wrote it at most that long ago
   * ({@link TEAM_STALENESS_MS}), without a read. Without it, as stored now.
   */
  get(id: string, maxAgeMs?: number): Promise<Team | undefined>;
  /** Ordered by name; only teams of `kind` when given. */
  list(page: {
    limit: number;
    cursor?: string | undefined;
    kind?: TeamKind | undefined;
  }): Promise<Page<Team>>;
  /**
   * Commits teams, the user items that follow and the events in one transaction, claiming the
   * ids of added work groups (a work group id held by another team is a 422). With an
   * Idempotency-Key already used for the same request it writes nothing and returns the id of
   * the team created first.
   */
  apply(change: TeamChange, idempotency?: IdempotencyRequest): Promise<IdempotentWrite>;
}

/** Reads many users at once (the members a team change touches). */
export interface UserDirectory extends UserStore {
  /** The users that exist among `ids`, in any order. */
  getMany(ids: readonly string[]): Promise<User[]>;
}

export interface TeamPorts {
  readonly teams: TeamStore;
  readonly users: UserDirectory;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** The user writes a team change needs; 422 naming every added member who is not a user. */
async function membershipWrites(
  before: Team | undefined,
  after: Team,
  ports: Pick<TeamPorts, 'users' | 'clock'>,
): Promise<TeamChange['users']> {
  const deltas = membershipDeltas(before, after);
  if (deltas.length === 0) return [];
  const found = await ports.users.getMany(deltas.map((d) => d.userId));
  const byId = new Map(found.map((u) => [u.id, u]));
  const unknown = after.members.filter((m) => !byId.has(m) && !before?.members.includes(m));
  if (unknown.length > 0) {
    throw new RuleViolationError('unknown-users', `No user ${unknown.join(', ')}; create them first.`, {
      unknownUserIds: unknown,
    });
  }
  const now = ports.clock.now().toISOString();
  // A former member whose user item is gone has no projection left to fix.
  return deltas.flatMap((delta) => {
    const user = byId.get(delta.userId);
    return user ? [{ user: applyMembership(user, delta, now), expectedVersion: user.version }] : [];
  });
}

/** Who may use the team use cases (the routes declare these same objects). */
export const teamAccess = {
  create: ADMIN,
  read: ANY_PROCESS,
  edit: ADMIN,
} as const satisfies Record<string, Access>;

export async function createTeam(
  input: NewTeam,
  actor: Actor,
  ports: TeamPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ team: Team; replayed: boolean }> {
  authorize(actor, teamAccess.create);
  const { team, event } = newTeam(input, actor, ports);
  const users = await membershipWrites(undefined, team, ports);
  const change: TeamChange = { teams: [{ team, previous: undefined }], users, events: [event] };
  assertFitsOneTransaction(change, idempotency ? 1 : 0);
  const { replayed } = await ports.teams.apply(change, idempotency);
  if (replayed === undefined) return { team, replayed: false };
  const first = await ports.teams.get(replayed);
  if (!first) throw new NotFoundError('Team', replayed);
  return { team: first, replayed: true };
}

export async function getTeam(id: string, actor: Actor, ports: Pick<TeamPorts, 'teams'>): Promise<Team> {
  authorize(actor, teamAccess.read);
  const team = await ports.teams.get(id);
  if (!team) throw new NotFoundError('Team', id);
  return team;
}

export async function listTeams(
  query: { limit: number; cursor?: string | undefined; kind?: TeamKind | undefined },
  actor: Actor,
  ports: Pick<TeamPorts, 'teams'>,
): Promise<Page<Team>> {
  authorize(actor, teamAccess.read);
  return ports.teams.list(query);
}

export async function editTeam(
  id: string,
  changes: TeamChanges,
  expectedVersion: number,
  actor: Actor,
  ports: TeamPorts,
): Promise<Team> {
  authorize(actor, teamAccess.edit);
  const current = await ports.teams.get(id);
  if (!current) throw new NotFoundError('Team', id);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `Team ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const updated = updateTeam(current, changes, actor, ports);
  if (!updated) return current;
  const users = await membershipWrites(current, updated.team, ports);
  const change: TeamChange = {
    teams: [{ team: updated.team, previous: current }],
    users,
    events: [updated.event],
  };
  assertFitsOneTransaction(change);
  await ports.teams.apply(change);
  return updated.team;
}

/**
 * Makes sure the bootstrap release team, deployment team, change advisory board and `admin` user
 * exist. Idempotent: a
 * second run writes nothing; a concurrent run that wins makes this one re-read and stop.
 * Returns the ids of what it created.
 */
export async function ensureBootstrap(
  ports: TeamPorts,
  adminId: string = BOOTSTRAP.adminUserId,
): Promise<{ created: string[] }> {
  for (let attempt = 1; ; attempt++) {
    const [releaseTeam, deploymentTeam, cabTeam, admin] = await Promise.all([
      ports.teams.get(BOOTSTRAP.releaseTeam.id),
      ports.teams.get(BOOTSTRAP.deploymentTeam.id),
      ports.teams.get(BOOTSTRAP.cabTeam.id),
      ports.users.get(adminId),
    ]);
    const plan = planBootstrap({ releaseTeam, deploymentTeam, cabTeam, admin }, ports, adminId);
    if (!plan) return { created: [] };
    try {
      await ports.teams.apply(plan);
      return {
        created: [
          ...plan.teams.map((t) => t.team.id),
          ...plan.users.filter((u) => u.expectedVersion === undefined).map((u) => u.user.id),
        ],
      };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 3) throw error;
    }
  }
}
