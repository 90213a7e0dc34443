/**
 * A release's or an RFC's workflow drawn as a graph (graph.ts lays it out): stages as nodes, the
 * current one lit and labelled, the transitions the history took marked, gates on their edges and
 * spelled out in the caption (so neither colour nor the drawing alone carries them).
 */
import type { HistoryEntry } from './api.ts';
import {
  edgeKey,
  layoutWorkflow,
  NODE_HEIGHT,
  NODE_WIDTH,
  takenTransitions,
  type WorkflowDefinitionLike,
} from './graph.ts';
import { ArrowMarker } from './ui.tsx';

export function WorkflowGraph({
  subject,
  definition,
  current,
  history,
}: {
  /** What runs the workflow ("release", "RFC"), for the drawing's title. */
  subject: string;
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
        <title>{`The ${subject}'s workflow as a graph`}</title>
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
