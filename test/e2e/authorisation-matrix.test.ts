/**
 * The authorisation matrix (test/support/authorisation-matrix.ts), every cell of it, on the local
 * cloud through its gateway: each declared route × each caller — five kinds of bad token (forged
 * with the local identity's own signing key, so that only the claim at fault is wrong) and seven
 * users — gets the status the matrix says. A route declared without a row fails here.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../functions/http/contract/index.ts';
import { LOCAL_AUDIENCE, localSubject } from '../../infra/local/identity.ts';
import {
  authorisationMatrix,
  BAD_TOKENS,
  type BadToken,
  type Expected,
  type MatrixIds,
  ROLES,
  type Role,
} from '../support/authorisation-matrix.ts';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { assertResponseMatchesContract } from '../support/openapi-validator.ts';

let t: TestCloud;
let dataDir: string;
const badTokens = new Map<BadToken, string | null>();
let goodForgedToken = '';
const users: Record<Role, string> = {
  techOfGroup: 'tech',
  techOfOtherGroup: 'techOther',
  changeManager: 'cm',
  cabMember: 'cab',
  releaseManager: 'rm',
  otherReleaseManager: 'rm2',
  admin: 'admin',
};

async function send(method: string, path: string, body: unknown, token: string | null) {
  const res = await fetch(`${t.cloud.apiUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assertResponseMatchesContract(method, path, {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text,
  });
  return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Bad tokens: each signed with the local identity's key, with one thing wrong. */
