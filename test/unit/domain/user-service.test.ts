/**
 * The user use cases on the in-memory fakes: administrators create, replace and list users;
 * anyone reads themself.
 */
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  NotFoundError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import { createUser, getUser, listUsers, putUser } from '../../../functions/domain/user/service.ts';
import { actorFor, type User } from '../../../functions/domain/user/user.ts';
import { actor, inMemoryPorts } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const admin = actor('root', [], { admin: true });
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'] });

const member = (id: string): User => ({
  id,
  displayName: 'Rita',
  processes: ['release', 'deployment'],
  admin: false,
  teamIds: ['team_pay'],
  workGroupIds: ['wg_build'],
  version: 4,
  createdAt: T0,
  updatedAt: T0,
});

function world() {
  const ports = inMemoryPorts();
  ports.users.seed(member('rm'));
  return ports;
}

const key = (k: string, fingerprint = 'body-1') => ({ scope: 'root', key: k, fingerprint });

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

describe('createUser', () => {
  it('stores a user in no team with its implied processes and User Created', async () => {
    const ports = world();
    const { user, replayed } = await createUser({ id: 'ann', processes: ['release'] }, admin, ports);
    expect(replayed).toBe(false);
    expect(user).toEqual({
      id: 'ann',
      processes: ['release', 'deployment'],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await ports.users.get('ann')).toEqual(user);
    expect(ports.table.events).toEqual([
      {
        id: 'evt_0001',
        type: 'User Created',
        occurredAt: T0,
        actor: 'root',
        subject: { kind: 'user', id: 'ann' },
        data: { userId: 'ann', displayName: null, processes: ['release', 'deployment'], admin: false },
      },
    ]);
  });

  it('answers 409 with the current version for an id that exists, and changes nothing', async () => {
    const ports = world();
    const error = await refusal(createUser({ id: 'rm', processes: ['change'] }, admin, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({
      currentVersion: 4,
      message: 'User rm already exists; PUT /users/rm with its version to replace it.',
    });
    expect(await ports.users.get('rm')).toEqual(member('rm'));
    expect(ports.table.events).toEqual([]);
    // The store's own conflict stays attached for the logs.
    expect(error.cause).toBeInstanceOf(VersionConflictError);
  });

  it('answers 409 when the user a key first created is gone', async () => {
    const ports = world();
    await createUser({ id: 'ann', processes: [] }, admin, ports, key('k1'));
    ports.users.users.delete('ann');
    const error = await refusal(createUser({ id: 'ann', processes: [] }, admin, ports, key('k1')));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({ currentVersion: undefined });
    expect((error.cause as Error).message).toBe('User ann changed since; read it again.');
  });

  it('keeps no empty display name', async () => {
    const ports = world();
    const { user } = await createUser({ id: 'ann', processes: [], displayName: '' }, admin, ports);
    expect(user.displayName).toBeUndefined();
    expect(ports.table.events[0]?.data).toMatchObject({ displayName: null });
  });

  it('replays a repeated Idempotency-Key with the first user, and refuses it for another request', async () => {
    const ports = world();
    const first = await createUser({ id: 'ann', processes: ['deployment'] }, admin, ports, key('k1'));
    const again = await createUser({ id: 'ann', processes: ['deployment'] }, admin, ports, key('k1'));
    expect(again).toEqual({ user: first.user, replayed: true });
    expect(ports.table.events).toHaveLength(1);
    const reused = await refusal(createUser({ id: 'bob', processes: [] }, admin, ports, key('k1', 'body-2')));
    expect(reused).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ports.users.users.has('bob')).toBe(false);
  });

  it('is for administrators only', async () => {
    const ports = world();
    const error = await refusal(createUser({ id: 'ann', processes: [] }, rm, ports));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('This action needs an administrator.');
    expect(ports.users.calls).toEqual([]);
  });
});

describe('putUser', () => {
  it('creates a user that does not exist yet', async () => {
    const ports = world();
    const out = await putUser('ann', { processes: ['change'], displayName: 'Ann' }, undefined, admin, ports);
    expect(out).toEqual({
      created: true,
      user: expect.objectContaining({ id: 'ann', displayName: 'Ann', processes: ['change'], version: 1 }),
    });
    expect(await ports.users.get('ann')).toEqual(out.user);
    expect(ports.table.events.map((e) => e.type)).toEqual(['User Created']);
  });

  it('refuses a version for a user that does not exist', async () => {
    const ports = world();
    const error = await refusal(putUser('ann', { processes: [] }, 3, admin, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({
      currentVersion: undefined,
      message: 'User ann does not exist, so it is not at version 3.',
    });
    expect(ports.users.users.has('ann')).toBe(false);
  });

  it('replaces the profile at the current version, keeping team membership, with User Updated', async () => {
    const ports = world();
    ports.clock.advance(1000);
    const out = await putUser('rm', { processes: ['change'], admin: true }, 4, admin, ports);
    expect(out.created).toBe(false);
    expect(out.user).toEqual({
      id: 'rm',
      processes: ['change'],
      admin: true,
      teamIds: ['team_pay'],
      workGroupIds: ['wg_build'],
      version: 5,
      createdAt: T0,
      updatedAt: '2026-11-26T10:00:01.000Z',
    });
    expect(await ports.users.get('rm')).toEqual(out.user);
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'User Updated',
      data: {
        userId: 'rm',
        version: 5,
        changed: expect.objectContaining({ admin: { from: false, to: true } }),
      },
    });
  });

  it('writes nothing for the profile the user already has, with or without its version', async () => {
    const ports = world();
    const same = { processes: ['release' as const], displayName: 'Rita' };
    expect(await putUser('rm', same, undefined, admin, ports)).toEqual({
      user: member('rm'),
      created: false,
    });
    expect(await putUser('rm', same, 4, admin, ports)).toEqual({ user: member('rm'), created: false });
    expect(ports.users.count('apply')).toBe(0);
  });

  it('answers 409 for another profile without a version, and for a stale version', async () => {
    const ports = world();
    const unversioned = await refusal(putUser('rm', { processes: ['change'] }, undefined, admin, ports));
    expect(unversioned).toBeInstanceOf(VersionConflictError);
    expect(unversioned).toMatchObject({
      currentVersion: 4,
      message: 'User rm exists with another profile; send expectedVersion (or If-Match) 4 to replace it.',
    });
    const stale = await refusal(putUser('rm', { processes: ['change'] }, 3, admin, ports));
    expect(stale).toMatchObject({
      currentVersion: 4,
      message: 'User rm is at version 4, not 3; read it again and retry.',
    });
    expect(ports.users.count('apply')).toBe(0);
  });

  it('is for administrators only, even for oneself', async () => {
    const ports = world();
    await expect(putUser('rm', { processes: ['change'] }, 4, rm, ports)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(ports.users.calls).toEqual([]);
  });
});

describe('reading users', () => {
  it('lets anyone read themself and administrators read anyone', async () => {
    const ports = world();
    expect(await getUser('rm', rm, ports)).toEqual(member('rm'));
    expect(await getUser('rm', admin, ports)).toEqual(member('rm'));
    const other = await refusal(getUser('rm', actor('ann', ['release']), ports));
    expect(other).toBeInstanceOf(ForbiddenError);
    expect(other.message).toBe('Only administrators read other users.');
    const missing = await refusal(getUser('ghost', admin, ports));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('User ghost was not found.');
    // A caller not registered yet learns that it is not.
    await expect(getUser('newbie', actor('newbie', []), ports)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists users by id a page at a time, for administrators only', async () => {
    const ports = world();
    for (const id of ['cat', 'ann', 'bob']) await createUser({ id, processes: [] }, admin, ports);
    const first = await listUsers({ limit: 2 }, admin, ports);
    expect(first.items.map((u) => u.id)).toEqual(['ann', 'bob']);
    const rest = await listUsers({ limit: 2, cursor: first.nextCursor }, admin, ports);
    expect(rest.items.map((u) => u.id)).toEqual(['cat', 'rm']);
    expect(rest.nextCursor).toBeUndefined();
    await expect(listUsers({ limit: 2 }, rm, ports)).rejects.toThrow('This action needs an administrator.');
  });
});

describe('actorFor: the caller as the use cases see it', () => {
  it('gives an unregistered caller no process and no team, unless the identity provider says administrator', () => {
    expect(actorFor({ subject: 'newbie', adminClaim: false }, undefined)).toEqual({
      id: 'newbie',
      admin: false,
      processes: new Set(),
      teamIds: [],
      workGroupIds: [],
    });
    expect(actorFor({ subject: 'boss', adminClaim: true }, undefined).admin).toBe(true);
    expect(actorFor({ subject: 'rm', adminClaim: false }, { ...member('rm'), admin: true }).admin).toBe(true);
  });
});
