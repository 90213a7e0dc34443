import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuleViolationError, ValidationError } from '../../../functions/domain/errors.ts';
import {
  APPROVAL_LEVELS,
  assertFitsOneTransaction,
  BOOTSTRAP,
  DEFAULT_APPROVALS_REQUIRED,
  mayOverrideBlackout,
  membershipDeltas,
  newTeam,
  planBootstrap,
  requiredApprovals,
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

function board(members: string[], approvalsRequired?: Partial<Record<string, number>>): Team {
  return newTeam(
    { name: 'CAB', kind: 'cab', workGroups: [{ name: 'Board' }], members, approvalsRequired },
    admin,
    deps(),
  ).team;
}

function faultsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e.errors.map((f) => `${f.path}: ${f.message}`);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('CAB teams', () => {
  it('get the default policy (1, 2, 3, 1) when created without one, and Team Created carries it', () => {
    const { team, event } = newTeam(
      { name: 'CAB', kind: 'cab', workGroups: [], members: ['ann', 'bob'] },
      admin,
      deps(),
    );
    expect(team.approvalsRequired).toEqual({ low: 1, medium: 2, high: 3, emergency: 1 });
    expect(event.data).toMatchObject({
      kind: 'cab',
      approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
    });
    // Teams of the other kinds have no policy, and say so with null.
    const release = newTeam({ name: 'R', kind: 'release', workGroups: [], members: [] }, admin, deps());
    expect(release.team).not.toHaveProperty('approvalsRequired');
    expect(release.event.data.approvalsRequired).toBeNull();
  });

  it('fill the levels a partial policy leaves out with the defaults, in one key order', () => {
    const team = board([], { emergency: 2, high: 5 });
    expect(team.approvalsRequired).toEqual({ low: 1, medium: 2, high: 5, emergency: 2 });
    expect(Object.keys(team.approvalsRequired ?? {})).toEqual([...APPROVAL_LEVELS]);
  });

  it('refuse a policy on a release or deployment team, naming the field, like a default workflow', () => {
    for (const kind of ['release', 'deployment'] as const) {
      expect(
        faultsOf(() =>
          newTeam(
            { name: 'X', kind, workGroups: [], members: [], approvalsRequired: { low: 1 } },
            admin,
            deps(),
          ),
        ),
      ).toEqual(['approvalsRequired: only CAB teams have an approval policy']);
    }
    expect(
      faultsOf(() => updateTeam(releaseTeam(), { approvalsRequired: { high: 2 } }, admin, deps())),
    ).toEqual(['approvalsRequired: only CAB teams have an approval policy']);
  });

  it('take whole numbers from 1 to 50 at each level, and name each level out of range', () => {
    expect(board([], { low: 50, medium: 1 }).approvalsRequired).toMatchObject({ low: 50, medium: 1 });
    expect(faultsOf(() => board([], { low: 0, medium: 51, high: 1.5 }))).toEqual([
      'approvalsRequired.low: must be a whole number from 1 to 50',
      'approvalsRequired.medium: must be a whole number from 1 to 50',
      'approvalsRequired.high: must be a whole number from 1 to 50',
    ]);
    expect(
      faultsOf(() => updateTeam(board([]), { approvalsRequired: { emergency: 0 } }, admin, deps())),
    ).toEqual(['approvalsRequired.emergency: must be a whole number from 1 to 50']);
  });

  it('change the levels an edit sends, keep the others, and report the whole policy before and after', () => {
    const team = board(['ann'], { high: 4 });
    const out = updateTeam(team, { approvalsRequired: { medium: 3 } }, admin, deps());
    expect(out?.team.approvalsRequired).toEqual({ low: 1, medium: 3, high: 4, emergency: 1 });
    expect(out?.event).toMatchObject({
      type: 'Team Updated',
      data: {
        version: 2,
        changed: {
          approvalsRequired: {
            from: { low: 1, medium: 2, high: 4, emergency: 1 },
            to: { low: 1, medium: 3, high: 4, emergency: 1 },
          },
        },
      },
    });
  });

  it('change nothing for an edit to the policy they have, whatever order the stored levels come back in', () => {
    const team = board(['ann']);
    expect(updateTeam(team, { approvalsRequired: { medium: 2 } }, admin, deps())).toBeUndefined();
    const reordered: Team = { ...team, approvalsRequired: { emergency: 1, high: 3, medium: 2, low: 1 } };
    expect(updateTeam(reordered, { approvalsRequired: { low: 1 } }, admin, deps())).toBeUndefined();
    // An edit of something else keeps the policy and does not report it.
    const renamed = updateTeam(reordered, { name: 'Board' }, admin, deps());
    expect(renamed?.team.approvalsRequired).toEqual(DEFAULT_APPROVALS_REQUIRED);
    expect(renamed?.event.data).toMatchObject({ changed: { name: { from: 'CAB', to: 'Board' } } });
    expect(renamed?.event.data.changed).not.toHaveProperty('approvalsRequired');
  });
});

describe('blackout overriders', () => {
  it('are members of a release team, each once; Team Created and Team Updated carry them', () => {
    const { team, event } = newTeam(
      { name: 'Pay', kind: 'release', workGroups: [], members: ['ann', 'bob'], blackoutOverriders: ['ann'] },
      admin,
      deps(),
    );
    expect(team.blackoutOverriders).toEqual(['ann']);
    expect(mayOverrideBlackout(team, 'ann')).toBe(true);
    expect(mayOverrideBlackout(team, 'bob')).toBe(false);
    expect(event.data).toMatchObject({ blackoutOverriders: ['ann'] });
    const edited = updateTeam(team, { blackoutOverriders: ['ann', 'bob'] }, admin, deps());
    expect(edited?.event.data).toMatchObject({
      changed: { blackoutOverriders: { from: ['ann'], to: ['ann', 'bob'] } },
    });
    // An empty list: nobody (the field is then absent).
    const cleared = updateTeam(team, { blackoutOverriders: [] }, admin, deps());
    expect(cleared?.team.blackoutOverriders).toBeUndefined();
    expect(cleared?.event.data).toMatchObject({
      changed: { blackoutOverriders: { from: ['ann'], to: null } },
    });
  });

  it('name each fault: not a member, repeated, or on a team that is not a release team', () => {
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as ValidationError).errors;
      }
      throw new Error('no fault');
    };
    expect(
      fault(() =>
        newTeam(
          {
            name: 'Pay',
            kind: 'release',
            workGroups: [],
            members: ['ann'],
            blackoutOverriders: ['ann', 'eve', 'ann'],
          },
          admin,
          deps(),
        ),
      ),
    ).toEqual([
      { path: 'blackoutOverriders.1', message: 'user eve is not a member of the team' },
      { path: 'blackoutOverriders.2', message: 'repeats user ann' },
    ]);
    expect(
      fault(() =>
        newTeam(
          { name: 'Ops', kind: 'deployment', workGroups: [], members: ['ann'], blackoutOverriders: ['ann'] },
          admin,
          deps(),
        ),
      ),
    ).toEqual([{ path: 'blackoutOverriders', message: 'only release teams have blackout overriders' }]);
  });

  it('leave the list when they leave the team', () => {
    const { team } = newTeam(
      {
        name: 'Pay',
        kind: 'release',
        workGroups: [],
        members: ['ann', 'bob'],
        blackoutOverriders: ['ann', 'bob'],
      },
      admin,
      deps(),
    );
    const edited = updateTeam(team, { members: ['bob'] }, admin, deps());
    expect(edited?.team.blackoutOverriders).toEqual(['bob']);
  });
});

