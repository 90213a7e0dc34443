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
import {
  Choice,
  formatTime,
  ListTable,
  ProblemAlert,
  Table,
  TextField,
  useFilteredList,
  useLoad,
} from './ui.tsx';

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
          <Choice
            id="sign-in-user"
            label="User"
            value={chosen}
            onValue={setUser}
            options={users.data.map((u: LocalUser) => ({
              value: u.id,
              label: `${u.id} (${[...u.processes, ...(u.admin ? ['admin'] : [])].join(', ') || 'no process'})`,
            }))}
          />
          <button type="submit" disabled={!chosen}>
            Sign in
          </button>
        </form>
      ) : null}
      <form onSubmit={usePasted} class="card">
        <h2>Paste a token</h2>
        <TextField id="sign-in-token" label="Access token" rows={3} value={token} onValue={setToken} />
        <button type="submit">Use this token</button>
      </form>
    </main>
  );
}

const STATUSES = ['', 'active', 'closed', 'cancelled', 'backed-out', 'failed'];

function Releases() {
  const { bind, apply, list } = useFilteredList({ status: 'active', stage: '', teamId: '' }, (query) =>
    api<Page<Release>>('GET', `/releases?${query}`).then((page) => page.items),
  );
  return (
    <main id="main">
      <h1>Releases</h1>
      <form class="filters" onSubmit={apply}>
        <Choice id="filter-status" label="Status" options={STATUSES} {...bind('status')} />
        <TextField id="filter-stage" label="Stage" {...bind('stage')} />
        <TextField id="filter-team" label="Team" {...bind('teamId')} />
        <button type="submit">Filter</button>
      </form>
      <ListTable
        list={list}
        empty="No releases match."
        caption="Releases, newest first"
        hideCaption
        columns={['Title', 'Stage', 'Status', 'Team', 'Planned start']}
        rowKey={(r) => r.id}
        cells={(r) => [
          <a href={`#/releases/${encodeURIComponent(r.id)}`}>{r.title}</a>,
          r.stage,
          r.status,
          r.teamId ?? '—',
          r.plannedStart ? formatTime(r.plannedStart) : '—',
        ]}
      />
    </main>
  );
}

const CHANGE_TYPES = ['', 'standard', 'normal', 'emergency'];

/** RFCs with the API's filters (state, type); newest first. */
function Changes() {
  const { bind, apply, list } = useFilteredList({ state: '', type: '' }, (query) =>
    api<Page<Change>>('GET', `/changes?${query}`).then((page) => page.items),
  );
  return (
    <main id="main">
      <h1>RFCs</h1>
      <form class="filters" onSubmit={apply}>
        <TextField id="filter-state" label="State" {...bind('state')} />
        <Choice id="filter-type" label="Type" options={CHANGE_TYPES} {...bind('type')} />
        <button type="submit">Filter</button>
      </form>
      <ListTable
        list={list}
        empty="No RFCs match."
        caption="RFCs, newest first"
        hideCaption
        columns={['Title', 'Type', 'State', 'Risk', 'Planned start']}
        rowKey={(c) => c.id}
        cells={(c) => [
          <a href={`#/changes/${encodeURIComponent(c.id)}`}>{c.title}</a>,
          c.type,
          c.state,
          c.risk,
          c.plannedStart ? formatTime(c.plannedStart) : '—',
        ]}
      />
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
  const table = (caption: string, tasks: Task[], actions: ('start' | 'complete' | 'fail')[]) =>
    tasks.length ? (
      <Table
        caption={caption}
        columns={['Task', 'Release', 'Work group', 'Status', 'Actions']}
        rows={tasks}
        rowKey={(t) => t.id}
        cells={(t) => [
          t.title,
          <a href={`#/releases/${encodeURIComponent(t.releaseId)}`}>{t.releaseId}</a>,
          t.workGroupId,
          t.status,
          actions.map((a) => (
            <button type="button" key={a} onClick={() => act(t, a)}>
              {a === 'start' ? 'Start' : a === 'complete' ? 'Complete' : 'Fail'}{' '}
              <span class="visually-hidden">{t.title}</span>
            </button>
          )),
        ]}
      />
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
          <TextField
            id="fail-reason"
            label="Why a task failed (for Fail)"
            value={failReason}
            onValue={setFailReason}
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