async function forgeBadTokens(): Promise<void> {
  const jwk = JSON.parse(await readFile(join(dataDir, 'signing-key.jwk.json'), 'utf8')) as JWK;
  const key = await importJWK(jwk, 'RS256');
  const issuer = t.cloud.identity.issuer;
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, over: { iss?: string; exp?: number } = {}) =>
    new SignJWT({ token_use: 'access', client_id: LOCAL_AUDIENCE, username: 'admin', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid as string })
      .setSubject(localSubject('admin'))
      .setIssuer(over.iss ?? issuer)
      .setIssuedAt(now - 7200)
      .setExpirationTime(over.exp ?? now + 3600)
      .sign(key);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  // The control: signed the same way with nothing wrong, it is accepted (so each bad token's 401 is
  // its fault's, not the forging's).
  goodForgedToken = await sign({ 'cognito:groups': ['admin'] });
  badTokens.set('anonymous', null);
  // An administrator's token in every case: what is refused is the token, not the role.
  badTokens.set('expired', await sign({ 'cognito:groups': ['admin'] }, { exp: now - 3600 }));
  badTokens.set(
    'wrongIssuer',
    await sign({ 'cognito:groups': ['admin'] }, { iss: 'https://issuer.invalid/' }),
  );
  badTokens.set('wrongAudience', await sign({ 'cognito:groups': ['admin'], aud: 'another-client' }));
  badTokens.set(
    'algNone',
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      sub: localSubject('admin'),
      username: 'admin',
      token_use: 'access',
      client_id: LOCAL_AUDIENCE,
      'cognito:groups': ['admin'],
      iss: issuer,
      iat: now,
      exp: now + 3600,
    })}.AAAA`,
  );
}

let ids: Omit<MatrixIds, 'v'>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'matrix-'));
  t = await startTestCloud(
    { dataDir },
    { rm: ['release'], tech: ['deployment'], techOther: ['deployment'], cm: ['change'], cab: ['change'] },
  );
  await forgeBadTokens();
  // rm2: a release manager in a release team of their own.
  expect((await t.call('PUT', '/users/rm2', { processes: ['release'] }, 'admin')).status).toBe(201);
  expect(
    (await t.call('POST', '/teams', { name: 'Other releases', kind: 'release', members: ['rm2'] }, 'admin'))
      .status,
  ).toBe(201);
  // techOther: a technician of another deployment team's work group.
  expect(
    (
      await t.call(
        'POST',
        '/teams',
        {
          name: 'Other ops',
          kind: 'deployment',
          workGroups: [{ name: 'Other ops' }],
          members: ['techOther'],
        },
        'admin',
      )
    ).status,
  ).toBe(201);
  // tech joins the deployment team (its work group wg_deployment); cab joins the board.
  for (const [team, member] of [
    ['team_deployment', 'tech'],
    ['team_cab', 'cab'],
  ] as const) {
    const got = await t.call('GET', `/teams/${team}`, undefined, 'admin');
    const edit = await t.call(
      'PATCH',
      `/teams/${team}`,
      { members: [...(got.body.members as string[]), member], expectedVersion: got.body.version },
      'admin',
    );
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
  }
  const newRelease = async (over: Record<string, unknown> = {}) => {
    const res = await t.call('POST', '/releases', validRelease(over), 'rm');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const release = await newRelease();
  const deploying = await newRelease({
    tasks: [{ title: 'Matrix', workGroupId: 'wg_deployment', ciIds: [], ciUpdates: [] }],
  });
  for (const [to, expectedVersion] of [
    ['Development', 1],
    ['Testing', 2],
    ['Deployment', 3],
  ] as const) {
    expect((await t.call('POST', `/releases/${deploying}/transitions`, { to, expectedVersion })).status).toBe(
      200,
    );
  }
  let task = '';
  await eventually(async () => {
    const tasks = (await t.call('GET', `/releases/${deploying}/tasks`)).body.items as {
      id: string;
      status: string;
    }[];
    expect(tasks[0]?.status).toBe('ready');
    task = tasks[0]?.id as string;
  });
  const created = async (path: string, body: unknown, as: string) => {
    const res = await t.call('POST', path, body, as);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const change = await created(
    '/changes',
    { title: 'Matrix', type: 'normal', risk: 'low', impact: 'low', urgency: 'low' },
    'cm',
  );
  const article = await created('/kb', { kind: 'known-error', title: 'Matrix', body: 'Matrix' }, 'cm');
  const ci = await created('/cis', { type: 'application', name: 'matrix-target' }, 'rm');
  const sla = await created('/slas', { name: 'Matrix SLA', ciIds: [ci] }, 'admin');
  const definition = (await t.call('GET', '/workflows/release-default')).body.definition;
  ids = { release, task, change, article, ci, sla, workflow: { id: 'release-default', definition } };
}, 120_000);
afterAll(async () => {
  await t?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function versions(): Promise<MatrixIds['v']> {
  const v = async (path: string) => (await t.call('GET', path, undefined, 'admin')).body.version as number;
  return {
    release: await v(`/releases/${ids.release}`),
    task: await v(`/tasks/${ids.task}`),
    change: await v(`/changes/${ids.change}`),
    article: await v(`/kb/${ids.article}`),
    ci: await v(`/cis/${ids.ci}`),
    sla: await v(`/slas/${ids.sla}`),
    team: await v('/teams/team_release'),
  };
}

/**
 * Statuses that say the request never reached the route's decision on the caller: the edge refused
 * its shape (400, 413, 415) or found no such route or resource (404, 405). An 'ok' cell answered so
 * would pass without proving the caller was let in (a read everyone may make, answered 404 for a
 * mistyped path, would hide any authorisation).
 */
const NOT_REACHED = new Set([400, 401, 403, 404, 405, 413, 415]);

function meets(status: number, want: Expected): boolean {
  return want === 'ok' ? !NOT_REACHED.has(status) && status < 500 : status === want;
}

describe('the authorisation matrix', () => {
  it('has one row per declared route and per operation the OpenAPI document lists, no more', async () => {
    const declared = declaredRoutes.map((r) => r.routeKey).sort();
    expect(Object.keys(authorisationMatrix).sort()).toEqual(declared);
    const doc = (await send('GET', '/openapi.json', undefined, null)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(Object.keys(authorisationMatrix).sort()).toEqual(documented.sort());
  });

  it('accepts a token forged like the bad ones with nothing wrong in it', async () => {
    expect((await send('GET', '/users', undefined, goodForgedToken)).status).toBe(200);
  });

  it('answers every caller of every route as the matrix says', async () => {
    const wrong: string[] = [];
    for (const route of declaredRoutes) {
      const row = authorisationMatrix[route.routeKey];
      if (!row) continue; // the test above names it
      const { path, body } = row.request({ ...ids, v: await versions() });
      const isPublic = 'public' in route.access;
      // Refused callers first: they meet the current versions, and change nothing for the others.
      const cells: [string, string | null, Expected][] = [
        ...BAD_TOKENS.map(
          (b) => [b, badTokens.get(b) ?? null, isPublic ? 'ok' : 401] as [string, string | null, Expected],
        ),
        ...(await Promise.all(
          ROLES.map(
            async (r) =>
              [r, await t.tokenFor(users[r], { admin: r === 'admin' }), row.expect[r]] as [
                string,
                string,
                Expected,
              ],
          ),
        )),
      ].sort(([, , a], [, , b]) => (a === 'ok' ? 1 : 0) - (b === 'ok' ? 1 : 0));
      for (const [who, token, want] of cells) {
        const res = await send(route.method, path, body, token);
        if (!meets(res.status, want))
          wrong.push(`${route.routeKey} as ${who}: ${res.status}, want ${want} ${res.text.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});
