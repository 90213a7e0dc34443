import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { createHandler as releasesHandler } from '../../functions/http/releases.ts';
import { createHandler as teamsHandler } from '../../functions/http/teams.ts';
import { createHandler as usersHandler } from '../../functions/http/users.ts';
import { configuredWorkflowCatalog } from '../support/configured-workflows.ts';
import { bodyOf, httpEvent, validRelease } from '../support/http-events.ts';
import { createTestTable } from '../support/table.ts';
import { joinTeam } from '../support/teams.ts';
import { seedUser } from '../support/users.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
let users: ReturnType<typeof usersHandler>;
let releases: ReturnType<typeof releasesHandler>;
let teams: ReturnType<typeof teamsHandler>;

interface UserBody {
  id: string;
  processes: string[];
  admin: boolean;
  teamIds: string[];
  workGroupIds: string[];
  version: number;
  displayName?: string;
}

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  const base = createPorts(table.config);
  // Step Functions is not under test here.
  ports = {
    ...base,
    workflows: configuredWorkflowCatalog(table.config.defaultReleaseStateMachineArn),
    executions: { start: async () => undefined },
  };
  const now = new Date().toISOString();
  await seedUser(ports, {
    id: 'root',
    processes: [],
    admin: true,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  users = usersHandler(() => ports);
  releases = releasesHandler(() => ports);
  teams = teamsHandler(() => ports);
});

afterAll(async () => drop());

const post = (body: unknown, user = 'root', headers: Record<string, string> = {}) =>
  users(httpEvent('POST /users', '/users', { user, body, headers }));
const put = (id: string, body: unknown, user = 'root', headers: Record<string, string> = {}) =>
  users(httpEvent('PUT /users/{id}', `/users/${id}`, { user, body, headers }));

async function eventsOf(pk: string) {
  const out = await ports.clients.db.send(
    new QueryCommand({
      TableName: ports.config.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
      ExpressionAttributeValues: { ':pk': pk, ':evt': 'EVT#' },
    }),
  );
  return (out.Items ?? []).map((i) => i.type);
}

