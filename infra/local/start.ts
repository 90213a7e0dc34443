/**
 * `npm start`: runs all of Release Desk on this machine until Ctrl-C.
 */
import { resolve } from 'node:path';
import { startLocalCloud } from './cloud.ts';
import { JavaMissingError } from './dynamodb-local.ts';

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

const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const apiPort = port('PORT', 3000);

try {
  const cloud = await startLocalCloud({
    dataDir,
    apiPort,
    dynamoPort: port('DYNAMODB_PORT', 8000),
    sfnPort: port('SFN_PORT', 8083),
    eventsPort: port('EVENTS_PORT', 8088),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Release Desk…`);
    await cloud.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const local = (url: string) => url.replace('127.0.0.1', 'localhost');
  // The helper scripts must reach this instance: give them its settings, spelled out.
  const quoted = (v: string) => (/[\s"'$`\\]/.test(v) ? `'${v.replace(/'/g, `'\\''`)}'` : v);
  const setting = (name: string, value: string | undefined) =>
    value === undefined || value === '' ? '' : `${name}=${quoted(value)} `;
  const tokenEnv = `${setting('PORT', process.env.PORT)}${process.env.DATA_DIR ? setting('DATA_DIR', dataDir) : ''}`;
  const eventsEnv = setting('EVENTS_PORT', process.env.EVENTS_PORT);
  console.log(`Release Desk is running on the embedded local cloud (data in ${dataDir}).

  API              ${local(cloud.apiUrl)}   (GET /health, GET /openapi.json)
  Step Functions   ${local(cloud.sfnEndpoint)}   (aws stepfunctions … --endpoint-url ${local(cloud.sfnEndpoint)})
  EventBridge      ${local(cloud.eventsEndpoint)}   (watch events: ${eventsEnv}npm run events)
  DynamoDB Local   ${local(cloud.dynamoEndpoint)}   (table ${cloud.tableName}, 127.0.0.1 only)

Get a token (in another terminal, with these same settings):
  TOKEN=$(${tokenEnv}npm run -s token -- --user alice --process release)
  curl -H "Authorization: Bearer $TOKEN" ${local(cloud.apiUrl)}/releases

Press Ctrl-C to stop.`);
} catch (error) {
  if (error instanceof JavaMissingError) {
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
