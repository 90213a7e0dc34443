/**
 * An Amazon States Language definition as the graph layout's input (graph.ts): each top-level
 * state a node, its `Next`, `Choices[].Next`, `Default` and `Catch[].Next` the edges, laid out in
 * layers from `StartAt`. States inside Parallel branches and Map iterators are not drawn: the
 * history still lists their events.
 */
import type { WorkflowDefinitionLike } from './graph.ts';

interface AslState {
  readonly Type?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Catch?: readonly { readonly Next?: string; readonly ErrorEquals?: readonly string[] }[];
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** Parses a DescribeStateMachine `definition`; throws when it is not ASL. */
export function parseAsl(definition: string): AslDefinition {
  const asl = JSON.parse(definition) as Partial<AslDefinition>;
  if (typeof asl.StartAt !== 'string' || typeof asl.States !== 'object' || asl.States === null)
    throw new Error('The definition has no StartAt and States.');
  return asl as AslDefinition;
}

/** The ASL as nodes and labelled edges: "choice", "default" and "catch" say what an edge is. */
export function aslToWorkflow(asl: AslDefinition): WorkflowDefinitionLike {
  return {
    initialStage: asl.StartAt,
    stages: Object.entries(asl.States).map(([name, state]) => {
      const transitions: { to: string; gates: string[] }[] = [];
      const add = (to: string | undefined, label?: string) => {
        if (to && !transitions.some((t) => t.to === to))
          transitions.push({ to, gates: label ? [label] : [] });
      };
      add(state.Next);
      for (const c of state.Choices ?? []) add(c.Next, 'choice');
      add(state.Default, 'default');
      for (const c of state.Catch ?? []) add(c.Next, `catch ${(c.ErrorEquals ?? []).join(', ')}`.trim());
      return {
        name,
        terminal: state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
        transitions,
      };
    }),
  };
}
