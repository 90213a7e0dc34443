/**
 * The workflow catalog subjects (releases, RFCs) are created and moved with, on the stored
 * published workflows: a new subject runs on the latest version of the workflow it names (else,
 * for a release, its team's default; else its kind's default, e.g. `release-default`) and keeps
 * that version's state machine version for its lifetime.
 *
 * The default workflows' state machines are created by the stack (the local cloud in `npm start`
 * and the tests); the catalog stores each one as version 1 of its workflow, by publishing the
 * machine's current revision, the first time it is asked for — and, once per process, adopts a
 * newer deployed revision as the next version, so a deployed change of `workflows/defaults`
 * reaches new releases (unless an administrator has published the workflow through the API since).
 */
import { NotFoundError, RuleViolationError, VersionConflictError } from '#domain/errors';
import type { Clock, IdempotencyRequest, IdGenerator, Page } from '#domain/ports';
import {
  type PublishedStateMachine,
  stagePublication,
  type Workflow,
  type WorkflowPublication,
  type WorkflowStore,
  type WorkflowVersion,
} from '#domain/workflow/service';
import type { WorkflowCatalog } from '#domain/workflow-run/ports';
import { type RunKind, SUBJECT_KINDS, type WorkflowRef } from '#domain/workflow-run/run';

import { type AslStateMachine, compileWorkflow } from '#workflows/compile';
import {
  DEFAULT_WORKFLOW_BY_KIND,
  type DefaultWorkflowId,
  defaultWorkflows,
} from '#workflows/defaults/index';
import type { WorkflowDefinition, WorkflowKind } from '#workflows/definition';
import { logger } from '../app/logger.ts';

/** Who the default workflows' first versions are recorded as published by. */
export const DEFAULTS_ACTOR = 'system:defaults';

/** Publishes the current revision of an existing state machine as a version. */
export interface StateMachineAdopter {
  /** Idempotent per revision: publishing an unchanged machine again returns the same version. */
  adopt(stateMachineArn: string): Promise<PublishedStateMachine>;
}

