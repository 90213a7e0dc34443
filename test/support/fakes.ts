/**
 * In-memory fakes of every port of the domain: use-case tests need no mocks, no DynamoDB and no
 * Step Functions. Each fake behaves like its adapter in what the use cases rely on:
 *
 * - one {@link FakeTable} per world holds the committed events (the outbox and every history) and
 *   the Idempotency-Keys, as the single DynamoDB table does for every store;
 * - a write commits all of its items or none (`FakeTable.commit`): a used Idempotency-Key wins over
 *   everything (the first resource replayed, or IdempotencyKeyReusedError for another request),
 *   then a stale version or an item that exists already is a VersionConflictError, as in
 *   `functions/store/commit.ts`;
 * - lists are ordered as the table's indexes order them and paged with opaque cursors bound to
 *   their list (another list's or a made-up cursor is a 400 ValidationError);
 * - stored values are copies: a use case cannot change what is stored by changing what it read;
 * - every call is recorded (`calls`, `count(method)`), so a test can say how often a store was read
 *   or written.
 *
 * `inMemoryPorts()` wires them into one world that satisfies every use case's ports.
 */
import type { Actor, Process } from '#domain/actor';
import type { Change } from '#domain/change/change';
import type { ApprovalQueue, ChangeFilter, ChangeStore } from '#domain/change/ports';
import type { Ci, CiVersion, CiWrite } from '#domain/ci/ci';
import type { AppliedCiUpdate, CiFilter, CiStore, InboundRelation } from '#domain/ci/ports';
import {
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '#domain/errors';
import type { DomainEvent, EventSubject } from '#domain/events';
import type { Article, ArticleKind } from '#domain/kb/article';
import type { ArticleFilter, ArticleLink, KbStore } from '#domain/kb/ports';
import { type Counter, type CounterKey, counterId, emptyCounter } from '#domain/metrics/counters';
import type { ReleaseFact } from '#domain/metrics/fact';
import type { Incident } from '#domain/metrics/incident';
import type { Granularity } from '#domain/metrics/periods';
import type { MetricsStore, StoredFact } from '#domain/metrics/ports';
import type {
  BusinessMetric,
  Clock,
  IdempotencyRequest,
  IdempotentWrite,
  IdGenerator,
  Meter,
  Page,
} from '#domain/ports';
import type { ReleaseFilter, ReleaseStanding, ReleaseStore } from '#domain/release/ports';
import type { Release } from '#domain/release/release';
import type { SlaStore } from '#domain/sla/ports';
import type { Sla } from '#domain/sla/sla';
import type { ReadyWrite, TaskFilter, TaskStore } from '#domain/task/ports';
import type { CiUpdateFailure, Task, TasksReadiness } from '#domain/task/task';
import type { TeamStore, UserDirectory } from '#domain/team/service';
import { type Team, type TeamChange, type TeamKind, workGroupDiff } from '#domain/team/team';
import type { UserRepository } from '#domain/user/service';
import type { User } from '#domain/user/user';
import type {
  PublishedStateMachine,
  Workflow,
  WorkflowPublication,
  WorkflowPublisher,
  WorkflowStore,
  WorkflowVersion,
} from '#domain/workflow/service';
import type {
  ExecutionInspector,
  ExecutionStarter,
  ExecutionView,
  ExecutionViewer,
  RunStore,
  StageSignals,
  WaitingTask,
  WaitStore,
  WorkflowCatalog,
} from '#domain/workflow-run/ports';
import type { ObservedExecution } from '#domain/workflow-run/reconcile';
import {
  type RunKind,
  type RunSubject,
  type StageSignal,
  SUBJECT_KINDS,
  type WorkflowRef,
} from '#domain/workflow-run/run';
import { DEFAULT_WORKFLOW_BY_KIND, defaultWorkflows } from '#workflows/defaults/index';
import type { WorkflowDefinition, WorkflowKind } from '#workflows/definition';

// ---------------------------------------------------------------------------------------------
// Time, ids and callers

export function fixedClock(iso = '2026-11-26T10:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = new Date(iso).getTime();
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
  };
}

export function sequentialIds(): IdGenerator {
  let n = 0;
  return { next: (prefix) => `${prefix}_${String(++n).padStart(4, '0')}` };
}

export function actor(id: string, processes: Process[], options: Partial<Actor> = {}): Actor {
  return { id, admin: false, processes: new Set(processes), teamIds: [], workGroupIds: [], ...options };
}

// ---------------------------------------------------------------------------------------------
// What every fake shares: recorded calls, the table, pages

/** One call of a fake's method, with its arguments. */
export interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Records every call of its subclass's methods. */
class Recorder {
  readonly calls: Call[] = [];
  /** How many times `method` was called. */
  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
  protected called(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
}

/**
 * A value as the table gives it back: a copy, without undefined attributes (the document client
 * removes them) and with its maps' keys in another order (DynamoDB keeps no order of a map's keys):
 * here, reverse alphabetical.
 */
const copy = <T>(value: T): T => reordered(JSON.parse(JSON.stringify(value))) as T;

function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, reordered(v)]));
}

/** DynamoDB's limit of items in one TransactWriteItems call. */
const MAX_TRANSACTION_ITEMS = 100;

/** One transaction: its state writes (already checked for staleness), its events, its key. */
interface Transaction {
  /** Whether any write's condition fails (an item that exists, or a stored version that moved on). */
  readonly stale: boolean;
  /** State items written, events excluded (the transaction's size is checked). */
  readonly writes: number;
  readonly events: readonly DomainEvent[];
  /** The POST's Idempotency-Key, remembered for `resourceId` when both are given. */
  readonly idempotency?: IdempotencyRequest | undefined;
  readonly resourceId?: string | undefined;
  /** Applies the state writes; called only when the transaction commits. */
  readonly write: () => void;
}

/** The single table's shared part: committed events and Idempotency-Keys. */
export class FakeTable {
  /** Every committed event, in commit order: the outbox the bus is fed from. */
  readonly events: DomainEvent[] = [];
  /** Each release's mark that its tasks are ready (`REL#<id>`, `#TASKS`), by release id. */
  readonly tasksReady = new Map<string, TasksReadiness>();
  /**
   * Each remembered Idempotency-Key (`<scope>#<key>`): public, as the other stored items are, so
   * that a snapshot of the world (test/unit/http/fuzz-routes.test.ts) sees them; in AWS they are
   * items of the table.
   */
  readonly idempotencyKeys = new Map<string, { fingerprint: string; resourceId: string }>();

  /** The events of one subject, oldest first: its audit trail. */
  eventsOf(subject: EventSubject): DomainEvent[] {
    return this.events.filter((e) => e.subject.kind === subject.kind && e.subject.id === subject.id);
  }

