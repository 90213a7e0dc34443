/**
 * The operator console: sign-in, the lists of releases and RFCs and the technician queue, and the
 * router to the other views (release.tsx, change.tsx, calendar.tsx, executions.tsx). Hash routes
 * (`#/releases/<id>`) so that any static host serves it without rewrites. It talks to the public API only (api.ts).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiProblem,
  api,
  type Change,
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
import { ChangeDetail } from './change.tsx';
import { applyConfig, hostedUi, loadConfig } from './config.ts';
import { Executions, ExecutionsNavLink } from './executions.tsx';
import { ReleaseDetail } from './release.tsx';
import { formatTime, ProblemAlert, useFilteredList, useLoad } from './ui.tsx';

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
                  <td>
                    <a href={`#/changes/${encodeURIComponent(c.id)}`}>{c.title}</a>
                  </td>
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
  const changeId = /^#\/changes\/(.+)$/.exec(route)?.[1];
  return (
    <>
      <header>
        <nav aria-label="Console">
          <a href="#/releases" aria-current={route.startsWith('#/releases') ? 'page' : undefined}>
            Releases
          </a>
          <a href="#/changes" aria-current={route.startsWith('#/changes') ? 'page' : undefined}>
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
        // Keyed by id: another release's page is a fresh one, never the last one's data and prompts.
        <ReleaseDetail key={releaseId} id={decodeURIComponent(releaseId)} />
      ) : changeId ? (
        <ChangeDetail key={changeId} id={decodeURIComponent(changeId)} />
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
