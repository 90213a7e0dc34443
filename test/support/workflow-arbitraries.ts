/**
 * fast-check arbitraries for workflow definitions and for walks through them.
 */
import fc from 'fast-check';
import {
  type Gate,
  MAX_STAGE_NAME_LENGTH,
  type Process,
  parseWorkflowDefinition,
  type Stage,
  type Transition,
  type WorkflowDefinition,
} from '../../workflows/definition.ts';

const NAME_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'      ',
  ...`_.()'+!=-`,
  ...'éßÅø日本ü',
];

/** A random text usable after a unique prefix in a stage name (may be empty, may be long). */
const nameBody = fc
  .array(fc.constantFrom(...NAME_CHARS), { maxLength: 90 })
  .map((chars) => chars.join('').replace(/ +/g, ' ').trim());

function stageName(index: number, body: string): string {
  // `S<index> ` makes names unique and keeps them clear of the reserved prefixes.
  return [...`S${index} ${body}`].slice(0, MAX_STAGE_NAME_LENGTH).join('').trimEnd();
}

const transitionAttributes = fc.record(
  {
    processes: fc.uniqueArray(fc.constantFrom<Process>('change', 'release', 'deployment'), {
      minLength: 1,
      maxLength: 3,
    }),
    gates: fc.uniqueArray(fc.constantFrom<Gate>('allDeploymentTasksDone', 'cabApproval', 'noOpenBlackout'), {
      maxLength: 3,
    }),
    requiresReason: fc.boolean(),
  },
  { requiredKeys: [] },
);

const stageTimeout = fc.option(
  fc.record({ seconds: fc.integer({ min: 1, max: 99_999_999 }), target: fc.option(fc.nat()) }),
  { nil: undefined },
);

interface Blueprint {
  readonly kind: 'release' | 'change';
  readonly humans: number;
  readonly terminals: number;
}

/**
 * Random valid workflow definitions: 1–8 human stages, 1–3 terminal stages, a path from the initial
 * stage through every human stage to a terminal stage, extra random transitions (back, forward and
 * to exits), random processes / gates / reasons, timeouts with and without `onTimeout`, long and
 * non-ASCII names, and a shuffled stage order. Each one is passed through `parseWorkflowDefinition`.
 */
