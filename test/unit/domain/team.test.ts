import { describe, expect, it } from 'vitest';
import { RuleViolationError, ValidationError } from '../../../functions/domain/errors.ts';
import {
  assertFitsOneTransaction,
  BOOTSTRAP,
  membershipDeltas,
  newTeam,
  planBootstrap,
  type Team,
  type TeamChange,
  updateTeam,
} from '../../../functions/domain/team/team.ts';
import { applyMembership, type User } from '../../../functions/domain/user/user.ts';

function deps() {
  let n = 0;
  return {
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    ids: { next: (prefix: string) => `${prefix}_${++n}` },
  };
}
const admin = { id: 'root' };

const user = (id: string, over: Partial<User> = {}): User => ({
  id,
  processes: ['deployment'],
  admin: false,
  teamIds: [],
  workGroupIds: [],
  version: 1,
  createdAt: 't',
  updatedAt: 't',
  ...over,
});

function releaseTeam(): Team {
  return newTeam(
    {
      name: ' Payroll release ',
      kind: 'release',
      workGroups: [{ name: 'Build' }, { id: 'wg_test', name: 'Test' }],
      members: ['ann', 'bob'],
      defaultWorkflowId: 'release-default',
    },
    admin,
    deps(),
  ).team;
}

describe('newTeam', () => {
  it('generates team and missing work group ids, trims names, and emits Team Created', () => {
    const { team, event } = newTeam(
      {
        name: ' Ops ',
        kind: 'deployment',
        workGroups: [{ name: 'DB' }, { id: 'wg_net', name: 'Net' }],
        members: ['u1'],
      },
      admin,
      deps(),
    );
    expect(team).toMatchObject({
      id: 'team_1',
      name: 'Ops',
      kind: 'deployment',
      version: 1,
      workGroups: [
        { id: 'wg_2', name: 'DB' },
        { id: 'wg_net', name: 'Net' },
      ],
      members: ['u1'],
      createdBy: 'root',
    });
    expect(event).toMatchObject({
      type: 'Team Created',
      subject: { kind: 'team', id: 'team_1' },
      data: { teamId: 'team_1', members: ['u1'], kind: 'deployment' },
    });
  });

  it('names every broken rule: repeated work group names and ids, repeated members, workflow on a deployment team', () => {
    let error: unknown;
    try {
      newTeam(
        {
          name: 'Ops',
          kind: 'deployment',
          workGroups: [
            { id: 'wg_a', name: 'DB' },
            { id: 'wg_a', name: 'db ' },
          ],
          members: ['u1', 'u1'],
          defaultWorkflowId: 'release-default',
        },
        admin,
        deps(),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toEqual([
      'members.1',
      'workGroups.1.name',
      'workGroups.1.id',
      'defaultWorkflowId',
    ]);
  });

  it('refuses more than 50 members', () => {
    const members = Array.from({ length: 51 }, (_, i) => `u${i}`);
    expect(() =>
      newTeam({ name: 'Big', kind: 'deployment', workGroups: [], members }, admin, deps()),
    ).toThrow(ValidationError);
  });
});

describe('updateTeam', () => {
  it('keeps the id of a same-named work group, bumps the version and reports the membership change', () => {
    const team = releaseTeam();
    const buildId = team.workGroups[0]?.id;
    const out = updateTeam(
      team,
      { workGroups: [{ name: 'build' }, { name: 'Release' }], members: ['bob', 'cat'] },
      admin,
      deps(),
    );
    expect(out?.team.version).toBe(2);
    expect(out?.team.workGroups.map((wg) => wg.id)).toEqual([buildId, 'wg_1']);
    expect(out?.event).toMatchObject({
      type: 'Team Updated',
      data: {
        membersAdded: ['cat'],
        membersRemoved: ['ann'],
        workGroupsAdded: [{ id: 'wg_1', name: 'Release' }],
        workGroupsRemoved: [{ id: 'wg_test', name: 'Test' }],
        workGroupsRenamed: [{ id: buildId, from: 'Build', to: 'build' }],
      },
    });
  });

  it('returns undefined when nothing changes, and clears optional fields on request', () => {
    const team = releaseTeam();
    expect(
      updateTeam(team, { name: 'Payroll release', members: ['ann', 'bob'] }, admin, deps()),
    ).toBeUndefined();
    const cleared = updateTeam(team, { defaultWorkflowId: null, description: '' }, admin, deps());
    expect(cleared?.team.defaultWorkflowId).toBeUndefined();
    expect(cleared?.event.data).toMatchObject({
      changed: { defaultWorkflowId: { from: 'release-default', to: null } },
    });
  });
});

describe('membershipDeltas', () => {
  it('adds new members to the team and all its work groups, removes leavers, and moves stayers between groups', () => {
    const before = releaseTeam();
    const groups = before.workGroups.map((wg) => wg.id);
    const after: Team = { ...before, members: ['bob', 'cat'], workGroups: [before.workGroups[0] as never] };
    const deltas = membershipDeltas(before, after);
    expect(deltas).toEqual([
      {
        userId: 'ann',
        addTeamIds: [],
        removeTeamIds: [before.id],
        addWorkGroupIds: [],
        removeWorkGroupIds: groups,
      },
      {
        userId: 'bob',
        addTeamIds: [],
        removeTeamIds: [],
        addWorkGroupIds: [],
        removeWorkGroupIds: ['wg_test'],
      },
      {
        userId: 'cat',
        addTeamIds: [before.id],
        removeTeamIds: [],
        addWorkGroupIds: [groups[0]],
        removeWorkGroupIds: [],
      },
    ]);
  });

  it('touches nobody when only the name changes', () => {
    const before = releaseTeam();
    expect(membershipDeltas(before, { ...before, name: 'Other' })).toEqual([]);
  });

  it('applies to a user without duplicates and moves its version on', () => {
    const u = user('cat', { teamIds: ['team_x'], workGroupIds: ['wg_x', 'wg_1'] });
    const next = applyMembership(
      u,
      {
        userId: 'cat',
        addTeamIds: ['team_1'],
        removeTeamIds: [],
        addWorkGroupIds: ['wg_1', 'wg_2'],
        removeWorkGroupIds: ['wg_x'],
      },
      'now',
    );
    expect(next).toMatchObject({ teamIds: ['team_x', 'team_1'], workGroupIds: ['wg_1', 'wg_2'], version: 2 });
  });
});

describe('assertFitsOneTransaction', () => {
  it('counts team, events, users and work group claims, and refuses more than 100 with change-too-large', () => {
    const { team, event } = newTeam(
      { name: 'T', kind: 'deployment', workGroups: [{ name: 'A' }, { name: 'B' }], members: [] },
      admin,
      deps(),
    );
    const users = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ user: user(`u${i}`), expectedVersion: 1 }));
    // 1 team + 1 event + 2 work group claims + 96 users = 100
    const fits: TeamChange = { teams: [{ team, previous: undefined }], users: users(96), events: [event] };
    expect(() => assertFitsOneTransaction(fits)).not.toThrow();
    expect(() => assertFitsOneTransaction(fits, 1)).toThrow(RuleViolationError);
    let error: unknown;
    try {
      assertFitsOneTransaction({ ...fits, users: users(97) });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'change-too-large', details: { items: 101, maxItems: 100 } });
  });
});

