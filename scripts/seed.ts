/**
 * `npm run seed [-- --url http://localhost:3000] [--quiet]`
 *
 * Loads the demo organisation (scripts/seed/organisation.ts) into the running local cloud through
 * its public API, then prints each demo user's token. Run it again at will: it changes nothing that
 * is already there. Tokens are signed with the local identity's key, as `npm run token` signs them,
 * so give it the same DATA_DIR (and PORT, unless --url or API_URL says where the API is) as
 * `npm start`.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_ISSUER } from '../infra/local/cloud.ts';
import { localIdentity } from '../infra/local/identity.ts';
import { SeedError, seedDemoOrganisation } from './seed/run.ts';

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write('usage: npm run seed [-- --url <API base URL>] [--quiet]\n');
  process.exit(0);
}

const api = values.url ?? process.env.API_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
try {
  await access(join(dataDir, 'signing-key.jwk.json'));
} catch {
  fail(
    `no signing key in ${dataDir}: start Release Desk first (npm start) and give the seed the same DATA_DIR.`,
  );
}
const identity = await localIdentity({ dataDir, issuer: LOCAL_ISSUER });
const say = (line: string) => {
  if (!values.quiet) process.stdout.write(`${line}\n`);
};

try {
  say(`Seeding the demo organisation into ${api} …`);
  const report = await seedDemoOrganisation({
    api,
    issue: (user, options) => identity.issue(user, options),
    log: (step) => say(`  ${step}`),
  });
  const c = report.counts;
  say(
    `\nDone in ${(report.durationMs / 1000).toFixed(1)} s: ${report.writes} writes in ${report.requests} requests` +
      (report.writes === 0 ? ' (everything was there already).' : '.') +
      `\n${c.users} users, ${c.teams} teams, ${c.cis} CIs, ${c.slas} SLAs, ${c.articles} KB articles, ${c.changes} RFCs, ${c.releases} releases with ${c.tasks} tasks.` +
      '\n\nTokens (valid 12 hours; run `npm run seed` again for fresh ones):',
  );
  const width = Math.max(...report.users.map((u) => u.id.length));
  for (const u of [{ id: 'admin', role: 'administrator' }, ...report.users]) {
    const jwt = await identity.issue(u.id, { admin: u.id === 'admin' });
    if (values.quiet) process.stdout.write(`${u.id} ${jwt}\n`);
    else say(`\n# ${u.id.padEnd(width)}  ${u.role}\n${u.id.toUpperCase()}=${jwt}`);
  }
  say(`\nTry: curl -s ${api}/releases -H "Authorization: Bearer $RAJ" | jq '.items[] | [.title, .stage]'`);
} catch (error) {
  if (error instanceof SeedError) fail(error.message);
  throw error;
}
