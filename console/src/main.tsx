/**
 * The operator console: sign-in, releases (list, detail with the workflow graph, history, moves and
 * tasks) and the technician queue. Hash routes (`#/releases/<id>`) so that any static host serves
 * it without rewrites. It talks to the public API only (api.ts).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiProblem,
  api,
  type Change,
  type HistoryEntry,
  type LocalUser,
  localSignIn,
  type Page,
  type Release,
  session,
  type Task,
  usernameOf,
} from './api.ts';
import { beginSignIn, logoutUrl, noteSignInError, resumeSignIn, signInError } from './auth.ts';
import { Calendar } from './calendar.tsx';
import { applyConfig, hostedUi, loadConfig } from './config.ts';
import { Executions, ExecutionsNavLink } from './executions.tsx';
import {
  edgeKey,
  layoutWorkflow,
  NODE_HEIGHT,
  NODE_WIDTH,
  takenTransitions,
  type WorkflowDefinitionLike,
} from './graph.ts';
import { ArrowMarker, ProblemAlert, useFilteredList, useLoad } from './ui.tsx';

function useRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/releases');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/releases');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const ui = hostedUi();
  // In AWS there is no local sign-in to ask (its routes exist only on the local cloud).
  const users = useLoad(() => (ui ? Promise.resolve(undefined) : localSignIn.users()), []);
  const [user, setUser] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const chosen = user || users.data?.[0]?.id || '';
  const signInAs = async (e: Event) => {
    e.preventDefault();
    try {
      session.set(await localSignIn.signIn(chosen), chosen);
      onSignedIn();
    } catch (err) {
      setError(err);
    }
  };
  const usePasted = (e: Event) => {
    e.preventDefault();
    const name = usernameOf(token.trim());
    if (!name) {
      setError(new ApiProblem(400, 'Not a token', 'Paste an access token (three dot-separated parts).'));
      return;
    }
    session.set(token.trim(), name);
    onSignedIn();
  };
  return (
    <main id="main">
      <h1>Sign in to Release Desk</h1>
      <ProblemAlert error={error ?? users.error ?? signInError()} />
      {ui ? (
        <div class="card">
          <h2>Sign in with your organisation's account</h2>
          <button type="button" onClick={() => beginSignIn(ui).catch(setError)}>
            Sign in
          </button>
        </div>
      ) : null}
      {users.data ? (
        <form onSubmit={signInAs} class="card">
          <h2>Local cloud: choose a user</h2>
          <label for="sign-in-user">User</label>
          <select
            id="sign-in-user"
            value={chosen}
            onChange={(e) => setUser((e.currentTarget as HTMLSelectElement).value)}
          >
            {users.data.map((u: LocalUser) => (
              <option value={u.id} key={u.id}>
                {u.id} ({[...u.processes, ...(u.admin ? ['admin'] : [])].join(', ') || 'no process'})
              </option>
            ))}
          </select>
          <button type="submit" disabled={!chosen}>
            Sign in
          </button>
        </form>
      ) : null}
      <form onSubmit={usePasted} class="card">
        <h2>Paste a token</h2>
        <label for="sign-in-token">Access token</label>
        <textarea
          id="sign-in-token"
          rows={3}
          value={token}
          onInput={(e) => setToken((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <button type="submit">Use this token</button>
      </form>
    </main>
  );
}

const STATUSES = ['', 'active', 'closed', 'cancelled', 'backed-out', 'failed'];

function Releases() {
  const { filters, field, apply, list } = useFilteredList(
    { status: 'active', stage: '', teamId: '' },
    (query) => api<Page<Release>>('GET', `/releases?${query}`),
  );
  return (
    <main id="main">
      <h1>Releases</h1>
      <form class="filters" onSubmit={apply}>
        <label for="filter-status">Status</label>
        <select id="filter-status" value={filters.status} onChange={field('status')}>
          {STATUSES.map((s) => (
            <option value={s} key={s}>
              {s || 'any'}
            </option>
          ))}
        </select>
        <label for="filter-stage">Stage</label>
        <input id="filter-stage" value={filters.stage} onInput={field('stage')} />
        <label for="filter-team">Team</label>
        <input id="filter-team" value={filters.teamId} onInput={field('teamId')} />
        <button type="submit">Filter</button>
      </form>
      <ProblemAlert error={list.error} />
      {list.data ? (
        list.data.items.length === 0 ? (
          <p>No releases match.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Releases, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Stage</th>
                <th scope="col">Status</th>
                <th scope="col">Team</th>
                <th scope="col">Planned start</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`#/releases/${encodeURIComponent(r.id)}`}>{r.title}</a>
                  </td>
                  <td>{r.stage}</td>
                  <td>{r.status}</td>
                  <td>{r.teamId ?? '—'}</td>
                  <td>{r.plannedStart ? formatTime(r.plannedStart) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : list.loading ? (
        <p>Loading…</p>
      ) : null}
    </main>
  );
}

const CHANGE_TYPES = ['', 'standard', 'normal', 'emergency'];

/** RFCs with the API's filters (state, type); newest first. */
function Changes() {
  const { filters, field, apply, list } = useFilteredList({ state: '', type: '' }, (query) =>
    api<Page<Change>>('GET', `/changes?${query}`),
  );
  return (
    <main id="main">
      <h1>RFCs</h1>
      <form class="filters" onSubmit={apply}>
        <label for="filter-state">State</label>
        <input id="filter-state" value={filters.state} onInput={field('state')} />
        <label for="filter-type">Type</label>
        <select id="filter-type" value={filters.type} onChange={field('type')}>
          {CHANGE_TYPES.map((t) => (
            <option value={t} key={t}>
              {t || 'any'}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      <ProblemAlert error={list.error} />
      {list.data ? (
        list.data.items.length === 0 ? (
          <p>No RFCs match.</p>
        ) : (
          <table>
            <caption class="visually-hidden">RFCs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Type</th>
                <th scope="col">State</th>
                <th scope="col">Risk</th>
                <th scope="col">Planned start</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id}>
                  <td>{c.title}</td>
                  <td>{c.type}</td>
                  <td>{c.state}</td>
                  <td>{c.risk}</td>
                  <td>{c.plannedStart ? formatTime(c.plannedStart) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : list.loading ? (
        <p>Loading…</p>
      ) : null}
    </main>
  );
}

function formatTime(iso: string): string {
  return `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

interface Execution {
  readonly status: string;
  readonly currentState: string | null;
  readonly events: readonly { id: number; type: string; timestamp: string | null; state?: string }[];
}

interface Workflow {
  readonly definition: WorkflowDefinitionLike;
}

function WorkflowGraph({
  definition,
  current,
  history,
}: {
  definition: WorkflowDefinitionLike;
  current: string;
  history: readonly HistoryEntry[];
}) {
  const layout = layoutWorkflow(definition);
  const taken = takenTransitions(history);
  const at = new Map(layout.nodes.map((n) => [n.name, n]));
  const visited = new Set(history.flatMap((h) => [h.from, h.to]).filter(Boolean));
  // Gated edges carry a short mark (G1, G2…) on the drawing; the caption spells each one out.
  const gated = layout.edges.filter((e) => e.gates.length > 0);
  const gateMark = new Map(gated.map((e, i) => [edgeKey(e.from, e.to), `G${i + 1}`]));
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide workflow scrolls sideways, and a keyboard user must be able to scroll it (axe: scrollable-region-focusable, WCAG 2.1.1).
    <figure class="graph" tabIndex={0}>
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        height={layout.height}
        role="img"
        aria-labelledby="graph-caption"
      >
        <title>The release's workflow as a graph</title>
        <ArrowMarker id="arrow" />
        {layout.edges.map((e) => {
          const a = at.get(e.from);
          const b = at.get(e.to);
          if (!a || !b) return null;
          const forward = b.column > a.column;
          const x1 = forward ? a.x + NODE_WIDTH : a.x + NODE_WIDTH / 2;
          const y1 = forward ? a.y + NODE_HEIGHT / 2 : a.y + NODE_HEIGHT;
          const x2 = forward ? b.x : b.x + NODE_WIDTH / 2;
          const y2 = forward ? b.y + NODE_HEIGHT / 2 : b.y + NODE_HEIGHT;
          // A move back (or sideways) bends below the nodes so it does not cross them.
          const d = forward
            ? `M${x1},${y1} L${x2},${y2}`
            : `M${x1},${y1} C${x1},${y1 + 40} ${x2},${y2 + 40} ${x2},${y2}`;
          const isTaken = taken.has(edgeKey(e.from, e.to));
          const mark = gateMark.get(edgeKey(e.from, e.to));
          return (
            <g key={edgeKey(e.from, e.to)}>
              <path
                d={d}
                class={isTaken ? 'edge taken' : 'edge'}
                marker-end="url(#arrow)"
                data-edge={edgeKey(e.from, e.to)}
              >
                <title>
                  {e.from} → {e.to}
                  {isTaken ? ' (taken)' : ''}
                  {e.gates.length ? `, gates: ${e.gates.join(', ')}` : ''}
                </title>
              </path>
              {mark && forward ? (
                <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 6} text-anchor="middle" class="gate-mark">
                  {mark}
                </text>
              ) : null}
            </g>
          );
        })}
        {layout.nodes.map((n) => {
          const isCurrent = n.name === current;
          return (
            <g
              key={n.name}
              class={isCurrent ? 'node current' : visited.has(n.name) ? 'node visited' : 'node'}
            >
              <rect x={n.x} y={n.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
              <text x={n.x + NODE_WIDTH / 2} y={n.y + (isCurrent ? 18 : 27)} text-anchor="middle">
                {n.name}
              </text>
              {isCurrent ? (
                <text x={n.x + NODE_WIDTH / 2} y={n.y + 36} text-anchor="middle" class="label">
                  current
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption id="graph-caption">
        Workflow: now in <strong>{current}</strong> (current). Taken transitions:{' '}
        {taken.size ? [...taken].join(', ') : 'none yet'}.
        {gated.length ? (
          <ul class="gates" data-testid="gates">
            {gated.map((e) => (
              <li key={edgeKey(e.from, e.to)}>
                {gateMark.get(edgeKey(e.from, e.to))} {e.from} → {e.to}: gates {e.gates.join(', ')}
              </li>
            ))}
          </ul>
        ) : null}
      </figcaption>
    </figure>
  );
}

function ReleaseDetail({ id }: { id: string }) {
  const path = `/releases/${encodeURIComponent(id)}`;
  const data = useLoad(async () => {
    const [release, history, execution] = await Promise.all([
      api<Release>('GET', path),
      api<{ items: HistoryEntry[] }>('GET', `${path}/history`),
      api<Execution>('GET', `${path}/execution`).catch((error: unknown) => ({ error })),
    ]);
    const workflow = await api<Workflow>(
      'GET',
      `/workflows/${encodeURIComponent(release.workflow.id)}?version=${release.workflow.version}`,
    );
    return { release, history: history.items, execution, workflow };
  }, [id]);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  if (data.error)
    return (
      <main id="main">
        <h1>Release {id}</h1>
        <ProblemAlert error={data.error} />
      </main>
    );
  if (!data.data)
    return (
      <main id="main">
        <p>Loading…</p>
      </main>
    );
  const { release, history, execution, workflow } = data.data;
  const move = async (to: string, requiresReason: boolean) => {
    setError(undefined);
    setNotice('');
    if (requiresReason && !reason.trim()) {
      setError(new ApiProblem(400, 'A reason is needed', `Moving to ${to} needs a reason: write it above.`));
      return;
    }
    setBusy(true);
    try {
      // Prefer: wait — answered once the execution is in the new stage, so the graph and the
      // execution shown after the reload agree.
      await api(
        'POST',
        `${path}/transitions`,
        { to, expectedVersion: release.version, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        { prefer: 'wait=5' },
      );
      setReason('');
      setNotice(`Moved to ${to}.`);
      data.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main">
      <p>
        <a href="#/releases">← All releases</a>
      </p>
      <h1>{release.title}</h1>
      <dl class="facts">
        <dt>Stage</dt>
        <dd data-testid="stage">{release.stage}</dd>
        <dt>Status</dt>
        <dd>{release.status}</dd>
        <dt>Execution</dt>
        <dd data-testid="execution">
          {'error' in execution
            ? `unavailable (${(execution.error as Error).message})`
            : `${execution.status}, in state ${execution.currentState ?? '—'}`}
        </dd>
        <dt>Type, urgency</dt>
        <dd>
          {release.releaseType}, {release.urgency}
        </dd>
        <dt>Planned</dt>
        <dd>
          {release.plannedStart ? formatTime(release.plannedStart) : '—'} –{' '}
          {release.plannedEnd ? formatTime(release.plannedEnd) : '—'}
        </dd>
        <dt>Blackout conflicts</dt>
        <dd>{release.blackoutConflicts?.length ?? 0}</dd>
      </dl>
      <WorkflowGraph definition={workflow.definition} current={release.stage} history={history} />
      <section aria-labelledby="moves-heading">
        <h2 id="moves-heading">Moves</h2>
        <ProblemAlert error={error} />
        <p role="status">{notice}</p>
        {release.allowedTransitions?.length ? (
          <>
            <label for="move-reason">Reason (needed where marked)</label>
            <input
              id="move-reason"
              value={reason}
              onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)}
            />
            <ul class="moves">
              {release.allowedTransitions.map((t) => (
                <li key={t.to}>
                  <button type="button" disabled={busy} onClick={() => move(t.to, t.requiresReason === true)}>
                    Move to {t.to}
                  </button>
                  {t.requiresReason ? ' (reason needed)' : ''}
                  {t.unmetGates?.length ? ` — unmet gates: ${t.unmetGates.join(', ')}` : ''}
                  {t.approvals ? ` — approvals ${t.approvals.have}/${t.approvals.required}` : ''}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p>No moves open to you now.</p>
        )}
      </section>
      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading">Deployment tasks</h2>
        {release.tasks?.length ? (
          <ul>
            {release.tasks.map((t) => (
              <li key={t.id}>
                {t.title} — <span class={`status status-${t.status}`}>{t.status}</span> ({t.workGroupId}
                {t.assignee ? `, held by ${t.assignee}` : ''})
              </li>
            ))}
          </ul>
        ) : (
          <p>No deployment tasks.</p>
        )}
      </section>
      {'error' in execution ? null : (
        <details>
          <summary>Execution events ({execution.events.length})</summary>
          <table data-testid="execution-events">
            <caption class="visually-hidden">The execution's event history, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">At</th>
              </tr>
            </thead>
            <tbody>
              {execution.events.map((e) => (
                <tr key={e.id}>
                  <td>{e.id}</td>
                  <td>{e.type}</td>
                  <td>{e.state ?? ''}</td>
                  <td>{e.timestamp ? formatTime(e.timestamp) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <ol class="timeline" data-testid="history">
          {history.map((h) => (
            <li key={h.id}>
              <time dateTime={h.occurredAt}>{formatTime(h.occurredAt)}</time> <strong>{h.type}</strong>
              {h.from || h.to ? ` ${h.from ?? '∅'} → ${h.to ?? '∅'}` : ''} by {h.actor}
              {h.reason ? `: “${h.reason}”` : ''}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}

function Queue() {
  const me = session.user();
  const queue = useLoad(async () => {
    // A queue is a work group's: the caller's groups come from their own user record.
    const user = await api<{ workGroupIds: string[] }>('GET', `/users/${encodeURIComponent(me ?? '')}`);
    const [mine, ...queues] = await Promise.all([
      api<Page<Task>>('GET', '/tasks?assignee=me&limit=100'),
      ...user.workGroupIds.map((g) =>
        api<Page<Task>>('GET', `/tasks?group=${encodeURIComponent(g)}&status=ready&limit=100`),
      ),
    ]);
    return {
      ready: queues.flatMap((q) => q.items),
      mine: mine.items.filter((t) => t.status === 'in_progress'),
    };
  }, []);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [failReason, setFailReason] = useState('');
  const act = async (task: Task, verb: 'start' | 'complete' | 'fail') => {
    setError(undefined);
    setNotice('');
    if (verb === 'fail' && !failReason.trim()) {
      setError(new ApiProblem(400, 'A reason is needed', 'Write why the task failed above.'));
      return;
    }
    try {
      await api('POST', `/tasks/${encodeURIComponent(task.id)}/${verb}`, {
        expectedVersion: task.version,
        ...(verb === 'fail' ? { reason: failReason.trim() } : {}),
      });
      setNotice(
        `${task.title}: ${verb === 'start' ? 'started' : verb === 'complete' ? 'completed' : 'failed'}.`,
      );
      if (verb === 'fail') setFailReason('');
      queue.reload();
    } catch (err) {
      setError(err);
    }
  };
  const row = (t: Task, actions: ('start' | 'complete' | 'fail')[]) => (
    <tr key={t.id}>
      <td>{t.title}</td>
      <td>
        <a href={`#/releases/${encodeURIComponent(t.releaseId)}`}>{t.releaseId}</a>
      </td>
      <td>{t.workGroupId}</td>
      <td>{t.status}</td>
      <td>
        {actions.map((a) => (
          <button type="button" key={a} onClick={() => act(t, a)}>
            {a === 'start' ? 'Start' : a === 'complete' ? 'Complete' : 'Fail'}{' '}
            <span class="visually-hidden">{t.title}</span>
          </button>
        ))}
      </td>
    </tr>
  );
  const table = (caption: string, tasks: Task[], actions: ('start' | 'complete' | 'fail')[]) =>
    tasks.length ? (
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Release</th>
            <th scope="col">Work group</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>{tasks.map((t) => row(t, actions))}</tbody>
      </table>
    ) : (
      <p>{caption}: none.</p>
    );
  return (
    <main id="main">
      <h1>Technician queue{me ? ` of ${me}` : ''}</h1>
      <ProblemAlert error={error ?? queue.error} />
      <p role="status">{notice}</p>
      {queue.data ? (
        <>
          {table('Ready in my groups', queue.data.ready, ['start'])}
          <label for="fail-reason">Why a task failed (for Fail)</label>
          <input
            id="fail-reason"
            value={failReason}
            onInput={(e) => setFailReason((e.currentTarget as HTMLInputElement).value)}
          />
          {table('In progress, held by me', queue.data.mine, ['complete', 'fail'])}
        </>
      ) : (
        <p>Loading…</p>
      )}
    </main>
  );
}

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(session.token() !== null);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const releaseId = /^#\/releases\/(.+)$/.exec(route)?.[1];
  return (
    <>
      <header>
        <nav aria-label="Console">
          <a href="#/releases" aria-current={route.startsWith('#/releases') ? 'page' : undefined}>
            Releases
          </a>
          <a href="#/changes" aria-current={route === '#/changes' ? 'page' : undefined}>
            RFCs
          </a>
          <a href="#/queue" aria-current={route === '#/queue' ? 'page' : undefined}>
            Technician queue
          </a>
          <a href="#/calendar" aria-current={route === '#/calendar' ? 'page' : undefined}>
            Change calendar
          </a>
          <ExecutionsNavLink route={route} />
        </nav>
        <span>
          Signed in as <strong>{session.user()}</strong>{' '}
          <button
            type="button"
            onClick={() => {
              session.clear();
              const ui = hostedUi();
              // The hosted UI keeps its own session cookie: end it too, or "Sign in" comes straight back.
              if (ui) location.assign(logoutUrl(ui));
              else setSignedIn(false);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      {route.startsWith('#/executions') ? (
        <Executions route={route} />
      ) : releaseId ? (
        <ReleaseDetail id={decodeURIComponent(releaseId)} />
      ) : route === '#/queue' ? (
        <Queue />
      ) : route === '#/calendar' ? (
        <Calendar />
      ) : route === '#/changes' ? (
        <Changes />
      ) : (
        <Releases />
      )}
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  // The configuration decides where the API is and how to sign in, so it comes before the first render.
  loadConfig()
    .then(applyConfig)
    .then(() => resumeSignIn(hostedUi()))
    .catch(noteSignInError)
    .finally(() => {
      root.textContent = '';
      render(<App />, root);
    });
}
