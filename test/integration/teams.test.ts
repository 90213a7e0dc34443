import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { VersionConflictError } from '../../functions/domain/errors.ts';
import { ensureBootstrap as bootstrap } from '../../functions/domain/team/service.ts';
import type { Team } from '../../functions/domain/team/team.ts';
import { createHandler } from '../../functions/http/teams.ts';
import { bodyOf, httpEvent } from '../support/http-events.ts';
import { createTestTable, partitionItems } from '../support/table.ts';
import { seedUser } from '../support/users.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
let handler: ReturnType<typeof createHandler>;

type TeamBody = Team & { workGroups: { id: string; name: string }[] };

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
  const now = new Date().toISOString();
  for (const [id, processes, admin] of [
    ['root', [], true],
    ['rm', ['release', 'deployment'], false],
    ['ann', ['deployment'], false],
    ['bob', ['deployment'], false],
    ['cat', ['deployment'], false],
    ['nobody', [], false],
  ] as const) {
    await seedUser(ports, {
      id,
      processes: [...processes],
      admin,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
  }
  handler = createHandler(() => ports);
});

afterAll(async () => drop());

const createTeam = (body: unknown, user = 'root', headers: Record<string, string> = {}) =>
  handler(httpEvent('POST /teams', '/teams', { user, body, headers }));
const getTeam = (id: string, user = 'root') =>
  handler(httpEvent('GET /teams/{id}', `/teams/${id}`, { user }));
const patchTeam = (id: string, body: unknown, user = 'root', headers: Record<string, string> = {}) =>
  handler(httpEvent('PATCH /teams/{id}', `/teams/${id}`, { user, body, headers }));

const itemsOf = (pk: string) => partitionItems(ports, pk);

