/**
 * `npm start`: runs all of Release Desk on this machine until Ctrl-C.
 *
 * It stops cleanly (the local cloud's stop(), then exit) on Ctrl-C (SIGINT), SIGTERM and SIGHUP
 * (the terminal went away), and when the process that started it goes away: `kill <npm's pid>`
 * (as `kill %1` or a supervisor does) ends npm, and the `sh -c` it runs this through, but does not
 * reach this process, which would otherwise keep serving, and keep DynamoDB Local running, forever.
 */
import { resolve } from 'node:path';
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import { JavaMissingError, PortInUseError } from './dynamodb-local.ts';
import { createFaultInjector, type FaultInjector, FaultSpecError } from './faults.ts';
import { DataDirInUseError } from './instance-lock.ts';
import { logFormat, prettyLogs } from './log-format.ts';
import { parseTimeScale, TIME_SCALE_VARIABLE } from './stepfunctions/time-scale.ts';

/** How often the parent process is checked for. */
const PARENT_POLL_MS = 1_000;

// Once the parent is gone, so may be the reader of stdout/stderr: a write failing with EPIPE must
// not crash the stop under way.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/**
 * Calls `onGone` once this process is re-parented, i.e. its parent (npm, or the `sh -c` npm runs
 * this through) has exited. Polled: no signal tells a process that its parent died (Linux has
 * PR_SET_PDEATHSIG, but Node does not expose it, and it is Linux only).
 */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  // Started by init (a container's entry point, say): there is no parent to lose.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, PARENT_POLL_MS);
  // The servers keep this process alive; this check must not.
  timer.unref();
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a port number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

// LOG_FORMAT=pretty: the functions' JSON log lines rendered one readable line each (docs/operations.md).
try {
  if (logFormat() === 'pretty') prettyLogs();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const apiPort = port('PORT', 3000);
const dynamoPort = port('DYNAMODB_PORT', 8000);
const sfnPort = port('SFN_PORT', 8083);
const eventsPort = port('EVENTS_PORT', 8088);

// SFN_TIME_SCALE: how fast Step Functions waits and timeouts run (infra/local/stepfunctions/time-scale.ts).
let sfnTimeScale: number;
try {
  sfnTimeScale = parseTimeScale(process.env[TIME_SCALE_VARIABLE]);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

// FAULTS / FAULTS_SEED: fault injection for trying the retries out (docs/operations.md).
let faults: FaultInjector;
try {
  faults = createFaultInjector(process.env.FAULTS, process.env.FAULTS_SEED);
} catch (error) {
  if (!(error instanceof FaultSpecError)) throw error;
  console.error(error.message);
  process.exit(2);
}

let cloud: LocalCloud | undefined;
let stopping = false;
const stop = async (reason: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping Release Desk…`);
  // Still starting: there is nothing to stop cleanly yet. Exiting kills DynamoDB Local (an 'exit'
  // listener of dynamodb-local.ts; failing that, it exits when its stdin pipe from here closes).
  if (!cloud) process.exit(1);
  await cloud.stop();
  console.log('Stopped.');
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
watchParent(() => void stop('The parent process is gone'));

try {
  cloud = await startLocalCloud({ dataDir, apiPort, dynamoPort, sfnPort, eventsPort, faults, sfnTimeScale });
  const local = (url: string) => url.replace('127.0.0.1', 'localhost');
  // The helper scripts must reach this instance: give them its settings, spelled out.
  const quoted = (v: string) => (/[\s"'$`\\]/.test(v) ? `'${v.replace(/'/g, `'\\''`)}'` : v);
  const setting = (name: string, value: string | undefined) =>
    value === undefined || value === '' ? '' : `${name}=${quoted(value)} `;
  const tokenEnv = `${setting('PORT', process.env.PORT)}${process.env.DATA_DIR ? setting('DATA_DIR', dataDir) : ''}`;
  const eventsEnv = setting('EVENTS_PORT', process.env.EVENTS_PORT);
  console.log(`Release Desk is running on the embedded local cloud (data in ${dataDir}).

  API              ${local(cloud.apiUrl)}   (GET /health, GET /openapi.json)
  Console          ${local(cloud.apiUrl)}/console/   (sign in by choosing a user)
  Step Functions   ${local(cloud.sfnEndpoint)}   (aws stepfunctions … --endpoint-url ${local(cloud.sfnEndpoint)})
  EventBridge      ${local(cloud.eventsEndpoint)}   (watch events: ${eventsEnv}npm run -s events)
  DynamoDB Local   ${local(cloud.dynamoEndpoint)}   (table ${cloud.tableName}, 127.0.0.1 only)

Get a token (in another terminal, with these same settings):
  TOKEN=$(${tokenEnv}npm run -s token -- --user alice --process release)
  curl -H "Authorization: Bearer $TOKEN" ${local(cloud.apiUrl)}/releases

Press Ctrl-C to stop.`);
  if (sfnTimeScale !== 1)
    console.log(
      `\n${TIME_SCALE_VARIABLE}=${sfnTimeScale}: Step Functions waits and timeouts run ${1 / sfnTimeScale} times as fast.`,
    );
  if (faults.enabled)
    console.log(
      `\nFAULTS are on: ${JSON.stringify(faults.faults)} (FAULTS_SEED=${faults.seed}). Dead letters: GET ${local(cloud.eventsEndpoint)}/_local/dead-letters, replay with ${eventsEnv}npm run replay-dead-letters.`,
    );
} catch (error) {
  if (error instanceof JavaMissingError) {
    console.error(error.message);
    process.exit(1);
  }
  // Names the variable and the likely culprit (a DynamoDB Local left behind by a crash), or the
  // process that holds the data dir.
  if (error instanceof PortInUseError || error instanceof DataDirInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      `A port is already in use (${(error as Error).message}). Is another npm start running? Set PORT, DYNAMODB_PORT, SFN_PORT or EVENTS_PORT.`,
    );
    process.exit(1);
  }
  console.error('Release Desk failed to start:', error);
  process.exit(1);
}
