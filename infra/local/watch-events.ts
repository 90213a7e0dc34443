/**
 * `npm run events [-- --pretty]`: prints every event the local EventBridge accepts, live, one JSON
 * line each (or pretty-printed with `--pretty`). Reads the bus's Server-Sent Events stream at
 * `http://127.0.0.1:${EVENTS_PORT ?? 8088}/_local/events/stream`.
 */
import { readServerSentEvents } from './eventbridge/sse-client.ts';

const port = process.env.EVENTS_PORT ?? '8088';
const url = `http://127.0.0.1:${port}/_local/events/stream`;
const pretty = process.argv.includes('--pretty');

let response: Response;
try {
  response = await fetch(url, { headers: { accept: 'text/event-stream' } });
} catch {
  console.error(
    `Nothing is listening on ${url}.\n` +
      'Start the local cloud first (`npm start`), or set EVENTS_PORT to the port its EventBridge uses.',
  );
  process.exit(1);
}
if (!response.ok || !response.body) {
  console.error(`${url} answered ${response.status} ${response.statusText}: is that the local EventBridge?`);
  process.exit(1);
}

console.error(`Watching events on ${url} (Ctrl+C to stop)…`);
try {
  for await (const data of readServerSentEvents(response.body)) {
    console.log(pretty ? JSON.stringify(JSON.parse(data), null, 2) : data);
  }
  console.error('The local EventBridge closed the stream.');
} catch (error) {
  console.error(`Lost the event stream: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