describe('planBootstrap', () => {
  it('creates both teams and the admin user as a member of both when nothing exists', () => {
    const plan = planBootstrap({}, deps());
    expect(plan?.teams.map((t) => t.team)).toMatchObject([
      {
        id: 'team_release',
        kind: 'release',
        workGroups: [{ id: 'wg_release', name: 'Release engineering' }],
        members: ['admin'],
      },
      {
        id: 'team_deployment',
        kind: 'deployment',
        workGroups: [{ id: 'wg_deployment', name: 'Deployment technicians' }],
        members: ['admin'],
      },
    ]);
    expect(plan?.users).toMatchObject([
      {
        expectedVersion: undefined,
        user: {
          id: 'admin',
          admin: true,
          processes: ['change', 'release', 'deployment'],
          teamIds: ['team_release', 'team_deployment'],
          workGroupIds: ['wg_release', 'wg_deployment'],
        },
      },
    ]);
    expect(plan?.events.map((e) => e.type)).toEqual(['Team Created', 'Team Created', 'User Created']);
  });

  it("plans nothing once everything exists, and leaves administrators' edits alone", () => {
    const first = planBootstrap({}, deps());
    const [release, deployment] = first?.teams.map((t) => t.team) ?? [];
    const adminUser = first?.users[0]?.user;
    expect(
      planBootstrap({ releaseTeam: release, deploymentTeam: deployment, admin: adminUser }, deps()),
    ).toBeUndefined();
    const edited = { ...(adminUser as User), processes: ['change' as const] };
    expect(
      planBootstrap({ releaseTeam: release, deploymentTeam: deployment, admin: edited }, deps()),
    ).toBeUndefined();
  });

  it('adds an existing admin to a team it recreates, in one user write at its version', () => {
    const existingAdmin = user(BOOTSTRAP.adminUserId, { version: 4, admin: true });
    const plan = planBootstrap({ admin: existingAdmin }, deps());
    expect(plan?.users).toHaveLength(1);
    expect(plan?.users[0]).toMatchObject({
      expectedVersion: 4,
      user: {
        version: 5,
        teamIds: ['team_release', 'team_deployment'],
        workGroupIds: ['wg_release', 'wg_deployment'],
      },
    });
  });
});
