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
