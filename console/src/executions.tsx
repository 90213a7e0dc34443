/**
 * The Executions view (issue 16): what the AWS Step Functions console shows — state machines, their
 * executions by status, and an execution drawn as its ASL graph with the current state lit and the
 * event history. The endpoint comes from `config.json` (`sfnEndpoint`): the local cloud's own, or in
 * AWS the console distribution's relay to Step Functions, called with signed requests (sfn.ts).
 */
import { useState } from 'preact/hooks';
import { session } from './api.ts';
import { type AslDefinition, aslToWorkflow, parseAsl } from './asl-graph.ts';
import { sfnEndpoint, sfnSigning } from './config.ts';
import { edgeKey, edgePath, layoutWorkflow, NODE_HEIGHT, NODE_WIDTH } from './graph.ts';
import {
  allPages,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  executionProgress,
  type HistoryEvent,
  mayReadExecutions,
  type StateMachineListItem,
  sfn,
  stateNameOf,
} from './sfn.ts';
import { ArrowMarker, Choice, ListTable, ProblemAlert, Table, useLoad } from './ui.tsx';

const date = (seconds: number | undefined) =>
  seconds === undefined ? '' : new Date(seconds * 1000).toISOString();

/**
 * The nav link, shown only where the configuration names a Step Functions endpoint, and in AWS
 * only to members of the group the identity pool gives credentials (anyone else would get none).
 */
export function ExecutionsNavLink({ route }: { route: string }) {
  if (!sfnEndpoint() || !mayReadExecutions(sfnSigning(), session.idToken())) return null;
  return (
    <a href="#/executions" aria-current={route.startsWith('#/executions') ? 'page' : undefined}>
      Executions
    </a>
  );
}

/** `#/executions`, `#/executions/machine/<arn>` and `#/executions/run/<arn>`. */
export function Executions({ route }: { route: string }) {
  // config.json is read before the console renders (main.tsx), so the endpoint is known here.
  const endpoint = sfnEndpoint();
  if (!endpoint)
    return (
      <main id="main">
        <h1>Executions</h1>
        <p>
          This console's configuration names no Step Functions endpoint (config.json, sfnEndpoint): use the
          AWS Step Functions console, or a release's own execution panel.
        </p>
      </main>
    );
  const machine = /^#\/executions\/machine\/(.+)$/.exec(route)?.[1];
  const run = /^#\/executions\/run\/(.+)$/.exec(route)?.[1];
  if (run) return <ExecutionDetail endpoint={endpoint} arn={decodeURIComponent(run)} />;
  if (machine) return <MachineExecutions endpoint={endpoint} arn={decodeURIComponent(machine)} />;
  return <StateMachines endpoint={endpoint} />;
}

