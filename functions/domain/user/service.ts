/**
 * User use cases (administrators only): create, list, and create-or-replace a user's processes.
 * Team membership is not set here; the teams resource maintains it.
 */
import { type Access, type Actor, ADMIN, authorize, SIGNED_IN } from '../actor.ts';
import { ForbiddenError, NotFoundError, VersionConflictError } from '../errors.ts';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Page } from '../ports.ts';
import type { UserDirectory } from '../team/service.ts';
import { newUser, replaceUserProfile, type User, type UserProfile } from './user.ts';

export interface UserRepository extends UserDirectory {
  /** Ordered by id. */
  list(page: { limit: number; cursor?: string | undefined }): Promise<Page<User>>;
  /**
   * Stores the user with its event in one transaction: `expectedVersion` undefined means the user
   * must not exist yet, else its stored version must still be it (409 otherwise). With an
   * Idempotency-Key already used for the same request it writes nothing and returns that user's id.
   */
  apply(
    user: User,
    expectedVersion: number | undefined,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite>;
}

export interface UserPorts {
  readonly users: UserRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * Who may use the user use cases (the routes declare these same objects): administrators, except
 * that anyone the API knows may read themself.
 */
export const userAccess = {
  create: ADMIN,
  list: ADMIN,
  read: SIGNED_IN,
  replace: ADMIN,
} as const satisfies Record<string, Access>;

/** Creates a user; 409 if one with the id exists. */
export async function createUser(
  input: UserProfile & { id: string },
  actor: Actor,
  ports: UserPorts,
  idempotency?: IdempotencyRequest,
): Promise<{ user: User; replayed: boolean }> {
  authorize(actor, userAccess.create);
  const { user, event } = newUser(input.id, input, actor, ports);
  try {
    const { replayed } = await ports.users.apply(user, undefined, event, idempotency);
    if (replayed === undefined) return { user, replayed: false };
    const first = await ports.users.get(replayed);
    if (!first) throw new VersionConflictError(`User ${replayed} changed since; read it again.`);
    return { user: first, replayed: true };
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const existing = await ports.users.get(input.id);
    throw new VersionConflictError(
      `User ${input.id} already exists; PUT /users/${input.id} with its version to replace it.`,
      existing?.version,
      { cause: error },
    );
  }
}

/**
 * Creates the user, or replaces its profile. Replacing needs the version it is based on; a stale
 * one (or a version for a user that does not exist) is a 409. An unchanged profile writes nothing.
 */
export async function putUser(
  id: string,
  input: UserProfile,
  expectedVersion: number | undefined,
  actor: Actor,
  ports: UserPorts,
): Promise<{ user: User; created: boolean }> {
  authorize(actor, userAccess.replace);
  const current = await ports.users.get(id);
  if (!current) {
    if (expectedVersion !== undefined) {
      throw new VersionConflictError(
        `User ${id} does not exist, so it is not at version ${expectedVersion}.`,
      );
    }
    const { user, event } = newUser(id, input, actor, ports);
    await ports.users.apply(user, undefined, event);
    return { user, created: true };
  }
  if (expectedVersion === undefined) {
    // Putting what is already there is a no-op, so the same PUT can be sent twice.
    if (!replaceUserProfile(current, input, actor, ports)) return { user: current, created: false };
    throw new VersionConflictError(
      `User ${id} exists with another profile; send expectedVersion (or If-Match) ${current.version} to replace it.`,
      current.version,
    );
  }
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `User ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  const replaced = replaceUserProfile(current, input, actor, ports);
  if (!replaced) return { user: current, created: false };
  await ports.users.apply(replaced.user, expectedVersion, replaced.event);
  return { user: replaced.user, created: false };
}

/** Administrators read any user; anyone reads themself. */
export async function getUser(id: string, actor: Actor, ports: Pick<UserPorts, 'users'>): Promise<User> {
  authorize(actor, userAccess.read);
  if (!actor.admin && actor.id !== id) throw new ForbiddenError('Only administrators read other users.');
  const user = await ports.users.get(id);
  if (!user) throw new NotFoundError('User', id);
  return user;
}

export async function listUsers(
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<UserPorts, 'users'>,
): Promise<Page<User>> {
  authorize(actor, userAccess.list);
  return ports.users.list(page);
}