describe('users on DynamoDB Local', () => {
  it('creates a user with release, storing and returning the implied deployment process; a second POST is 409', async () => {
    const res = await post({ id: 'rita', displayName: 'Rita', processes: ['release'] });
    expect(res.statusCode).toBe(201);
    expect(res.headers?.location).toBe('/users/rita');
    expect(bodyOf(res)).toMatchObject({
      id: 'rita',
      displayName: 'Rita',
      processes: ['release', 'deployment'],
      admin: false,
      teamIds: [],
      workGroupIds: [],
      version: 1,
    });
    expect((await ports.users.get('rita'))?.processes).toEqual(['release', 'deployment']);
    expect(await eventsOf('USER#rita')).toEqual(['User Created']);

    const again = await post({ id: 'rita', processes: ['change'] });
    expect(again.statusCode).toBe(409);
    expect(bodyOf(again)).toMatchObject({ status: 409, currentVersion: 1 });
    expect((await ports.users.get('rita'))?.processes).toEqual(['release', 'deployment']);
  });

  it('refuses membership fields, unknown processes and non-administrators', async () => {
    const bad = await post({ id: 'x', processes: ['release', 'cab'], teamIds: ['team_x'] });
    expect(bad.statusCode).toBe(400);
    expect(
      bodyOf<{ errors: { path: string }[] }>(bad)
        .errors.map((e) => e.path)
        .sort(),
    ).toEqual(['processes.1', 'teamIds']);
    expect((await put('x', { processes: [], workGroupIds: [] })).statusCode).toBe(400);
    expect((await post({ id: 'y', processes: ['change'] }, 'rita')).statusCode).toBe(403);
    expect((await put('rita', { processes: ['change'], expectedVersion: 1 }, 'rita')).statusCode).toBe(403);
    expect((await users(httpEvent('GET /users', '/users', { user: 'rita' }))).statusCode).toBe(403);
    expect(await ports.users.get('x')).toBeUndefined();
  });

  it('PUT creates (201), replaces with the current version (200), and answers 409 to a stale or missing version', async () => {
    const created = await put('pat', { processes: ['change'], displayName: 'Pat' });
    expect(created.statusCode).toBe(201);
    expect(bodyOf(created)).toMatchObject({ processes: ['change'], version: 1 });

    const noVersion = await put('pat', { processes: ['release'] });
    expect(noVersion.statusCode).toBe(409);
    expect(bodyOf(noVersion)).toMatchObject({ currentVersion: 1 });

    const replaced = await put('pat', { processes: ['change', 'release'], admin: true, expectedVersion: 1 });
    expect(replaced.statusCode).toBe(200);
    expect(bodyOf<UserBody>(replaced)).toMatchObject({
      processes: ['change', 'release', 'deployment'],
      admin: true,
      version: 2,
    });
    expect(bodyOf<UserBody>(replaced).displayName).toBeUndefined();

    const stale = await put('pat', { processes: ['change'], expectedVersion: 1 });
    expect(stale.statusCode).toBe(409);
    expect(bodyOf(stale)).toMatchObject({ currentVersion: 2 });

    const same = await put('pat', { processes: ['release', 'change'], admin: true }, 'root', {
      'if-match': '"2"',
    });
    expect(same.statusCode).toBe(200);
    expect(bodyOf(same)).toMatchObject({ version: 2 });
    expect(await eventsOf('USER#pat')).toEqual(['User Created', 'User Updated']);

    expect((await put('ghost', { processes: ['change'], expectedVersion: 3 })).statusCode).toBe(409);
    expect(await ports.users.get('ghost')).toBeUndefined();
  });

  it('keeps team membership through a PUT, and lists users by id across pages', async () => {
    await post({ id: 'tom', processes: ['deployment'] });
    const team = bodyOf<{ id: string; workGroups: { id: string }[] }>(
      await teams(
        httpEvent('POST /teams', '/teams', {
          user: 'root',
          body: {
            name: 'Techs',
            kind: 'deployment',
            workGroups: [{ name: 'Night shift' }],
            members: ['tom'],
          },
        }),
      ),
    );
    const tom = await ports.users.get('tom');
    expect(tom).toMatchObject({ teamIds: [team.id], version: 2 });
    const res = await put('tom', { processes: ['deployment'], displayName: 'Tom', expectedVersion: 2 });
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      displayName: 'Tom',
      teamIds: [team.id],
      workGroupIds: [team.workGroups[0]?.id],
      version: 3,
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = bodyOf<{ items: UserBody[]; nextCursor?: string }>(
        await users(
          httpEvent('GET /users', '/users', {
            user: 'root',
            query: { limit: '2', ...(cursor ? { cursor } : {}) },
          }),
        ),
      );
      expect(page.items.length, 'no page is empty').toBeGreaterThan(0);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    // Full pages of 2, and no cursor to an empty page after the last one.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(pages).toBe(Math.ceil(seen.length / 2));
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(['pat', 'rita', 'root', 'tom']));
  });

  it('replays a POST with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'user-once' };
    const first = await post({ id: 'once', processes: ['change'] }, 'root', headers);
    const again = await post({ id: 'once', processes: ['change'] }, 'root', headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(again)).toEqual(bodyOf(first));
  });

  it('a technician (deployment only) gets 403 on releases; granted release, the same user creates one', async () => {
    const tech = await put('terry', { processes: ['deployment'] });
    expect(tech.statusCode).toBe(201);
    expect(bodyOf(tech)).toMatchObject({ processes: ['deployment'] });

    const refused = await releases(
      httpEvent('POST /releases', '/releases', { user: 'terry', body: validRelease() }),
    );
    expect(refused.statusCode).toBe(403);
    expect(bodyOf(refused)).toMatchObject({ status: 403, title: 'Forbidden' });

    const promoted = await put('terry', { processes: ['release'], expectedVersion: 1 });
    expect(promoted.statusCode).toBe(200);
    expect(bodyOf<UserBody>(promoted).processes).toEqual(['release', 'deployment']);
    // A release belongs to a release team: the administrator adds the new release manager to one.
    await joinTeam(ports, ['terry']);

    const accepted = await releases(
      httpEvent('POST /releases', '/releases', { user: 'terry', body: validRelease() }),
    );
    expect(accepted.statusCode).toBe(201);
    expect(bodyOf(accepted)).toMatchObject({ createdBy: 'terry' });
  });
});
