/**
 * What probing the running service found (as an attacker, as a newcomer, through an independent
 * OpenAPI validator), each case through the public API of the local cloud: it must hold now.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { assertResponseMatchesContract } from '../support/openapi-validator.ts';

let t: TestCloud;
let otherTeam: string;

beforeAll(async () => {
  // rm is in the bootstrap release team; rm2, another release manager, only in a team of its own.
  t = await startTestCloud({}, { rm: ['release'], tech: ['deployment'], nobody: [] });
  expect((await t.call('PUT', '/users/rm2', { processes: ['release'] }, 'admin')).status).toBe(201);
  const team = await t.call(
    'POST',
    '/teams',
    { name: 'Other releases', kind: 'release', members: ['rm2'] },
    'admin',
  );
  otherTeam = team.body.id as string;
});
afterAll(async () => t?.stop());

/** A request as a client sends it, answer checked against the OpenAPI document. */
async function send(
  method: string,
  path: string,
  options: {
    token?: string | null;
    user?: string;
    body?: string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const token =
    options.token === undefined
      ? await t.tokenFor(options.user ?? 'rm', { admin: options.user === 'admin' })
      : options.token;
  const res = await fetch(`${t.cloud.apiUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': options.type ?? 'application/json' } : {}),
      ...(options.headers ?? {}),
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  assertResponseMatchesContract(method, path, {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text,
  });
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

const newRelease = async (over: Record<string, unknown> = {}, user = 'rm') => {
  const res = await t.call('POST', '/releases', validRelease(over), user);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number };
};

describe('1. one team rule for every write on a release', () => {
  it('refuses a release manager of another team editing or moving the release (403), and leaves it as it was', async () => {
    const release = await newRelease();
    const edit = await t.call(
      'PATCH',
      `/releases/${release.id}`,
      { title: 'Hijacked', expectedVersion: 1 },
      'rm2',
    );
    expect(edit.status).toBe(403);
    const move = await t.call(
      'POST',
      `/releases/${release.id}/transitions`,
      { to: 'Development', expectedVersion: 1 },
      'rm2',
    );
    expect(move.status).toBe(403);
    const read = await t.call('GET', `/releases/${release.id}`, undefined, 'rm2');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ title: 'Payroll 4.2', version: 1, allowedTransitions: [] });
  });

  it("lets its own team's release managers and administrators edit", async () => {
    const release = await newRelease();
    expect(
      (await t.call('PATCH', `/releases/${release.id}`, { title: 'Mine', expectedVersion: 1 })).status,
    ).toBe(200);
    expect(
      (await t.call('PATCH', `/releases/${release.id}`, { title: 'Admin', expectedVersion: 2 }, 'admin'))
        .status,
    ).toBe(200);
  });

  it('lets a release manager of the other team create releases in their own team only', async () => {
    expect((await t.call('POST', '/releases', validRelease({ teamId: otherTeam }), 'rm2')).status).toBe(201);
    expect((await t.call('POST', '/releases', validRelease({ teamId: otherTeam }), 'rm')).status).toBe(403);
  });
});

describe('1. a release without a team', () => {
  it("is the administrators' alone: release managers of any team may read it but not change or move it", async () => {
    // An administrator in no release team creates it.
    expect(
      (await t.call('PUT', '/users/boss', { processes: ['release'], admin: true }, 'admin')).status,
    ).toBe(201);
    const created = await t.call('POST', '/releases', validRelease(), 'boss');
    expect(created.status).toBe(201);
    expect(created.body.teamId).toBeUndefined();
    const id = created.body.id as string;
    for (const who of ['rm', 'rm2']) {
      expect(
        (await t.call('PATCH', `/releases/${id}`, { title: 'Mine now', expectedVersion: 1 }, who)).status,
      ).toBe(403);
      expect(
        (
          await t.call(
            'POST',
            `/releases/${id}/transitions`,
            { to: 'Cancelled', reason: 'x', expectedVersion: 1 },
            who,
          )
        ).status,
      ).toBe(403);
      const read = await t.call('GET', `/releases/${id}`, undefined, who);
      expect(read.status).toBe(200);
      expect(read.body.allowedTransitions).toEqual([]);
    }
    expect(
      (await t.call('PATCH', `/releases/${id}`, { title: 'Boss edit', expectedVersion: 1 }, 'boss')).status,
    ).toBe(200);
  });

  it('an outsider learns nothing, not even the current version (403 before 409)', async () => {
    const release = await newRelease();
    const move = await t.call(
      'POST',
      `/releases/${release.id}/transitions`,
      { to: 'Development', expectedVersion: 9 },
      'rm2',
    );
    expect(move.status).toBe(403);
    expect(move.body.currentVersion).toBeUndefined();
  });
});

describe('2. forged or replayed bus events move nothing', () => {
  const bus = () =>
    new EventBridgeClient({
      endpoint: t.cloud.eventsEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  const put = (type: string, detail: unknown) =>
    bus().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'release-desk',
            Source: 'release-desk',
            DetailType: type,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );

  it('a made-up Release Stage Entered neither moves the release nor ends its execution', async () => {
    const release = await newRelease();
    await t.cloud.settle();
    await eventually(async () => expect((await t.execution(release.id)).state).toBe('Assessment'));
    for (const to of ['Development', 'Cancelled']) {
      await put('Release Stage Entered', {
        id: 'evt_forged',
        data: {
          releaseId: release.id,
          to,
          entry: 1,
          signal: { to, entry: 1, actor: 'mallory', reason: 'x' },
        },
      });
    }
    await t.cloud.settle();
    const read = await t.call('GET', `/releases/${release.id}`);
    expect(read.body).toMatchObject({ stage: 'Assessment', status: 'active', version: 1 });
    expect((await t.execution(release.id)).state).toBe('Assessment');
    const history = await t.call('GET', `/releases/${release.id}/history`);
    expect((history.body.items as unknown[]).length).toBe(1);
  });

  it('a replayed genuine Release Stage Entered changes nothing twice', async () => {
    const release = await newRelease();
    const moved = await t.call('POST', `/releases/${release.id}/transitions`, {
      to: 'Development',
      expectedVersion: 1,
    });
    expect(moved.status).toBe(200);
    const history = await t.call('GET', `/releases/${release.id}/history`);
    const entered = (history.body.items as { id: string; type: string; data: unknown }[]).find(
      (e) => e.type === 'Release Stage Entered',
    );
    await put('Release Stage Entered', { id: entered?.id, data: entered?.data });
    await t.cloud.settle();
    expect((await t.call('GET', `/releases/${release.id}`)).body).toMatchObject({
      stage: 'Development',
      version: 2,
    });
    expect((await t.execution(release.id)).state).toBe('Development');
  });

  it('a forged Release Created starts no execution for a release that does not exist', async () => {
    const arn = t.cloud.ports.config.defaultReleaseStateMachineArn as string;
    await put('Release Created', {
      id: 'evt_forged_created',
      data: { releaseId: 'rel_ghost', stateMachineArn: arn, workflow: { id: 'release-default', version: 1 } },
    });
    await t.cloud.settle();
    await expect(
      t.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(arn, 'rel_ghost') })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

describe('5-9. bad input is a 4xx problem, never a 500', () => {
  it('5: malformed percent-escapes in the path: 401 without a token, 404 with one', async () => {
    for (const path of ['/releases/%', '/users/%C0', '/teams/%E0%A4%A', '/workflows/%']) {
      expect((await send('GET', path, { token: null })).status, path).toBe(401);
      const withToken = await send('GET', path, { user: 'admin' });
      expect(withToken.status, path).toBe(404);
      expect(withToken.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await send('DELETE', '/releases/%', { token: null })).status).toBe(405);
  });

  it('6: a cursor from another list, another history, tampered or forged is 400; the last full page has no cursor', async () => {
    const a = await newRelease();
    const b = await newRelease();
    for (const id of [a.id, b.id]) {
      await t.call('PATCH', `/releases/${id}`, { title: 'Edited', expectedVersion: 1 });
    }
    const historyA = await t.call('GET', `/releases/${a.id}/history?limit=1`);
    const cursorA = historyA.body.nextCursor as string;
    expect(cursorA).toEqual(expect.any(String));
    expect((await t.call('GET', `/releases/${a.id}/history?limit=1&cursor=${cursorA}`)).status).toBe(200);
    const listCursor = (await t.call('GET', '/releases?limit=1')).body.nextCursor as string;
    // One character of the signature changed, a full one (the last of a base64url signature carries
    // only 2 bits, and rewriting the last two could give the cursor back unchanged, e.g. "…BA").
    const at = cursorA.length - 5;
    const tampered = `${cursorA.slice(0, at)}${cursorA[at] === 'A' ? 'B' : 'A'}${cursorA.slice(at + 1)}`;
    expect(tampered).not.toBe(cursorA);
    const forgedPayload = Buffer.from(
      JSON.stringify({ l: 'x', k: { pk: 'USER#admin', sk: '#STATE' } }),
    ).toString('base64url');
    for (const [path, cursor] of [
      [`/releases/${b.id}/history`, cursorA],
      ['/releases', cursorA],
      [`/releases/${a.id}/history`, listCursor],
      ['/teams', listCursor],
      ['/users', listCursor],
      [`/releases/${a.id}/history`, tampered],
      [`/releases/${a.id}/history`, `${forgedPayload}.AAAAAAAAAAAAAAAAAAAAAA`],
      ['/releases', 'eyJwayI6IlJFTCN4Iiwic2siOiIjU1RBVEUifQ'],
    ] as const) {
      const res = await t.call('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, undefined, 'admin');
      expect(res.status, `${path} ${cursor}`).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'cursor', message: 'is not a cursor this list returned' }]);
    }
    // Exactly two entries, pages of two: one page, no cursor to an empty second one.
    const full = await t.call('GET', `/releases/${a.id}/history?limit=2`);
    expect((full.body.items as unknown[]).length).toBe(2);
    expect(full.body.nextCursor).toBeUndefined();
  });

  it('7: free-form values out of range, too deep or reaching the prototype are 400 naming the field; nothing stored', async () => {
    const before = (await t.call('GET', '/releases?limit=100')).body.items as unknown[];
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const bodies: [string, string][] = [
      ['1e200', '1e200'],
      ['1e400', '1e400'],
      ['-1e400', '-1e400'],
      ['1e-200', '1e-200'],
      ['40 levels', nested(40)],
      ['5,000 levels', nested(5_000)],
      ['constructor.prototype', '{"constructor":{"prototype":{}}}'],
      ['__proto__', '{"__proto__":{"admin":true}}'],
      ['nested __proto__', '{"x":{"__proto__":{"admin":true}}}'],
    ];
    for (const [name, value] of bodies) {
      const body = JSON.stringify(validRelease({ tasks: [] })).replace(
        '"tasks":[]',
        `"tasks":[{"title":"t","workGroupId":"wg_release","ciIds":["ci_1"],"ciUpdates":[{"ciId":"ci_1","set":{"v":${value}}}]}]`,
      );
      const res = await send('POST', '/releases', { body });
      expect(res.status, `${name}: ${res.text.slice(0, 300)}`).toBe(400);
      const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
      expect(
        paths.every((p) => p.startsWith('tasks.0.ciUpdates.0.set.v')),
        `${name}: ${paths}`,
      ).toBe(true);
    }
    expect(((await t.call('GET', '/releases?limit=100')).body.items as unknown[]).length).toBe(before.length);
  });

  it('7: instants past the year 9999 in UTC are refused (their stored form would sort wrongly)', async () => {
    const res = await t.call(
      'POST',
      '/releases',
      validRelease({ plannedStart: '9999-12-31T22:00:00Z', plannedEnd: '9999-12-31T23:00:00-05:00' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: 'plannedEnd', message: 'must be in the years 0000 to 9999 (in UTC)' },
    ]);
  });

  it('8: a validly signed token whose subject is 5,000 characters is 401', async () => {
    const token = await t.cloud.identity.issue('u'.repeat(5_000));
    const res = await send('GET', '/releases', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('says what is wrong with a token: none, not a token, or a user nobody registered', async () => {
    expect((await send('GET', '/releases', { token: null })).body.detail).toMatch(/Send Authorization/);
    expect((await send('GET', '/releases', { token: 'x' })).body.detail).toMatch(/not valid/);
    const stranger = await send('GET', '/releases', { token: await t.cloud.identity.issue('mallory') });
    expect(stranger.status).toBe(403);
    expect(stranger.body.detail).toBe(
      'User mallory is not registered: an administrator creates it (PUT /users/mallory).',
    );
  });

  it('9: a body of 24,000 unknown keys gets at most 50 errors and says how many more', async () => {
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 24_000 }, (_, i) => [`k${i}`, 1])));
    const res = await send('POST', '/releases', { body });
    expect(res.status).toBe(400);
    expect((res.body.errors as unknown[]).length).toBe(50);
    expect(res.body.errorsOmitted).toBeGreaterThanOrEqual(24_000 - 50);
    expect(res.text.length).toBeLessThan(10_000);
  });
});

describe('12. headers and content types', () => {
  it('every answer says no-store and nosniff: success, problem, 401, 404, 405', async () => {
    const release = await newRelease();
    const answers = [
      await send('GET', '/health', { token: null }),
      await send('GET', `/releases/${release.id}`),
      await send('GET', '/releases/rel_missing'),
      await send('GET', '/releases', { token: null }),
      await send('GET', '/nowhere', { token: null }),
      await send('DELETE', '/releases', { token: null }),
      await send('POST', '/releases', { body: '{' }),
    ];
    for (const res of answers) {
      expect(res.headers.get('cache-control'), String(res.status)).toBe('no-store');
      expect(res.headers.get('x-content-type-options'), String(res.status)).toBe('nosniff');
    }
  });

  it('refuses bodies that are not application/json with 415; PATCH also takes merge-patch+json', async () => {
    const body = JSON.stringify(validRelease());
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/vnd.evil+json',
      'application/jsonx',
    ]) {
      expect((await send('POST', '/releases', { body, type })).status, type).toBe(415);
    }
    expect((await send('POST', '/releases', { body, type: 'application/json; charset=utf-8' })).status).toBe(
      201,
    );
    const release = await newRelease();
    const patch = await send('PATCH', `/releases/${release.id}`, {
      body: JSON.stringify({ title: 'Merged', expectedVersion: 1 }),
      type: 'application/merge-patch+json',
    });
    expect(patch.status).toBe(200);
    expect((await send('POST', '/releases', { body, type: 'application/merge-patch+json' })).status).toBe(
      415,
    );
  });
});

describe('14. deployment tasks cannot dead-end a release', () => {
  it('refuses a task no deployment team can action with a clear 422 naming the field, and stores nothing', async () => {
    const before = ((await t.call('GET', '/releases?limit=100')).body.items as unknown[]).length;
    const res = await t.call('POST', '/releases', {
      ...validRelease(),
      tasks: [{ title: 'Upgrade', workGroupId: 'wg_release', ciIds: [], ciUpdates: [] }],
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      type: 'urn:release-desk:problem:invalid-deployment-tasks',
      errors: [
        {
          path: 'tasks.0.workGroupId',
          message: 'belongs to release team team_release, not to a deployment team',
        },
      ],
    });
    expect(((await t.call('GET', '/releases?limit=100')).body.items as unknown[]).length).toBe(before);
    const actionable = await t.call('POST', '/releases', {
      ...validRelease(),
      tasks: [{ title: 'Upgrade', workGroupId: 'wg_deployment', ciIds: [], ciUpdates: [] }],
    });
    expect(actionable.status).toBe(201);
    expect(actionable.body.tasks).toEqual([expect.objectContaining({ title: 'Upgrade', status: 'planned' })]);
  });
});

describe('15. release filters and the moves allowed now', () => {
  it('filters by status, stage, team and planned start, each from an index, never a Scan', async () => {
    const mine = await newRelease({
      title: 'Filter me',
      plannedStart: '2031-03-02T20:00:00Z',
      plannedEnd: '2031-03-02T22:00:00Z',
    });
    const theirs = await newRelease(
      {
        title: 'Theirs',
        teamId: otherTeam,
        plannedStart: '2031-03-05T20:00:00Z',
        plannedEnd: '2031-03-05T22:00:00Z',
      },
      'rm2',
    );
    await t.call('POST', `/releases/${mine.id}/transitions`, { to: 'Development', expectedVersion: 1 });
    await t.call(
      'POST',
      `/releases/${theirs.id}/transitions`,
      { to: 'Cancelled', expectedVersion: 1, reason: 'No' },
      'rm2',
    );
    const ids = async (query: string) =>
      ((await t.call('GET', `/releases?limit=100&${query}`)).body.items as { id: string }[]).map((r) => r.id);
    expect(await ids('stage=Development')).toContain(mine.id);
    expect(await ids('stage=Development')).not.toContain(theirs.id);
    expect(await ids('status=cancelled')).toContain(theirs.id);
    expect(await ids('status=cancelled')).not.toContain(mine.id);
    expect(await ids(`teamId=${otherTeam}`)).toContain(theirs.id);
    expect(await ids(`teamId=${otherTeam}`)).not.toContain(mine.id);
    expect(await ids(`teamId=${otherTeam}&status=active`)).not.toContain(theirs.id);
    expect(await ids(`teamId=${otherTeam}&status=cancelled`)).toContain(theirs.id);
    expect(await ids('plannedFrom=2031-03-01T00:00:00Z&plannedTo=2031-03-04T00:00:00Z')).toEqual([mine.id]);
    expect(await ids('plannedFrom=2031-03-01T00:00:00Z&plannedTo=2031-03-10T00:00:00Z')).toEqual([
      mine.id,
      theirs.id,
    ]);
    expect(await ids('stage=Development&plannedFrom=2031-03-01T00:00:00Z')).toEqual([mine.id]);
    const bad = await t.call(
      'GET',
      '/releases?status=sleeping&plannedTo=2020-01-01T00:00:00Z&plannedFrom=2021-01-01T00:00:00Z',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'query.status', message: 'must be one of active, closed, cancelled, backed-out, failed' },
      ]),
    );
  });

  it('pages a filtered list without repeats or empty pages', async () => {
    await t.call('PUT', '/users/rm3', { processes: ['release'] }, 'admin');
    const team = await t.call(
      'POST',
      '/teams',
      { name: 'Paged team', kind: 'release', members: ['rm3'] },
      'admin',
    );
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await newRelease({ title: `Page ${i}` }, 'rm3')).id);
    await t.call(
      'POST',
      `/releases/${created[2]}/transitions`,
      { to: 'Cancelled', reason: 'x', expectedVersion: 1 },
      'rm3',
    );
    created.splice(2, 1);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.call(
        'GET',
        `/releases?teamId=${team.body.id}&status=active&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      const items = (page.body.items as { id: string }[]).map((r) => r.id);
      expect(items.length).toBeGreaterThan(0);
      seen.push(...items);
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it('lists the moves the caller may make now, with their gates and reasons', async () => {
    const release = await newRelease();
    const rm = await t.call('GET', `/releases/${release.id}`);
    expect(rm.body.allowedTransitions).toEqual([
      { to: 'Development', gates: [], unmetGates: [], requiresReason: false, terminal: false },
      { to: 'Cancelled', gates: [], unmetGates: [], requiresReason: true, terminal: true },
    ]);
    expect(
      (await t.call('GET', `/releases/${release.id}`, undefined, 'tech')).body.allowedTransitions,
    ).toEqual([]);
    const moved = await t.call('POST', `/releases/${release.id}/transitions`, {
      to: 'Development',
      expectedVersion: 1,
    });
    expect((moved.body.allowedTransitions as { to: string }[]).map((m) => m.to)).toEqual(
      expect.arrayContaining(['Testing', 'Assessment', 'Cancelled']),
    );
  });
});

describe('16. validation messages in words a person uses', () => {
  it('says "is required" and "must be one of …", not the validator\'s internals', async () => {
    const { title: _t, ...noTitle } = validRelease({ releaseType: 'huge', businessPriority: '2' });
    const res = await t.call('POST', '/releases', noTitle);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'title', message: 'is required' },
        { path: 'releaseType', message: 'must be one of major, minor, emergency' },
        { path: 'businessPriority', message: 'must be a number' },
      ]),
    );
    for (const e of res.body.errors as { message: string }[]) {
      expect(e.message).not.toMatch(/Invalid input|expected|received/i);
    }
  });
});

