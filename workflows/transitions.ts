/**
 * The transition rules the API applies before it signals a waiting stage. Pure: the caller gathers
 * the facts (deployment task states, CAB approval, blackouts) and the caller's processes.
 */
import { type Gate, type Stage, transitionProcesses, type WorkflowDefinition } from './definition.ts';

/** The facts a gate is checked against; a missing fact counts as not holding. */
export interface TransitionFacts {
  readonly allDeploymentTasksDone?: boolean;
  readonly allCiUpdatesApplied?: boolean;
  readonly cabApproval?: boolean;
  readonly noOpenBlackout?: boolean;
}

/** A requested transition. */
export interface TransitionRequest {
  readonly from: string;
  readonly to: string;
  /** The caller's processes (with `release` already implying `deployment`). */
  readonly processes: readonly string[];
  readonly facts: TransitionFacts;
  readonly reason?: string;
}

/** Why a transition was refused. */
export type TransitionRefusalCode =
  | 'unknown-stage'
  | 'not-allowed'
  | 'forbidden'
  | 'gate-failed'
  | 'reason-required'
  | 'terminal';

/** The transition may go ahead. */
export interface TransitionAccepted {
  readonly ok: true;
  /** The target stage is an exit: the release / RFC is finished. */
  readonly terminal: boolean;
  /** The target stage is the workflow's deploy stage: deployment tasks become ready. */
  readonly enteringDeployStage: boolean;
}

/** The transition is refused. */
export interface TransitionRefused {
  readonly ok: false;
  readonly code: TransitionRefusalCode;
  readonly detail: string;
  /** For `gate-failed`: every gate that does not hold. */
  readonly gates?: readonly Gate[];
}

/** The outcome of {@link checkTransition}. */
export type TransitionCheck = TransitionAccepted | TransitionRefused;

/** A transition out of a stage that a caller may take, as offered to clients. */
export interface AllowedTransition {
  readonly to: string;
  readonly gates: readonly Gate[];
  readonly requiresReason: boolean;
  readonly terminal: boolean;
}

/**
 * Checks a requested transition against a workflow.
 *
 * Checks run in this order and the first failure is returned: both stages exist (`unknown-stage`),
 * `from` is not terminal (`terminal`), `from → to` is a transition (`not-allowed`), the caller holds
 * one of its processes (`forbidden`), a required reason is given (`reason-required`), every gate
 * holds (`gate-failed`, listing all failing gates).
 */
export function checkTransition(def: WorkflowDefinition, request: TransitionRequest): TransitionCheck {
  const from = findStage(def, request.from);
  if (!from) return refuse('unknown-stage', `"${request.from}" is not a stage of workflow "${def.name}".`);
  const to = findStage(def, request.to);
  if (!to) return refuse('unknown-stage', `"${request.to}" is not a stage of workflow "${def.name}".`);
  if (from.terminal) {
    return refuse('terminal', `"${from.name}" is a terminal stage; nothing can move out of it.`);
  }
  const transition = from.transitions.find((t) => t.to === to.name);
  if (!transition) {
    const options = from.transitions.map((t) => `"${t.to}"`).join(', ');
    return refuse('not-allowed', `"${from.name}" cannot move to "${to.name}"; it can move to ${options}.`);
  }
  const processes = transitionProcesses(def.kind, transition);
  if (!processes.some((p) => request.processes.includes(p))) {
    return refuse(
      'forbidden',
      `Moving from "${from.name}" to "${to.name}" needs the ${processes.map((p) => `"${p}"`).join(' or ')} process.`,
    );
  }
  if (transition.requiresReason && (request.reason === undefined || request.reason.trim() === '')) {
    return refuse('reason-required', `Moving from "${from.name}" to "${to.name}" needs a reason.`);
  }
  const failing = [...new Set(transition.gates ?? [])].filter((gate) => request.facts[gate] !== true);
  if (failing.length > 0) {
    return {
      ok: false,
      code: 'gate-failed',
      detail: `Moving from "${from.name}" to "${to.name}" needs ${failing.map(describeGate).join(' and ')}.`,
      gates: failing,
    };
  }
  return { ok: true, terminal: to.terminal === true, enteringDeployStage: def.deployStage === to.name };
}

/**
 * The transitions out of `from` that a caller with `processes` may take, in definition order,
 * gates not evaluated. Empty for an unknown or terminal stage.
 */
export function allowedTransitions(
  def: WorkflowDefinition,
  from: string,
  processes: readonly string[],
): AllowedTransition[] {
  const stage = findStage(def, from);
  if (!stage) return [];
  return stage.transitions
    .filter((t) => transitionProcesses(def.kind, t).some((p) => processes.includes(p)))
    .map((t) => ({
      to: t.to,
      gates: [...new Set(t.gates ?? [])],
      requiresReason: t.requiresReason === true,
      terminal: findStage(def, t.to)?.terminal === true,
    }));
}

/** The stage of a workflow with this name, if any. */
export function findStage(def: WorkflowDefinition, name: string): Stage | undefined {
  return def.stages.find((s) => s.name === name);
}

/** Whether `name` is a terminal stage of the workflow. */
export function isTerminalStage(def: WorkflowDefinition, name: string): boolean {
  return findStage(def, name)?.terminal === true;
}

function refuse(code: TransitionRefusalCode, detail: string): TransitionRefused {
  return { ok: false, code, detail };
}

function describeGate(gate: Gate): string {
  switch (gate) {
    case 'allDeploymentTasksDone':
      return 'every deployment task done';
    case 'allCiUpdatesApplied':
      return 'every planned CI update applied';
    case 'cabApproval':
      return 'a CAB approval';
    case 'noOpenBlackout':
      return 'no blackout in force';
  }
}
