/**
 * The configurable workflow definition: its zod schema, its semantic rules and its parser.
 *
 * Pure: no AWS SDK, no I/O, no environment. A definition describes the stages of a release or an RFC
 * and the transitions between them; `compile.ts` turns it into Amazon States Language.
 */
import * as z from 'zod';

/** The longest stage (= state) name Step Functions accepts. */
export const MAX_STAGE_NAME_LENGTH = 80;

/** The largest `TimeoutSeconds` Step Functions accepts on a Task state. */
export const MAX_TIMEOUT_SECONDS = 99_999_999;

/**
 * Prefixes of the state names the compiler generates. A stage name may not start with one of them
 * (compared case-insensitively), so a generated state can never collide with a stage.
 */
export const RESERVED_STAGE_PREFIXES = ['Route from ', 'Timeout from ', 'Record exit from '] as const;

/** Names the compiler uses for its own states; no stage may be called so (case-insensitively). */
export const RESERVED_STAGE_NAMES = ['Workflow Failed'] as const;

// Letters, marks, digits and a few punctuation marks that Step Functions and CloudWatch accept in
// state names, as words separated by single spaces. `@` is deliberately excluded: the compiler
// uses it in shortened generated names, which therefore can never equal a stage-derived name.
const STAGE_NAME_PATTERN = /^[\p{L}\p{M}\p{N}_.()'+!=-]+(?: [\p{L}\p{M}\p{N}_.()'+!=-]+)*$/u;

/** The processes (roles) of ITIL Release and Change Management. */
export const Process = z.enum(['change', 'release', 'deployment']);
/** A process (role) a user may hold. */
export type Process = z.infer<typeof Process>;

/** The facts a transition may require to hold before it is accepted. */
export const Gate = z.enum([
  'allDeploymentTasksDone',
  'allCiUpdatesApplied',
  'cabApproval',
  'noOpenBlackout',
]);
/** A gate on a transition. */
export type Gate = z.infer<typeof Gate>;

/** Whether a workflow runs releases or changes (RFCs). */
export const WorkflowKind = z.enum(['release', 'change']);
/** The kind of subject a workflow runs. */
export type WorkflowKind = z.infer<typeof WorkflowKind>;

/** A stage name: also the name of its state in the compiled state machine. */
export const StageName = z
  .string()
  .min(1, 'A stage name must not be empty.')
  .max(MAX_STAGE_NAME_LENGTH, `A stage name must be at most ${MAX_STAGE_NAME_LENGTH} characters long.`)
  .regex(
    STAGE_NAME_PATTERN,
    "A stage name may contain only letters, digits, single spaces between words and the characters _ . ( ) ' + ! = -.",
  )
  .refine((name) => !isReservedStageName(name), {
    message: `A stage name must not start with ${RESERVED_STAGE_PREFIXES.map((p) => `"${p}"`).join(' or ')} nor be ${RESERVED_STAGE_NAMES.map((n) => `"${n}"`).join(', ')}: those names are used by the compiler.`,
  });

/** One allowed move out of a stage. */
export const Transition = z.strictObject({
  /** The stage this transition enters. */
  to: StageName,
  /** Who may trigger it; defaults by workflow kind (release → `['release']`, change → `['change']`). */
  processes: z.array(Process).min(1, 'List at least one process, or leave `processes` out.').optional(),
  /** Facts that must hold before the transition is accepted. */
  gates: z.array(Gate).optional(),
  /** Whether the caller must give a non-blank reason. */
  requiresReason: z.boolean().optional(),
});
/** One allowed move out of a stage. */
export type Transition = z.infer<typeof Transition>;

/** A stage of a workflow: a human stage (waits for a transition) or a terminal stage (an exit). */
export const Stage = z.strictObject({
  name: StageName,
  /** An exit (e.g. Closure, Cancelled): no transitions, compiles to a Succeed state. */
  terminal: z.boolean().optional(),
  /** How long the stage may wait for a transition before it times out. */
  timeoutSeconds: z
    .number()
    .int('A timeout is a whole number of seconds.')
    .min(1, 'A timeout is at least 1 second.')
    .max(MAX_TIMEOUT_SECONDS, `A timeout is at most ${MAX_TIMEOUT_SECONDS} seconds.`)
    .optional(),
  /** Where a timed-out stage goes; without it a timeout fails the execution. */
  onTimeout: StageName.optional(),
  transitions: z.array(Transition).default([]),
});
/** A stage of a workflow. */
export type Stage = z.infer<typeof Stage>;

