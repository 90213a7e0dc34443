/**
 * A release's detail page: its facts, the blackouts it meets (each in words), the workflow graph
 * with the current stage lit, the moves open to the caller (with reason, approval and blackout
 * override prompts), the CIs it touches, its deployment tasks, the execution's events and the history.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiProblem,
  api,
  type Execution,
  historyOf,
  type PlannedCi,
  type Release,
  session,
  type Workflow,
  workflowOf,
} from './api.ts';
import { BlackoutConflicts, ciNames } from './conflicts.tsx';
import { formatTime, ProblemAlert, Table, TextField, useLoad } from './ui.tsx';
import { WorkflowGraph } from './workflow-graph.tsx';

export function ReleaseDetail({ id }: { id: string }) {
  const path = `/releases/${encodeURIComponent(id)}`;
  const data = useLoad(async () => {
    const [release, history, execution, cis] = await Promise.all([
      api<Release>('GET', path),
      historyOf(path),
      api<Execution>('GET', `${path}/execution`).catch((error: unknown) => ({ error })),
      // The page still serves its moves when the CI read fails: that section shows the problem.
      api<{ items: PlannedCi[] }>('GET', `${path}/cis`).catch((error: unknown) => ({ error })),
    ]);
    // Both need only the release and its CIs: read side by side. The release's own CIs come named
    // with its CI list; a conflict's others are read.
    const [workflow, names] = await Promise.all([
      workflowOf(release.workflow),
      ciNames(
        release.blackoutConflicts ?? [],
        new Map('items' in cis ? cis.items.flatMap((c) => (c.ci ? [[c.ciId, c.ci.name] as const] : [])) : []),
      ),
    ]);
    return { release, history, execution, cis, workflow, names };
  }, [id]);
  // Said here, not in the back-out section: once backed out the release may not be backed out
  // again, so that section is gone after the reload, and its own notice with it.
  const [backedOut, setBackedOut] = useState('');
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
  const { release, history, execution, cis, workflow, names } = data.data;
  return (
    <main id="main">
      <p>
        <a href="#/releases">← All releases</a>
      </p>
      <h1>{release.title}</h1>
      {backedOut ? <p role="status">{backedOut}</p> : null}
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
        <dd>
          {release.blackoutConflicts?.length ?? 0}
          {release.blackoutConflictsTruncated ? ' or more' : ''}
        </dd>
      </dl>
      <BlackoutConflicts
        conflicts={release.blackoutConflicts ?? []}
        truncated={release.blackoutConflictsTruncated === true}
        subject="release"
        names={names}
      />
      <WorkflowGraph
        subject="release"
        definition={workflow.definition}
        current={release.stage}
        history={history}
      />
      <Moves release={release} path={path} reload={data.reload} />
      <AffectedCis release={release} cis={cis} />
      {mayBackOut(release, workflow) ? (
        <Backout
          path={path}
          done={() => {
            setBackedOut('Backed out: its CMDB changes are restored.');
            data.reload();
          }}
        />
      ) : null}
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
          <Table
            testId="execution-events"
            caption="The execution's event history, oldest first"
            hideCaption
            columns={['#', 'Event', 'State', 'At']}
            rows={execution.events}
            rowKey={(e) => e.id}
            cells={(e) => [e.id, e.type, e.state ?? '', e.timestamp ? formatTime(e.timestamp) : '—']}
          />
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

/** Whether a refused move was refused by the `noOpenBlackout` gate (its 409 names the gate's windows). */
function refusedForBlackout(error: unknown): boolean {
  return (
    error instanceof ApiProblem &&
    error.status === 409 &&
    typeof error.body.noOpenBlackout === 'object' &&
    error.body.noOpenBlackout !== null
  );
}

/**
 * The moves open to the caller: a reason where the workflow asks one, the approvals an access
 * policy asks (with who gave them and an Approve button), and, when a blackout refuses a move, an
 * override with its own reason (the API lets only emergency releases and the team's overriders).
 */
