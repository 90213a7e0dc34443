/**
 * An RFC's detail page: its facts and blackout conflicts, the workflow graph with the current state
 * lit, the CAB's votes and the caller's vote, the moves open to the caller (with reason prompts),
 * the execution's status and the history. Fields as `GET /changes/{id}` gives them
 * (functions/http/contract/changes.ts).
 */
import { useState } from 'preact/hooks';
import {
  ApiProblem,
  api,
  type Change,
  type Execution,
  type HistoryEntry,
  historyOf,
  session,
  workflowOf,
} from './api.ts';
import { BlackoutConflicts, ciNames } from './conflicts.tsx';
import { formatTime, ProblemAlert, Table, TextField, useLoad } from './ui.tsx';
import { WorkflowGraph } from './workflow-graph.tsx';

export function ChangeDetail({ id }: { id: string }) {
  const path = `/changes/${encodeURIComponent(id)}`;
  const data = useLoad(async () => {
    const [change, history, execution] = await Promise.all([
      api<Change>('GET', path),
      historyOf<HistoryEntry & { data?: { decision?: unknown } }>(path),
      // The execution starts moments after the RFC is recorded: until then the page shows why not.
      api<Execution>('GET', `${path}/execution`).catch((error: unknown) => ({ error })),
    ]);
    // Both need only the RFC: read side by side.
    const [workflow, names] = await Promise.all([
      workflowOf(change.workflow),
      ciNames(change.blackoutConflicts ?? []),
    ]);
    return { change, history, execution, workflow, names };
  }, [id]);
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  if (!data.data)
    return (
      <main id="main">
        <h1>RFC {id}</h1>
        <ProblemAlert error={data.error} />
        {data.error ? null : <p>Loading…</p>}
      </main>
    );
  const { change, history, execution, workflow, names } = data.data;
  const me = session.user();
  /** Sends one write, then reads the page again; a refusal shows as the problem's title and detail. */
  const send = async (missing: string, write: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNotice('');
    if (missing) {
      setError(new ApiProblem(400, 'Something is missing', missing));
      return;
    }
    setBusy(true);
    try {
      await write();
      setNotice(done);
      data.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const move = (to: string, requiresReason: boolean) =>
    send(
      requiresReason && !reason.trim() ? `Moving to ${to} needs a reason: write it above.` : '',
      async () => {
        // Prefer: wait — answered once the execution is in the new state, so the page read after agrees.
        await api(
          'POST',
          `${path}/transitions`,
          { to, expectedVersion: change.version, ...(reason.trim() ? { reason: reason.trim() } : {}) },
          { prefer: 'wait=5' },
        );
        setReason('');
      },
      `Moved to ${to}.`,
    );
  const vote = (decision: 'approve' | 'reject') =>
    send(
      comment.trim() ? '' : 'A vote needs a comment: write it above.',
      async () => {
        await api('POST', `${path}/approvals`, { decision, comment: comment.trim() });
        setComment('');
      },
      `Your vote (${decision}) is recorded.`,
    );
  const a = change.approval;
  return (
    <main id="main">
      <p>
        <a href="#/changes">← All RFCs</a>
      </p>
      <h1>{change.title}</h1>
      {change.description ? <p>{change.description}</p> : null}
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="state">{change.state}</dd>
        <dt>Status</dt>
        <dd>
          {change.status}
          {change.executionEnd ? ` (execution ${change.executionEnd.status})` : ''}
        </dd>
        <dt>Execution</dt>
        <dd data-testid="execution">
          {'error' in execution
            ? `unavailable (${(execution.error as Error).message})`
            : `${execution.status}, in state ${execution.currentState ?? '—'}`}
        </dd>
        <dt>Type, risk</dt>
        <dd>
          {change.type}, {change.risk} risk (impact {change.impact}, urgency {change.urgency}, priority{' '}
          {change.priority})
        </dd>
        <dt>Requester</dt>
        <dd>{change.requester}</dd>
        <dt>Planned</dt>
        <dd>
          {change.plannedStart ? formatTime(change.plannedStart) : '—'} –{' '}
          {change.plannedEnd ? formatTime(change.plannedEnd) : '—'}
        </dd>
        <dt>CIs</dt>
        <dd data-testid="cis">{change.ciIds.join(', ') || 'none'}</dd>
        <dt>Linked releases</dt>
        <dd>
          {change.releaseIds?.length
            ? change.releaseIds.map((r, i) => (
                <span key={r}>
                  {i ? ', ' : ''}
                  <a href={`#/releases/${encodeURIComponent(r)}`}>{r}</a>
                </span>
              ))
            : 'none'}
        </dd>
        <dt>Blackout conflicts</dt>
        <dd data-testid="conflicts">
          {change.blackoutConflicts?.length ?? 0}
          {change.blackoutConflictsTruncated ? ' or more' : ''}
        </dd>
      </dl>
      <BlackoutConflicts
        conflicts={change.blackoutConflicts ?? []}
        truncated={change.blackoutConflictsTruncated === true}
        subject="RFC"
        names={names}
      />
      <WorkflowGraph
        subject="RFC"
        definition={workflow.definition}
        current={change.state}
        history={history}
      />
      <ProblemAlert error={error} />
      <p role="status">{notice}</p>
      <section aria-labelledby="cab-heading">
        <h2 id="cab-heading">CAB {change.cabTeamId}</h2>
        <p data-testid="approval">
          {a
            ? `Approvals: ${a.approvals} of ${a.required} required (${a.missing} missing)${
                a.rejectedBy.length ? `; rejected by ${a.rejectedBy.join(', ')}` : ''
              }. ${a.awaitingVotes ? 'The board is voting now.' : 'No votes are awaited now.'}`
            : 'No CAB approval applies.'}
        </p>
        {change.approvals.length ? (
          <Table
            testId="votes"
            caption="Votes cast"
            columns={['Who', 'Vote', 'Comment', 'When']}
            rows={change.approvals}
            rowKey={(v) => v.by}
            cells={(v) => [v.by, v.decision, v.comment, formatTime(v.at)]}
          />
        ) : (
          <p>No votes cast.</p>
        )}
        {/* Whether the caller sits on the board only the API knows: it answers 403 if not. */}
        {a?.awaitingVotes && !change.approvals.some((v) => v.by === me) ? (
          <>
            <TextField
              id="vote-comment"
              label="Comment on your vote"
              rows={2}
              value={comment}
              onValue={setComment}
            />
            <button type="button" disabled={busy} onClick={() => vote('approve')}>
              Approve
            </button>
            <button type="button" disabled={busy} onClick={() => vote('reject')}>
              Reject
            </button>
          </>
        ) : null}
      </section>
      <section aria-labelledby="moves-heading">
        <h2 id="moves-heading">Moves</h2>
        {change.allowedTransitions?.length ? (
          <>
            <TextField
              id="move-reason"
              label="Reason (needed where marked)"
              value={reason}
              onValue={setReason}
            />
            <ul class="moves">
              {change.allowedTransitions.map((t) => (
                <li key={t.to}>
                  <button type="button" disabled={busy} onClick={() => move(t.to, t.requiresReason)}>
                    Move to {t.to}
                  </button>
                  {t.requiresReason ? ' (reason needed)' : ''}
                  {t.unmetGates.length ? ` — unmet gates: ${t.unmetGates.join(', ')}` : ''}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p>No moves open to you now.</p>
        )}
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <ol class="timeline" data-testid="history">
          {history.map((h) => (
            <li key={h.id}>
              <time dateTime={h.occurredAt}>{formatTime(h.occurredAt)}</time> <strong>{h.type}</strong>
              {h.from || h.to ? ` ${h.from ?? '∅'} → ${h.to ?? '∅'}` : ''}
              {typeof h.data?.decision === 'string' ? ` (${h.data.decision})` : ''} by {h.actor}
              {h.reason ? `: “${h.reason}”` : ''}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
