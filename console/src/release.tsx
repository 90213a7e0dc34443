/**
 * A release's detail page: its facts, the workflow graph with the current stage lit, the moves open
 * to the caller (with reason prompts), its deployment tasks, the execution's events and the history.
 */
import { useState } from 'preact/hooks';
import { ApiProblem, api, type HistoryEntry, type Release } from './api.ts';
import type { WorkflowDefinitionLike } from './graph.ts';
import { formatTime, ProblemAlert, useLoad } from './ui.tsx';
import { WorkflowGraph } from './workflow-graph.tsx';

export interface Execution {
  readonly status: string;
  readonly currentState: string | null;
  readonly events: readonly { id: number; type: string; timestamp: string | null; state?: string }[];
}

export interface Workflow {
  readonly definition: WorkflowDefinitionLike;
}

export function ReleaseDetail({ id }: { id: string }) {
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
      <WorkflowGraph
        subject="release"
        definition={workflow.definition}
        current={release.stage}
        history={history}
      />
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
