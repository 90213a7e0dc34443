/**
 * The local Step Functions service in a process of its own, for the crash tests
 * (`crash-after-ack.test.ts`): `node service-runner.ts <dataDir>`.
 *
 * Prints one JSON object per line on stdout: `{ "ready": endpoint }` once it listens, and
 * `{ "invoked": { functionName, payload } }` for every function the service invokes (each function
 * returns `{ ok: true }`). With `SFN_TEST_RENAME_DELAY_MS` set, every `rename` (the step that commits an
 * atomic write) waits that long first: a slow disk, so whatever the service does not await before it
 * answers is still missing when the test kills the process the moment the answer arrives.
 */
import { promises as fsPromises } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: service-runner.ts <dataDir>');

const renameDelayMs = Number(process.env.SFN_TEST_RENAME_DELAY_MS ?? '0');
if (renameDelayMs > 0) {
  const rename = fsPromises.rename;
  Object.assign(fsPromises, {
    rename: async (from: string, to: string) => {
      await sleep(renameDelayMs);
      return rename(from, to);
    },
  });
  // Named imports of node:fs/promises (the service's) are bindings of their own; this re-points them.
  syncBuiltinESMExports();
}

const print = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

// Imported only now, so that the service binds the slowed rename.
const { startLocalStepFunctions } = await import('#local/stepfunctions/index');
const sfn = await startLocalStepFunctions({
  dataDir,
  invokeFunction: async (functionName, payload) => {
    print({ invoked: { functionName, payload } });
    return { ok: true };
  },
});
print({ ready: sfn.endpoint });