function StateMachines({ endpoint }: { endpoint: string }) {
  const machines = useLoad(
    () =>
      allPages(async (nextToken) => {
        const page = await sfn<{ stateMachines: StateMachineListItem[]; nextToken?: string }>(
          endpoint,
          'ListStateMachines',
          { maxResults: 100, ...(nextToken ? { nextToken } : {}) },
        );
        return { items: page.stateMachines, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
      }),
    [endpoint],
  );
  return (
    <main id="main">
      <h1>State machines</h1>
      <p>From the local Step Functions endpoint {endpoint}.</p>
      <ListTable
        list={machines}
        empty="No state machines."
        caption={`State machines (${machines.data?.length ?? 0})`}
        columns={['Name', 'Type', 'Created']}
        rowKey={(m) => m.stateMachineArn}
        cells={(m) => [
          <a href={`#/executions/machine/${encodeURIComponent(m.stateMachineArn)}`}>{m.name}</a>,
          m.type,
          date(m.creationDate),
        ]}
      />
    </main>
  );
}

const STATUSES: readonly ('' | ExecutionStatus)[] = [
  '',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

function MachineExecutions({ endpoint, arn }: { endpoint: string; arn: string }) {
  const [status, setStatus] = useState<'' | ExecutionStatus>('');
  const executions = useLoad(
    () =>
      allPages(async (nextToken) => {
        const page = await sfn<{ executions: ExecutionListItem[]; nextToken?: string }>(
          endpoint,
          'ListExecutions',
          {
            stateMachineArn: arn,
            maxResults: 100,
            ...(status ? { statusFilter: status } : {}),
            ...(nextToken ? { nextToken } : {}),
          },
        );
        return { items: page.executions, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
      }, 1000),
    [arn, status],
  );
  const name = arn.split(':').pop();
  return (
    <main id="main">
      <p>
        <a href="#/executions">← All state machines</a>
      </p>
      <h1>Executions of {name}</h1>
      <Choice
        id="execution-status"
        label="Status"
        value={status}
        onValue={(v) => setStatus(v as '' | ExecutionStatus)}
        options={STATUSES}
      />
      <ListTable
        list={executions}
        empty={`No executions${status ? ` ${status}` : ''}.`}
        testId="executions"
        caption={`Executions (${executions.data?.length ?? 0}${status ? `, ${status}` : ''})`}
        columns={['Name', 'Status', 'Started', 'Ended']}
        rowKey={(x) => x.executionArn}
        cells={(x) => [
          <a href={`#/executions/run/${encodeURIComponent(x.executionArn)}`}>{x.name}</a>,
          x.status,
          date(x.startDate),
          date(x.stopDate),
        ]}
      />
    </main>
  );
}

function ExecutionDetail({ endpoint, arn }: { endpoint: string; arn: string }) {
  const data = useLoad(async () => {
    const [execution, machine, events] = await Promise.all([
      sfn<ExecutionDescription>(endpoint, 'DescribeExecution', { executionArn: arn }),
      // The definition the execution ran (a release runs a version, which DescribeStateMachine on
      // the unqualified ARN would not give once a newer one is published).
      sfn<{ definition: string; name: string }>(endpoint, 'DescribeStateMachineForExecution', {
        executionArn: arn,
      }),
      allPages(async (nextToken) => {
        const page = await sfn<{ events: HistoryEvent[]; nextToken?: string }>(
          endpoint,
          'GetExecutionHistory',
          {
            executionArn: arn,
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          },
        );
        return { items: page.events, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
      }),
    ]);
    return { execution, machine, asl: parseAsl(machine.definition), events };
  }, [arn]);
  const d = data.data;
  const progress = d ? executionProgress(d.events, d.execution.status === 'RUNNING') : undefined;
  return (
    <main id="main">
      {d ? (
        <p>
          <a href={`#/executions/machine/${encodeURIComponent(d.execution.stateMachineArn)}`}>
            ← Executions of {d.machine.name}
          </a>
        </p>
      ) : null}
      <h1 class="execution-name">Execution {d?.execution.name ?? arn.split(':').pop()}</h1>
      <ProblemAlert error={data.error} />
      {data.loading && !d ? <p>Loading…</p> : null}
      {d && progress ? (
        <>
          <p data-testid="execution-summary">
            Status <strong>{d.execution.status}</strong>
            {progress.current ? (
              <>
                , in state <strong>{progress.current}</strong>
              </>
            ) : null}
            ; started {date(d.execution.startDate)}
            {d.execution.stopDate ? `, ended ${date(d.execution.stopDate)}` : ''}.
            {d.execution.error ? ` Error ${d.execution.error}: ${d.execution.cause ?? ''}` : ''}
          </p>
          <AslGraph
            asl={d.asl}
            current={progress.current}
            running={progress.running}
            done={progress.done}
            taken={progress.taken}
          />
          <h2 id="history-heading">Event history</h2>
          <Table
            testId="execution-history"
            caption="The execution's events, oldest first"
            hideCaption
            columns={['ID', 'Type', 'Timestamp', 'State']}
            rows={d.events}
            rowKey={(e) => e.id}
            cells={(e) => [e.id, e.type, date(e.timestamp), stateNameOf(e) ?? '']}
          />
        </>
      ) : null}
    </main>
  );
}

/** The ASL drawn with the release graph's layout and styles: current and done said in words too. */
function AslGraph({
  asl,
  current,
  running,
  done,
  taken,
}: {
  asl: AslDefinition;
  current?: string;
  /** Every state running now: more than one inside a Parallel or a Map. */
  running: ReadonlySet<string>;
  done: ReadonlySet<string>;
  taken: ReadonlySet<string>;
}) {
  const layout = layoutWorkflow(aslToWorkflow(asl));
  const at = new Map(layout.nodes.map((n) => [n.name, n]));
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide graph scrolls sideways, and a keyboard user must be able to scroll it (axe: scrollable-region-focusable).
    <figure class="graph" tabIndex={0} data-testid="asl-graph">
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        height={layout.height}
        role="img"
        aria-labelledby="asl-graph-caption"
      >
        <title>The state machine's definition as a graph</title>
        <ArrowMarker id="asl-arrow" />
        {layout.edges.map((e) => {
          const a = at.get(e.from);
          const b = at.get(e.to);
          if (!a || !b) return null;
          const path = edgePath(a, b);
          const passed = taken.has(edgeKey(e.from, e.to));
          return (
            <path
              key={edgeKey(e.from, e.to)}
              d={path}
              class={passed ? 'edge taken' : 'edge'}
              marker-end="url(#asl-arrow)"
              data-edge={edgeKey(e.from, e.to)}
            >
              <title>
                {e.from} → {e.to}
                {e.gates.length ? ` (${e.gates.join(', ')})` : ''}
              </title>
            </path>
          );
        })}
        {layout.nodes.map((n) => {
          const mark = running.has(n.name) ? 'current' : done.has(n.name) ? 'done' : '';
          return (
            <g
              key={n.name}
              class={mark === 'current' ? 'node current' : mark === 'done' ? 'node visited' : 'node'}
              data-state={n.name}
            >
              <rect x={n.x} y={n.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
              {/* ASL names run longer than stage names: a smaller font keeps them inside the box. */}
              <text
                x={n.x + NODE_WIDTH / 2}
                y={n.y + (mark ? 18 : 27)}
                text-anchor="middle"
                font-size={n.name.length > 16 ? 10 : undefined}
              >
                {n.name}
              </text>
              {mark ? (
                // The word says what the colour says, so colour is not the only signal.
                <text x={n.x + NODE_WIDTH / 2} y={n.y + 36} text-anchor="middle" class="label">
                  {mark}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption id="asl-graph-caption">
        {current ? (
          <>
            Current state: <strong data-testid="current-state">{current}</strong>.{' '}
            {running.size > 1 ? `Running now (in parallel): ${[...running].join(', ')}. ` : ''}
          </>
        ) : (
          'No current state (the execution is not running). '
        )}
        Done: {done.size ? [...done].join(', ') : 'none yet'}. Transitions taken:{' '}
        {taken.size ? [...taken].join(', ') : 'none yet'}.
      </figcaption>
    </figure>
  );
}
