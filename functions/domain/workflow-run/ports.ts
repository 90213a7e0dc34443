/**
 * What a workflow run needs from the outside world, whatever the kind of subject: its store, the
 * token its execution waits on, the execution itself, and the workflow definitions. Adapters
 * implement them (functions/store, functions/adapters/sfn); domain tests use in-memory fakes.
 */
import type { WorkflowDefinition } from '#workflows/definition';
import type { DomainEvent } from '../events.ts';
import type { Clock, IdempotencyRequest, IdempotentWrite, IdGenerator, Page } from '../ports.ts';
import type { ObservedExecution } from './reconcile.ts';
import type { RunKind, RunSubject, StageSignal, WorkflowRef } from './run.ts';

/** The subjects of one kind, with their events beside them. */
export interface RunStore<S extends RunSubject> {
  /**
   * Stores a new subject with its created event (409 if it exists); under an Idempotency-Key
   * used before for the same request it stores nothing and names the first request's subject.
   */
  create(subject: S, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite>;
  get(id: string): Promise<S | undefined>;
  /**
   * Replaces the subject if its stored version is still `expectedVersion`, with its events (409
   * otherwise). Given the subject as it was read (`previous`), the store also updates what it keeps
   * beside it from the difference (a release's links to its RFCs); moves leave those alone.
   */
  save(subject: S, expectedVersion: number, events: readonly DomainEvent[], previous?: S): Promise<void>;
  /** Its events, oldest first: its audit trail. */
  history(id: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<DomainEvent>>;
  /** One committed event, by its id (what a consumer trusts instead of the bus). */
  event(id: string, eventId: string): Promise<DomainEvent | undefined>;
  /** The subjects still running (status `active`), for the reconciler. */
  active(page: { limit: number; cursor?: string | undefined }): Promise<Page<S>>;
}

/** The stage task an execution waits on, as its record-stage call recorded it. */
export interface WaitingTask {
  readonly stage: string;
  readonly entry: number;
  readonly taskToken: string;
}

export interface WaitStore {
  waiting(kind: RunKind, id: string): Promise<WaitingTask | undefined>;
  /** Records the task unless a newer entry is recorded already; false when it was stale. */
  record(kind: RunKind, id: string, task: WaitingTask, at: string): Promise<boolean>;
}

/** Answers the waiting stage with an accepted transition (SendTaskSuccess). */
export interface StageSignals {
  /**
   * Answers the waiting stage's task token and waits briefly for the execution to reach the new
   * stage. Best effort: false (never throws) when it could not confirm; the `<entered>` event's
   * consumer then retries until it lands.
   */
  signal(
    kind: RunKind,
    id: string,
    signal: StageSignal,
    options: { terminal: boolean; timeoutMs?: number },
  ): Promise<boolean>;
}

export interface ExecutionStarter {
  /** Starts the subject's execution (name = its id). Best effort: the created event's consumer starts it too. */
  start(kind: RunKind, subject: Pick<RunSubject, 'id' | 'workflow'>): Promise<void>;
}

/** A Step Functions execution as the API shows it. */
export interface ExecutionView {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate: string | null;
  readonly stopDate: string | null;
  /** The state it waits in now (or ended in): for a subject, its stage. */
  readonly currentState: string | null;
  readonly events: readonly { id: number; type: string; timestamp: string | null; state?: string }[];
}

export interface ExecutionViewer {
  /** The execution, or undefined while it has not been started yet. */
  describe(stateMachineArn: string, executionName: string): Promise<ExecutionView | undefined>;
}

/** Reads executions and answers their waiting tasks (for the reconciler). */
export interface ExecutionInspector {
  /** The execution named `name` of the state machine, or undefined when there is none. */
  inspect(stateMachineArn: string, name: string): Promise<ObservedExecution | undefined>;
  /** SendTaskSuccess with the signal; `already` when the token was answered before. */
  answer(taskToken: string, signal: StageSignal): Promise<'sent' | 'already'>;
}

/** The published workflow versions subjects run on. */
export interface WorkflowDefinitions {
  definition(ref: Pick<WorkflowRef, 'id' | 'version'>): Promise<WorkflowDefinition>;
}

/** Picks the workflow a new subject runs on, and reads the versions subjects run on. */
export interface WorkflowCatalog extends WorkflowDefinitions {
  /**
   * The latest published version of a workflow of the subject's kind: the one named, else the
   * team's default (releases), else the kind's default. Refuses an unknown workflow or one of
   * another kind (422).
   */
  workflowFor(
    kind: RunKind,
    workflowId: string | undefined,
    teamId: string | undefined,
  ): Promise<WorkflowRef>;
}

/** Every port of a workflow run, by kind where it differs. */
export interface RunPorts<S extends RunSubject = RunSubject> {
  readonly runs: RunStore<S>;
  readonly executions: ExecutionStarter;
  readonly workflows: WorkflowDefinitions;
  readonly stageSignals: StageSignals;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