export interface DefaultWorkflowDeps {
  readonly store: WorkflowStore;
  /** The default workflows' definitions this code holds (default: `workflows/defaults`). */
  readonly defaultDefinitions?: Readonly<Partial<Record<DefaultWorkflowId, WorkflowDefinition>>>;
  readonly adopter: StateMachineAdopter;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

function isDefaultWorkflowId(id: string): id is DefaultWorkflowId {
  return Object.hasOwn(defaultWorkflows, id);
}

/**
 * Stores each default workflow that has a state machine in `stateMachineArns`: as version 1 when it
 * is not stored yet, or as the next version when the stack deployed a new revision of its machine
 * (or a new machine) since the latest version was adopted. A workflow an administrator published
 * through the API since is left as it is. Idempotent, also when run concurrently: a workflow
 * stored meanwhile is left as it is. Returns the ids it stored a version of.
 */
export async function ensureDefaultWorkflows(
  deps: DefaultWorkflowDeps,
  stateMachineArns: Readonly<Record<string, string | undefined>>,
): Promise<string[]> {
  const stored: string[] = [];
  for (const [id, arn] of Object.entries(stateMachineArns)) {
    if (!arn || !isDefaultWorkflowId(id)) continue;
    if (await ensureDefaultWorkflow(deps, id, arn)) stored.push(id);
  }
  return stored;
}

async function ensureDefaultWorkflow(
  deps: DefaultWorkflowDeps,
  id: DefaultWorkflowId,
  stateMachineArn: string,
): Promise<boolean> {
  const existing = await deps.store.get(id);
  // Published through the API since (its versions live on a machine of the API's own): it stands.
  if (existing && existing.updatedBy !== DEFAULTS_ACTOR) return false;
  const machine = await deps.adopter.adopt(stateMachineArn);
  if (existing) {
    const latest = await deps.store.getVersion(id, existing.latestVersion);
    if (latest?.stateMachineVersionArn === machine.stateMachineVersionArn) return false;
  }
  const definition = deps.defaultDefinitions?.[id] ?? defaultWorkflows[id];
  if (!runsDefinition(machine.asl, definition)) {
    // Mid-deployment, code of the other release of the stack: the machine runs a definition this
    // code does not hold, so storing it would pair one definition with another's ASL. The code
    // that matches the machine adopts it.
    logger.warn('Deployed default workflow differs from this code; not adopted here', { workflowId: id });
    return false;
  }
  const publication = stagePublication(id, definition, machine, existing, { id: DEFAULTS_ACTOR }, deps);
  try {
    await deps.store.publish(publication);
    return true;
  } catch (error) {
    // Another caller stored it first; publishing the same revision gave it the same version.
    if (error instanceof VersionConflictError) return false;
    throw error;
  }
}

/** JSON with sorted keys, and every partition written as `aws`, for comparing state machines. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : typeof v === 'string'
        ? v.replace(/^arn:aws[a-z-]*:/, 'arn:aws:')
        : v,
  );
}

/**
 * Whether a deployed machine runs what this code would compile the definition to (with the
 * record-stage function the machine names).
 */
export function runsDefinition(asl: AslStateMachine, definition: WorkflowDefinition): boolean {
  const task = Object.values(asl.States ?? {}).find(
    (state) => (state as { Parameters?: { FunctionName?: unknown } }).Parameters?.FunctionName !== undefined,
  ) as { Parameters: { FunctionName: string } } | undefined;
  if (!task) return false;
  const compiled = compileWorkflow(definition, { recordStageFunctionArn: task.Parameters.FunctionName });
  return canonical(compiled) === canonical(asl);
}

export interface StoredWorkflowCatalogOptions extends DefaultWorkflowDeps {
  /** The default workflow id of a release team, if it has one. */
  readonly teamDefaultWorkflow: (teamId: string) => Promise<string | undefined>;
  /** The default workflows' state machine ARNs by workflow id (DEFAULT_WORKFLOW_STATE_MACHINES). */
  readonly defaultStateMachines: Readonly<Record<string, string | undefined>>;
}

const MAX_CACHED_VERSIONS = 500;

/** How old the workflow a new subject is started on may be (docs/decisions.md, "Cached with a stated staleness"). */
export const LATEST_STALENESS_MS = 5_000;

/**
 * The {@link WorkflowCatalog} on the workflow store. Published versions are immutable, so they
 * are cached for the life of the container. {@link StoredWorkflowCatalog.store} is the same store
 * with the default workflows stored on first read, for the workflow use cases.
 */
export class StoredWorkflowCatalog implements WorkflowCatalog {
  readonly #options: StoredWorkflowCatalogOptions;
  readonly #versions = new Map<string, WorkflowVersion>();
  /** Workflows as read for a new subject, with when (a new version is used within LATEST_STALENESS_MS). */
  readonly #latest = new Map<string, { workflow: Workflow; at: number }>();
  readonly #ensuring = new Map<string, Promise<unknown>>();
  /** Default workflows checked against their deployed machine in this process. */
  readonly #checked = new Set<string>();
  #allEnsured = false;

  /** The workflow store, with each default workflow stored the first time it is read or listed. */
  readonly store: WorkflowStore;