const BaseWorkflowDefinition = z.strictObject({
  name: z.string().trim().min(1).max(80),
  kind: WorkflowKind,
  description: z.string().max(2000).optional(),
  /** The stage a new release / RFC starts in; must be a human stage. */
  initialStage: StageName,
  /** Release workflows only: the human stage whose entry makes the release's deployment tasks ready. */
  deployStage: StageName.optional(),
  stages: z.array(Stage).min(1, 'A workflow needs at least one stage.'),
});

/** A configurable release or change workflow, with every semantic rule checked. */
export const WorkflowDefinition = BaseWorkflowDefinition.superRefine((def, ctx) => {
  for (const issue of semanticIssues(def)) {
    ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  }
});
/** A valid workflow definition (the parsed output of {@link WorkflowDefinition}). */
export type WorkflowDefinition = z.infer<typeof WorkflowDefinition>;
/** What a caller may submit as a workflow definition (before defaults are applied). */
export type WorkflowDefinitionInput = z.input<typeof WorkflowDefinition>;

/** One semantic fault of a definition, named by its path. */
export interface WorkflowIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A submitted workflow definition is not valid; `issues` names every fault by its path. */
export class InvalidWorkflowError extends Error {
  readonly issues: readonly WorkflowIssue[];
  constructor(issues: readonly WorkflowIssue[]) {
    const first = issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    super(
      first
        ? `Invalid workflow definition${where}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`
        : 'Invalid workflow definition.',
    );
    this.name = 'InvalidWorkflowError';
    this.issues = issues;
  }
}

/**
 * Parses and validates a workflow definition.
 *
 * @throws {@link InvalidWorkflowError} naming every fault (shape and semantics) by its path.
 */
export function parseWorkflowDefinition(input: unknown): WorkflowDefinition {
  const result = WorkflowDefinition.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidWorkflowError(
    result.error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
    })),
  );
}

/** Whether a name is reserved for the compiler's own states. */
export function isReservedStageName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    RESERVED_STAGE_PREFIXES.some((prefix) => lower.startsWith(prefix.toLowerCase())) ||
    RESERVED_STAGE_NAMES.some((reserved) => lower === reserved.toLowerCase())
  );
}

/** The processes that may trigger a transition: its own list, or the workflow kind's default. */
export function transitionProcesses(kind: WorkflowKind, transition: Transition): readonly Process[] {
  return transition.processes ?? [kind];
}

type BaseDefinition = z.infer<typeof BaseWorkflowDefinition>;

