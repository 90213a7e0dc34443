/**
 * The team use cases on the in-memory fakes: administrators create and edit teams, members' user
 * items follow in the same commit, anyone holding a process reads them; and bootstrap.
 */
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import {
  createTeam,
  editTeam,
  ensureBootstrap,
  getTeam,
  listTeams,
} from '../../../functions/domain/team/service.ts';
import {
  MAX_TEAM_MEMBERS,
  MAX_WORK_GROUPS,
  type NewTeam,
  type WorkGroup,
} from '../../../functions/domain/team/team.ts';
import type { User } from '../../../functions/domain/user/user.ts';
import { actor, inMemoryPorts } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const admin = actor('root', [], { admin: true });
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_0001'] });

const user = (id: string, over: Partial<User> = {}): User => ({
  id,
  processes: ['deployment'],
  admin: false,
  teamIds: [],
  workGroupIds: [],
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

function world(userIds: readonly string[] = ['ann', 'bob', 'cat']) {
  const ports = inMemoryPorts();
  for (const id of userIds) ports.users.seed(user(id));
  return ports;
}

const input = (over: Partial<NewTeam> = {}): NewTeam => ({
  name: 'Payroll',
  kind: 'release',
  workGroups: [{ name: 'Build' }],
  members: ['ann', 'bob'],
  ...over,
});

const key = (k: string, fingerprint = 'body-1') => ({ scope: 'root', key: k, fingerprint });

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

describe('createTeam', () => {
  it('stores the team with Team Created and puts each member in it and its work groups', async () => {
    const ports = world();
    const { team, replayed } = await createTeam(input(), admin, ports);
    expect(replayed).toBe(false);
    expect(team).toMatchObject({
      id: 'team_0001',
      workGroups: [{ id: 'wg_0002', name: 'Build' }],
      members: ['ann', 'bob'],
      version: 1,
    });
    expect(await ports.teams.get(team.id)).toEqual(team);
    expect(await ports.users.get('ann')).toEqual(
      user('ann', { teamIds: ['team_0001'], workGroupIds: ['wg_0002'], version: 2, updatedAt: T0 }),
    );
    expect((await ports.users.get('bob'))?.teamIds).toEqual(['team_0001']);
    expect(await ports.users.get('cat')).toEqual(user('cat'));
    expect(ports.table.events.map((e) => [e.type, e.subject])).toEqual([
      ['Team Created', { kind: 'team', id: 'team_0001' }],
    ]);
    expect(ports.teams.count('apply')).toBe(1);
  });

  it('is for administrators only, and reads or writes nothing for anyone else', async () => {
    const ports = world();
    const error = await refusal(createTeam(input(), actor('rm', ['change', 'release', 'deployment']), ports));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('This action needs an administrator.');
    expect([ports.users.calls, ports.teams.calls]).toEqual([[], []]);
  });

  it('names every member who is not a user, and stores nothing', async () => {
    const ports = world();
    const error = await refusal(createTeam(input({ members: ['ann', 'zed', 'yan'] }), admin, ports));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({
      code: 'unknown-users',
      message: 'No user zed, yan; create them first.',
      details: { unknownUserIds: ['zed', 'yan'] },
    });
    expect(ports.teams.teams.size).toBe(0);
    expect((await ports.users.get('ann'))?.version).toBe(1);
  });

  it('creates a team of no one without reading users', async () => {
    const ports = world();
    const { team } = await createTeam(input({ members: [] }), admin, ports);
    expect(team.members).toEqual([]);
    expect(ports.users.count('getMany')).toBe(0);
  });

  it('takes exactly 50 members and 20 work groups, and refuses one more of either', async () => {
    const many = Array.from({ length: MAX_TEAM_MEMBERS + 1 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const ports = world(many);
    const groups = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Group ${i}` }));
    const full = input({ members: many.slice(0, MAX_TEAM_MEMBERS), workGroups: groups(MAX_WORK_GROUPS) });
    const { team } = await createTeam(full, admin, ports, key('full'));
    expect([team.members.length, team.workGroups.length]).toEqual([50, 20]);
    expect((await ports.users.get('u49'))?.workGroupIds).toHaveLength(20);
    const tooMany = await refusal(createTeam(input({ name: 'Big', members: many }), admin, ports));
    expect(tooMany).toBeInstanceOf(ValidationError);
    expect((tooMany as ValidationError).errors).toEqual([
      { path: 'members', message: 'must have at most 50 members' },
    ]);
    const tooManyGroups = await refusal(
      createTeam(input({ name: 'Wide', workGroups: groups(MAX_WORK_GROUPS + 1) }), admin, ports),
    );
    expect((tooManyGroups as ValidationError).errors).toEqual([
      { path: 'workGroups', message: 'must have at most 20 work groups' },
    ]);
    expect(ports.teams.teams.size).toBe(1);
  });

  it('replays a repeated Idempotency-Key with the first team, and refuses it for another request', async () => {
    const ports = world();
    const body = input({ workGroups: [{ id: 'wg_named', name: 'Named' }] });
    const first = await createTeam(body, admin, ports, key('k1'));
    const again = await createTeam(body, admin, ports, key('k1'));
    expect(again).toEqual({ team: first.team, replayed: true });
    expect(ports.teams.teams.size).toBe(1);
    expect((await ports.users.get('ann'))?.version).toBe(2);
    expect(ports.table.events).toHaveLength(1);
    await expect(
      createTeam(input({ name: 'Other' }), admin, ports, key('k1', 'body-2')),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ports.teams.teams.size).toBe(1);
  });

  it('refuses a work group id another team holds (422), and stores nothing', async () => {
    const ports = world();
    await createTeam(input({ workGroups: [{ id: 'wg_shared', name: 'Shared' }] }), admin, ports);
    const error = await refusal(
      createTeam(
        input({ name: 'Ops', kind: 'deployment', workGroups: [{ id: 'wg_shared', name: 'S' }] }),
        admin,
        ports,
      ),
    );
    expect(error).toMatchObject({ code: 'work-group-id-taken', details: { workGroupIds: ['wg_shared'] } });
    expect(ports.teams.teams.size).toBe(1);
  });
});

describe('reading teams', () => {
  it('shows a team to any process holder, 404 for an unknown one, and nothing to a caller without a process', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    for (const reader of [rm, actor('tech', ['deployment']), actor('cab', ['change']), admin]) {
      expect(await getTeam(team.id, reader, ports)).toEqual(team);
    }
    const nobody = actor('nobody', []);
    const error = await refusal(getTeam(team.id, nobody, ports));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('This action needs the change or release or deployment process.');
    await expect(listTeams({ limit: 10 }, nobody, ports)).rejects.toThrow(
      'This action needs the change or release or deployment process.',
    );
    const missing = await refusal(getTeam('team_nope', rm, ports));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('Team team_nope was not found.');
  });

  it('lists teams by name, by kind, a page at a time', async () => {
    const ports = world();
    for (const [name, kind] of [
      ['zeta', 'release'],
      ['Alpha', 'deployment'],
      ['mu', 'release'],
    ] as const) {
      await createTeam(input({ name, kind, members: [], workGroups: [] }), admin, ports);
    }
    const first = await listTeams({ limit: 2 }, rm, ports);
    expect(first.items.map((t) => t.name)).toEqual(['Alpha', 'mu']);
    const rest = await listTeams({ limit: 2, cursor: first.nextCursor }, rm, ports);
    expect(rest).toEqual({ items: [expect.objectContaining({ name: 'zeta' })] });
    expect((await listTeams({ limit: 10, kind: 'release' }, rm, ports)).items.map((t) => t.name)).toEqual([
      'mu',
      'zeta',
    ]);
  });
});

describe('editTeam', () => {
  it('moves members in and out, with their work groups, in the same commit as Team Updated', async () => {
    const ports = world();
    const { team } = await createTeam(
      input({ workGroups: [{ name: 'Build' }, { name: 'Test' }] }),
      admin,
      ports,
    );
    const [build, test] = team.workGroups.map((wg) => wg.id);
    ports.clock.advance(1000);
    const edited = await editTeam(
      team.id,
      { members: ['bob', 'cat'], workGroups: [{ name: 'Build' }, { name: 'Run' }] },
      1,
      admin,
      ports,
    );
    const run = edited.workGroups[1]?.id;
    expect(edited).toMatchObject({
      version: 2,
      members: ['bob', 'cat'],
      updatedAt: '2026-11-26T10:00:01.000Z',
    });
    expect(edited.workGroups).toEqual([
      { id: build, name: 'Build' },
      { id: run, name: 'Run' },
    ]);
    expect(await ports.teams.get(team.id)).toEqual(edited);
    expect(await ports.users.get('ann')).toMatchObject({ teamIds: [], workGroupIds: [], version: 3 });
    expect(await ports.users.get('bob')).toMatchObject({
      teamIds: [team.id],
      workGroupIds: [build, run],
      version: 3,
    });
    expect(await ports.users.get('cat')).toMatchObject({
      teamIds: [team.id],
      workGroupIds: [build, run],
      version: 2,
    });
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'Team Updated',
      data: {
        membersAdded: ['cat'],
        membersRemoved: ['ann'],
        workGroupsRemoved: [{ id: test, name: 'Test' }],
      },
    });
    // The removed work group's id is free again.
    await createTeam(
      input({ name: 'Testers', members: [], workGroups: [{ id: test, name: 'Test' }] }),
      admin,
      ports,
    );
  });

  it('rewrites no user for a change of name alone', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    await editTeam(team.id, { name: 'Payroll squad' }, 1, admin, ports);
    expect(ports.users.count('getMany')).toBe(1);
    expect((await ports.users.get('ann'))?.version).toBe(2);
  });

  it('leaves a former member whose user is gone, and names a new member who is not a user', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    ports.users.users.delete('ann');
    const edited = await editTeam(team.id, { members: ['bob'] }, 1, admin, ports);
    expect(edited.members).toEqual(['bob']);
    expect(ports.users.users.has('ann')).toBe(false);
    const error = await refusal(editTeam(team.id, { members: ['bob', 'zed'] }, 2, admin, ports));
    expect(error).toMatchObject({ code: 'unknown-users', details: { unknownUserIds: ['zed'] } });
  });

  it('keeps a member whose user is gone when only others change', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    ports.users.users.delete('ann');
    const edited = await editTeam(team.id, { members: ['ann', 'bob', 'cat'] }, 1, admin, ports);
    expect(edited.members).toEqual(['ann', 'bob', 'cat']);
    expect((await ports.users.get('cat'))?.teamIds).toEqual([team.id]);
  });

  it('writes nothing for an edit that changes nothing', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    expect(await editTeam(team.id, { name: 'Payroll', members: ['ann', 'bob'] }, 1, admin, ports)).toEqual(
      team,
    );
    expect(ports.teams.count('apply')).toBe(1);
    expect(ports.table.events).toHaveLength(1);
  });

  it('answers a stale version with 409 and the current version, an unknown team with 404', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    await editTeam(team.id, { name: 'v2' }, 1, admin, ports);
    const error = await refusal(editTeam(team.id, { name: 'v3' }, 1, admin, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({
      currentVersion: 2,
      message: 'Team team_0001 is at version 2, not 1; read it again and retry.',
    });
    const missing = await refusal(editTeam('team_nope', { name: 'x' }, 1, admin, ports));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('Team team_nope was not found.');
    expect((await ports.teams.get(team.id))?.name).toBe('v2');
  });

  it('is for administrators only, members of the team included', async () => {
    const ports = world();
    const { team } = await createTeam(input(), admin, ports);
    await expect(editTeam(team.id, { name: 'Mine' }, 1, rm, ports)).rejects.toBeInstanceOf(ForbiddenError);
    expect(ports.teams.count('get')).toBe(0);
  });

  it('refuses a change too large for one commit (change-too-large), and writes nothing', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const ports = world(ids);
    const { team } = await createTeam(input({ members: ids.slice(0, 50), workGroups: [] }), admin, ports);
    const error = await refusal(editTeam(team.id, { members: ids.slice(50) }, 1, admin, ports));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({ code: 'change-too-large', details: { items: 102, maxItems: 100 } });
    expect(ports.teams.count('apply')).toBe(1);
    // Just fits: 1 team, 1 event and 98 users (49 leave, 49 join).
    const fits = await editTeam(team.id, { members: ids.slice(49, 99) }, 1, admin, ports);
    expect(fits.members).toHaveLength(50);
    expect(ports.teams.count('apply')).toBe(2);
  });
});

describe('ensureBootstrap', () => {
  it('creates the release team, the deployment team, the CAB and the admin user once', async () => {
    const ports = world([]);
    expect(await ensureBootstrap(ports)).toEqual({
      created: ['team_release', 'team_deployment', 'team_cab', 'admin'],
    });
    expect(await ports.users.get('admin')).toMatchObject({
      admin: true,
      teamIds: ['team_release', 'team_deployment', 'team_cab'],
      workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
    });
    expect(await ports.teams.get('team_cab')).toMatchObject({
      name: 'Change advisory board',
      kind: 'cab',
      workGroups: [{ id: 'wg_cab', name: 'CAB members' }],
      members: ['admin'],
      approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
    });
    expect(ports.table.events.map((e) => e.type)).toEqual([
      'Team Created',
      'Team Created',
      'Team Created',
      'User Created',
    ]);
    expect(await ensureBootstrap(ports)).toEqual({ created: [] });
    expect(ports.teams.count('apply')).toBe(1);
  });

  it('names another first administrator, and recreates only what is missing', async () => {
    const ports = world(['boss']);
    expect(await ensureBootstrap(ports, 'boss')).toEqual({
      created: ['team_release', 'team_deployment', 'team_cab'],
    });
    expect(await ports.users.get('boss')).toMatchObject({
      teamIds: ['team_release', 'team_deployment', 'team_cab'],
      version: 2,
    });
    ports.teams.teams.delete('team_deployment');
    expect(await ensureBootstrap(ports, 'boss')).toEqual({ created: ['team_deployment'] });
  });

  it('gives an installation from before CAB teams its board on the next run, and leaves the rest as it is', async () => {
    const ports = world([]);
    await ensureBootstrap(ports);
    // As an installation bootstrapped before CAB teams existed stands: no board, nobody in it.
    ports.teams.teams.delete('team_cab');
    ports.teams.claims.delete('wg_cab');
    const admin0 = (await ports.users.get('admin')) as User;
    ports.users.users.set('admin', {
      ...admin0,
      teamIds: ['team_release', 'team_deployment'],
      workGroupIds: ['wg_release', 'wg_deployment'],
    });
    const release = await ports.teams.get('team_release');
    const events = ports.table.events.length;

    expect(await ensureBootstrap(ports)).toEqual({ created: ['team_cab'] });
    expect(await ports.teams.get('team_cab')).toMatchObject({
      kind: 'cab',
      members: ['admin'],
      approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
    });
    expect(await ports.users.get('admin')).toMatchObject({
      teamIds: ['team_release', 'team_deployment', 'team_cab'],
      workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
      version: admin0.version + 1,
    });
    expect(await ports.teams.get('team_release')).toEqual(release);
    expect(ports.table.events.slice(events).map((e) => [e.type, e.subject.id])).toEqual([
      ['Team Created', 'team_cab'],
    ]);
    expect(await ensureBootstrap(ports)).toEqual({ created: [] });
  });

  it('stops when a concurrent run won, and gives up after three conflicts', async () => {
    const ports = world([]);
    const apply = ports.teams.apply.bind(ports.teams);
    let raced = false;
    ports.teams.apply = async (change, idempotency) => {
      if (!raced) {
        raced = true;
        await ensureBootstrap(ports); // the other run commits first
      }
      return apply(change, idempotency);
    };
    expect(await ensureBootstrap(ports)).toEqual({ created: [] });
    expect((await ports.users.get('admin'))?.version).toBe(1);

    const stuck = world([]);
    stuck.teams.apply = async () => {
      throw new VersionConflictError('lost');
    };
    await expect(ensureBootstrap(stuck)).rejects.toThrow('lost');
    // Three attempts, each reading the three bootstrap teams.
    expect(stuck.teams.count('get')).toBe(9);
    const broken = world([]);
    broken.teams.apply = async () => {
      throw new Error('table gone');
    };
    await expect(ensureBootstrap(broken)).rejects.toThrow('table gone');
    expect(broken.teams.count('get')).toBe(3);
  });
});

describe('team rules, as an administrator meets them', () => {
  it('names every broken rule of a team', async () => {
    const ports = world();
    const error = await refusal(
      createTeam(
        input({
          kind: 'deployment',
          members: ['ann', 'bob', 'ann'],
          workGroups: [
            { id: 'wg_a', name: 'Build' },
            { id: 'wg_a', name: ' build ' },
          ],
          defaultWorkflowId: 'release-default',
        }),
        admin,
        ports,
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('The team is not valid.');
    expect((error as ValidationError).errors).toEqual([
      { path: 'members.2', message: 'repeats user ann' },
      { path: 'workGroups.1.name', message: 'repeats the name of workGroups.0' },
      { path: 'workGroups.1.id', message: 'repeats the id of workGroups.0' },
      { path: 'defaultWorkflowId', message: 'only release teams have a default workflow' },
    ]);
    expect(ports.teams.count('apply')).toBe(0);
  });

  it('trims names, keeps a work group by its name whatever its spacing, and keeps what an edit leaves out', async () => {
    const ports = world();
    const { team } = await createTeam(
      input({ name: ' Payroll ', description: 'Pays', workGroups: [{ name: ' Build ' }] }),
      admin,
      ports,
    );
    expect(team).toMatchObject({ name: 'Payroll', description: 'Pays', workGroups: [{ name: 'Build' }] });
    const edited = await editTeam(
      team.id,
      { name: ' Payroll squad ', workGroups: [{ name: ' build ' }, { name: 'Run' }] },
      1,
      admin,
      ports,
    );
    expect(edited).toMatchObject({ name: 'Payroll squad', description: 'Pays' });
    expect(edited.workGroups[0]).toEqual({ id: team.workGroups[0]?.id, name: 'build' });
  });

  it('records a renamed work group, and members or work groups merely reordered, as changes', async () => {
    const ports = world();
    const { team } = await createTeam(
      input({ workGroups: [{ name: 'Build' }, { name: 'Test' }] }),
      admin,
      ports,
    );
    const [build, test] = team.workGroups as [WorkGroup, WorkGroup];
    const renamed = await editTeam(
      team.id,
      { workGroups: [{ id: build.id, name: 'Builds' }, { ...test }] },
      1,
      admin,
      ports,
    );
    expect(renamed.version).toBe(2);
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      workGroupsRenamed: [{ id: build.id, from: 'Build', to: 'Builds' }],
      workGroupsAdded: [],
      workGroupsRemoved: [],
    });
    const reordered = await editTeam(team.id, { members: ['bob', 'ann'] }, 2, admin, ports);
    expect(reordered).toMatchObject({ version: 3, members: ['bob', 'ann'] });
    expect(ports.table.events.at(-1)?.data).toMatchObject({ membersAdded: [], membersRemoved: [] });
    const regrouped = await editTeam(
      team.id,
      { workGroups: [{ ...test }, { id: build.id, name: 'Builds' }] },
      3,
      admin,
      ports,
    );
    expect(regrouped.version).toBe(4);
    expect(ports.teams.count('apply')).toBe(4);
  });

  it('refuses an edit to more than 50 members', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `u${i}`);
    const ports = world(ids);
    const { team } = await createTeam(input({ members: [] }), admin, ports);
    const error = await refusal(editTeam(team.id, { members: ids }, 1, admin, ports));
    expect((error as ValidationError).errors).toEqual([
      { path: 'members', message: 'must have at most 50 members' },
    ]);
  });

  it('counts the work groups a change releases toward its size, and says how to split a change too large', async () => {
    const ids = Array.from({ length: 99 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const ports = world(ids);
    const { team } = await createTeam(
      input({ members: ids.slice(0, 50), workGroups: [{ name: 'Build' }, { name: 'Test' }] }),
      admin,
      ports,
    );
    // 49 leave, 49 join, 1 stays but leaves a work group: 99 users, the team, its event and 1 claim.
    const error = await refusal(
      editTeam(team.id, { members: ids.slice(49), workGroups: [{ name: 'Build' }] }, 1, admin, ports),
    );
    expect(error).toMatchObject({
      code: 'change-too-large',
      message:
        'This change touches 102 items; at most 100 can change together. Split it, e.g. remove members in one request and add them in the next.',
    });
  });

  it('answers 404 when the team a key first created is gone', async () => {
    const ports = world();
    await createTeam(input(), admin, ports, key('k1'));
    ports.teams.teams.delete('team_0001');
    const error = await refusal(createTeam(input(), admin, ports, key('k1')));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Team team_0001 was not found.');
  });

  it('gives the first administrator its name, and creates it when only the teams exist', async () => {
    const ports = world([]);
    await ensureBootstrap(ports);
    expect((await ports.users.get('admin'))?.displayName).toBe('Administrator');
    ports.users.users.delete('admin');
    expect(await ensureBootstrap(ports)).toEqual({ created: ['admin'] });
    expect(await ports.users.get('admin')).toMatchObject({
      admin: true,
      processes: ['change', 'release', 'deployment'],
      teamIds: ['team_release', 'team_deployment', 'team_cab'],
    });
  });
});

describe('CAB teams, as an administrator meets them', () => {
  it('creates a board with a partial policy filled from the defaults, and Team Created carries it', async () => {
    const ports = world();
    const { team } = await createTeam(
      input({ name: 'CAB', kind: 'cab', approvalsRequired: { high: 4 } }),
      admin,
      ports,
    );
    expect(team).toMatchObject({
      kind: 'cab',
      approvalsRequired: { low: 1, medium: 2, high: 4, emergency: 1 },
    });
    expect(await ports.teams.get(team.id)).toEqual(team);
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      kind: 'cab',
      approvalsRequired: { low: 1, medium: 2, high: 4, emergency: 1 },
    });
    expect(await listTeams({ limit: 10, kind: 'cab' }, rm, ports)).toEqual({ items: [team] });
  });

  it('edits the policy a level at a time with Team Updated naming the change, and writes nothing for the same policy', async () => {
    const ports = world();
    const { team } = await createTeam(input({ name: 'CAB', kind: 'cab' }), admin, ports);
    const edited = await editTeam(team.id, { approvalsRequired: { emergency: 2 } }, 1, admin, ports);
    expect(edited).toMatchObject({
      version: 2,
      approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 2 },
    });
    expect(await ports.teams.get(team.id)).toEqual(edited);
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'Team Updated',
      subject: { kind: 'team', id: team.id },
      data: {
        changed: {
          approvalsRequired: {
            from: { low: 1, medium: 2, high: 3, emergency: 1 },
            to: { low: 1, medium: 2, high: 3, emergency: 2 },
          },
        },
        membersAdded: [],
        membersRemoved: [],
      },
    });
    // No member's user item moves for a change of policy alone.
    expect((await ports.users.get('ann'))?.version).toBe(2);
    expect(await editTeam(team.id, { approvalsRequired: { emergency: 2 } }, 2, admin, ports)).toEqual(edited);
    expect(ports.teams.count('apply')).toBe(2);
  });

  it('refuses a policy on a release or deployment team (400 naming approvalsRequired), and stores nothing', async () => {
    const ports = world();
    const error = await refusal(
      createTeam(input({ kind: 'deployment', approvalsRequired: { low: 1 } }), admin, ports),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'approvalsRequired', message: 'only CAB teams have an approval policy' },
    ]);
    expect(ports.teams.count('apply')).toBe(0);
    const { team } = await createTeam(input(), admin, ports);
    const edit = await refusal(editTeam(team.id, { approvalsRequired: { high: 1 } }, 1, admin, ports));
    expect((edit as ValidationError).errors).toEqual([
      { path: 'approvalsRequired', message: 'only CAB teams have an approval policy' },
    ]);
    expect(await ports.teams.get(team.id)).toEqual(team);
  });
});
