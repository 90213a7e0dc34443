/**
 * An Amazon States Language definition as the graph layout's input (graph.ts): each top-level
 * state a node, its `Next`, `Choices[].Next`, `Default` and `Catch[].Next` the edges, laid out in
 * layers from `StartAt`. The states of a Parallel's branches and of a Map's item processor are
 * drawn too, since their events are what a running execution is in: the Parallel or Map state
 * leads into each branch ("branch 1", "each item"), and a branch's last states lead on to the
 * state after it ("then"). Names can stand as they are: ASL requires a state's name to be unique in
 * the whole state machine, nested ones included (https://states-language.net/spec.html, "States").
 */
import type { WorkflowDefinitionLike } from './graph.ts';

interface AslState {
  readonly Type?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Catch?: readonly { readonly Next?: string; readonly ErrorEquals?: readonly string[] }[];
  /** A Parallel's branches. */
  readonly Branches?: readonly AslDefinition[];
  /** A Map's states: `ItemProcessor`, or `Iterator` as older definitions name it. */
  readonly ItemProcessor?: AslDefinition;
  readonly Iterator?: AslDefinition;
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

type Stage = WorkflowDefinitionLike['stages'][number];
type Transition = { to: string; gates: string[] };

/** The ASL as nodes and labelled edges: "choice", "default", "catch", "branch n", "each item" and "then" say what an edge is. */
export function aslToWorkflow(asl: AslDefinition): WorkflowDefinitionLike {
  const stages: Stage[] = [];
  addStates(asl, undefined, stages);
  return { initialStage: asl.StartAt, stages };
}

/** Adds the states of `asl` to `stages`; `after` is where a nested block's ending states lead. */
function addStates(asl: AslDefinition, after: string | undefined, stages: Stage[]): void {
  for (const [name, state] of Object.entries(asl.States)) {
    const transitions: Transition[] = [];
    const add = (to: string | undefined, label?: string) => {
      if (to && !transitions.some((t) => t.to === to)) transitions.push({ to, gates: label ? [label] : [] });
    };
    const nested = state.Branches ?? [state.ItemProcessor ?? state.Iterator].filter((b) => b !== undefined);
    nested.forEach((block, i) => {
      add(block.StartAt, state.Branches ? `branch ${i + 1}` : 'each item');
    });
    add(state.Next);
    for (const c of state.Choices ?? []) add(c.Next, 'choice');
    add(state.Default, 'default');
    for (const c of state.Catch ?? []) add(c.Next, `catch ${(c.ErrorEquals ?? []).join(', ')}`.trim());
    const ends = state.End === true || state.Type === 'Succeed' || state.Type === 'Fail';
    // A nested block's last state ends its branch, not the execution: it leads on to the state after the block.
    if (ends && after && state.Type !== 'Fail') add(after, 'then');
    // A Fail ends the execution wherever it is (unless a Catch around its block takes it).
    stages.push({ name, terminal: state.Type === 'Fail' || (ends && !after), transitions });
    // A block that is itself last in its branch hands its end on to what follows that branch.
    for (const block of nested) addStates(block, state.Next ?? (ends ? after : undefined), stages);
  }
}