describe('the routes of the OpenAPI document', () => {
  const doc = async () =>
    (await send('GET', '/openapi.json', { token: null })).body as {
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
    };

  it('every route that needs a token answers 401 problem+json with WWW-Authenticate without one', async () => {
    const { paths } = await doc();
    let checked = 0;
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length === 0) continue;
        const concrete = path.replace(/\{(\w+)\}/g, 'x_1');
        const res = await send(method.toUpperCase(), concrete, {
          token: null,
          ...(op.requestBody ? { body: '{}' } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(18);
  });

  it('every public route answers without a token', async () => {
    const { paths } = await doc();
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length !== 0) continue;
        expect((await send(method.toUpperCase(), path, { token: null })).status, path).toBe(200);
      }
    }
  });
});

describe('6. authorisation: one rule per use case, for every route', () => {
  // Expected status per caller for a valid request to each route; 'ok' is any 2xx.
  type Who = 'nobody' | 'tech' | 'rm2' | 'rm' | 'admin';
  const everyone: Who[] = ['nobody', 'tech', 'rm2', 'rm', 'admin'];
  const routes = (
    release: string,
    wfBody: unknown,
    task: string,
    change: string,
    article: string,
    ci: string,
    sla: string,
  ): [string, string, unknown, Partial<Record<Who, number | 'ok'>>][] => [
    ['GET', '/releases', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/releases/${release}`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      `/releases/${release}/history`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'GET',
      `/releases/${release}/execution`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'GET',
      `/releases/${release}/next-windows?duration=PT3H&count=2`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    ['POST', '/releases', validRelease(), { nobody: 403, tech: 403, rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'PATCH',
      `/releases/${release}`,
      { description: 'x', expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 403, rm: 'ok' },
    ],
    [
      'POST',
      `/releases/${release}/transitions`,
      { to: 'Development', expectedVersion: 2 },
      { nobody: 403, tech: 403, rm2: 403, rm: 'ok' },
    ],
    // Approving a move is open to whoever a team's access policy names (anyone reading releases
    // may try); the bootstrap release team has no policies, so no move asks approvals: 422.
    [
      'POST',
      `/releases/${release}/approvals`,
      { to: 'Testing' },
      { nobody: 403, tech: 422, rm2: 422, rm: 422, admin: 422 },
    ],
    ['GET', '/teams', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', '/teams/team_release', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'POST',
      '/teams',
      { name: `T ${Math.random()}`, kind: 'deployment' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'PATCH',
      '/teams/team_release',
      { description: 'x' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 400 },
    ],
    ['GET', '/users', undefined, { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' }],
    ['GET', '/users/tech', undefined, { nobody: 403, tech: 'ok', rm2: 403, rm: 403, admin: 'ok' }],
    [
      'POST',
      '/users',
      { id: `u${Date.now()}`, processes: [] },
      { nobody: 403, tech: 403, rm2: 403, rm: 403 },
    ],
    [
      'PUT',
      '/users/tech',
      { processes: ['deployment'] },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    ['GET', '/workflows', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      '/workflows/release-default',
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    ['POST', '/workflows', wfBody, { nobody: 403, tech: 403, rm2: 403, rm: 403 }],
    // What a release touches in the CMDB is read like the release; backing out is its team's
    // (this release is in Assessment: not deployed, nothing to back out: 422).
    [
      'GET',
      `/releases/${release}/cis`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'POST',
      `/releases/${release}/backout`,
      { acknowledgedArticles: [], reason: 'Probe' },
      { nobody: 403, tech: 403, rm2: 403, rm: 422, admin: 422 },
    ],
    // A release's tasks are read like the release; a task is its work group's (wg_deployment:
    // the administrator's here), whatever process the others hold.
    [
      'GET',
      `/releases/${release}/tasks`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'GET',
      '/tasks?group=wg_deployment',
      undefined,
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    ['GET', `/tasks/${task}`, undefined, { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' }],
    [
      'POST',
      `/tasks/${task}/start`,
      { expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'POST',
      `/tasks/${task}/fail`,
      { expectedVersion: 2, reason: 'Probe' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'POST',
      `/tasks/${task}/retry`,
      { expectedVersion: 3 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    // Ready again: only a task in progress can be completed.
    [
      'POST',
      `/tasks/${task}/complete`,
      { expectedVersion: 4 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 422 },
    ],
    // RFCs: read by every process holder; recorded, edited and moved with `change` (here the
    // administrator's alone); voted on by the board (the administrator, who requested this one:
    // a rejection is theirs to give, an approval is not).
    ['GET', '/changes', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/changes/${change}`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      `/changes/${change}/history`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'GET',
      `/changes/${change}/execution`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'GET',
      `/changes/${change}/next-windows?duration=PT3H`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'POST',
      '/changes',
      { title: 'Probe', type: 'standard', risk: 'low', impact: 'low', urgency: 'low' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'PATCH',
      `/changes/${change}`,
      { description: 'x', expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'POST',
      `/changes/${change}/transitions`,
      { to: 'Assessed', expectedVersion: 2 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'POST',
      `/changes/${change}/approvals`,
      { decision: 'approve', comment: 'Probe' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 403 },
    ],
    [
      'POST',
      `/changes/${change}/approvals`,
      { decision: 'reject', comment: 'Probe' },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    // The CMDB: read by every process holder, written with `release` or `change` (any team).
    ['GET', '/cis', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/cis/${ci}`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/cis/${ci}/history`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      `/cis/${ci}/versions/1`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    ['GET', `/cis/${ci}/impact`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'POST',
      '/cis',
      { type: 'application', name: 'probe' },
      { nobody: 403, tech: 403, rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'PATCH',
      `/cis/${ci}`,
      { set: { probe: true }, expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 'ok', rm: 409 },
    ],
    // The knowledge base: read by every process holder; written by change and release managers of
    // any team (rm2 edits first, so rm's edit from the same version is stale: 409, not 403).
    ['GET', '/kb', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/kb/${article}`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      `/kb/${article}/versions`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'POST',
      '/kb',
      { kind: 'known-error', title: 'Probe', body: 'Probe' },
      { nobody: 403, tech: 403, rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'PATCH',
      `/kb/${article}`,
      { title: 'Probed', expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 'ok', rm: 409 },
    ],
    // SLAs and their blackouts: read by every process holder; managed by administrators only.
    ['GET', '/slas', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    ['GET', `/slas/${sla}`, undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'GET',
      `/blackouts?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&ci=${ci}`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
    [
      'POST',
      '/slas',
      {
        name: 'Probe',
        ciIds: [ci],
        blackouts: [{ start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z', reason: 'Probe' }],
      },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    [
      'PATCH',
      `/slas/${sla}`,
      { name: 'Probed', expectedVersion: 1 },
      { nobody: 403, tech: 403, rm2: 403, rm: 403, admin: 'ok' },
    ],
    // Release metrics: read by every process holder. Incidents are attributed by the release's
    // team (or change managers, or administrators): this release is in Assessment, never
    // deployed (422 once allowed).
    ['GET', '/metrics/releases', undefined, { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' }],
    [
      'POST',
      `/releases/${release}/incidents`,
      { reference: 'INC-PROBE', severity: 'low', occurredAt: new Date().toISOString(), summary: 'Probe' },
      { nobody: 403, tech: 403, rm2: 403, rm: 422, admin: 422 },
    ],
    // The change calendar (JSON or iCalendar): read by every process holder, like what it shows.
    [
      'GET',
      `/calendar?from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z&ci=${ci}`,
      undefined,
      { nobody: 403, tech: 'ok', rm2: 'ok', rm: 'ok', admin: 'ok' },
    ],
  ];

  it('answers each caller as the table says, for every route the document lists', async () => {
    const release = await newRelease();
    const workflow = (await t.call('GET', '/workflows/release-default')).body.definition;
    const deploying = await newRelease({
      tasks: [{ title: 'Probe', workGroupId: 'wg_deployment', ciIds: [], ciUpdates: [] }],
    });
    for (const [to, expectedVersion] of [
      ['Development', 1],
      ['Testing', 2],
      ['Deployment', 3],
    ] as const) {
      await t.call('POST', `/releases/${deploying.id}/transitions`, { to, expectedVersion });
    }
    let task = '';
    await eventually(async () => {
      const tasks = (await t.call('GET', `/releases/${deploying.id}/tasks`)).body.items as {
        id: string;
        status: string;
      }[];
      expect(tasks[0]?.status).toBe('ready');
      task = tasks[0]?.id as string;
    });
    const change = await t.call(
      'POST',
      '/changes',
      { title: 'Probe', type: 'normal', risk: 'low', impact: 'low', urgency: 'low' },
      'admin',
    );
    expect(change.status).toBe(201);
    const changeId = change.body.id as string;
    const article = await t.call('POST', '/kb', { kind: 'known-error', title: 'Probe', body: 'Probe' });
    expect(article.status).toBe(201);
    const articleId = article.body.id as string;
    const ci = await t.call('POST', '/cis', { type: 'application', name: 'probe-target' });
    expect(ci.status).toBe(201);
    const ciId = ci.body.id as string;
    const sla = await t.call('POST', '/slas', { name: 'Probe SLA', ciIds: [ciId] }, 'admin');
    expect(sla.status).toBe(201);
    const slaId = sla.body.id as string;
    const table = routes(
      release.id,
      { id: 'release-default', definition: workflow },
      task,
      changeId,
      articleId,
      ciId,
      slaId,
    );
    const { paths } = await doc();
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length !== 0)
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    const covered = table.map(
      ([m, p]) =>
        `${m} ${p
          .replace(release.id, '{id}')
          .replace(task, '{id}')
          .replace(changeId, '{id}')
          .replace(articleId, '{id}')
          .replace(ciId, '{id}')
          .replace(slaId, '{id}')
          .replace(/\/versions\/1$/, '/versions/{n}')
          .replace(/\?.*$/, '')
          .replace(/\/(team_release|tech|release-default)$/, '/{id}')}`,
    );
    expect(new Set(covered)).toEqual(new Set(documented));
    for (const [method, path, body, expected] of table) {
      for (const who of everyone) {
        const want = expected[who];
        if (want === undefined) continue;
        const res = await t.call(method, path, body, who);
        if (want === 'ok')
          expect(res.status, `${who} ${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        else expect(res.status, `${who} ${method} ${path}: ${JSON.stringify(res.body)}`).toBe(want);
      }
    }
  });

  async function doc() {
    return (await send('GET', '/openapi.json', { token: null })).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
  }
});