function semanticIssues(def: BaseDefinition): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const index = new Map<string, number>();

  def.stages.forEach((stage, i) => {
    if (index.has(stage.name)) {
      issues.push({
        path: ['stages', i, 'name'],
        message: `Stage name "${stage.name}" is already used by stages[${index.get(stage.name)}].`,
      });
    } else {
      index.set(stage.name, i);
    }
  });
  const stageNamed = (name: string) => {
    const i = index.get(name);
    return i === undefined ? undefined : def.stages[i];
  };

  const initial = stageNamed(def.initialStage);
  if (!initial) {
    issues.push({ path: ['initialStage'], message: `Initial stage "${def.initialStage}" is not a stage.` });
  } else if (initial.terminal) {
    issues.push({
      path: ['initialStage'],
      message: `Initial stage "${def.initialStage}" is terminal; it must be a human stage.`,
    });
  }

  if (def.deployStage !== undefined) {
    const deploy = stageNamed(def.deployStage);
    if (def.kind !== 'release') {
      issues.push({ path: ['deployStage'], message: 'Only release workflows have a deploy stage.' });
    } else if (!deploy) {
      issues.push({ path: ['deployStage'], message: `Deploy stage "${def.deployStage}" is not a stage.` });
    } else if (deploy.terminal) {
      issues.push({
        path: ['deployStage'],
        message: `Deploy stage "${def.deployStage}" is terminal; it must be a human stage.`,
      });
    }
  }

  def.stages.forEach((stage, i) => {
    if (stage.terminal) {
      if (stage.transitions.length > 0) {
        issues.push({
          path: ['stages', i, 'transitions'],
          message: `Terminal stage "${stage.name}" must not have transitions.`,
        });
      }
      if (stage.timeoutSeconds !== undefined) {
        issues.push({
          path: ['stages', i, 'timeoutSeconds'],
          message: `Terminal stage "${stage.name}" does not wait, so it cannot time out.`,
        });
      }
      if (stage.onTimeout !== undefined) {
        issues.push({
          path: ['stages', i, 'onTimeout'],
          message: `Terminal stage "${stage.name}" does not wait, so it cannot time out.`,
        });
      }
      return;
    }
    if (stage.transitions.length === 0) {
      issues.push({
        path: ['stages', i, 'transitions'],
        message: `Human stage "${stage.name}" needs at least one transition (or mark it terminal).`,
      });
    }
    const targets = new Map<string, number>();
    stage.transitions.forEach((transition, j) => {
      const path = ['stages', i, 'transitions', j, 'to'];
      if (!index.has(transition.to)) {
        issues.push({ path, message: `Transition target "${transition.to}" is not a stage.` });
      }
      if (transition.to === stage.name) {
        issues.push({ path, message: `Stage "${stage.name}" cannot transition to itself.` });
      }
      const earlier = targets.get(transition.to);
      if (earlier !== undefined) {
        issues.push({
          path,
          message: `Stage "${stage.name}" already has a transition to "${transition.to}" (transitions[${earlier}]).`,
        });
      } else {
        targets.set(transition.to, j);
      }
    });
    if (stage.onTimeout !== undefined) {
      const path = ['stages', i, 'onTimeout'];
      if (!index.has(stage.onTimeout)) {
        issues.push({ path, message: `Timeout target "${stage.onTimeout}" is not a stage.` });
      } else if (!targets.has(stage.onTimeout)) {
        issues.push({
          path,
          message: `Timeout target "${stage.onTimeout}" must also be one of the transitions of "${stage.name}".`,
        });
      } else if ((stage.transitions[targets.get(stage.onTimeout) as number]?.gates ?? []).length > 0) {
        // A timeout moves the execution by itself: nobody checks a gate (a blackout, tasks, the CAB).
        issues.push({
          path,
          message: `Timeout target "${stage.onTimeout}" is reached through a gated transition of "${stage.name}"; a timeout checks no gate, so it may only take an ungated one.`,
        });
      }
      if (stage.timeoutSeconds === undefined) {
        issues.push({ path, message: '`onTimeout` needs `timeoutSeconds`.' });
      }
    }
  });

  // Graph rules only make sense once every name resolves.
  if (issues.length > 0 || !initial) return issues;

  const successors = (name: string) => stageNamed(name)?.transitions.map((t) => t.to) ?? [];
  const reachable = closure([def.initialStage], successors);
  def.stages.forEach((stage, i) => {
    if (!reachable.has(stage.name)) {
      issues.push({
        path: ['stages', i, 'name'],
        message: `Stage "${stage.name}" cannot be reached from the initial stage "${def.initialStage}".`,
      });
    }
  });

  const terminals = def.stages.filter((s) => s.terminal && reachable.has(s.name)).map((s) => s.name);
  if (terminals.length === 0) {
    issues.push({
      path: ['stages'],
      message: `No terminal stage can be reached from the initial stage "${def.initialStage}".`,
    });
    return issues;
  }

  // A loop of human stages with no way out would trap a release forever.
  const predecessors = new Map<string, string[]>();
  for (const stage of def.stages) {
    for (const t of stage.transitions)
      predecessors.set(t.to, [...(predecessors.get(t.to) ?? []), stage.name]);
  }
  const canFinish = closure(terminals, (name) => predecessors.get(name) ?? []);
  def.stages.forEach((stage, i) => {
    if (reachable.has(stage.name) && !canFinish.has(stage.name)) {
      issues.push({
        path: ['stages', i, 'transitions'],
        message: `No terminal stage can be reached from stage "${stage.name}".`,
      });
    }
  });
  return issues;
}

function closure(start: readonly string[], next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>(start);
  const queue = [...start];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const n of next(name)) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}
