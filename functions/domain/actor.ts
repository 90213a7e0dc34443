/**
 * Who is calling, and which ITIL processes they hold. Process rules live here, not at the edge.
 */
import { Process } from '#workflows/definition';
import { ForbiddenError } from './errors.ts';

// One definition of the processes: the workflows' (a workflow's transitions name them).
export { Process };
/** The three processes, in their fixed order. */
export const PROCESSES = Process.options;

export interface Actor {
  readonly id: string;
  readonly admin: boolean;
  readonly processes: ReadonlySet<Process>;
  /** Teams the actor belongs to (release and deployment teams). */
  readonly teamIds: readonly string[];
  /** Work groups the actor belongs to. */
  readonly workGroupIds: readonly string[];
}

/**
 * Granting Release Management grants Deployment Management automatically (release managers take
 * part in deployment); the stored set always includes the implied processes.
 */
export function withImpliedProcesses(processes: Iterable<Process>): Process[] {
  const set = new Set(processes);
  if (set.has('release')) set.add('deployment');
  return PROCESSES.filter((p) => set.has(p));
}

/** The processes the actor acts with: all of them for an administrator. */
export function processesOf(actor: Actor): Process[] {
  return actor.admin ? [...PROCESSES] : [...actor.processes];
}

export function hasProcess(actor: Actor, process: Process): boolean {
  return actor.processes.has(process);
}

/** Throws unless the actor holds at least one of the processes. */
export function requireProcess(actor: Actor, ...anyOf: Process[]): void {
  if (actor.admin) return;
  if (!anyOf.some((p) => actor.processes.has(p))) {
    throw new ForbiddenError(`This action needs the ${anyOf.join(' or ')} process.`);
  }
}

export function requireAdmin(actor: Actor): void {
  if (!actor.admin) throw new ForbiddenError('This action needs an administrator.');
}

/**
 * Who may run a use case, declared once beside it (each aggregate's `…Access` table). The route
 * that calls it declares the same object, so the edge refuses an outsider before it reads the
 * request (validation errors tell them nothing); the use case checks it again for every other
 * caller. Finer rules (team membership, a workflow's processes) are the use case's own.
 */
export type Access =
  /** Any caller the API knows; the use case decides the rest (e.g. users read themselves). */
  | { readonly signedIn: true }
  | { readonly admin: true }
  /** Any one of these processes (or an administrator). */
  | { readonly processes: readonly Process[] };

export const ADMIN: Access = { admin: true };
export const SIGNED_IN: Access = { signedIn: true };
/** Any of the three processes (or an administrator). */
export const ANY_PROCESS: Access = { processes: PROCESSES };

/** Throws unless the actor may run a use case declared with `access`. */
export function authorize(actor: Actor, access: Access): void {
  if ('admin' in access) requireAdmin(actor);
  if ('processes' in access) requireProcess(actor, ...access.processes);
}