function Moves({ release, path, reload }: { release: Release; path: string; reload: () => void }) {
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [overrideFor, setOverrideFor] = useState<string>();
  const [overrideReason, setOverrideReason] = useState('');
  const overrideInput = useRef<HTMLInputElement>(null);
  // The prompt appears where the keyboard user is not: take focus to its reason.
  useEffect(() => {
    if (overrideFor) overrideInput.current?.focus();
  }, [overrideFor]);
  const me = session.user();
  const transitions = release.allowedTransitions ?? [];
  const send = async (what: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNotice('');
    setBusy(true);
    try {
      await what();
      setNotice(done);
      reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const transition = (to: string, override?: string) =>
    // Prefer: wait — answered once the execution is in the new stage, so the graph and the
    // execution shown after the reload agree.
    api(
      'POST',
      `${path}/transitions`,
      {
        to,
        expectedVersion: release.version,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(override ? { override: { reason: override } } : {}),
      },
      { prefer: 'wait=5' },
    );
  const move = async (to: string, requiresReason: boolean) => {
    setOverrideFor(undefined);
    if (requiresReason && !reason.trim()) {
      setNotice('');
      setError(new ApiProblem(400, 'A reason is needed', `Moving to ${to} needs a reason: write it above.`));
      return;
    }
    setBusy(true);
    try {
      await transition(to);
      setError(undefined);
      setReason('');
      setNotice(`Moved to ${to}.`);
      reload();
    } catch (err) {
      setNotice('');
      setError(err);
      if (refusedForBlackout(err)) setOverrideFor(to);
    } finally {
      setBusy(false);
    }
  };
  const override = async (e: Event) => {
    e.preventDefault();
    const to = overrideFor;
    if (!to) return;
    if (!overrideReason.trim()) {
      setError(new ApiProblem(400, 'A reason is needed', 'Overriding a blackout needs a reason: write it.'));
      return;
    }
    const moved = await send(
      () => transition(to, overrideReason.trim()),
      `Moved to ${to}, overriding the blackout.`,
    );
    if (moved) {
      setOverrideFor(undefined);
      setOverrideReason('');
      setReason('');
    }
  };
  const approve = (to: string) =>
    send(
      () => api('POST', `${path}/approvals`, { to, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
      `Approved the move to ${to}.`,
    ).then((ok) => ok && setComment(''));
  const needsApprovals = transitions.some((t) => t.approvals);
  return (
    <section aria-labelledby="moves-heading">
      <h2 id="moves-heading">Moves</h2>
      <ProblemAlert error={error} />
      <p role="status">{notice}</p>
      {overrideFor ? (
        <form class="card override" onSubmit={override} aria-labelledby="override-heading">
          <h3 id="override-heading">A blackout refuses the move to {overrideFor}</h3>
          {release.releaseType === 'emergency' ? (
            <>
              <p>
                An emergency release may enter it anyway, if your team lets you override blackouts: say why
                (the reason is kept in the history).
              </p>
              <label for="override-reason">Why override the blackout</label>
              <input
                id="override-reason"
                ref={overrideInput}
                value={overrideReason}
                onInput={(e) => setOverrideReason((e.currentTarget as HTMLInputElement).value)}
              />
              <button type="submit" disabled={busy}>
                Override the blackout and move to {overrideFor}
              </button>
            </>
          ) : (
            <p>Only an emergency release may override a blackout; this one is {release.releaseType}.</p>
          )}
          <button type="button" onClick={() => setOverrideFor(undefined)}>
            Cancel
          </button>
        </form>
      ) : null}
      {transitions.length ? (
        <>
          <TextField
            id="move-reason"
            label="Reason (needed where marked)"
            value={reason}
            onValue={setReason}
          />
          {needsApprovals ? (
            <TextField
              id="approval-comment"
              label="Comment with an approval (optional)"
              value={comment}
              onValue={setComment}
            />
          ) : null}
          <ul class="moves">
            {transitions.map((t) => {
              const given = (release.approvals ?? []).filter((a) => a.to === t.to);
              const mine = given.some((a) => a.by === me);
              return (
                <li key={t.to}>
                  <button type="button" disabled={busy} onClick={() => move(t.to, t.requiresReason === true)}>
                    Move to {t.to}
                  </button>
                  {t.requiresReason ? ' (reason needed)' : ''}
                  {t.unmetGates?.length ? ` — unmet gates: ${t.unmetGates.join(', ')}` : ''}
                  {t.approvals ? (
                    <span data-testid={`approvals-${t.to}`}>
                      {' '}
                      — approvals {t.approvals.have}/{t.approvals.required} (rule {t.approvals.rule})
                    </span>
                  ) : null}
                  {given.length ? (
                    <span>
                      {' '}
                      — approved by{' '}
                      {given
                        .map((a) => `${a.by} at ${formatTime(a.at)}${a.comment ? ` (“${a.comment}”)` : ''}`)
                        .join(', ')}
                    </span>
                  ) : null}
                  {t.approvals && !mine ? (
                    <button type="button" disabled={busy} onClick={() => approve(t.to)}>
                      Approve move to {t.to}
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </>
      ) : (
        <p>No moves open to you now.</p>
      )}
    </section>
  );
}

/** The CIs the release's tasks name: what they set, the CI's latest changes, other open releases on it. */
function AffectedCis({
  release,
  cis,
}: {
  release: Release;
  cis: { items: PlannedCi[] } | { error: unknown };
}) {
  const taskTitle = new Map((release.tasks ?? []).map((t) => [t.id, t.title]));
  return (
    <section aria-labelledby="cis-heading">
      <h2 id="cis-heading">Affected CIs</h2>
      {'error' in cis ? (
        <ProblemAlert error={cis.error} />
      ) : cis.items.length === 0 ? (
        <p>The release's tasks name no CI.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide table scrolls sideways in its own box, and a keyboard user must be able to scroll it (axe: scrollable-region-focusable). Named on its own: a second landmark named "Affected CIs" would repeat the section around it.
        <section class="table-scroll" tabIndex={0} aria-label="Affected CIs table (scrolls sideways)">
          <table data-testid="affected-cis">
            <caption class="visually-hidden">
              Each CI the release touches: its planned updates, recent changes and other open releases
              planning it
            </caption>
            <thead>
              <tr>
                <th scope="col">CI</th>
                <th scope="col">Planned updates</th>
                <th scope="col">Recent changes</th>
                <th scope="col">Other open releases on it</th>
              </tr>
            </thead>
            <tbody>
              {cis.items.map((c) => (
                <tr key={c.ciId}>
                  <th scope="row">
                    {c.ci ? `${c.ci.name} (${c.ciId})` : c.ciId}
                    <br />
                    {c.ci ? `${c.ci.type}, ${c.ci.status}, version ${c.ci.version}` : 'no longer exists'}
                  </th>
                  <td>
                    <ul class="cell-list">
                      {c.plannedBy.map((p) => (
                        <li key={p.taskId}>
                          {taskTitle.get(p.taskId) ?? p.taskId}:{' '}
                          {p.sets.length ? `sets ${p.sets.join(', ')}` : 'sets no attribute'}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {c.recentChanges.length ? (
                      <ul class="cell-list">
                        {c.recentChanges.map((v) => (
                          <li key={v.version}>
                            version {v.version}, {formatTime(v.at)} by {v.actor}
                            {v.releaseId === release.id ? ', this release' : ''}
                            {v.releaseId && v.releaseId !== release.id ? (
                              <>
                                , release{' '}
                                <a href={`#/releases/${encodeURIComponent(v.releaseId)}`}>{v.releaseId}</a>
                              </>
                            ) : null}
                            {v.reason ? `: “${v.reason}”` : ''}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      'none'
                    )}
                  </td>
                  <td>
                    {c.collisions.length ? (
                      <ul class="cell-list">
                        {c.collisions.map((o) => (
                          <li key={o.releaseId}>
                            collision: <a href={`#/releases/${encodeURIComponent(o.releaseId)}`}>{o.title}</a>{' '}
                            (in {o.stage})
                          </li>
                        ))}
                      </ul>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

/**
 * Whether the API would consider a back-out (`POST /releases/{id}/backout`): from the deploy stage
 * onwards, of a release not cancelled or backed out already. The API still decides (its 422 shows).
 */
function mayBackOut(release: Release, workflow: Workflow): boolean {
  const { deployStage, stages } = workflow.definition;
  if (!deployStage || !['active', 'closed', 'failed'].includes(release.status)) return false;
  const order = stages.map((s) => s.name);
  return order.indexOf(release.stage) >= order.indexOf(deployStage);
}

/** A back-out procedure the 422 `backout-procedures-not-acknowledged` lists. */
interface MissingArticle {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly acknowledgedVersion: number | null;
}

/** A CI something else changed since the release did (409 `backout-conflicts`). */
interface RestoreConflict {
  readonly ciId: string;
  readonly attribute: string;
  readonly releaseValue: unknown;
  readonly found: unknown;
}

/**
 * Back out in one call, with what the API asks shown as it asks it: the back-out procedures to
 * acknowledge (its 422 lists them, each at its current version) and, when something else changed
 * a CI since, the conflicts and a reason to force the restore (its 409).
 */
function Backout({ path, done }: { path: string; done: () => void }) {
  const [reason, setReason] = useState('');
  const [articles, setArticles] = useState<readonly MissingArticle[]>([]);
  const [acknowledged, setAcknowledged] = useState<ReadonlySet<string>>(new Set());
  const [conflicts, setConflicts] = useState<readonly RestoreConflict[]>([]);
  const [forceReason, setForceReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = (a: MissingArticle) => `${a.id}@${a.version}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!reason.trim()) {
      setError(new ApiProblem(400, 'A reason is needed', 'Write why the release is backed out.'));
      return;
    }
    setBusy(true);
    try {
      await api('POST', `${path}/backout`, {
        acknowledgedArticles: articles
          .filter((a) => acknowledged.has(key(a)))
          .map((a) => ({ id: a.id, version: a.version })),
        reason: reason.trim(),
        ...(conflicts.length && forceReason.trim() ? { force: { reason: forceReason.trim() } } : {}),
      });
      done();
    } catch (err) {
      setError(err);
      if (err instanceof ApiProblem && Array.isArray(err.body.articles))
        setArticles(err.body.articles as MissingArticle[]);
      if (err instanceof ApiProblem && Array.isArray(err.body.conflicts))
        setConflicts(err.body.conflicts as RestoreConflict[]);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (a: MissingArticle) => {
    const next = new Set(acknowledged);
    if (next.has(key(a))) next.delete(key(a));
    else next.add(key(a));
    setAcknowledged(next);
  };
  return (
    <section aria-labelledby="backout-heading">
      <h2 id="backout-heading">Back out</h2>
      <ProblemAlert error={error} />
      <form onSubmit={submit} class="card">
        <p>Restores every CMDB change this release made and ends it Backed Out.</p>
        <TextField id="backout-reason" label="Why back it out" value={reason} onValue={setReason} />
        {articles.length ? (
          <fieldset>
            <legend>Back-out procedures to follow first, each at its current version</legend>
            {articles.map((a) => (
              <div key={key(a)} class="check">
                <input
                  type="checkbox"
                  id={`ack-${a.id}`}
                  checked={acknowledged.has(key(a))}
                  onChange={() => toggle(a)}
                />
                <label for={`ack-${a.id}`}>
                  I followed “{a.title}” ({a.id}), version {a.version}
                  {a.acknowledgedVersion !== null
                    ? ` (version ${a.acknowledgedVersion} was acknowledged)`
                    : ''}
                </label>
              </div>
            ))}
          </fieldset>
        ) : null}
        {conflicts.length ? (
          <>
            <p>Something else changed these since the release did:</p>
            <ul>
              {conflicts.map((c) => (
                <li key={`${c.ciId}#${c.attribute}`}>
                  {c.ciId}: {c.attribute} set by the release to {JSON.stringify(c.releaseValue)}, now{' '}
                  {JSON.stringify(c.found)}
                </li>
              ))}
            </ul>
            <TextField
              id="backout-force"
              label="Why restore anyway (force; leave empty to stop here)"
              value={forceReason}
              onValue={setForceReason}
            />
          </>
        ) : null}
        <button type="submit" disabled={busy}>
          Back out
        </button>
      </form>
    </section>
  );
}
