import { describe, expect, it } from 'vitest';
import { actorFor, newUser, replaceUserProfile } from '../../../functions/domain/user/user.ts';

function deps() {
  let n = 0;
  return {
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    ids: { next: (prefix: string) => `${prefix}_${++n}` },
  };
}
const admin = { id: 'root' };

describe('newUser', () => {
  it('stores release with its implied deployment process, in canonical order, in no team', () => {
    const { user, event } = newUser('rm', { processes: ['release'], displayName: 'Rita' }, admin, deps());
    expect(user).toMatchObject({
      id: 'rm',
      displayName: 'Rita',
      processes: ['release', 'deployment'],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
    });
    expect(event).toMatchObject({
      type: 'User Created',
      subject: { kind: 'user', id: 'rm' },
      data: { processes: ['release', 'deployment'] },
    });
  });

  it('keeps a deployment-only user (technician) without release', () => {
    expect(newUser('t', { processes: ['deployment'] }, admin, deps()).user.processes).toEqual(['deployment']);
  });
});

describe('replaceUserProfile', () => {
  const base = {
    ...newUser('u', { processes: ['deployment'], displayName: 'U' }, admin, deps()).user,
    teamIds: ['team_a'],
    workGroupIds: ['wg_a'],
  };

  it('replaces processes, display name and admin, keeps membership, and reports what changed', () => {
    const out = replaceUserProfile(base, { processes: ['release'], admin: true }, admin, deps());
    expect(out?.user).toMatchObject({
      processes: ['release', 'deployment'],
      admin: true,
      teamIds: ['team_a'],
      workGroupIds: ['wg_a'],
      version: 2,
    });
    expect(out?.user.displayName).toBeUndefined();
    expect(out?.event).toMatchObject({
      type: 'User Updated',
      data: {
        version: 2,
        changed: {
          processes: { from: ['deployment'], to: ['release', 'deployment'] },
          admin: { from: false, to: true },
          displayName: { from: 'U', to: null },
        },
      },
    });
  });

  it('returns undefined for the same profile (a repeated PUT writes nothing)', () => {
    expect(
      replaceUserProfile(base, { processes: ['deployment'], displayName: 'U' }, admin, deps()),
    ).toBeUndefined();
  });
});

describe('actorFor', () => {
  it('sees the membership the teams resource keeps on the user', () => {
    const actor = actorFor(
      { subject: 'u', adminClaim: false },
      {
        ...newUser('u', { processes: ['release'] }, admin, deps()).user,
        teamIds: ['t'],
        workGroupIds: ['w'],
      },
    );
    expect([...actor.processes]).toEqual(['release', 'deployment']);
    expect(actor).toMatchObject({ teamIds: ['t'], workGroupIds: ['w'], admin: false });
  });
});
