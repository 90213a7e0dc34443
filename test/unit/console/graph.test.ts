/**
 * The console's workflow graph layout (console/src/graph.ts) on the default release workflow:
 * every stage a node, every transition an edge with its gates, columns by distance from the
 * initial stage, and the moves a history made marked as taken.
 */
import { describe, expect, it } from 'vitest';
import {
  edgeKey,
  layoutWorkflow,
  NODE_HEIGHT,
  NODE_WIDTH,
  takenTransitions,
  type WorkflowDefinitionLike,
} from '../../../console/src/graph.ts';
import { releaseDefault } from '../../../workflows/defaults/release-default.ts';

const definition: WorkflowDefinitionLike = releaseDefault;

describe('layoutWorkflow', () => {
  const layout = layoutWorkflow(definition);

  it('draws every stage once and every transition with its gates', () => {
    expect(layout.nodes.map((n) => n.name).sort()).toEqual(definition.stages.map((s) => s.name).sort());
    // Terminal stages have no transitions.
    const transitions = definition.stages.flatMap((s) =>
      (s.transitions ?? []).map((t) => edgeKey(s.name, t.to)),
    );
    expect(layout.edges.map((e) => edgeKey(e.from, e.to))).toEqual(transitions);
    expect(layout.edges.find((e) => e.from === 'Testing' && e.to === 'Deployment')?.gates).toEqual([
      'noOpenBlackout',
    ]);
  });

  it('puts each stage in the column of its shortest distance from the initial stage', () => {
    const column = Object.fromEntries(layout.nodes.map((n) => [n.name, n.column]));
    expect(column).toMatchObject({ Assessment: 0, Development: 1, Cancelled: 1, Testing: 2, Deployment: 3 });
  });

  it('keeps nodes apart and inside the drawing', () => {
    for (const a of layout.nodes) {
      expect(a.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(a.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
      for (const b of layout.nodes)
        if (a !== b) expect(a.x === b.x && a.y === b.y, `${a.name} on ${b.name}`).toBe(false);
    }
  });

  it('still shows a stage no transition reaches', () => {
    const lonely = layoutWorkflow({
      initialStage: 'A',
      stages: [{ name: 'A', transitions: [{ to: 'B' }] }, { name: 'B', terminal: true }, { name: 'Orphan' }],
    });
    expect(lonely.nodes.find((n) => n.name === 'Orphan')?.column).toBe(2);
    expect(lonely.nodes.find((n) => n.name === 'B')?.terminal).toBe(true);
  });
});

describe('takenTransitions', () => {
  it('marks the moves of a history, not entries without both ends', () => {
    const taken = takenTransitions([
      { to: 'Assessment' },
      { from: 'Assessment', to: 'Development' },
      { from: 'Development', to: 'Assessment' },
    ]);
    expect([...taken]).toEqual([edgeKey('Assessment', 'Development'), edgeKey('Development', 'Assessment')]);
  });
});
