// Creates a release and moves it with the typed client (docs/api.md, "From TypeScript").
// Run from the repository root: RELEASE_DESK_TOKEN=$(npm run -s token -- --user rm --process release) npx node docs/examples/client.ts
import { asProblem, createReleaseDeskClient } from '../../client/index.ts';

const api = createReleaseDeskClient({
  // npm start's API: PORT as it takes it, or any address (AWS: the stack's ApiUrl) in RELEASE_DESK_URL.
  baseUrl: process.env.RELEASE_DESK_URL ?? `http://localhost:${process.env.PORT ?? 3000}`,
  token: process.env.RELEASE_DESK_TOKEN ?? '',
});

// Every path, body and answer is typed from openapi.json: a misspelt field does not compile.
const created = await api.POST('/releases', {
  body: {
    title: 'Payroll 4.3',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    plannedStart: '2027-03-02T20:00:00Z',
    plannedEnd: '2027-03-02T23:00:00Z',
  },
  params: { header: { 'Idempotency-Key': `payroll-4.3-${Date.now()}` } },
});
if (created.error) throw new Error(JSON.stringify(created.error));
const release = created.data;
console.log(release.id, release.stage, release.version);

// A refusal is typed too: a problem (RFC 9457; in AWS a token API Gateway refuses is its own
// `{ message }`, hence asProblem) with the status, the type and what the refusal is about.
const skipped = await api.POST('/releases/{id}/transitions', {
  params: { path: { id: release.id } },
  body: { to: 'Closure', expectedVersion: release.version },
});
if (skipped.error) console.log(skipped.response.status, asProblem(skipped.error)?.type);

// Wait up to 3 seconds for the execution to be in the new stage before the answer (`Prefer: wait`).
const moved = await api.POST('/releases/{id}/transitions', {
  params: { path: { id: release.id }, header: { Prefer: 'wait=3' } },
  body: { to: 'Development', expectedVersion: release.version },
});
console.log(moved.data?.stage, moved.data?.execution.inStep);

// Pages: follow `nextCursor` until there is none.
let cursor: string | undefined;
let count = 0;
do {
  const page = await api.GET('/releases', {
    params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
  });
  if (page.error) throw new Error(JSON.stringify(page.error));
  count += page.data.items.length;
  cursor = page.data.nextCursor;
} while (cursor);
console.log(`${count} releases`);
