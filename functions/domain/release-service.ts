/**
 * Release use cases. Each receives its ports, so tests run them on in-memory fakes.
 */
import { type Actor, requireProcess } from './actor.ts';
import { NotFoundError, RuleViolationError, VersionConflictError } from './errors.ts';
import type { DomainEvent } from './events.ts';
import type { Clock, IdGenerator, Page } from './ports.ts';
import {
  type NewRelease,
  newRelease,
  type Release,
  type ReleaseChanges,
  updateRelease,
  type WorkflowRef,
} from './release.ts';

/** A POST's Idempotency-Key, scoped to its caller, and a fingerprint of its body. */
export interface IdempotencyRequest {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

export interface ReleaseStore {
  /** Stores a new release with its event; a repeated Idempotency-Key returns the first release. */
  create(
    release: Release,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<{ release: Release; replayed: boolean }>;
  get(id: string): Promise<Release | undefined>;
  /** Replaces the release if its stored version is still `expectedVersion`, with the event. */
  save(release: Release, expectedVersion: number, event: DomainEvent): Promise<void>;
  /** Newest first. */
  list(page: { limit: number; cursor?: string | undefined }): Promise<Page<Release>>;
}

export interface WorkflowCatalog {
  /** The published workflow version a new release runs on (the team's default when none is named). */
  releaseWorkflow(workflowId: string | undefined, teamId: string | undefined): Promise<WorkflowRef>;
}

export interface ExecutionStarter {
  /**
   * Starts the release's execution (name = release id). Best effort here: the `Release Created`
   * consumer starts it too, and StartExecution is idempotent for the same name and input.
   */
  startRelease(release: Release): Promise<void>;
}

export interface ReleasePorts {
  readonly releases: ReleaseStore;
  readonly workflows: WorkflowCatalog;
  readonly executions: ExecutionStarter;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface CreateReleaseInput extends NewRelease {
  workflowId?: string | undefined;
}

export async function createRelease(
  input: CreateReleaseInput,
  actor: Actor,
  ports: ReleasePorts,
  idempotency?: IdempotencyRequest,
): Promise<{ release: Release; replayed: boolean }> {
  requireProcess(actor, 'release');
  const workflow = await ports.workflows.releaseWorkflow(input.workflowId, input.teamId);
  const { release, event } = newRelease(input, workflow, actor, ports);
  const stored = await ports.releases.create(release, event, idempotency);
  if (!stored.replayed) await ports.executions.startRelease(stored.release);
  return stored;
}

export async function getRelease(
  id: string,
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases'>,
): Promise<Release> {
  requireProcess(actor, 'change', 'release', 'deployment');
  const release = await ports.releases.get(id);
  if (!release) throw new NotFoundError('Release', id);
  return release;
}

export async function listReleases(
  page: { limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<ReleasePorts, 'releases'>,
): Promise<Page<Release>> {
  requireProcess(actor, 'change', 'release', 'deployment');
  return ports.releases.list(page);
}

export async function editRelease(
  id: string,
  changes: ReleaseChanges,
  expectedVersion: number,
  actor: Actor,
  ports: ReleasePorts,
): Promise<Release> {
  requireProcess(actor, 'release');
  const current = await getRelease(id, actor, ports);
  if (current.version !== expectedVersion) {
    throw new VersionConflictError(
      `Release ${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`,
      current.version,
    );
  }
  if (current.status !== 'active') {
    throw new RuleViolationError(
      'release-not-active',
      `Release ${id} is ${current.status} and can no longer be edited.`,
    );
  }
  const { release, event } = updateRelease(current, changes, actor, ports);
  await ports.releases.save(release, expectedVersion, event);
  return release;
}