describe('requiredApprovals', () => {
  it('is the policy at the level while the board is large enough', () => {
    const team = board(['a', 'b', 'c', 'd']);
    expect(APPROVAL_LEVELS.map((level) => requiredApprovals(team, level))).toEqual([1, 2, 3, 1]);
  });

  it('is capped at the number of members, so that a small board can still approve', () => {
    const team = board(['a', 'b'], { low: 5, emergency: 50 });
    expect(APPROVAL_LEVELS.map((level) => requiredApprovals(team, level))).toEqual([2, 2, 2, 2]);
  });

  it('is never below 1: an empty board approves nothing', () => {
    const team = board([]);
    expect(APPROVAL_LEVELS.map((level) => requiredApprovals(team, level))).toEqual([1, 1, 1, 1]);
  });

  it('follows the policy an edit sets and the members an edit leaves', () => {
    const team = board(['a', 'b', 'c']);
    const edited = updateTeam(team, { approvalsRequired: { high: 1 }, members: ['a'] }, admin, deps())?.team;
    expect(edited && requiredApprovals(edited, 'high')).toBe(1);
    expect(edited && requiredApprovals(edited, 'medium')).toBe(1);
  });

  it('is, for any policy and board, min(policy, members) and at least 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.constantFrom(...APPROVAL_LEVELS),
        (required, size, level) => {
          const team = board(
            Array.from({ length: size }, (_, i) => `u${i}`),
            { [level]: required },
          );
          const n = requiredApprovals(team, level);
          expect(n).toBe(size === 0 ? 1 : Math.min(required, size));
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(required);
        },
      ),
    );
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
  it('creates the three teams and the admin user as a member of each when nothing exists', () => {
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
      {
        id: 'team_cab',
        name: 'Change advisory board',
        kind: 'cab',
        workGroups: [{ id: 'wg_cab', name: 'CAB members' }],
        members: ['admin'],
        approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
      },
    ]);
    expect(plan?.users).toMatchObject([
      {
        expectedVersion: undefined,
        user: {
          id: 'admin',
          admin: true,
          processes: ['change', 'release', 'deployment'],
          teamIds: ['team_release', 'team_deployment', 'team_cab'],
          workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
        },
      },
    ]);
    expect(plan?.events.map((e) => e.type)).toEqual([
      'Team Created',
      'Team Created',
      'Team Created',
      'User Created',
    ]);
  });

  it("plans nothing once everything exists, and leaves administrators' edits alone", () => {
    const first = planBootstrap({}, deps());
    const [release, deployment, cab] = first?.teams.map((t) => t.team) ?? [];
    const adminUser = first?.users[0]?.user;
    expect(
      planBootstrap(
        { releaseTeam: release, deploymentTeam: deployment, cabTeam: cab, admin: adminUser },
        deps(),
      ),
    ).toBeUndefined();
    const edited = { ...(adminUser as User), processes: ['change' as const] };
    const board = {
      ...(cab as Team),
      members: [],
      approvalsRequired: { low: 2, medium: 2, high: 2, emergency: 2 },
    };
    expect(
      planBootstrap(
        { releaseTeam: release, deploymentTeam: deployment, cabTeam: board, admin: edited },
        deps(),
      ),
    ).toBeUndefined();
  });

  it('gives an installation from before CAB teams its board, with the admin as a member, and nothing else', () => {
    const first = planBootstrap({}, deps());
    const [release, deployment] = first?.teams.map((t) => t.team) ?? [];
    const older = user(BOOTSTRAP.adminUserId, {
      version: 3,
      admin: true,
      teamIds: ['team_release', 'team_deployment'],
      workGroupIds: ['wg_release', 'wg_deployment'],
    });
    const plan = planBootstrap({ releaseTeam: release, deploymentTeam: deployment, admin: older }, deps());
    expect(plan?.teams.map((t) => [t.team.id, t.team.kind, t.previous])).toEqual([
      ['team_cab', 'cab', undefined],
    ]);
    expect(plan?.teams[0]?.team.approvalsRequired).toEqual({ low: 1, medium: 2, high: 3, emergency: 1 });
    expect(plan?.users).toEqual([
      {
        expectedVersion: 3,
        user: expect.objectContaining({
          version: 4,
          teamIds: ['team_release', 'team_deployment', 'team_cab'],
          workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
        }),
      },
    ]);
    expect(plan?.events.map((e) => [e.type, e.data.teamId, e.data.approvalsRequired])).toEqual([
      ['Team Created', 'team_cab', { low: 1, medium: 2, high: 3, emergency: 1 }],
    ]);
  });

  it('adds an existing admin to a team it recreates, in one user write at its version', () => {
    const existingAdmin = user(BOOTSTRAP.adminUserId, { version: 4, admin: true });
    const plan = planBootstrap({ admin: existingAdmin }, deps());
    expect(plan?.users).toHaveLength(1);
    expect(plan?.users[0]).toMatchObject({
      expectedVersion: 4,
      user: {
        version: 5,
        teamIds: ['team_release', 'team_deployment', 'team_cab'],
        workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
      },
    });
  });
});
