/**
 * The Executions view's pure parts: an ASL definition as the layout's input (console/src/asl-graph.ts)
 * on the golden default release state machine, and where an execution is from its history
 * (console/src/sfn.ts): current, done and the transitions taken.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aslToWorkflow, parseAsl } from '../../../console/src/asl-graph.ts';
import { layoutWorkflow } from '../../../console/src/graph.ts';
import { executionProgress, type HistoryEvent } from '../../../console/src/sfn.ts';

const golden = readFileSync(
  join(import.meta.dirname, '..', 'workflows', 'golden', 'release-default.asl.json'),
  'utf8',
);

describe('aslToWorkflow', () => {
  it('makes every state a node and Next, Choices, Default and Catch its edges, from StartAt', () => {
    const workflow = aslToWorkflow(parseAsl(golden));
    expect(workflow.initialStage).toBe('Assessment');
    const byName = new Map(workflow.stages.map((s) => [s.name, s]));
    expect(byName.get('Assessment')?.transitions).toEqual([
      { to: 'Route from Assessment', gates: [] },
      { to: 'Workflow Failed', gates: [expect.stringMatching(/^catch/)] },
    ]);
    expect(byName.get('Route from Assessment')?.transitions?.map((t) => [t.to, t.gates?.[0]])).toEqual([
      ['Development', 'choice'],
      ['Cancelled', 'choice'],
      ['Assessment', 'default'],
    ]);
    expect(byName.get('Closure')?.terminal).toBe(true);
    expect(byName.get('Workflow Failed')?.terminal).toBe(true);
    const layout = layoutWorkflow(workflow);
    expect(layout.nodes).toHaveLength(Object.keys(JSON.parse(golden).States).length);
    expect(layout.nodes.find((n) => n.name === 'Assessment')?.column).toBe(0);
  });

  it("draws a Parallel's branches and a Map's item processor, each leading on to the state after it", () => {
    const asl = parseAsl(
      JSON.stringify({
        StartAt: 'Fan out',
        States: {
          'Fan out': {
            Type: 'Parallel',
            Next: 'Each CI',
            Branches: [
              { StartAt: 'Notify', States: { Notify: { Type: 'Pass', End: true } } },
              {
                StartAt: 'Check',
                States: {
                  Check: { Type: 'Choice', Choices: [{ Next: 'Bad' }], Default: 'Good' },
                  Good: { Type: 'Succeed' },
                  Bad: { Type: 'Fail' },
                },
              },
            ],
          },
          'Each CI': {
            Type: 'Map',
            End: true,
            ItemProcessor: { StartAt: 'Update CI', States: { 'Update CI': { Type: 'Task', End: true } } },
          },
          Legacy: {
            Type: 'Map',
            Next: 'Fan out',
            Iterator: { StartAt: 'Old item', States: { 'Old item': { Type: 'Pass', End: true } } },
          },
        },
      }),
    );
    const byName = new Map(aslToWorkflow(asl).stages.map((s) => [s.name, s]));
    expect(byName.get('Fan out')?.transitions).toEqual([
      { to: 'Notify', gates: ['branch 1'] },
      { to: 'Check', gates: ['branch 2'] },
      { to: 'Each CI', gates: [] },
    ]);
    // A branch's end leads on to what follows the Parallel; a Fail ends the execution.
    expect(byName.get('Notify')).toEqual({
      name: 'Notify',
      terminal: false,
      transitions: [{ to: 'Each CI', gates: ['then'] }],
    });
    expect(byName.get('Good')?.transitions).toEqual([{ to: 'Each CI', gates: ['then'] }]);
    expect(byName.get('Bad')).toEqual({ name: 'Bad', terminal: true, transitions: [] });
    expect(byName.get('Each CI')?.transitions).toEqual([{ to: 'Update CI', gates: ['each item'] }]);
    // The Map is last: its item processor's end is the execution's end.
    expect(byName.get('Update CI')).toEqual({ name: 'Update CI', terminal: true, transitions: [] });
    expect(byName.get('Old item')?.transitions).toEqual([{ to: 'Fan out', gates: ['then'] }]);
    expect(byName.size).toBe(9);
    const layout = layoutWorkflow(aslToWorkflow(asl));
    expect(layout.nodes.find((n) => n.name === 'Notify')?.column).toBe(1);
    expect(layout.nodes.find((n) => n.name === 'Update CI')?.column).toBe(2);
  });

  it('refuses what is not ASL', () => {
    expect(() => parseAsl('{"States":{}}')).toThrow(/StartAt/);
  });
});

const entered = (id: number, name: string): HistoryEvent => ({
  id,
  type: 'TaskStateEntered',
  timestamp: id,
  stateEnteredEventDetails: { name },
});
const exited = (id: number, name: string): HistoryEvent => ({
  id,
  type: 'TaskStateExited',
  timestamp: id,
  stateExitedEventDetails: { name },
});

describe('executionProgress', () => {
  const events = [
    { id: 1, type: 'ExecutionStarted', timestamp: 1 },
    entered(2, 'A'),
    exited(3, 'A'),
    entered(4, 'Route'),
    exited(5, 'Route'),
    entered(6, 'B'),
  ];

  it('names the state entered and not left as current, the ones left as done, the moves as taken', () => {
    const p = executionProgress(events, true);
    expect(p.current).toBe('B');
    expect([...p.done]).toEqual(['A', 'Route']);
    expect([...p.taken]).toEqual(['A→Route', 'Route→B']);
  });

  it('has no current state once the execution ended: the last one reached is done', () => {
    const p = executionProgress(events, false);
    expect(p.current).toBeUndefined();
    expect(p.done.has('B')).toBe(true);
  });
});

describe('executionProgress inside a Parallel', () => {
  // Two branches: A and B entered side by side after P; B has finished, A still runs.
  const events: HistoryEvent[] = [
    { id: 1, type: 'ExecutionStarted', timestamp: 1 },
    { ...entered(2, 'P'), type: 'ParallelStateEntered', previousEventId: 0 },
    { id: 3, type: 'ParallelStateStarted', timestamp: 3, previousEventId: 2 },
    { ...entered(4, 'A'), previousEventId: 3 },
    { ...entered(5, 'B'), previousEventId: 3 },
    { ...exited(6, 'B'), previousEventId: 5 },
  ];

  it('lights every state still running and pairs each entry with its own branch', () => {
    const p = executionProgress(events, true);
    expect([...p.running]).toEqual(['P', 'A']);
    expect(p.current).toBe('A');
    expect([...p.done]).toEqual(['B']);
    // P led into both branches; A and B, entered side by side, are no transition.
    expect([...p.taken].sort()).toEqual(['P→A', 'P→B']);
  });

  it('follows the Parallel on to the next state once it is left', () => {
    const later: HistoryEvent[] = [
      ...events,
      { ...exited(7, 'A'), previousEventId: 4 },
      { id: 8, type: 'ParallelStateSucceeded', timestamp: 8, previousEventId: 7 },
      { ...exited(9, 'P'), type: 'ParallelStateExited', previousEventId: 8 },
      { ...entered(10, 'N'), previousEventId: 9 },
    ];
    const p = executionProgress(later, true);
    expect([...p.running]).toEqual(['N']);
    expect(p.current).toBe('N');
    expect(p.taken.has('P→N')).toBe(true);
    expect(p.taken.has('A→B')).toBe(false);
  });
});
