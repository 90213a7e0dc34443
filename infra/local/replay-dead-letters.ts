/**
 * `npm run replay-dead-letters`: puts every event in the local bus's dead-letter list
 * (`GET /_local/dead-letters`) on the bus again and empties the list, once what made the
 * deliveries fail is fixed. Prints what it replays, with each dead letter's reason. Reaches the
 * local EventBridge of `npm start` at `http://127.0.0.1:${EVENTS_PORT ?? 8088}`.
 * In AWS the dead letters are SQS queues: see docs/operations.md for their redrive.
 */
const port = process.env.EVENTS_PORT ?? '8088';
const base = `http://127.0.0.1:${port}`;

interface Letter {
  readonly event: { readonly id: string; readonly 'detail-type': string; readonly resources: string[] };
  readonly rule: string;
  readonly target: string;
  readonly error: string;
  readonly attempts: number;
}

let letters: Letter[];
try {
  letters = ((await (await fetch(`${base}/_local/dead-letters`)).json()) as { deadLetters: Letter[] })
    .deadLetters;
} catch {
  console.error(
    `Nothing is listening on ${base}.\n` +
      'Start the local cloud first (`npm start`), or set EVENTS_PORT to the port its EventBridge uses.',
  );
  process.exit(1);
}
if (letters.length === 0) {
  console.log('No dead letters.');
  process.exit(0);
}
for (const l of letters)
  console.log(
    `${l.event['detail-type']} ${l.event.resources.join(' ')} → ${l.rule}/${l.target}: ${l.error} (${l.attempts} attempts)`,
  );
const res = await fetch(`${base}/_local/dead-letters/replay`, { method: 'POST' });
if (!res.ok) {
  console.error(`Replay failed: ${res.status} ${await res.text()}`);
  process.exit(1);
}
const { replayed } = (await res.json()) as { replayed: number };
console.log(`Replayed ${replayed} event(s) from ${letters.length} dead letter(s).`);