  constructor(options: StoredWorkflowCatalogOptions) {
    this.#options = options;
    const inner = options.store;
    this.store = {
      get: async (id) => {
        await this.#checkOnce(id);
        return (await inner.get(id)) ?? (await this.#ensureThen(id, () => inner.get(id)));
      },
      getVersion: async (id, version) =>
        (await inner.getVersion(id, version)) ??
        (version === 1 ? await this.#ensureThen(id, () => inner.getVersion(id, version)) : undefined),
      list: async (page: { limit: number; cursor?: string | undefined; kind?: WorkflowKind | undefined }) => {
        await this.#ensureAll();
        return inner.list(page) as Promise<Page<Workflow>>;
      },
      publish: (publication: WorkflowPublication, idempotency?: IdempotencyRequest) => {
        this.#latest.clear();
        return inner.publish(publication, idempotency).finally(() => this.#latest.clear());
      },
      replayed: (idempotency) => inner.replayed(idempotency),
    };
  }

  async workflowFor(
    kind: RunKind,
    workflowId: string | undefined,
    teamId: string | undefined,
  ): Promise<WorkflowRef> {
    const teamDefault =
      workflowId === undefined && teamId ? await this.#options.teamDefaultWorkflow(teamId) : undefined;
    const id = workflowId ?? teamDefault ?? DEFAULT_WORKFLOW_BY_KIND[kind];
    const workflow = await this.#recent(id);
    if (!workflow) {
      throw new RuleViolationError('unknown-workflow', `Workflow ${id} does not exist.`, { workflowId: id });
    }
    if (workflow.kind !== kind) {
      const noun = SUBJECT_KINDS[kind].noun.toLowerCase();
      throw new RuleViolationError(
        `workflow-not-${kind}`,
        `Workflow ${id} is a ${workflow.kind} workflow; a ${noun} needs a ${kind} workflow.`,
        { workflowId: id, kind: workflow.kind },
      );
    }
    const published = await this.#version(id, workflow.latestVersion);
    if (!published) throw new NotFoundError('Version of workflow', `${id} v${workflow.latestVersion}`);
    return {
      id,
      version: published.version,
      stateMachineArn: published.stateMachineVersionArn,
      initialStage: published.definition.initialStage,
    };
  }

  /**
   * Workflow `id` as read at most {@link LATEST_STALENESS_MS} ago in this process: which version a
   * new release or RFC runs on may lag a publication by that long (this process's own at once).
   */
  async #recent(id: string): Promise<Workflow | undefined> {
    const now = Date.now();
    const kept = this.#latest.get(id);
    if (kept && now - kept.at <= LATEST_STALENESS_MS) return kept.workflow;
    const workflow = await this.store.get(id);
    if (workflow) {
      if (this.#latest.size >= MAX_CACHED_VERSIONS) this.#latest.clear();
      this.#latest.set(id, { workflow, at: now });
    }
    return workflow;
  }

  async definition(ref: { id: string; version: number }): Promise<WorkflowDefinition> {
    const published = await this.#version(ref.id, ref.version);
    if (!published) throw new NotFoundError('Workflow', `${ref.id} v${ref.version}`);
    return published.definition;
  }

  async #version(id: string, version: number): Promise<WorkflowVersion | undefined> {
    const key = `${id}@${version}`;
    const cached = this.#versions.get(key);
    if (cached) return cached;
    const found = await this.store.getVersion(id, version);
    if (found) {
      if (this.#versions.size >= MAX_CACHED_VERSIONS) this.#versions.clear();
      this.#versions.set(key, found);
    }
    return found;
  }

  /**
   * Once per process (a new deployment starts new processes), adopts a newer deployed revision of
   * default workflow `id`. A failure is logged and retried on the next read: releases still run on
   * what is stored.
   */
  async #checkOnce(id: string): Promise<void> {
    if (this.#checked.has(id) || !isDefaultWorkflowId(id) || !this.#options.defaultStateMachines[id]) return;
    try {
      await this.#ensureThen(id, async () => undefined);
      this.#checked.add(id);
    } catch (error) {
      logger.warn('Checking a default workflow against its deployed machine failed', {
        workflowId: id,
        error,
      });
    }
  }

  /** Stores default workflow `id` if it is one and has a machine, then reads again. */
  async #ensureThen<T>(id: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const arn = this.#options.defaultStateMachines[id];
    if (!arn || !isDefaultWorkflowId(id)) return undefined;
    let pending = this.#ensuring.get(id);
    if (!pending) {
      pending = ensureDefaultWorkflows(this.#options, { [id]: arn }).finally(() => this.#ensuring.delete(id));
      this.#ensuring.set(id, pending);
    }
    await pending;
    return read();
  }

  async #ensureAll(): Promise<void> {
    if (this.#allEnsured) return;
    try {
      await ensureDefaultWorkflows(this.#options, this.#options.defaultStateMachines);
      this.#allEnsured = true;
    } catch (error) {
      // A list still answers with what is stored; the next read or list tries again.
      logger.warn('Storing the default workflows failed', { error });
    }
  }
}