async function listAll(query: Record<string, string> = {}, user = 'root') {
  const seen: TeamBody[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await handler(
      httpEvent('GET /teams', '/teams', {
        user,
        query: { limit: '2', ...query, ...(cursor ? { cursor } : {}) },
      }),
    );
    expect(res.statusCode).toBe(200);
    const page = bodyOf<{ items: TeamBody[]; nextCursor?: string }>(res);
    seen.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { seen, pages };
}

describe('teams on DynamoDB Local', () => {
  it('creates a team with generated work group ids, reads it back, and sets its members’ membership in the same write', async () => {
    const res = await createTeam({
      name: 'Payroll release',
      kind: 'release',
      description: 'Ships payroll',
      workGroups: [{ name: 'Build' }, { id: 'wg_payroll_test', name: 'Test' }],
      members: ['ann', 'bob'],
      defaultWorkflowId: 'release-default',
    });
    expect(res.statusCode).toBe(201);
    const team = bodyOf<TeamBody>(res);
    expect(team).toMatchObject({
      name: 'Payroll release',
      kind: 'release',
      version: 1,
      members: ['ann', 'bob'],
    });
    expect(team.id).toMatch(/^team_/);
    expect(team.workGroups[0]?.id).toMatch(/^wg_/);
    expect(team.workGroups[1]).toEqual({ id: 'wg_payroll_test', name: 'Test' });
    expect(res.headers?.location).toBe(`/teams/${team.id}`);
    expect(res.headers?.etag).toBe('"1"');

    const got = await getTeam(team.id, 'ann');
    expect(got.statusCode).toBe(200);
    expect(bodyOf(got)).toEqual(team);

    const groupIds = team.workGroups.map((wg) => wg.id);
    for (const id of ['ann', 'bob']) {
      const user = await ports.users.get(id);
      expect(user).toMatchObject({ teamIds: [team.id], workGroupIds: groupIds, version: 2 });
    }
    const events = (await itemsOf(`TEAM#${team.id}`)).filter((i) => i.entity === 'event');
    expect(events).toEqual([
      expect.objectContaining({ type: 'Team Created', subject: { kind: 'team', id: team.id } }),
    ]);
    const claim = (await itemsOf('WG#wg_payroll_test'))[0];
    expect(claim).toMatchObject({ entity: 'workGroup', teamId: team.id, teamKind: 'release' });
  });

  it('edits members and work groups, updating every affected user atomically, and answers 409 to a stale version', async () => {
    const team = bodyOf<TeamBody>(
      await createTeam({
        name: 'Ops',
        kind: 'deployment',
        workGroups: [{ name: 'DB' }],
        members: ['ann', 'bob'],
      }),
    );
    const db = team.workGroups[0]?.id as string;
    const res = await patchTeam(team.id, {
      expectedVersion: 1,
      members: ['bob', 'cat'],
      workGroups: [{ name: 'DB' }, { name: 'Network' }],
    });
    expect(res.statusCode).toBe(200);
    const edited = bodyOf<TeamBody>(res);
    expect(edited.version).toBe(2);
    expect(edited.workGroups[0]?.id).toBe(db);
    const network = edited.workGroups[1]?.id as string;

    const [ann, bob, cat] = await Promise.all(['ann', 'bob', 'cat'].map((id) => ports.users.get(id)));
    expect(ann?.teamIds).not.toContain(team.id);
    expect(ann?.workGroupIds).not.toContain(db);
    expect(bob?.teamIds).toContain(team.id);
    expect(bob?.workGroupIds).toEqual(expect.arrayContaining([db, network]));
    expect(cat).toMatchObject({ teamIds: [team.id], workGroupIds: [db, network] });

    const stale = await patchTeam(team.id, { expectedVersion: 1, name: 'Lost update' });
    expect(stale.statusCode).toBe(409);
    expect(stale.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(stale)).toMatchObject({ status: 409, currentVersion: 2 });

    const viaIfMatch = await patchTeam(team.id, { name: 'Operations' }, 'root', { 'if-match': '"2"' });
    expect(viaIfMatch.statusCode).toBe(200);
    expect(bodyOf(await getTeam(team.id))).toMatchObject({ name: 'Operations', version: 3 });
    const events = (await itemsOf(`TEAM#${team.id}`)).filter((i) => i.entity === 'event');
    expect(events.map((e) => e.type)).toEqual(['Team Created', 'Team Updated', 'Team Updated']);
    expect(events[1]?.data).toMatchObject({
      membersAdded: ['cat'],
      membersRemoved: ['ann'],
      workGroupsAdded: [{ id: network, name: 'Network' }],
    });
  });

  it('commits nothing when one member’s user item changed underneath (team, users and event are one transaction)', async () => {
    const team = bodyOf<TeamBody>(await createTeam({ name: 'Atomic', kind: 'deployment', members: ['ann'] }));
    const stored = (await ports.teams.get(team.id)) as Team;
    const ann = await ports.users.get('ann');
    const bob = await ports.users.get('bob');
    if (!ann || !bob) throw new Error('fixtures missing');
    const next: Team = { ...stored, members: ['ann', 'bob'], version: 2 };
    await expect(
      ports.teams.apply({
        teams: [{ team: next, previous: stored }],
        users: [
          {
            user: { ...bob, teamIds: [...bob.teamIds, team.id], version: bob.version + 1 },
            expectedVersion: bob.version - 1,
          },
        ],
        events: [],
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(await ports.teams.get(team.id)).toEqual(stored);
    expect(await ports.users.get('bob')).toEqual(bob);
    expect(await ports.users.get('ann')).toEqual(ann);
  });

  it('answers 422 naming unknown members and stores nothing', async () => {
    const before = (await listAll()).seen.length;
    const annBefore = await ports.users.get('ann');
    const res = await createTeam({ name: 'Ghosts', kind: 'release', members: ['ann', 'ghost1', 'ghost2'] });
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res)).toMatchObject({
      type: 'urn:release-desk:problem:unknown-users',
      status: 422,
      unknownUserIds: ['ghost1', 'ghost2'],
    });
    expect((await listAll()).seen.length).toBe(before);
    expect(await ports.users.get('ann')).toEqual(annBefore);

    const team = bodyOf<TeamBody>(await createTeam({ name: 'Real', kind: 'release', members: ['bob'] }));
    const patch = await patchTeam(team.id, { expectedVersion: 1, members: ['bob', 'ghost3'] });
    expect(patch.statusCode).toBe(422);
    expect(bodyOf(patch)).toMatchObject({ unknownUserIds: ['ghost3'] });
    expect(bodyOf(await getTeam(team.id))).toMatchObject({ version: 1, members: ['bob'] });
  });

  it('refuses a work group id another team holds (422), and names every invalid field (400)', async () => {
    const taken = await createTeam({
      name: 'Copycat',
      kind: 'deployment',
      workGroups: [{ id: 'wg_payroll_test', name: 'X' }],
    });
    expect(taken.statusCode).toBe(422);
    expect(bodyOf(taken)).toMatchObject({ workGroupIds: ['wg_payroll_test'] });

    const bad = await createTeam({
      name: '',
      kind: 'both',
      workGroups: [{ name: 'A' }],
      members: Array.from({ length: 51 }, (_, i) => `u${i}`),
      teamIds: [],
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bodyOf<{ errors: { path: string }[] }>(bad)
        .errors.map((e) => e.path)
        .sort(),
    ).toEqual(['kind', 'members', 'name', 'teamIds']);
    const rules = await createTeam({
      name: 'Dupes',
      kind: 'deployment',
      workGroups: [{ name: 'DB' }, { name: 'db' }],
      members: ['ann', 'ann'],
      defaultWorkflowId: 'release-default',
    });
    expect(rules.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(rules).errors.map((e) => e.path)).toEqual([
      'members.1',
      'workGroups.1.name',
      'defaultWorkflowId',
    ]);
  });

  it('lets only administrators create or edit teams, and only process holders read them', async () => {
    const team = bodyOf<TeamBody>(await createTeam({ name: 'Guarded', kind: 'release' }));
    for (const user of ['rm', 'ann', 'nobody']) {
      expect((await createTeam({ name: 'Mine', kind: 'release' }, user)).statusCode).toBe(403);
      expect((await patchTeam(team.id, { expectedVersion: 1, name: 'Mine' }, user)).statusCode).toBe(403);
    }
    expect(bodyOf(await getTeam(team.id))).toMatchObject({ name: 'Guarded', version: 1 });
    expect((await getTeam(team.id, 'rm')).statusCode).toBe(200);
    expect((await getTeam(team.id, 'nobody')).statusCode).toBe(403);
    expect((await handler(httpEvent('GET /teams', '/teams', { user: 'nobody' }))).statusCode).toBe(403);
    // The identity provider's admin group counts as administrator too.
    const viaGroup = await handler(
      httpEvent('POST /teams', '/teams', {
        user: 'nobody',
        groups: ['admin'],
        body: { name: 'Grp', kind: 'release' },
      }),
    );
    expect(viaGroup.statusCode).toBe(201);
    expect((await getTeam('team_nope')).statusCode).toBe(404);
  });

  it('lists teams by name across pages, and by kind', async () => {
    for (const name of ['zeta', 'Alpha', 'mu'])
      await createTeam({ name: `List ${name}`, kind: 'deployment' });
    const { seen, pages } = await listAll();
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length);
    const names = seen.map((t) => t.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    const deployment = await listAll({ kind: 'deployment' });
    expect(deployment.seen.length).toBeGreaterThan(0);
    expect(deployment.seen.every((t) => t.kind === 'deployment')).toBe(true);
    const release = await listAll({ kind: 'release' });
    const cab = await listAll({ kind: 'cab' });
    expect(cab.seen.every((t) => t.kind === 'cab')).toBe(true);
    expect(release.seen.length + deployment.seen.length + cab.seen.length).toBe(seen.length);
    const bad = await handler(httpEvent('GET /teams', '/teams', { user: 'root', query: { kind: 'other' } }));
    expect(bad.statusCode).toBe(400);
  });

  it('replays a repeated Idempotency-Key instead of creating a second team', async () => {
    const headers = { 'idempotency-key': 'team-once' };
    const first = await createTeam({ name: 'Once', kind: 'release' }, 'root', headers);
    const again = await createTeam({ name: 'Once', kind: 'release' }, 'root', headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(again).id).toBe(bodyOf(first).id);
    expect((await createTeam({ name: 'Twice', kind: 'release' }, 'root', headers)).statusCode).toBe(422);
  });

  it('creates a CAB team with a partial policy, reads it back whole, edits a level, and refuses a policy on other kinds', async () => {
    const res = await createTeam({
      name: 'Payroll CAB',
      kind: 'cab',
      workGroups: [{ name: 'Board' }],
      members: ['ann', 'bob'],
      approvalsRequired: { high: 2, emergency: 2 },
    });
    expect(res.statusCode).toBe(201);
    const team = bodyOf<TeamBody>(res);
    expect(team).toMatchObject({
      kind: 'cab',
      members: ['ann', 'bob'],
      approvalsRequired: { low: 1, medium: 2, high: 2, emergency: 2 },
    });
    expect(bodyOf(await getTeam(team.id, 'ann'))).toEqual(team);
    // The stored map comes back from DynamoDB; the same policy sent again changes nothing.
    const same = await patchTeam(team.id, { expectedVersion: 1, approvalsRequired: { high: 2 } });
    expect(bodyOf(same)).toEqual(team);

    const edited = await patchTeam(team.id, { expectedVersion: 1, approvalsRequired: { low: 2 } });
    expect(edited.statusCode).toBe(200);
    expect(bodyOf(edited)).toMatchObject({
      version: 2,
      approvalsRequired: { low: 2, medium: 2, high: 2, emergency: 2 },
    });
    const events = (await itemsOf(`TEAM#${team.id}`)).filter((i) => i.entity === 'event');
    expect(events.map((e) => e.type)).toEqual(['Team Created', 'Team Updated']);
    expect(events[0]?.data).toMatchObject({
      approvalsRequired: { low: 1, medium: 2, high: 2, emergency: 2 },
    });
    expect(events[1]?.data).toMatchObject({
      changed: {
        approvalsRequired: {
          from: { low: 1, medium: 2, high: 2, emergency: 2 },
          to: { low: 2, medium: 2, high: 2, emergency: 2 },
        },
      },
    });

    const outOfRange = await patchTeam(team.id, {
      expectedVersion: 2,
      approvalsRequired: { low: 0, high: 51 },
    });
    expect(outOfRange.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(outOfRange).errors.map((e) => e.path)).toEqual([
      'approvalsRequired.low',
      'approvalsRequired.high',
    ]);
    const onRelease = await createTeam({
      name: 'Not a board',
      kind: 'release',
      approvalsRequired: { low: 1 },
    });
    expect(onRelease.statusCode).toBe(400);
    expect(bodyOf(onRelease)).toMatchObject({
      errors: [{ path: 'approvalsRequired', message: 'only CAB teams have an approval policy' }],
    });
  });

  it('replays a repeated Idempotency-Key for a team whose work groups name their ids', async () => {
    const headers = { 'idempotency-key': 'team-with-groups' };
    const body = {
      name: 'Once with groups',
      kind: 'deployment',
      workGroups: [{ id: 'wg_once', name: 'Once' }],
    };
    const first = await createTeam(body, 'root', headers);
    expect(first.statusCode).toBe(201);
    const again = await createTeam(body, 'root', headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(again).id).toBe(bodyOf(first).id);
  });
});

describe('bootstrap', () => {
  it('creates the release team, the deployment team, the CAB and the admin user once; a second run changes nothing', async () => {
    const first = await bootstrap(ports);
    expect(first.created.sort()).toEqual(['admin', 'team_cab', 'team_deployment', 'team_release']);
    const snapshot = async () => ({
      release: await itemsOf('TEAM#team_release'),
      deployment: await itemsOf('TEAM#team_deployment'),
      cab: await itemsOf('TEAM#team_cab'),
      admin: await itemsOf('USER#admin'),
    });
    const before = await snapshot();
    expect(before.release.find((i) => i.entity === 'team')).toMatchObject({
      name: 'Release team',
      kind: 'release',
      workGroups: [{ id: 'wg_release', name: 'Release engineering' }],
      members: ['admin'],
    });
    expect(before.deployment.find((i) => i.entity === 'team')).toMatchObject({
      name: 'Deployment team',
      kind: 'deployment',
      workGroups: [{ id: 'wg_deployment', name: 'Deployment technicians' }],
    });
    expect(before.cab.find((i) => i.entity === 'team')).toMatchObject({
      name: 'Change advisory board',
      kind: 'cab',
      workGroups: [{ id: 'wg_cab', name: 'CAB members' }],
      members: ['admin'],
      approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
    });
    expect(await ports.users.get('admin')).toMatchObject({
      admin: true,
      processes: ['change', 'release', 'deployment'],
      teamIds: ['team_release', 'team_deployment', 'team_cab'],
      workGroupIds: ['wg_release', 'wg_deployment', 'wg_cab'],
    });

    expect(await bootstrap(ports)).toEqual({ created: [] });
    expect(await snapshot()).toEqual(before);
  });
});

describe('teams kept for a few seconds (TEAM_STALENESS_MS) by another function instance', () => {
  it('answer as read until asked as stored; the writing instance forgets at once', async () => {
    const created = bodyOf<TeamBody>(
      await createTeam({
        name: 'Kept',
        kind: 'deployment',
        members: ['ann'],
        workGroups: [{ name: 'Kept ops' }],
      }),
    );
    // Another function instance: its own store over the same table.
    const other = createPorts(ports.config).teams;
    expect((await other.get(created.id, 5_000))?.members).toEqual(['ann']);
    const patched = await patchTeam(created.id, {
      members: ['ann', 'bob'],
      expectedVersion: created.version,
    });
    expect(patched.statusCode).toBe(200);
    // Within the stated staleness the other instance may answer as it read (it does here)...
    expect((await other.get(created.id, 5_000))?.members).toEqual(['ann']);
    // ...but never when asked as stored, which then refreshes what it keeps.
    expect((await other.get(created.id))?.members).toEqual(['ann', 'bob']);
    expect((await other.get(created.id, 5_000))?.members).toEqual(['ann', 'bob']);
    // The writing instance forgot its own: it answers the new team at once.
    expect((await ports.teams.get(created.id, 5_000))?.members).toEqual(['ann', 'bob']);
    // And with no staleness allowed, a kept team is read again.
    expect((await other.get(created.id, 0))?.members).toEqual(['ann', 'bob']);
  });
});