export const workflowDefinitionArbitrary: fc.Arbitrary<WorkflowDefinition> = fc
  .record({
    kind: fc.constantFrom<'release' | 'change'>('release', 'change'),
    humans: fc.integer({ min: 1, max: 8 }),
    terminals: fc.integer({ min: 1, max: 3 }),
  })
  .chain((bp: Blueprint) => {
    const total = bp.humans + bp.terminals;
    return fc.record({
      bp: fc.constant(bp),
      bodies: fc.array(nameBody, { minLength: total, maxLength: total }),
      // Terminal j > 0 is entered from a random human stage, so every terminal is reachable.
      exitSources: fc.array(fc.nat({ max: bp.humans - 1 }), {
        minLength: bp.terminals,
        maxLength: bp.terminals,
      }),
      extra: fc.array(fc.tuple(fc.nat({ max: bp.humans - 1 }), fc.nat({ max: total - 1 })), {
        maxLength: 16,
      }),
      attributes: fc.array(transitionAttributes, { minLength: 64, maxLength: 64 }),
      timeouts: fc.array(stageTimeout, { minLength: bp.humans, maxLength: bp.humans }),
      order: fc.shuffledSubarray(
        Array.from({ length: total }, (_, i) => i),
        { minLength: total, maxLength: total },
      ),
      deployStage: fc.option(fc.nat({ max: bp.humans - 1 }), { nil: undefined }),
      description: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    });
  })
  .map(({ bp, bodies, exitSources, extra, attributes, timeouts, order, deployStage, description }) => {
    const names = bodies.map((body, i) => stageName(i, body));
    // Stage i < humans is human; the initial stage is 0; the spine is 0 → 1 → … → humans-1 → first terminal.
    const edges: [number, number][] = [];
    for (let i = 0; i < bp.humans; i++) edges.push([i, i + 1]);
    exitSources.forEach((from, j) => {
      if (j > 0) edges.push([from, bp.humans + j]);
    });
    edges.push(...extra);
    const transitions = new Map<number, Transition[]>();
    edges.forEach(([from, to], k) => {
      const list = transitions.get(from) ?? [];
      const target = names[to] as string;
      if (from === to || list.some((t) => t.to === target)) return;
      list.push({ to: target, ...attributes[k % attributes.length] });
      transitions.set(from, list);
    });
    const stages: Stage[] = order.map((i) => {
      const name = names[i] as string;
      if (i >= bp.humans) return { name, terminal: true, transitions: [] };
      const own = transitions.get(i) ?? [];
      const timeout = timeouts[i];
      if (!timeout) return { name, transitions: own };
      // A timeout may only take an ungated transition (it checks no gate).
      const ungated = own.filter((t) => (t.gates ?? []).length === 0);
      const onTimeout = timeout.target === null ? undefined : ungated[timeout.target % ungated.length]?.to;
      return {
        name,
        timeoutSeconds: timeout.seconds,
        ...(onTimeout === undefined ? {} : { onTimeout }),
        transitions: own,
      };
    });
    return parseWorkflowDefinition({
      name: `Random ${bp.kind} workflow`,
      kind: bp.kind,
      ...(description === undefined ? {} : { description }),
      initialStage: names[0],
      ...(bp.kind === 'release' && deployStage !== undefined ? { deployStage: names[deployStage] } : {}),
      stages,
    });
  });

/** One proposed move in a walk through a workflow. */
export interface TransitionStep {
  readonly from: string;
  readonly to: string;
  /** Whether `from → to` is a transition of the workflow (a disallowed step does not move the walk). */
  readonly allowed: boolean;
}

/** Options of {@link transitionSequenceArbitrary}. */
export interface TransitionSequenceOptions {
  /** The most steps in one sequence (default 20). */
  readonly maxLength?: number;
  /** Whether to mix in steps to arbitrary stages, most of them not allowed (default false). */
  readonly includeDisallowed?: boolean;
}

/**
 * Random sequences of transitions through a workflow, starting at its initial stage. Allowed steps
 * follow the workflow's transitions; the sequence stops at a terminal stage or after `maxLength` steps.
 */
export function transitionSequenceArbitrary(
  def: WorkflowDefinition,
  options: TransitionSequenceOptions = {},
): fc.Arbitrary<TransitionStep[]> {
  const maxLength = options.maxLength ?? 20;
  const picks = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 })), { maxLength });
  return picks.map((choices) => {
    const byName = new Map(def.stages.map((s) => [s.name, s]));
    const steps: TransitionStep[] = [];
    let current = byName.get(def.initialStage);
    for (const [pick, mode] of choices) {
      if (!current || current.terminal) break;
      if (options.includeDisallowed && mode === 0) {
        const to = def.stages[pick % def.stages.length]?.name as string;
        const allowed = current.transitions.some((t) => t.to === to);
        steps.push({ from: current.name, to, allowed });
        if (allowed) current = byName.get(to);
        continue;
      }
      const transition = current.transitions[pick % current.transitions.length] as Transition;
      steps.push({ from: current.name, to: transition.to, allowed: true });
      current = byName.get(transition.to);
    }
    return steps;
  });
}

/** A random valid workflow together with a random walk through it. */
export const workflowWithSequenceArbitrary: fc.Arbitrary<{
  def: WorkflowDefinition;
  steps: TransitionStep[];
}> = workflowDefinitionArbitrary.chain((def) =>
  transitionSequenceArbitrary(def, { includeDisallowed: true }).map((steps) => ({ def, steps })),
);
