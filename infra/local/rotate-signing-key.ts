/**
 * `npm run rotate-signing-key`: replaces the local cloud's token signing key (DATA_DIR/signing-key.jwk.json)
 * with a new one. Every token signed with the old key is refused (401) from the next `npm start`
 * on; get new ones with `npm run token` (or `npm run seed`).
 *
 * `npm start` reads the key once, when it starts, so a rotation under a running instance would
 * leave it accepting only old tokens while the scripts sign new ones: the script refuses while an
 * instance runs on DATA_DIR (its lock, infra/local/instance-lock.ts). The old private key is
 * deleted, not kept: nothing may sign with it again.
 */
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LOCAL_ISSUER } from './cloud.ts';
import { localIdentity } from './identity.ts';
import { runningInstance } from './instance-lock.ts';

function fail(message: string): never {
  process.stderr.write(`rotate-signing-key: ${message}\n`);
  process.exit(1);
}

const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const file = join(dataDir, 'signing-key.jwk.json');

let old: { kid?: string };
try {
  old = JSON.parse(await readFile(file, 'utf8')) as { kid?: string };
} catch {
  fail(`no signing key in ${dataDir} (give the same DATA_DIR as npm start; a first start makes one).`);
}
const running = runningInstance(dataDir);
if (running) {
  fail(
    `Release Desk runs on ${dataDir} (process ${running.pid}, since ${running.startedAt}): stop it first (Ctrl-C), rotate, then npm start again (it reads the key when it starts).`,
  );
}
await rm(file);
// A missing key file is what a first start finds: the identity makes and stores a new one.
const identity = await localIdentity({ dataDir, issuer: LOCAL_ISSUER });
const kid = identity.jwks.keys[0]?.kid;
process.stdout.write(
  `Signing key rotated in ${dataDir}: ${old.kid ?? '(no kid)'} → ${kid}. Tokens signed with the old key are refused from the next npm start on; get new ones with npm run token.\n`,
);
