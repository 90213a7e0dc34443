/**
 * Lays a workflow definition out as a graph: stages as nodes in columns by their distance from the
 * initial stage (breadth first), transitions as edges with their gates. Pure, so it is unit tested
 * in Node (test/unit/console/graph.test.ts) and drawn as SVG by the release view.
 */

export interface WorkflowDefinitionLike {
  readonly initialStage: string;
  readonly stages: readonly {
    readonly name: string;
    readonly terminal?: boolean;
    readonly transitions?: readonly { readonly to: string; readonly gates?: readonly string[] }[];
  }[];
}

export interface GraphNode {
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly column: number;
  readonly terminal: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly gates: readonly string[];
}

export interface GraphLayout {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly width: number;
  readonly height: number;
}

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 44;
const COLUMN_GAP = 70;
const ROW_GAP = 28;
const MARGIN = 16;

export function layoutWorkflow(definition: WorkflowDefinitionLike): GraphLayout {
  const byName = new Map(definition.stages.map((s) => [s.name, s]));
  const column = new Map<string, number>([[definition.initialStage, 0]]);
  const queue = [definition.initialStage];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const t of byName.get(name)?.transitions ?? []) {
      if (column.has(t.to)) continue;
      column.set(t.to, (column.get(name) ?? 0) + 1);
      queue.push(t.to);
    }
  }
  // Stages no transition reaches still show, after the others, so nothing of the definition hides.
  let last = Math.max(0, ...column.values());
  for (const s of definition.stages) if (!column.has(s.name)) column.set(s.name, ++last);
  const rows = new Map<number, number>();
  const nodes: GraphNode[] = definition.stages.map((s) => {
    const c = column.get(s.name) ?? 0;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    return {
      name: s.name,
      column: c,
      terminal: s.terminal === true,
      x: MARGIN + c * (NODE_WIDTH + COLUMN_GAP),
      y: MARGIN + r * (NODE_HEIGHT + ROW_GAP),
    };
  });
  const edges: GraphEdge[] = definition.stages.flatMap((s) =>
    (s.transitions ?? []).map((t) => ({ from: s.name, to: t.to, gates: t.gates ?? [] })),
  );
  const columns = Math.max(...nodes.map((n) => n.column), 0) + 1;
  const maxRows = Math.max(...rows.values(), 1);
  return {
    nodes,
    edges,
    width: 2 * MARGIN + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP,
    height: 2 * MARGIN + maxRows * NODE_HEIGHT + (maxRows - 1) * ROW_GAP,
  };
}

/** The moves a history made, as `from→to` keys, to mark the edges taken. */
export function takenTransitions(history: readonly { from?: string; to?: string }[]): Set<string> {
  const taken = new Set<string>();
  for (const h of history) if (h.from && h.to) taken.add(edgeKey(h.from, h.to));
  return taken;
}

export const edgeKey = (from: string, to: string) => `${from}→${to}`;

/**
 * The SVG path of an edge between two laid-out nodes: a straight line forwards; a move back (or
 * sideways) bends below the nodes so that it does not cross them. Shared by the release's workflow
 * graph and the execution's state graph.
 */
export function edgePath(a: GraphNode, b: GraphNode): string {
  const forward = b.column > a.column;
  const x1 = forward ? a.x + NODE_WIDTH : a.x + NODE_WIDTH / 2;
  const y1 = forward ? a.y + NODE_HEIGHT / 2 : a.y + NODE_HEIGHT;
  const x2 = forward ? b.x : b.x + NODE_WIDTH / 2;
  const y2 = forward ? b.y + NODE_HEIGHT / 2 : b.y + NODE_HEIGHT;
  return forward
    ? `M${x1},${y1} L${x2},${y2}`
    : `M${x1},${y1} C${x1},${y1 + 40} ${x2},${y2 + 40} ${x2},${y2}`;
}
