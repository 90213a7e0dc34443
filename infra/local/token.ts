/**
 * `npm run -s token -- --user <name> [--process change,release,deployment] [--admin] [--team <id>] [--group <id>]`
 *
 * Prints one JWT for the user and nothing else. Like an administrator would, it first creates or
 * updates the user through the running API (PUT /users/{id}) and, when they are in no team yet,
 * adds them to the bootstrap release (or, for technicians, deployment) team — or to the team that
 * --team/--group names — so a fresh user can act at once. Needs `npm start` running, and the same
 * DATA_DIR and PORT as it (the start banner prints the command with them).
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROCESSES } from '../../functions/domain/actor.ts';
import { LOCAL_ISSUER } from './cloud.ts';
import { localIdentity } from './identity.ts';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    process: { type: 'string' },
    admin: { type: 'boolean', default: false },
    team: { type: 'string' },
    group: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help || !values.user) {
  process.stderr.write(
    'usage: npm run -s token -- --user <name> [--process change,release,deployment] [--admin] [--team <id>] [--group <id>]\n',
  );
  process.exit(values.help ? 0 : 2);
}
const user = values.user;
if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(user)) fail('--user must be 1-128 characters of A-Z a-z 0-9 _ . : -');
const processes = values.process
  ?.split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const p of processes ?? []) {
  if (!PROCESSES.includes(p as (typeof PROCESSES)[number]))
    fail(`unknown process "${p}" (use ${PROCESSES.join(', ')})`);
}

const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const api = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
try {
  await access(join(dataDir, 'signing-key.jwk.json'));
} catch {
  fail(
    `no signing key in ${dataDir}: start Release Desk first (npm start), and give this script the same DATA_DIR and PORT as npm start (its banner prints the exact command).`,
  );
}
const identity = await localIdentity({ dataDir, issuer: LOCAL_ISSUER });
const adminToken = await identity.issue('admin', { admin: true });

async function call(method: string, path: string, body?: unknown) {
  let res: Response;
  try {
    res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    fail(
      `the API at ${api} does not answer: is npm start running, on this PORT (${process.env.PORT ?? 3000}) and DATA_DIR (${dataDir})? Use the command its banner prints.`,
    );
  }
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

type Team = { id: string; kind: string; version: number; members: string[]; workGroups: { id: string }[] };

async function allTeams(): Promise<Team[]> {
  const teams: Team[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      'GET',
      `/teams?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (page.status !== 200) fail(`GET /teams answered ${page.status}: ${JSON.stringify(page.body)}`);
    teams.push(...(page.body.items as Team[]));
    cursor = page.body.nextCursor as string | undefined;
  } while (cursor);
  return teams;
}

if (user !== 'admin' || processes || values.admin) {
  // Create or update the user as an administrator would.
  const profile = { processes: processes ?? ['release'], admin: values.admin };
  let put = await call('PUT', `/users/${encodeURIComponent(user)}`, profile);
  if (put.status === 409 && typeof put.body.currentVersion === 'number') {
    if (!processes && !values.admin) {
      put = { status: 200, body: {} }; // existing user, nothing asked to change
    } else {
      put = await call('PUT', `/users/${encodeURIComponent(user)}`, {
        ...profile,
        expectedVersion: put.body.currentVersion,
      });
    }
  }
  if (put.status >= 300) fail(`PUT /users/${user} answered ${put.status}: ${JSON.stringify(put.body)}`);

  const teams = await allTeams();
  const held = processes ?? ['release'];
  const wanted = values.team
    ? teams.find((t) => t.id === values.team)
    : values.group
      ? teams.find((t) => t.workGroups.some((g) => g.id === values.group))
      : teams.find(
          (t) =>
            t.id ===
            (held.includes('release') || held.includes('change') ? 'team_release' : 'team_deployment'),
        );
  if ((values.team || values.group) && !wanted)
    fail(`no team ${values.team ?? `with work group ${values.group}`}`);
  // Without --team/--group, only a user in no team yet is put in a bootstrap team.
  const explicit = values.team !== undefined || values.group !== undefined;
  const inSomeTeam = teams.some((t) => t.members.includes(user));
  if (wanted && !wanted.members.includes(user) && (explicit || !inSomeTeam)) {
    const patch = await call('PATCH', `/teams/${wanted.id}`, {
      members: [...wanted.members, user],
      expectedVersion: wanted.version,
    });
    if (patch.status >= 300)
      fail(`PATCH /teams/${wanted.id} answered ${patch.status}: ${JSON.stringify(patch.body)}`);
  }
}

process.stdout.write(`${await identity.issue(user, { admin: values.admin || user === 'admin' })}\n`);
