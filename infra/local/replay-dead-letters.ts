/**
 * `npm run replay-dead-letters`: puts every event in the local bus's dead-letter list
 * (`GET /_local/dead-letters`) on the bus again, invokes each consumer again with each event it
 * kept failing on (`GET /_local/failed-invocations`), and empties both lists, once what made them
 * fail is fixed. Prints what it replays, with each dead letter's reason. Reaches the
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

interface Failed {
  readonly requestContext: { readonly functionArn: string; readonly approximateInvokeCount: number };
  readonly requestPayload: { readonly 'detail-type'?: string; readonly resources?: string[] };
  readonly responsePayload: { readonly errorMessage: string };
}

let letters: Letter[];
let failed: Failed[];
try {
  letters = ((await (await fetch(`${base}/_local/dead-letters`)).json()) as { deadLetters: Letter[] })
    .deadLetters;
  failed = (
    (await (await fetch(`${base}/_local/failed-invocations`)).json()) as { failedInvocations: Failed[] }
  ).failedInvocations;
} catch {
  console.error(
    `Nothing is listening on ${base}.\n` +
      'Start the local cloud first (`npm start`), or set EVENTS_PORT to the port its EventBridge uses.',
  );
  process.exit(1);
}
if (letters.length === 0 && failed.length === 0) {
  console.log('No dead letters, no failed invocations.');
  process.exit(0);
}
for (const l of letters)
  console.log(
    `${l.event['detail-type']} ${l.event.resources.join(' ')} → ${l.rule}/${l.target}: ${l.error} (${l.attempts} attempts)`,
  );
for (const f of failed)
  console.log(
    `${f.requestPayload['detail-type'] ?? 'event'} ${(f.requestPayload.resources ?? []).join(' ')} → ${f.requestContext.functionArn.split(':function:').pop()?.split(':')[0]}: ${f.responsePayload.errorMessage} (${f.requestContext.approximateInvokeCount} attempts)`,
  );
const res = await fetch(`${base}/_local/dead-letters/replay`, { method: 'POST' });
if (!res.ok) {
  console.error(`Replay failed: ${res.status} ${await res.text()}`);
  process.exit(1);
}
const { replayed, reinvoked } = (await res.json()) as { replayed: number; reinvoked: number };
console.log(
  `Replayed ${replayed} event(s) from ${letters.length} dead letter(s); invoked ${reinvoked} function(s) again for ${failed.length} failed invocation(s).`,
);
