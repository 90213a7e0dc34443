/**
 * Workflow use cases: administrators publish release and change workflows as immutable versions
 * (each one a Step Functions state machine version); anyone holding a process may read them.
 * Each use case receives its ports, so tests run it on in-memory fakes.
 */
import type { AslStateMachine } from '#workflows/compile';
import {
  InvalidWorkflowError,
  parseWorkflowDefinition,
  type WorkflowDefinition,
  type WorkflowKind,
} from '#workflows/definition';
import { type Access, type Actor, ADMIN, ANY_PROCESS, authorize } from '../actor.ts';
import { NotFoundError, RuleViolationError, ValidationError, VersionConflictError } from '../errors.ts';
import { type DomainEvent, eventMeta } from '../events.ts';
import type { Clock, IdempotencyRequest, IdGenerator, Page } from '../ports.ts';
import { WORKFLOW_ID_PATTERN, WorkflowPublished } from './events.ts';

// The workflow id pattern `Workflow Published` publishes is declared with its schema.
export { WORKFLOW_ID_PATTERN };

/** A workflow: its identity and where its latest published version stands. */
export interface Workflow {
  readonly id: string;
  /** The latest version's name. */
  readonly name: string;
  /** Fixed by the first version: a release workflow stays one. */
  readonly kind: WorkflowKind;
  readonly description?: string;
  /** The newest published version (1, 2, …). */
  readonly latestVersion: number;
  /** The state machine every version of this workflow is a version of. */
  readonly stateMachineArn: string;
  /** Optimistic-lock version of this item. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** One published version of a workflow: immutable once stored. */
export interface WorkflowVersion {
  readonly workflowId: string;
  readonly version: number;
  readonly definition: WorkflowDefinition;
  /** The Amazon States Language the state machine version runs. */
  readonly asl: AslStateMachine;
  /** The state machine version ARN releases on this workflow version start their executions on. */
  readonly stateMachineVersionArn: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

/** A workflow together with one of its versions (the latest unless a version was asked for). */
export interface WorkflowWithVersion {
  readonly workflow: Workflow;
  readonly published: WorkflowVersion;
}

/** What publishing a version commits in one transaction. */
export interface WorkflowPublication {
  readonly workflow: Workflow;
  readonly published: WorkflowVersion;
  /** The stored workflow's lock version; `undefined` when this is the first version. */
  readonly expectedVersion: number | undefined;
  readonly event: DomainEvent;
}

export interface WorkflowStore {
  get(id: string): Promise<Workflow | undefined>;
  getVersion(id: string, version: number): Promise<WorkflowVersion | undefined>;
  /** Ordered by kind, then id; only workflows of `kind` when given. */
  list(page: {
    limit: number;
    cursor?: string | undefined;
    kind?: WorkflowKind | undefined;
  }): Promise<Page<Workflow>>;
  /**
   * Stores the new version (which must not exist yet) and the workflow (at `expectedVersion`) with
   * the event, in one transaction; a stale version is a VersionConflictError. With an
   * Idempotency-Key already used for the same request it writes nothing and returns what that
   * request published.
   */
  publish(
    publication: WorkflowPublication,
    idempotency?: IdempotencyRequest,
  ): Promise<{ replayed?: { id: string; version: number } }>;
  /**
   * The workflow version a POST with this Idempotency-Key published before, if any.
   *
   * @throws IdempotencyKeyReusedError when the key was used with another request.
   */
  replayed(idempotency: IdempotencyRequest): Promise<{ id: string; version: number } | undefined>;
}

/** The result of publishing a state machine version. */
export interface PublishedStateMachine {
  readonly stateMachineArn: string;
  readonly stateMachineVersionArn: string;
  readonly asl: AslStateMachine;
}

export interface WorkflowPublisher {
  /**
   * Compiles the definition and publishes it as a new version of the workflow's state machine,
   * creating the machine when `stateMachineArn` is undefined. Safe to retry.
   */
  publish(request: {
    workflowId: string;
    definition: WorkflowDefinition;
    stateMachineArn: string | undefined;
  }): Promise<PublishedStateMachine>;
}

export interface WorkflowPorts {
  readonly workflowStore: WorkflowStore;
  readonly workflowPublisher: WorkflowPublisher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface PublishWorkflowInput {
  /** Left out: derived from the definition's name. */
  id?: string | undefined;
  /** Validated here: a bad definition is a 400 naming `definition.<path>`. */
  definition: unknown;
  /** When given, the workflow's current version; a stale one is a 409. */
  expectedVersion?: number | undefined;
}

/** The outcome of a publish: `created` for a new workflow, `changed` false when nothing changed. */
export interface PublishOutcome extends WorkflowWithVersion {
  readonly created: boolean;
  /** False when the definition equals the latest version's: nothing was published. */
  readonly changed: boolean;
  /** True when an Idempotency-Key already used for this request returned its first outcome. */
  readonly replayed: boolean;
}

/** Who may use the workflow use cases (the routes declare these same objects). */
export const workflowAccess = {
  publish: ADMIN,
  read: ANY_PROCESS,
} as const satisfies Record<string, Access>;

/** A slug for a workflow name: `Payroll fast track` → `payroll-fast-track`; undefined if none fits. */
export function workflowIdFromName(name: string): string | undefined {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return WORKFLOW_ID_PATTERN.test(slug) ? slug : undefined;
}

function parseDefinition(input: unknown): WorkflowDefinition {
  try {
    return parseWorkflowDefinition(input);
  } catch (error) {
    if (!(error instanceof InvalidWorkflowError)) throw error;
    throw new ValidationError(
      'The workflow definition is not valid.',
      error.issues.map((issue) => ({
        path: ['definition', ...issue.path].join('.'),
        message: issue.message,
      })),
    );
  }
}

function resolveId(id: string | undefined, definition: WorkflowDefinition): string {
  if (id !== undefined) {
    if (!WORKFLOW_ID_PATTERN.test(id)) {
      throw new ValidationError('The workflow id is not valid.', [
        { path: 'id', message: 'must be 2-63 characters of a-z 0-9 -, starting with a letter or digit' },
      ]);
    }
    return id;
  }
  const derived = workflowIdFromName(definition.name);
  if (!derived) {
    throw new ValidationError('No workflow id can be derived from the name.', [
      { path: 'id', message: 'is required: the name gives no slug of 2-63 characters a-z 0-9 -' },
    ]);
  }
  return derived;
}

async function withVersion(
  id: string,
  ports: Pick<WorkflowPorts, 'workflowStore'>,
  version?: number,
): Promise<WorkflowWithVersion> {
  const workflow = await ports.workflowStore.get(id);
  if (!workflow) throw new NotFoundError('Workflow', id);
  const wanted = version ?? workflow.latestVersion;
  const published =
    wanted > workflow.latestVersion ? undefined : await ports.workflowStore.getVersion(id, wanted);
  if (!published) throw new NotFoundError('Version of workflow', `${id} v${wanted}`);
  return { workflow, published };
}

// Definitions are plain JSON data, so a key-order-insensitive comparison of their JSON suffices.
function sameDefinition(a: WorkflowDefinition, b: WorkflowDefinition): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Validates, compiles and publishes a workflow definition as the next version of workflow `id`
 * (version 1 of a new workflow). Administrators only. A definition equal to the latest version's
 * publishes nothing and returns that version (`changed: false`).
 */
export async function publishWorkflow(
  input: PublishWorkflowInput,
  actor: Actor,
  ports: WorkflowPorts,
  idempotency?: IdempotencyRequest,
): Promise<PublishOutcome> {
  authorize(actor, workflowAccess.publish);
  if (idempotency) {
    const first = await ports.workflowStore.replayed(idempotency);
    if (first) {
      const found = await withVersion(first.id, ports, first.version);
      return { ...found, created: first.version === 1, changed: true, replayed: true };
    }
  }
  const definition = parseDefinition(input.definition);
  const id = resolveId(input.id, definition);
  const existing = await ports.workflowStore.get(id);

  if (input.expectedVersion !== undefined && existing?.version !== input.expectedVersion) {
    throw new VersionConflictError(
      existing
        ? `Workflow ${id} is at version ${existing.version}, not ${input.expectedVersion}; read it again and retry.`
        : `Workflow ${id} does not exist yet; leave expectedVersion out to create it.`,
      existing?.version,
    );
  }
  if (existing && existing.kind !== definition.kind) {
    throw new RuleViolationError(
      'workflow-kind-changed',
      `Workflow ${id} is a ${existing.kind} workflow; a new version cannot make it a ${definition.kind} workflow.`,
      { workflowId: id, kind: existing.kind },
    );
  }
  if (existing) {
    const latest = await ports.workflowStore.getVersion(id, existing.latestVersion);
    if (latest && sameDefinition(latest.definition, definition)) {
      return { workflow: existing, published: latest, created: false, changed: false, replayed: false };
    }
  }

  const machine = await ports.workflowPublisher.publish({
    workflowId: id,
    definition,
    stateMachineArn: existing?.stateMachineArn,
  });
  const outcome = stagePublication(id, definition, machine, existing, actor, ports);
  const { replayed } = await ports.workflowStore.publish(outcome, idempotency);
  if (replayed) {
    const found = await withVersion(replayed.id, ports, replayed.version);
    return { ...found, created: replayed.version === 1, changed: true, replayed: true };
  }
  return {
    workflow: outcome.workflow,
    published: outcome.published,
    created: !existing,
    changed: true,
    replayed: false,
  };
}

/**
 * The workflow and version items (and the `Workflow Published` event) for a state machine version
 * just published as the next version of `existing` (version 1 when there is none).
 */
export function stagePublication(
  id: string,
  definition: WorkflowDefinition,
  machine: PublishedStateMachine,
  existing: Workflow | undefined,
  actor: Pick<Actor, 'id'>,
  deps: { clock: Clock; ids: IdGenerator },
): WorkflowPublication {
  const now = deps.clock.now().toISOString();
  const versionNumber = (existing?.latestVersion ?? 0) + 1;
  const workflow: Workflow = {
    id,
    name: definition.name,
    kind: existing?.kind ?? definition.kind,
    ...(definition.description ? { description: definition.description } : {}),
    latestVersion: versionNumber,
    stateMachineArn: machine.stateMachineArn,
    version: (existing?.version ?? 0) + 1,
    createdAt: existing?.createdAt ?? now,
    createdBy: existing?.createdBy ?? actor.id,
    updatedAt: now,
    updatedBy: actor.id,
  };
  const published: WorkflowVersion = {
    workflowId: id,
    version: versionNumber,
    definition,
    asl: machine.asl,
    stateMachineVersionArn: machine.stateMachineVersionArn,
    publishedAt: now,
    publishedBy: actor.id,
  };
  const event = WorkflowPublished.event(
    {
      workflowId: id,
      version: versionNumber,
      name: workflow.name,
      kind: workflow.kind,
      stateMachineArn: machine.stateMachineArn,
      stateMachineVersionArn: machine.stateMachineVersionArn,
    },
    eventMeta(deps.ids, now, actor.id, id),
  );
  return { workflow, published, expectedVersion: existing?.version, event };
}

/** A workflow with its latest version, or with `version` when asked. Any process holder may read. */
export async function getWorkflow(
  id: string,
  actor: Actor,
  ports: Pick<WorkflowPorts, 'workflowStore'>,
  version?: number,
): Promise<WorkflowWithVersion> {
  authorize(actor, workflowAccess.read);
  return withVersion(id, ports, version);
}

/** Workflows by kind, then id; only those of `kind` when given. Any process holder may read. */
export async function listWorkflows(
  query: { kind?: WorkflowKind | undefined; limit: number; cursor?: string | undefined },
  actor: Actor,
  ports: Pick<WorkflowPorts, 'workflowStore'>,
): Promise<Page<Workflow>> {
  authorize(actor, workflowAccess.read);
  return ports.workflowStore.list(query);
}