  /** The resource a key was first used for; IdempotencyKeyReusedError when used for another request. */
  replayed(idempotency: IdempotencyRequest): string | undefined {
    const used = this.idempotencyKeys.get(`${idempotency.scope}#${idempotency.key}`);
    if (!used) return undefined;
    if (used.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError();
    return used.resourceId;
  }

  /** Commits a transaction as `commit`/`commitOnce` do, or replays the request that used its key. */
  commit(tx: Transaction): { replayedId?: string } {
    const remember = tx.idempotency && tx.resourceId !== undefined ? tx.idempotency : undefined;
    const items = tx.writes + tx.events.length + (remember ? 1 : 0);
    if (items > MAX_TRANSACTION_ITEMS) {
      throw new Error(`ValidationException: ${items} items in one transaction (at most 100)`);
    }
    if (remember) {
      const replayedId = this.replayed(remember);
      if (replayedId !== undefined) return { replayedId };
    }
    const duplicateEvent = tx.events.some((e) => this.events.some((x) => x.id === e.id));
    if (tx.stale || duplicateEvent) {
      throw new VersionConflictError('The resource was changed by someone else; read it again and retry.');
    }
    tx.write();
    this.events.push(...tx.events.map(copy));
    if (remember && tx.resourceId !== undefined) {
      this.idempotencyKeys.set(`${remember.scope}#${remember.key}`, {
        fingerprint: remember.fingerprint,
        resourceId: tx.resourceId,
      });
    }
    return {};
  }
}

type PageRequest = { limit: number; cursor?: string | undefined };

function invalidCursor(): ValidationError {
  return new ValidationError('The cursor is not valid.', [
    { path: 'cursor', message: 'is not a cursor this list returned' },
  ]);
}

/**
 * One page of `items` in the order of their sort keys (as a Query of an index returns them), with
 * an opaque cursor bound to `list` when another item follows.
 */
export function pageOf<T>(
  list: string,
  items: readonly T[],
  sortKey: (item: T) => string,
  page: PageRequest,
  descending = false,
): Page<T> {
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new Error(`ValidationException: Limit must be a positive integer, not ${page.limit}`);
  }
  const sign = descending ? -1 : 1;
  const compare = (a: string, b: string) => sign * (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...items].sort((a, b) => compare(sortKey(a), sortKey(b)));
  let rest = sorted;
  if (page.cursor !== undefined) {
    let after: unknown;
    try {
      after = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    const { l, k } = (after ?? {}) as { l?: unknown; k?: unknown };
    if (l !== list || typeof k !== 'string') throw invalidCursor();
    rest = sorted.filter((item) => compare(sortKey(item), k) > 0);
  }
  const shown = rest.slice(0, page.limit);
  const last = shown.at(-1);
  const nextCursor =
    rest.length > page.limit && last !== undefined
      ? Buffer.from(JSON.stringify({ l: list, k: sortKey(last) })).toString('base64url')
      : undefined;
  return { items: shown.map(copy), ...(nextCursor ? { nextCursor } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Workflow runs: releases (and any kind of subject), their wait items

/** The run store of one kind of subject (`DynamoRunStore`). */
export class FakeRunStore<S extends RunSubject> extends Recorder implements RunStore<S> {
  readonly subjects = new Map<string, S>();
  readonly kind: RunKind;
  readonly table: FakeTable;
  /**
   * What the event consumers do with what a write committed, run at once after it (set by
   * {@link inMemoryPorts}: the created event starts the execution, a move's event signals it).
   */
  consumers?: (kind: RunKind, subject: S, events: readonly DomainEvent[]) => Promise<void>;

  constructor(kind: RunKind, table = new FakeTable()) {
    super();
    this.kind = kind;
    this.table = table;
  }

  /** Stores a subject as it stands, without an event (a fixture). */
  seed(subject: S): S {
    this.subjects.set(subject.id, copy(subject));
    return subject;
  }

  async create(subject: S, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    this.called('create', subject, event, idempotency);
    const { replayedId } = this.table.commit({
      stale: this.subjects.has(subject.id),
      writes: 1,
      events: [event],
      idempotency,
      resourceId: subject.id,
      write: () => this.subjects.set(subject.id, copy(subject)),
    });
    if (replayedId === undefined) await this.consumers?.(this.kind, copy(subject), [event]);
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async get(id: string): Promise<S | undefined> {
    this.called('get', id);
    const stored = this.subjects.get(id);
    return stored && copy(stored);
  }

  async save(subject: S, expectedVersion: number, events: readonly DomainEvent[]): Promise<void> {
    this.called('save', subject, expectedVersion, events);
    this.table.commit({
      stale: this.subjects.get(subject.id)?.version !== expectedVersion,
      writes: 1,
      events,
      write: () => this.subjects.set(subject.id, copy(subject)),
    });
    await this.consumers?.(this.kind, copy(subject), events);
  }

  async history(id: string, page: PageRequest): Promise<Page<DomainEvent>> {
    this.called('history', id, page);
    const events = this.table.eventsOf({ kind: this.kind, id });
    return pageOf(`history:${this.kind}:${id}`, events, (e) => e.id, page);
  }

  async event(id: string, eventId: string): Promise<DomainEvent | undefined> {
    this.called('event', id, eventId);
    const found = this.table.eventsOf({ kind: this.kind, id }).find((e) => e.id === eventId);
    return found && copy(found);
  }

  async active(page: PageRequest): Promise<Page<S>> {
    this.called('active', page);
    const active = [...this.subjects.values()].filter((s) => s.status === 'active');
    return pageOf(`active:${this.kind}`, active, (s) => `${s.updatedAt}#${s.id}`, page);
  }
}

/** The release store (`DynamoReleaseStore`): a run store that also lists releases by filter. */
export class FakeReleaseStore extends FakeRunStore<Release> implements ReleaseStore {
  constructor(table = new FakeTable()) {
    super('release', table);
  }

  /**
   * Newest first by creation, or by planned start (oldest first) when only the planned start is
   * filtered on; `plannedFrom` inclusive, `plannedTo` exclusive, as instants.
   */
  async standing(id: string): Promise<ReleaseStanding | undefined> {
    this.called('standing', id);
    const r = this.subjects.get(id);
    if (!r) return undefined;
    const { status, teamId, releaseType, packageType, urgency, businessPriority } = copy(r);
    return {
      id,
      status,
      ...(teamId !== undefined ? { teamId } : {}),
      releaseType,
      packageType,
      urgency,
      businessPriority,
    };
  }

  async savePlan(release: Release, expectedVersion: number, events: readonly DomainEvent[]): Promise<void> {
    this.called('savePlan', release, expectedVersion, events);
    this.table.commit({
      stale:
        this.subjects.get(release.id)?.version !== expectedVersion || this.table.tasksReady.has(release.id),
      writes: 2,
      events,
      write: () => this.subjects.set(release.id, copy(release)),
    });
  }

  async list(filter: ReleaseFilter, page: PageRequest): Promise<Page<Release>> {
    this.called('list', filter, page);
    const instant = (v: string | undefined) => (v === undefined ? undefined : new Date(v).toISOString());
    const from = instant(filter.plannedFrom);
    const to = instant(filter.plannedTo);
    const matching = [...this.subjects.values()].filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.stage === undefined || r.stage === filter.stage) &&
        (filter.teamId === undefined || r.teamId === filter.teamId) &&
        (from === undefined || r.plannedStart >= from) &&
        (to === undefined || r.plannedStart < to),
    );
    const byPlanned =
      filter.stage === undefined &&
      filter.teamId === undefined &&
      filter.status === undefined &&
      (from !== undefined || to !== undefined);
    const list = `releases:${JSON.stringify({ ...filter, plannedFrom: from, plannedTo: to })}`;
    return byPlanned
      ? pageOf(list, matching, (r) => `${r.plannedStart}#${r.id}`, page)
      : pageOf(list, matching, (r) => `${r.createdAt}#${r.id}`, page, true);
  }
}

/**
 * The RFC store (`DynamoChangeStore`): lists newest first; the approval queue is the active RFCs
 * waiting in a voting state of one of the boards, neither requested nor voted on by the voter;
 * the linked releases are those of the release store that name the RFC.
 */
export class FakeChangeStore extends FakeRunStore<Change> implements ChangeStore {
  readonly #releases: FakeReleaseStore;

  constructor(table: FakeTable, releases: FakeReleaseStore) {
    super('change', table);
    this.#releases = releases;
  }

  /**
   * Newest first by creation, or by planned start (oldest first) when only the planned start is
   * filtered on; `plannedFrom` inclusive, `plannedTo` exclusive, as instants; an RFC without a
   * planned start is in no planned range.
   */
  async list(filter: ChangeFilter, page: PageRequest): Promise<Page<Change>> {
    this.called('list', filter, page);
    const instant = (v: string | undefined) => (v === undefined ? undefined : new Date(v).toISOString());
    const from = instant(filter.plannedFrom);
    const to = instant(filter.plannedTo);
    const byPlanned = from !== undefined || to !== undefined;
    const matching = [...this.subjects.values()].filter(
      (c) =>
        (filter.state === undefined || c.stage === filter.state) &&
        (filter.type === undefined || c.type === filter.type) &&
        (!byPlanned || c.plannedStart !== undefined) &&
        (from === undefined || (c.plannedStart ?? '') >= from) &&
        (to === undefined || (c.plannedStart ?? '') < to),
    );
    const list = `changes:${JSON.stringify({ ...filter, plannedFrom: from, plannedTo: to })}`;
    return byPlanned && filter.state === undefined && filter.type === undefined
      ? pageOf(list, matching, (c) => `${c.plannedStart}#${c.id}`, page)
      : pageOf(list, matching, (c) => `${c.createdAt}#${c.id}`, page, true);
  }

  async awaitingVote(queue: ApprovalQueue, page: PageRequest): Promise<Page<Change>> {
    this.called('awaitingVote', queue, page);
    const matching = [...this.subjects.values()].filter(
      (c) =>
        c.status === 'active' &&
        c.votingStates.includes(c.stage) &&
        queue.boardIds.includes(c.cabTeamId) &&
        c.createdBy !== queue.voterId &&
        !c.approvals.some((v) => v.by === queue.voterId),
    );
    return pageOf(`awaiting:${JSON.stringify(queue)}`, matching, (c) => `${c.createdAt}#${c.id}`, page, true);
  }

  async linkedReleases(changeId: string): Promise<string[]> {
    this.called('linkedReleases', changeId);
    return [...this.#releases.subjects.values()]
      .filter((r) => r.changeIds.includes(changeId))
      .map((r) => r.id)
      .sort();
  }
}

/** An RFC as the store holds it, on the default normal change workflow (version 1), in Recorded. */
export function changeFixture(over: Partial<Change> = {}): Change {
  return {
    id: 'chg_fixture',
    version: 1,
    title: 'An RFC',
    type: 'normal',
    risk: 'low',
    impact: 'low',
    urgency: 'low',
    priority: 5,
    ciIds: [],
    cabTeamId: 'team_cab',
    approvals: [],
    votingStates: ['Assessed'],
    workflow: {
      id: 'change-normal',
      version: 1,
      stateMachineArn: `${stateMachineArnOf('change-normal')}:1`,
      initialStage: 'Recorded',
    },
    stage: 'Recorded',
    stageEntry: 0,
    status: 'active',
    createdAt: '2026-11-01T00:00:00.000Z',
    createdBy: 'cm',
    updatedAt: '2026-11-01T00:00:00.000Z',
    updatedBy: 'cm',
    ...over,
  };
}

/** The wait store (`DynamoWaitStore`): only the same or a newer entry replaces the task. */
export class FakeWaitStore extends Recorder implements WaitStore {
  readonly tasks = new Map<string, WaitingTask & { recordedAt: string }>();

  async waiting(kind: RunKind, id: string): Promise<WaitingTask | undefined> {
    this.called('waiting', kind, id);
    const found = this.tasks.get(`${kind}#${id}`);
    return found && { stage: found.stage, entry: found.entry, taskToken: found.taskToken };
  }

  async record(kind: RunKind, id: string, task: WaitingTask, at: string): Promise<boolean> {
    this.called('record', kind, id, task, at);
    const current = this.tasks.get(`${kind}#${id}`);
    if (current && current.entry > task.entry) return false;
    this.tasks.set(`${kind}#${id}`, { ...task, recordedAt: at });
    return true;
  }
}

/** One execution of the fake Step Functions. */
export interface FakeExecution {
  readonly kind: RunKind;
  readonly name: string;
  readonly stateMachineArn: string;
  status: ObservedExecution['status'];
  currentState: string;
  waiting: WaitingTask | undefined;
  error?: string;
  cause?: string;
  readonly startDate: string;
  stopDate?: string;
  /** The stages it entered, in order. */
  readonly entered: string[];
}

/**
 * Step Functions as the workflow run sees it (starter, viewer, inspector and stage signals): an
 * execution per subject, started once (a second start changes nothing), waiting in its stage on a
 * task token; a signal for the next entry moves it on (a terminal stage ends it, SUCCEEDED).
 * `unreachable` makes every signal fail to land, as when Step Functions cannot be reached.
 */
export class FakeStepFunctions
  extends Recorder
  implements ExecutionStarter, ExecutionViewer, ExecutionInspector, StageSignals
{
  readonly executions = new Map<string, FakeExecution>();
  /** Every signal that moved an execution, in order. */
  readonly signals: { kind: RunKind; id: string; signal: StageSignal }[] = [];
  unreachable = false;
  readonly #clock: Clock;
  #tokens = 0;

  constructor(clock: Clock = fixedClock()) {
    super();
    this.#clock = clock;
  }

  async start(kind: RunKind, subject: Pick<RunSubject, 'id' | 'workflow'>): Promise<void> {
    this.called('start', kind, subject);
    if (this.executions.has(subject.id)) return;
    const stage = subject.workflow.initialStage;
    this.executions.set(subject.id, {
      kind,
      name: subject.id,
      stateMachineArn: subject.workflow.stateMachineArn,
      status: 'RUNNING',
      currentState: stage,
      waiting: { stage, entry: 0, taskToken: this.#token() },
      startDate: this.#clock.now().toISOString(),
      entered: [stage],
    });
  }

  async signal(kind: RunKind, id: string, signal: StageSignal, options: { terminal: boolean }) {
    this.called('signal', kind, id, signal, options);
    const execution = this.executions.get(id);
    if (this.unreachable) return false;
    // Already there (its consumer's signal landed first): in step, as the real port finds it.
    const there = options.terminal
      ? execution?.status === 'SUCCEEDED' && execution.currentState === signal.to
      : execution?.waiting?.entry === signal.entry && execution.waiting.stage === signal.to;
    if (there) return true;
    if (!execution?.waiting || execution.waiting.entry !== signal.entry - 1) return false;
    this.#move(execution, signal, options.terminal);
    return true;
  }

  async describe(stateMachineArn: string, executionName: string): Promise<ExecutionView | undefined> {
    this.called('describe', stateMachineArn, executionName);
    const e = this.#find(stateMachineArn, executionName);
    if (!e) return undefined;
    return {
      executionArn: executionArnOf(stateMachineArn, e.name),
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate ?? null,
      currentState: e.currentState,
      events: e.entered.map((state, i) => ({ id: i + 1, type: 'TaskStateEntered', timestamp: null, state })),
    };
  }

  async inspect(stateMachineArn: string, name: string): Promise<ObservedExecution | undefined> {
    this.called('inspect', stateMachineArn, name);
    const e = this.#find(stateMachineArn, name);
    if (!e) return undefined;
    return {
      status: e.status,
      currentState: e.currentState,
      ...(e.waiting ? { waiting: { ...e.waiting } } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    };
  }

  async answer(taskToken: string, signal: StageSignal): Promise<'sent' | 'already'> {
    this.called('answer', taskToken, signal);
    const execution = [...this.executions.values()].find((e) => e.waiting?.taskToken === taskToken);
    if (!execution) return 'already';
    this.#move(execution, signal, false);
    return 'sent';
  }

  /** The execution's stage timed out into `to` (the workflow's own move; `terminal` ends it). */
  timeOut(id: string, to: string, terminal = false): void {
    const execution = this.executions.get(id);
    if (!execution?.waiting) throw new Error(`No execution of ${id} waits`);
    this.#move(execution, { to, entry: execution.waiting.entry + 1, actor: 'system:timeout' }, terminal);
  }

  /** The execution ended outside the API (an operator stopped it, a task failed for good). */
  stop(id: string, status: 'FAILED' | 'ABORTED' | 'TIMED_OUT', error?: string, cause?: string): void {
    const execution = this.executions.get(id);
    if (!execution) throw new Error(`No execution of ${id}`);
    Object.assign(execution, {
      status,
      waiting: undefined,
      stopDate: this.#clock.now().toISOString(),
      ...(error ? { error } : {}),
      ...(cause ? { cause } : {}),
    });
  }

  #find(stateMachineArn: string, name: string): FakeExecution | undefined {
    const e = this.executions.get(name);
    return e?.stateMachineArn === stateMachineArn ? e : undefined;
  }

  #move(execution: FakeExecution, signal: StageSignal, terminal: boolean): void {
    this.signals.push({ kind: execution.kind, id: execution.name, signal: { ...signal } });
    execution.currentState = signal.to;
    execution.entered.push(signal.to);
    if (terminal) {
      execution.status = 'SUCCEEDED';
      execution.waiting = undefined;
      execution.stopDate = this.#clock.now().toISOString();
    } else {
      execution.waiting = { stage: signal.to, entry: signal.entry, taskToken: this.#token() };
    }
  }

  #token(): string {
    return `token-${++this.#tokens}`;
  }
}

/** `arn:…:stateMachine:<name>[:<version>]` + execution name → `arn:…:execution:<name>:<execution>`. */
function executionArnOf(stateMachineArn: string, name: string): string {
  const [prefix, rest = ''] = stateMachineArn.split(':stateMachine:');
  return `${prefix}:execution:${rest.split(':')[0]}:${name}`;
}

// ---------------------------------------------------------------------------------------------
// Deployment tasks

/**
 * The task store (`DynamoTaskStore`): making a release's tasks ready writes its mark, its event
 * and its tasks — in one transaction when they fit (97 tasks), the rest in transactions of 100
 * after — only while the mark is absent and the release is at the version read; task moves are
 * versioned writes with their event. Lists follow the store's indexes and orders.
 */
export class FakeTaskStore extends Recorder implements TaskStore {
  readonly tasks = new Map<string, Task>();
  readonly table: FakeTable;
  readonly #releases: FakeReleaseStore;
  /** Transactions committed by `ready`, each with its item count (to check chunking). */
  readonly readyTransactions: number[] = [];

  constructor(releases: FakeReleaseStore, table = releases.table) {
    super();
    this.#releases = releases;
    this.table = table;
  }

  async get(id: string): Promise<Task | undefined> {
    this.called('get', id);
    const found = this.tasks.get(id);
    return found && copy(found);
  }

  async ofRelease(releaseId: string): Promise<Task[]> {
    this.called('ofRelease', releaseId);
    return [...this.tasks.values()]
      .filter((t) => t.releaseId === releaseId)
      .sort((a, b) => a.position - b.position)
      .map(copy);
  }

  async readiness(releaseId: string): Promise<TasksReadiness | undefined> {
    this.called('readiness', releaseId);
    const found = this.table.tasksReady.get(releaseId);
    return found && copy(found);
  }

  async ready(write: ReadyWrite): Promise<'readied' | 'already'> {
    this.called('ready', write);
    const releaseId = write.release.id;
    if (this.table.tasksReady.has(releaseId)) return 'already';
    if (this.#releases.subjects.get(releaseId)?.version !== write.release.version) {
      throw new VersionConflictError('The resource was changed by someone else; read it again and retry.');
    }
    const first = write.tasks.slice(0, MAX_TRANSACTION_ITEMS - 3);
    this.table.commit({
      stale: first.some((t) => this.tasks.has(t.id)),
      writes: 2 + first.length,
      events: [write.event],
      write: () => {
        this.table.tasksReady.set(releaseId, copy(write.readiness));
        for (const t of first) this.tasks.set(t.id, copy(t));
      },
    });
    this.readyTransactions.push(3 + first.length);
    const rest = write.tasks.slice(first.length);
    for (let i = 0; i < rest.length; i += MAX_TRANSACTION_ITEMS) {
      const chunk = rest.slice(i, i + MAX_TRANSACTION_ITEMS);
      this.table.commit({
        stale: chunk.some((t) => this.tasks.has(t.id)),
        writes: chunk.length,
        events: [],
        write: () => {
          for (const t of chunk) this.tasks.set(t.id, copy(t));
        },
      });
      this.readyTransactions.push(chunk.length);
    }
    return 'readied';
  }

  async save(task: Task, expectedVersion: number, event: DomainEvent): Promise<void> {
    this.called('save', task, expectedVersion, event);
    this.table.commit({
      stale: this.tasks.get(task.id)?.version !== expectedVersion,
      writes: 1,
      events: [event],
      write: () => this.tasks.set(task.id, copy(task)),
    });
  }

  async recordCiUpdateFailures(task: Task, failures: readonly CiUpdateFailure[]): Promise<void> {
    this.called('recordCiUpdateFailures', task, failures);
    const { ciUpdateFailures: _, ...rest } = task;
    const next: Task = {
      ...rest,
      ...(failures.length > 0 ? { ciUpdateFailures: failures } : {}),
      version: task.version + 1,
    };
    this.table.commit({
      stale: this.tasks.get(task.id)?.version !== task.version,
      writes: 1,
      events: [],
      write: () => this.tasks.set(task.id, copy(next)),
    });
  }

  async list(filter: TaskFilter, page: PageRequest): Promise<Page<Task>> {
    this.called('list', filter, page);
    const matching = [...this.tasks.values()].filter(
      (t) =>
        (filter.workGroupId === undefined || t.workGroupId === filter.workGroupId) &&
        (filter.status === undefined || t.status === filter.status) &&
        (filter.assignee === undefined || t.assignee === filter.assignee) &&
        (filter.releaseId === undefined || t.releaseId === filter.releaseId) &&
        (filter.withinWorkGroups === undefined || filter.withinWorkGroups.includes(t.workGroupId)),
    );
    const byRelease = filter.workGroupId === undefined && filter.assignee === undefined;
    return byRelease
      ? pageOf(`tasks:${JSON.stringify(filter)}`, matching, (t) => String(t.position).padStart(4, '0'), page)
      : pageOf(`tasks:${JSON.stringify(filter)}`, matching, (t) => `${t.createdAt}#${t.id}`, page);
  }
}

// ---------------------------------------------------------------------------------------------
// Users and teams

/** The user store (`DynamoUserStore`); the team store writes the membership of its users here. */
export class FakeUserStore extends Recorder implements UserRepository, UserDirectory {
  readonly users = new Map<string, User>();
  readonly table: FakeTable;

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  /** Stores a user as it stands, without an event (a fixture). */
  seed(user: User): User {
    this.users.set(user.id, copy(user));
    return user;
  }

  async get(id: string): Promise<User | undefined> {
    this.called('get', id);
    const found = this.users.get(id);
    return found && copy(found);
  }

  async getMany(ids: readonly string[]): Promise<User[]> {
    this.called('getMany', ids);
    return [...new Set(ids)].flatMap((id) => {
      const found = this.users.get(id);
      return found ? [copy(found)] : [];
    });
  }

  async list(page: PageRequest): Promise<Page<User>> {
    this.called('list', page);
    return pageOf('users', [...this.users.values()], (u) => u.id, page);
  }

  async apply(
    user: User,
    expectedVersion: number | undefined,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite> {
    this.called('apply', user, expectedVersion, event, idempotency);
    const { replayedId } = this.table.commit({
      stale: this.users.get(user.id)?.version !== expectedVersion,
      writes: 1,
      events: [event],
      idempotency,
      resourceId: user.id,
      write: () => this.users.set(user.id, copy(user)),
    });
    return replayedId === undefined ? {} : { replayed: replayedId };
  }
}

/**
 * The team store (`DynamoTeamStore`): a team change, the users it rewrites (in the user store) and
 * its events commit together. Work group ids are claimed per team: an id another team holds is a
 * 422 `work-group-id-taken`; a removed group's id is released.
 */
export class FakeTeamStore extends Recorder implements TeamStore {
  readonly teams = new Map<string, Team>();
  /** Work group id → the team holding it (`null` once released). */
  readonly claims = new Map<string, string | null>();
  readonly users: FakeUserStore;
  readonly table: FakeTable;

  constructor(users: FakeUserStore, table = users.table) {
    super();
    this.users = users;
    this.table = table;
  }

  /** Stores a team as it stands, claiming its work groups, without an event (a fixture). */
  seed(team: Team): Team {
    this.teams.set(team.id, copy(team));
    for (const wg of team.workGroups) this.claims.set(wg.id, team.id);
    return team;
  }

  async get(id: string): Promise<Team | undefined> {
    this.called('get', id);
    const found = this.teams.get(id);
    return found && copy(found);
  }

  async list(page: PageRequest & { kind?: TeamKind | undefined }): Promise<Page<Team>> {
    this.called('list', page);
    const teams = [...this.teams.values()].filter((t) => page.kind === undefined || t.kind === page.kind);
    return pageOf(`teams:${page.kind ?? ''}`, teams, (t) => `${t.name.toLowerCase()}#${t.id}`, page);
  }

  async workGroupTeams(workGroupIds: readonly string[]): Promise<ReadonlyMap<string, Team>> {
    this.called('workGroupTeams', workGroupIds);
    return new Map(
      workGroupIds.flatMap((id) => {
        const holder = this.claims.get(id);
        const team = holder == null ? undefined : this.teams.get(holder);
        return team ? [[id, copy(team)] as const] : [];
      }),
    );
  }

  async apply(change: TeamChange, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    this.called('apply', change, idempotency);
    const created = change.teams.find((t) => t.previous === undefined)?.team.id;
    // A repeated POST replays before its work groups are claimed: the first team holds them now.
    const replayed = idempotency && created !== undefined ? this.table.replayed(idempotency) : undefined;
    if (replayed !== undefined) return { replayed };
    const claims = change.teams.flatMap(({ team, previous }) => {
      const { added, removed } = workGroupDiff(previous, team);
      return [
        ...added.map((wg) => ({ id: wg.id, teamId: team.id as string | null })),
        ...removed.filter((wg) => this.claims.has(wg.id)).map((wg) => ({ id: wg.id, teamId: null })),
      ];
    });
    const taken = claims.filter((c) => {
      const holder = this.claims.get(c.id);
      return c.teamId !== null && holder != null && holder !== c.teamId;
    });
    if (taken.length > 0) {
      const ids = taken.map((c) => c.id);
      throw new RuleViolationError(
        'work-group-id-taken',
        `Work group id ${ids.join(', ')} belongs to another team; leave the id out to get a new one.`,
        { workGroupIds: ids },
      );
    }
    const stale =
      change.teams.some(({ team, previous }) => this.teams.get(team.id)?.version !== previous?.version) ||
      change.users.some(
        ({ user, expectedVersion }) => this.users.users.get(user.id)?.version !== expectedVersion,
      );
    const { replayedId } = this.table.commit({
      stale,
      writes: change.teams.length + claims.length + change.users.length,
      events: change.events,
      idempotency,
      resourceId: created,
      write: () => {
        for (const { team } of change.teams) this.teams.set(team.id, copy(team));
        for (const c of claims) this.claims.set(c.id, c.teamId);
        for (const { user } of change.users) this.users.users.set(user.id, copy(user));
      },
    });
    return replayedId === undefined ? {} : { replayed: replayedId };
  }
}

// ---------------------------------------------------------------------------------------------
// Workflows

/**
 * The workflow store (`DynamoWorkflowStore`): a version item that must not exist yet and the
 * workflow at its expected version commit with the event; the key's resource is `<id>@<version>`.
 */
export class FakeWorkflowStore extends Recorder implements WorkflowStore {
  readonly workflows = new Map<string, Workflow>();
  readonly versions = new Map<string, WorkflowVersion>();
  readonly table: FakeTable;

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  /** Stores a workflow and one of its versions as they stand, without an event (a fixture). */
  seed(workflow: Workflow, version: WorkflowVersion): void {
    this.workflows.set(workflow.id, copy(workflow));
    this.versions.set(`${version.workflowId}@${version.version}`, copy(version));
  }

  async get(id: string): Promise<Workflow | undefined> {
    this.called('get', id);
    const found = this.workflows.get(id);
    return found && copy(found);
  }

  async getVersion(id: string, version: number): Promise<WorkflowVersion | undefined> {
    this.called('getVersion', id, version);
    const found = this.versions.get(`${id}@${version}`);
    return found && copy(found);
  }

  async list(page: PageRequest & { kind?: WorkflowKind | undefined }): Promise<Page<Workflow>> {
    this.called('list', page);
    const all = [...this.workflows.values()].filter((w) => page.kind === undefined || w.kind === page.kind);
    return pageOf(`workflows:${page.kind ?? ''}`, all, (w) => `${w.kind}#${w.id}`, page);
  }

  async publish(
    publication: WorkflowPublication,
    idempotency?: IdempotencyRequest,
  ): Promise<{ replayed?: { id: string; version: number } }> {
    this.called('publish', publication, idempotency);
    const { workflow, published } = publication;
    const key = `${published.workflowId}@${published.version}`;
    const { replayedId } = this.table.commit({
      stale:
        this.versions.has(key) || this.workflows.get(workflow.id)?.version !== publication.expectedVersion,
      writes: 2,
      events: [publication.event],
      idempotency,
      resourceId: `${workflow.id}@${published.version}`,
      write: () => {
        this.versions.set(key, copy(published));
        this.workflows.set(workflow.id, copy(workflow));
      },
    });
    return replayedId === undefined ? {} : { replayed: resourceOf(replayedId) };
  }

  async replayed(idempotency: IdempotencyRequest): Promise<{ id: string; version: number } | undefined> {
    this.called('replayed', idempotency);
    const resourceId = this.table.replayed(idempotency);
    return resourceId === undefined ? undefined : resourceOf(resourceId);
  }
}

function resourceOf(resourceId: string): { id: string; version: number } {
  const match = /^(.+)@(\d+)$/.exec(resourceId);
  // A key first used for another kind of resource is a key used for another request.
  if (!match) throw new IdempotencyKeyReusedError();
  return { id: match[1] as string, version: Number(match[2]) };
}

/**
 * The workflow publisher (`SfnWorkflowPublisher`): a state machine per workflow, created with its
 * first version; publishing an unchanged definition again returns the version that has it.
 */
export class FakeWorkflowPublisher extends Recorder implements WorkflowPublisher {
  readonly #revisions = new Map<string, string[]>();

  async publish(request: {
    workflowId: string;
    definition: WorkflowDefinition;
    stateMachineArn: string | undefined;
  }): Promise<PublishedStateMachine> {
    this.called('publish', request);
    const arn = request.stateMachineArn ?? stateMachineArnOf(request.workflowId);
    const revisions = this.#revisions.get(arn) ?? [];
    const revision = JSON.stringify(request.definition);
    if (!revisions.includes(revision)) revisions.push(revision);
    this.#revisions.set(arn, revisions);
    return {
      stateMachineArn: arn,
      stateMachineVersionArn: `${arn}:${revisions.indexOf(revision) + 1}`,
      asl: { Comment: request.definition.name, StartAt: request.definition.initialStage, States: {} },
    };
  }
}

export const stateMachineArnOf = (workflowId: string) =>
  `arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-${workflowId}`;

/**
 * The workflow catalog (`StoredWorkflowCatalog`) on the workflow store: a new subject runs on the
 * latest version of the workflow named, else its release team's default, else its kind's default.
 */
export class FakeWorkflowCatalog extends Recorder implements WorkflowCatalog {
  readonly store: FakeWorkflowStore;
  readonly #teams: Pick<TeamStore, 'get'>;

  constructor(store: FakeWorkflowStore, teams: Pick<TeamStore, 'get'>) {
    super();
    this.store = store;
    this.#teams = teams;
  }

  async workflowFor(kind: RunKind, workflowId: string | undefined, teamId: string | undefined) {
    this.called('workflowFor', kind, workflowId, teamId);
    const teamDefault =
      workflowId === undefined && teamId ? (await this.#teams.get(teamId))?.defaultWorkflowId : undefined;
    const id = workflowId ?? teamDefault ?? DEFAULT_WORKFLOW_BY_KIND[kind];
    const workflow = await this.store.get(id);
    if (!workflow) {
      throw new RuleViolationError('unknown-workflow', `Workflow ${id} does not exist.`, { workflowId: id });
    }
    if (workflow.kind !== kind) {
      throw new RuleViolationError(
        `workflow-not-${kind}`,
        `Workflow ${id} is a ${workflow.kind} workflow; a ${kind} needs a ${kind} workflow.`,
        { workflowId: id, kind: workflow.kind },
      );
    }
    const published = await this.store.getVersion(id, workflow.latestVersion);
    if (!published) throw new NotFoundError('Version of workflow', `${id} v${workflow.latestVersion}`);
    return {
      id,
      version: published.version,
      stateMachineArn: published.stateMachineVersionArn,
      initialStage: published.definition.initialStage,
    } satisfies WorkflowRef;
  }

  async definition(ref: Pick<WorkflowRef, 'id' | 'version'>): Promise<WorkflowDefinition> {
    this.called('definition', ref);
    const published = await this.store.getVersion(ref.id, ref.version);
    if (!published) throw new NotFoundError('Workflow', `${ref.id} v${ref.version}`);
    return published.definition;
  }

  /** Stores a workflow as its next version, as an administrator's publish would (no event). */
  seed(id: string, definition: WorkflowDefinition, at = '2026-01-01T00:00:00.000Z'): WorkflowRef {
    const existing = this.store.workflows.get(id);
    const version = (existing?.latestVersion ?? 0) + 1;
    const arn = stateMachineArnOf(id);
    this.store.seed(
      {
        id,
        name: definition.name,
        kind: existing?.kind ?? definition.kind,
        latestVersion: version,
        stateMachineArn: arn,
        version,
        createdAt: existing?.createdAt ?? at,
        createdBy: existing?.createdBy ?? 'system:defaults',
        updatedAt: at,
        updatedBy: 'system:defaults',
      },
      {
        workflowId: id,
        version,
        definition,
        asl: { Comment: definition.name, StartAt: definition.initialStage, States: {} },
        stateMachineVersionArn: `${arn}:${version}`,
        publishedAt: at,
        publishedBy: 'system:defaults',
      },
    );
    return { id, version, stateMachineArn: `${arn}:${version}`, initialStage: definition.initialStage };
  }
}

// ---------------------------------------------------------------------------------------------
// The knowledge base

/**
 * The knowledge-base store (`DynamoKbStore`): the current version of each article and every
 * version it had (a version is written once: writing one that exists is a conflict); lists newest
 * article first; links are the articles' own `ciIds` and `releaseIds`.
 */
export class FakeKbStore extends Recorder implements KbStore {
  readonly articles = new Map<string, Article>();
  /** `<id>@<version>` → that version. */
  readonly versionsOf = new Map<string, Article>();
  readonly table: FakeTable;

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  async get(id: string): Promise<Article | undefined> {
    this.called('get', id);
    const found = this.articles.get(id);
    return found && copy(found);
  }

  async getVersion(id: string, version: number): Promise<Article | undefined> {
    this.called('getVersion', id, version);
    const found = this.versionsOf.get(`${id}@${version}`);
    return found && copy(found);
  }

  async getMany(ids: readonly string[]): Promise<Article[]> {
    this.called('getMany', ids);
    return ids.flatMap((id) => {
      const found = this.articles.get(id);
      return found ? [copy(found)] : [];
    });
  }

  async versions(id: string, page: PageRequest): Promise<Page<Article>> {
    this.called('versions', id, page);
    const all = [...this.versionsOf.values()].filter((a) => a.id === id);
    return pageOf(`versions:${id}`, all, (a) => String(a.version).padStart(6, '0'), page, true);
  }

  async list(filter: ArticleFilter, page: PageRequest): Promise<Page<Article>> {
    this.called('list', filter, page);
    const matching = [...this.articles.values()].filter(
      (a) =>
        (filter.ciId === undefined || a.ciIds.includes(filter.ciId)) &&
        (filter.releaseId === undefined || a.releaseIds.includes(filter.releaseId)) &&
        (filter.kind === undefined || a.kind === filter.kind),
    );
    return pageOf(`kb:${JSON.stringify(filter)}`, matching, (a) => `${a.createdAt}#${a.id}`, page, true);
  }

  async linkedTo(link: ArticleLink, kind?: ArticleKind): Promise<string[]> {
    this.called('linkedTo', link, kind);
    return [...this.articles.values()]
      .filter(
        (a) =>
          ('ciId' in link ? a.ciIds.includes(link.ciId) : a.releaseIds.includes(link.releaseId)) &&
          (kind === undefined || a.kind === kind),
      )
      .map((a) => a.id)
      .sort();
  }

  async publish(
    article: Article,
    event: DomainEvent,
    idempotency?: IdempotencyRequest,
  ): Promise<IdempotentWrite> {
    this.called('publish', article, event, idempotency);
    const { replayedId } = this.table.commit({
      stale: this.articles.has(article.id) || this.versionsOf.has(`${article.id}@${article.version}`),
      writes: 2 + article.ciIds.length + article.releaseIds.length,
      events: [event],
      idempotency,
      resourceId: article.id,
      write: () => this.#write(article),
    });
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async save(article: Article, previous: Article, event: DomainEvent): Promise<void> {
    this.called('save', article, previous, event);
    const links = (a: Article) =>
      new Set([...a.ciIds.map((c) => `ci:${c}`), ...a.releaseIds.map((r) => `rel:${r}`)]);
    const before = links(previous);
    const after = links(article);
    const changedLinks =
      [...after].filter((l) => !before.has(l)).length + [...before].filter((l) => !after.has(l)).length;
    this.table.commit({
      stale:
        this.articles.get(article.id)?.version !== previous.version ||
        this.versionsOf.has(`${article.id}@${article.version}`),
      writes: 2 + changedLinks,
      events: [event],
      write: () => this.#write(article),
    });
  }

  #write(article: Article): void {
    this.articles.set(article.id, copy(article));
    this.versionsOf.set(`${article.id}@${article.version}`, copy(article));
  }
}

// SLAs

export class FakeSlaStore extends Recorder implements SlaStore {
  readonly slas = new Map<string, Sla>();
  readonly table: FakeTable;

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  async get(id: string): Promise<Sla | undefined> {
    this.called('get', id);
    const found = this.slas.get(id);
    return found && copy(found);
  }

  async getMany(ids: readonly string[]): Promise<Sla[]> {
    this.called('getMany', ids);
    return ids.flatMap((id) => {
      const found = this.slas.get(id);
      return found ? [copy(found)] : [];
    });
  }

  async list(page: PageRequest): Promise<Page<Sla>> {
    this.called('list', page);
    return pageOf('slas', [...this.slas.values()], (s) => `${s.name.toLowerCase()}#${s.id}`, page);
  }

  /** Like the links' Query: the SLAs whose current version covers the CI, in id order. */
  async covering(ciId: string): Promise<string[]> {
    this.called('covering', ciId);
    return [...this.slas.values()]
      .filter((s) => s.ciIds.includes(ciId))
      .map((s) => s.id)
      .sort();
  }

  async create(sla: Sla, event: DomainEvent, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    this.called('create', sla, event, idempotency);
    const { replayedId } = this.table.commit({
      stale: this.slas.has(sla.id),
      writes: 1 + sla.ciIds.length,
      events: [event],
      idempotency,
      resourceId: sla.id,
      write: () => this.slas.set(sla.id, copy(sla)),
    });
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async save(sla: Sla, previous: Sla, event: DomainEvent): Promise<void> {
    this.called('save', sla, previous, event);
    const added = sla.ciIds.filter((c) => !previous.ciIds.includes(c)).length;
    const removed = previous.ciIds.filter((c) => !sla.ciIds.includes(c)).length;
    this.table.commit({
      stale: this.slas.get(sla.id)?.version !== previous.version,
      writes: 1 + added + removed,
      events: [event],
      write: () => this.slas.set(sla.id, copy(sla)),
    });
  }
}

// The CMDB

/** A CI at version 1, active, with no attributes or relations unless given. */
export function ciFixture(id: string, over: Partial<Ci> = {}): Ci {
  return {
    id,
    type: 'application',
    name: id,
    attributes: {},
    relations: [],
    status: 'active',
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    createdBy: 'root',
    updatedAt: '2026-11-01T00:00:00.000Z',
    updatedBy: 'root',
    ...over,
  };
}

/**
 * The CI store (`DynamoCiStore`): the current CIs, every version (with the CI after it), the
 * relations pointing at each CI and the marks of applied planned updates; a change commits its
 * version, its mark and its event with the CI or nothing. `reads` counts the items each read
 * returned, as DynamoDB would bill them (a point-in-time read: 1; a history page: limit + 1).
 */
export class FakeCiStore extends Recorder implements CiStore {
  readonly cis = new Map<string, Ci>();
  readonly versions = new Map<string, CiVersion[]>();
  readonly marks = new Map<string, AppliedCiUpdate>();
  readonly table: FakeTable;
  /** Items read, by method. */
  readonly reads: Record<string, number> = {};

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  /** Stores a CI as it stands, with its version 1 (a fixture; no event). */
  seed(ci: Ci): Ci {
    this.cis.set(ci.id, copy(ci));
    this.versions.set(ci.id, [
      copy({
        ciId: ci.id,
        version: ci.version,
        at: ci.updatedAt,
        actor: ci.updatedBy,
        changes: {},
        snapshot: ci,
      }),
    ]);
    return ci;
  }

  #read(method: string, items: number): void {
    this.reads[method] = (this.reads[method] ?? 0) + items;
  }

  async get(id: string): Promise<Ci | undefined> {
    this.called('get', id);
    const found = this.cis.get(id);
    this.#read('get', found ? 1 : 0);
    return found && copy(found);
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, Ci>> {
    this.called('getMany', ids);
    const found = new Map<string, Ci>();
    for (const id of new Set(ids)) {
      const ci = this.cis.get(id);
      if (ci) found.set(id, copy(ci));
    }
    this.#read('getMany', found.size);
    return found;
  }

  #commit(write: CiWrite, stale: boolean, idempotency?: IdempotencyRequest, applied?: AppliedCiUpdate) {
    const markKey = applied && `${applied.releaseId}#${applied.taskId}#${applied.index}`;
    return this.table.commit({
      stale: stale || (markKey !== undefined && this.marks.has(markKey)),
      writes: 3 + (applied ? 1 : 0),
      events: [write.event],
      idempotency,
      resourceId: write.ci.id,
      write: () => {
        this.cis.set(write.ci.id, copy(write.ci));
        this.versions.set(write.ci.id, [...(this.versions.get(write.ci.id) ?? []), copy(write.version)]);
        if (applied && markKey) this.marks.set(markKey, copy(applied));
      },
    });
  }

  async create(write: CiWrite, idempotency?: IdempotencyRequest): Promise<IdempotentWrite> {
    this.called('create', write, idempotency);
    const { replayedId } = this.#commit(write, this.cis.has(write.ci.id), idempotency);
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async save(
    write: CiWrite,
    expectedVersion: number,
    previous: Ci,
    applied?: AppliedCiUpdate,
  ): Promise<void> {
    this.called('save', write, expectedVersion, previous, applied);
    this.#commit(write, this.cis.get(write.ci.id)?.version !== expectedVersion, undefined, applied);
  }

  async at(id: string, instant: string): Promise<Ci | undefined> {
    this.called('at', id, instant);
    const found = (this.versions.get(id) ?? []).filter((v) => v.at <= instant).at(-1);
    this.#read('at', found ? 1 : 0);
    return found && copy(found.snapshot);
  }

  async history(id: string, page: PageRequest): Promise<Page<CiVersion>> {
    this.called('history', id, page);
    const all = this.versions.get(id) ?? [];
    const result = pageOf(`ci-history:${id}`, all, (v) => String(v.version).padStart(10, '0'), page, true);
    // A Query reads one item beyond the page to know whether another follows.
    this.#read('history', Math.min(page.limit + 1, result.items.length + (result.nextCursor ? 1 : 0)));
    return result;
  }

  async version(id: string, version: number): Promise<CiVersion | undefined> {
    this.called('version', id, version);
    const found = (this.versions.get(id) ?? []).find((v) => v.version === version);
    return found && copy(found);
  }

  async list(filter: CiFilter, page: PageRequest): Promise<Page<Ci>> {
    this.called('list', filter, page);
    const matching = [...this.cis.values()].filter(
      (c) =>
        (filter.type === undefined || c.type === filter.type) &&
        (filter.name === undefined || c.name === filter.name),
    );
    return filter.name !== undefined
      ? pageOf(`cis:${JSON.stringify(filter)}`, matching, (c) => `${c.type}#${c.id}`, page)
      : pageOf(`cis:${JSON.stringify(filter)}`, matching, (c) => `${c.name}#${c.id}`, page);
  }

  async dependents(id: string, limit: number): Promise<InboundRelation[]> {
    this.called('dependents', id, limit);
    const inbound: { key: string; relation: InboundRelation }[] = [];
    for (const ci of this.cis.values()) {
      for (const r of ci.relations) {
        if (r.ciId === id)
          inbound.push({ key: `${ci.id}#${r.type}`, relation: { ciId: ci.id, type: r.type } });
      }
    }
    return inbound
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, limit)
      .map((x) => x.relation);
  }

  async applied(releaseId: string, taskId?: string): Promise<AppliedCiUpdate[]> {
    this.called('applied', releaseId, taskId);
    const found = [...this.marks.values()].filter(
      (m) => m.releaseId === releaseId && (taskId === undefined || m.taskId === taskId),
    );
    this.#read('applied', found.length);
    return found.map(copy);
  }

  async versionsOfRelease(releaseId: string, page: PageRequest): Promise<Page<CiVersion>> {
    this.called('versionsOfRelease', releaseId, page);
    const all = [...this.versions.values()].flat().filter((v) => v.releaseId === releaseId);
    return pageOf(
      `ci-release:${releaseId}`,
      all,
      (v) => `${v.at}#${v.ciId}#${String(v.version).padStart(10, '0')}`,
      page,
    );
  }
}

// Release metrics

/**
 * The metrics store (`DynamoMetricsStore`): incidents beside their release (one per reference,
 * committed with their event), each release's fact and the counters per period and team, written
 * together only if every one is still at the version read.
 */
export class FakeMetricsStore extends Recorder implements MetricsStore {
  readonly incidents = new Map<string, Incident>();
  readonly facts = new Map<string, StoredFact>();
  /** Stored counters by `counterId`. */
  readonly stored = new Map<string, Counter>();
  readonly table: FakeTable;

  constructor(table = new FakeTable()) {
    super();
    this.table = table;
  }

  async attribute(incident: Incident, event: DomainEvent, idempotency?: IdempotencyRequest) {
    this.called('attribute', incident, event, idempotency);
    const key = `${incident.releaseId}#${incident.reference}`;
    const { replayedId } = this.table.commit({
      stale: this.incidents.has(key),
      writes: 1,
      events: [event],
      idempotency,
      resourceId: incident.reference,
      write: () => this.incidents.set(key, copy(incident)),
    });
    return replayedId === undefined ? {} : { replayed: replayedId };
  }

  async incident(releaseId: string, reference: string): Promise<Incident | undefined> {
    this.called('incident', releaseId, reference);
    const found = this.incidents.get(`${releaseId}#${reference}`);
    return found && copy(found);
  }

  async fact(releaseId: string): Promise<StoredFact | undefined> {
    this.called('fact', releaseId);
    const found = this.facts.get(releaseId);
    return found && copy(found);
  }

  async counters(wanted: readonly CounterKey[]): Promise<Counter[]> {
    this.called('counters', wanted);
    return wanted.map((key) => copy(this.stored.get(counterId(key)) ?? emptyCounter(key)));
  }

  async applyFact(
    releaseId: string,
    fact: ReleaseFact | null,
    factVersion: number,
    counters: readonly Counter[],
  ): Promise<void> {
    this.called('applyFact', releaseId, fact, factVersion, counters);
    const stale =
      (this.facts.get(releaseId)?.version ?? 0) !== factVersion ||
      counters.some((c) => (this.stored.get(counterId(c))?.version ?? 0) !== c.version);
    this.table.commit({
      stale,
      writes: 1 + counters.length,
      events: [],
      write: () => {
        this.facts.set(releaseId, copy({ fact, version: factVersion + 1 }));
        for (const c of counters) this.stored.set(counterId(c), copy({ ...c, version: c.version + 1 }));
      },
    });
  }

  /** Like the Query of a granularity's partition between two periods, in sort-key order. */
  async countersIn(
    granularity: Granularity,
    range: { from: string; to: string },
    teamId?: string | undefined,
  ): Promise<Counter[]> {
    this.called('countersIn', granularity, range, teamId);
    return [...this.stored.values()]
      .filter(
        (c) =>
          c.granularity === granularity &&
          c.period >= range.from &&
          c.period <= range.to &&
          (teamId === undefined || c.teamId === teamId),
      )
      .sort((a, b) => (counterId(a) < counterId(b) ? -1 : 1))
      .map(copy);
  }
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// One world

/** A meter that keeps what the use cases counted, by metric (tests assert exact counts). */
export class FakeMeter implements Meter {
  readonly counts = new Map<BusinessMetric, number>();
  count(metric: BusinessMetric, value = 1): void {
    if (value > 0) this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }
  /** What was counted, as a plain object (only metrics counted at least once). */
  counted(): Partial<Record<BusinessMetric, number>> {
    return Object.fromEntries(this.counts);
  }
  reset(): void {
    this.counts.clear();
  }
}

/** Every port of every use case, in memory, sharing one table; the default workflows stored. */
export function inMemoryPorts(options: { clock?: ReturnType<typeof fixedClock> } = {}) {
  const table = new FakeTable();
  const clock = options.clock ?? fixedClock();
  const ids = sequentialIds();
  const users = new FakeUserStore(table);
  const teams = new FakeTeamStore(users, table);
  const workflowStore = new FakeWorkflowStore(table);
  const workflows = new FakeWorkflowCatalog(workflowStore, teams);
  for (const [id, definition] of Object.entries(defaultWorkflows)) workflows.seed(id, definition);
  const stepFunctions = new FakeStepFunctions(clock);
  const releases = new FakeReleaseStore(table);
  const changes = new FakeChangeStore(table, releases);
  // The reliable consumers, delivered at once: start-execution on a created event, and
  // signal-execution on a move's event (it carries the signal the move committed).
  const consumers = async (kind: RunKind, subject: RunSubject, events: readonly DomainEvent[]) => {
    for (const event of events) {
      if (event.type === SUBJECT_KINDS[kind].events.created.type) await stepFunctions.start(kind, subject);
      const data = event.data as { signal?: StageSignal; status?: string };
      if (event.type === SUBJECT_KINDS[kind].events.entered.type && data.signal) {
        await stepFunctions.signal(kind, subject.id, data.signal, { terminal: data.status !== 'active' });
      }
    }
  };
  releases.consumers = consumers;
  changes.consumers = consumers;
  return {
    table,
    clock,
    ids,
    users,
    teams,
    releases,
    changes,
    tasks: new FakeTaskStore(releases, table),
    cis: new FakeCiStore(table),
    kb: new FakeKbStore(table),
    slas: new FakeSlaStore(table),
    metrics: new FakeMetricsStore(table),
    waits: new FakeWaitStore(),
    workflows,
    workflowStore,
    workflowPublisher: new FakeWorkflowPublisher(),
    stepFunctions,
    executions: stepFunctions,
    executionViewer: stepFunctions,
    inspector: stepFunctions,
    stageSignals: stepFunctions,
    meter: new FakeMeter(),
  };
}

export type InMemoryPorts = ReturnType<typeof inMemoryPorts>;

/** A team as stored, with defaults for what a test does not care about. */
export function teamFixture(id: string, kind: TeamKind, members: string[], over: Partial<Team> = {}): Team {
  const at = '2026-11-26T10:00:00.000Z';
  return {
    id,
    name: id,
    kind,
    workGroups: [],
    members,
    version: 1,
    createdAt: at,
    createdBy: 'root',
    updatedAt: at,
    updatedBy: 'root',
    ...over,
  };
}
