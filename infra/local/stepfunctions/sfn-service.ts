/**
 * The Step Functions API actions of the local service (the subset operators and Release Desk use),
 * over in-memory records that are optionally persisted under a data directory.
 *
 * With a data directory, an action that changes something answers only once a record of the change is
 * on disk (StartExecution, SendTaskSuccess/Failure, StopExecution, the state machine actions), so what a
 * caller was told survives a crash; the progress an execution makes on its own is written when convenient.
 */
import { randomUUID } from 'node:crypto';
import {
  type ArnScope,
  executionArn,
  isExecutionArn,
  isValidName,
  parseStateMachineArn,
  stateMachineArn,
  stateMachineVersionArn,
} from './arns.ts';
import type { SfnDataDir } from './data-dir.ts';
import { parseDefinition } from './definition.ts';
import { ExecutionRunner, type InvokeFunction } from './execution-runner.ts';
import { toWireEvent } from './history.ts';
import type {
  ExecutionRecord,
  ExecutionStatus,
  StateMachineRecord,
  StateMachineVersionRecord,
} from './records.ts';
import { SfnServiceError } from './service-error.ts';
import { TaskTokenRegistry } from './task-tokens.ts';

type Input = Record<string, unknown>;

const defaultRoleArn = (scope: ArnScope) => `arn:aws:iam::${scope.accountId}:role/local-stepfunctions`;
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const executionStatuses: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SfnServiceError('ValidationException', `${key} must be a string`);
  return value;
}

function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined || value === '') {
    throw new SfnServiceError(
      'ValidationException',
      `1 validation error detected: '${key}' must not be null`,
    );
  }
  return value;
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/** What AWS reports for a state machine created without a customer managed KMS key. */
const awsOwnedKey = Object.freeze({ type: 'AWS_OWNED_KEY' });

/** How long after it stopped an execution can be redriven (the RedriveExecution API reference). */
export const REDRIVABLE_PERIOD_MS = 14 * 24 * 60 * 60 * 1000;
/** AWS's maximum open time of an execution (one year), past which it cannot be redriven. */
const MAX_EXECUTION_TIME_MS = 365 * 24 * 60 * 60 * 1000;
/** AWS's history quota: an execution with this many events cannot be redriven. */
const HISTORY_EVENT_LIMIT = 25_000;
/** RedriveExecution answers a repeated client token for the last 10 redrives. */
const REMEMBERED_CLIENT_TOKENS = 10;

/** Whether `RedriveExecution` would accept the execution now, and AWS's reason when it would not. */
export interface RedriveState {
  readonly redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  readonly redriveStatusReason?: string;
}

/**
 * `redriveStatus` and its reason as DescribeExecution gives them, with AWS's reasons
 * (docs/decisions.md, "Local Step Functions: redrive, stop, heartbeats, time scale, status events").
 */
export function redriveState(
  record: ExecutionRecord,
  machineExists: boolean,
  now = Date.now(),
): RedriveState {
  const no = (redriveStatusReason: string): RedriveState => ({
    redriveStatus: 'NOT_REDRIVABLE',
    redriveStatusReason,
  });
  if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
    return no(`Execution is ${record.status} and cannot be redriven`);
  }
  if (!machineExists) return no('State machine is in DELETING status');
  if (record.history.length >= HISTORY_EVENT_LIMIT) return no('Execution history event limit exceeded');
  if (now - record.startDate > MAX_EXECUTION_TIME_MS)
    return no('Execution has exceeded the max execution time');
  if (now - (record.stopDate ?? now) > REDRIVABLE_PERIOD_MS)
    return no('Execution redrivable period exceeded');
  return { redriveStatus: 'REDRIVABLE' };
}

/** One `Step Functions Execution Status Change` event, as the service hands it to the event bus. */
export interface ExecutionStatusEvent {
  readonly Source: 'aws.states';
  readonly DetailType: 'Step Functions Execution Status Change';
  readonly Resources: string[];
  readonly Detail: string;
  readonly Time: Date;
}

/** Puts an event on the local EventBridge (best effort, as AWS delivers these events). */
export type PublishEvent = (event: ExecutionStatusEvent) => unknown;

/** One page of `items` per `maxResults`/`nextToken` (an opaque offset), as the List actions page. */
function page<T>(items: readonly T[], input: Input): { items: T[]; nextToken?: string } {
  // AWS's range is 0..1000 (0 = the default); beyond it, its request validation answers, not a clamp.
  if (typeof input.maxResults === 'number' && input.maxResults > 1000) {
    throw new SfnServiceError(
      'ValidationException',
      `1 validation error detected: Value '${input.maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  const requested = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100;
  const size = Math.min(requested, 1000);
  let start = 0;
  const token = optionalString(input, 'nextToken');
  if (token !== undefined) {
    start = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new SfnServiceError('InvalidToken', 'Invalid nextToken');
  }
  const slice = items.slice(start, start + size);
  const next =
    start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return next === undefined ? { items: slice } : { items: slice, nextToken: next };
}

/** Options of {@link StepFunctionsService}. */
export interface StepFunctionsServiceOptions {
  readonly scope: ArnScope;
  readonly invokeFunction: InvokeFunction;
  readonly dataDir?: SfnDataDir;
  /** `SFN_TIME_SCALE` (see time-scale.ts); default 1. */
  readonly timeScale?: number;
  /** Where `Step Functions Execution Status Change` events go; none are sent without it. */
  readonly publishEvent?: PublishEvent;
}

/** The local Step Functions service: API actions by name, plus start-up loading and shutdown. */
export class StepFunctionsService {
  readonly #scope: ArnScope;
  readonly #invokeFunction: InvokeFunction;
  readonly #dataDir: SfnDataDir | undefined;
  readonly #timeScale: number;
  readonly #publishEvent: PublishEvent | undefined;
  readonly #machines = new Map<string, StateMachineRecord>();
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #runners = new Map<string, ExecutionRunner>();
  /** StartExecution writes not yet on disk, by execution ARN; the execution runs once its write is. */
  readonly #starting = new Map<string, Promise<void>>();
  readonly #tokens: TaskTokenRegistry;
  readonly #actions: Record<string, (input: Input) => unknown>;

  constructor(options: StepFunctionsServiceOptions) {
    this.#scope = options.scope;
    this.#invokeFunction = options.invokeFunction;
    this.#dataDir = options.dataDir;
    this.#timeScale = options.timeScale ?? 1;
    this.#publishEvent = options.publishEvent;
    this.#tokens = new TaskTokenRegistry((arn) => this.#executions.has(arn));
    this.#actions = {
      CreateStateMachine: (input) => this.createStateMachine(input),
      UpdateStateMachine: (input) => this.updateStateMachine(input),
      PublishStateMachineVersion: (input) => this.publishStateMachineVersion(input),
      DeleteStateMachine: (input) => this.deleteStateMachine(input),
      ListStateMachines: (input) => this.listStateMachines(input),
      DescribeStateMachine: (input) => this.describeStateMachine(input),
      ListStateMachineVersions: (input) => this.listStateMachineVersions(input),
      StartExecution: (input) => this.startExecution(input),
      DescribeExecution: (input) => this.describeExecution(input),
      ListExecutions: (input) => this.listExecutions(input),
      GetExecutionHistory: (input) => this.getExecutionHistory(input),
      SendTaskSuccess: (input) => this.sendTaskSuccess(input),
      SendTaskFailure: (input) => this.sendTaskFailure(input),
      SendTaskHeartbeat: (input) => this.sendTaskHeartbeat(input),
      StopExecution: (input) => this.stopExecution(input),
      RedriveExecution: (input) => this.redriveExecution(input),
      DescribeStateMachineForExecution: (input) => this.describeStateMachineForExecution(input),
    };
  }

  /**
   * Runs one API action by its name (the part after `AWSStepFunctions.` in `X-Amz-Target`); resolves
   * with its response once what it changed is persisted.
   */
  async handle(action: string, input: Input): Promise<unknown> {
    const run = Object.hasOwn(this.#actions, action) ? this.#actions[action] : undefined;
    if (!run) throw new SfnServiceError('UnknownOperationException', `Unknown operation ${action}`);
    return await run(input);
  }

  /** Loads persisted state machines and executions and resumes the RUNNING executions. */
  async load(): Promise<void> {
    if (!this.#dataDir) return;
    await this.#dataDir.prepare();
    for (const machine of await this.#dataDir.loadStateMachines()) this.#machines.set(machine.arn, machine);
    for (const record of await this.#dataDir.loadExecutions()) {
      this.#executions.set(record.executionArn, record);
      if (record.status === 'RUNNING') this.#run(record);
    }
  }

  /** Lets go of every running execution (its record stays RUNNING, to resume) and flushes the disk. */
  async shutdown(): Promise<void> {
    const finished = [...this.#runners.values()].map((runner) => {
      runner.dispose();
      return runner.finished;
    });
    this.#runners.clear();
    await Promise.race([Promise.all(finished), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.#dataDir?.flush();
  }

  // --- state machines -------------------------------------------------------------------------

  async createStateMachine(input: Input) {
    const name = requiredString(input, 'name');
    if (!isValidName(name)) throw new SfnServiceError('InvalidName', `Invalid Name: '${name}'`);
    const definition = requiredString(input, 'definition');
    parseDefinition(definition);
    const type = optionalString(input, 'type') ?? 'STANDARD';
    const roleArn = optionalString(input, 'roleArn') ?? defaultRoleArn(this.#scope);
    const arn = stateMachineArn(this.#scope, name);
    const existing = this.#machines.get(arn);
    const publish = input.publish === true;
    const versionDescription = optionalString(input, 'versionDescription');
    if (existing) {
      if (!sameJson(existing.definition, definition) || existing.type !== type) {
        throw new SfnServiceError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      const version = publish ? this.#publish(existing, versionDescription) : undefined;
      // Also when nothing changed: an identical create may still be on its way to the disk.
      await this.#persistMachines();
      return {
        stateMachineArn: arn,
        creationDate: seconds(existing.creationDate),
        ...(version ? { stateMachineVersionArn: stateMachineVersionArn(arn, version.version) } : {}),
      };
    }
    const now = Date.now();
    const description = optionalString(input, 'description');
    const machine: StateMachineRecord = {
      name,
      arn,
      type,
      creationDate: now,
      definition,
      roleArn,
      revisionId: randomUUID(),
      updateDate: now,
      ...(description === undefined ? {} : { description }),
      versions: [],
    };
    this.#machines.set(arn, machine);
    const version = publish ? this.#publish(machine, versionDescription) : undefined;
    await this.#persistMachines();
    return {
      stateMachineArn: arn,
      creationDate: seconds(now),
      ...(version ? { stateMachineVersionArn: stateMachineVersionArn(arn, version.version) } : {}),
    };
  }

  async updateStateMachine(input: Input) {
    const arn = requiredString(input, 'stateMachineArn');
    const parsed = parseStateMachineArn(arn);
    if (!parsed) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (parsed.version !== undefined) {
      throw new SfnServiceError('ValidationException', 'A state machine version cannot be updated');
    }
    const machine = this.#machine(arn);
    const definition = optionalString(input, 'definition');
    const roleArn = optionalString(input, 'roleArn');
    const publish = input.publish === true;
    if (definition === undefined && roleArn === undefined && !publish) {
      throw new SfnServiceError(
        'MissingRequiredParameter',
        'Either the definition or the roleArn must be specified',
      );
    }
    if (definition !== undefined) parseDefinition(definition);
    const changed =
      (definition !== undefined && !sameJson(definition, machine.definition)) ||
      (roleArn !== undefined && roleArn !== machine.roleArn);
    if (changed) {
      if (definition !== undefined) machine.definition = definition;
      if (roleArn !== undefined) machine.roleArn = roleArn;
      machine.revisionId = randomUUID();
      machine.updateDate = Date.now();
    }
    const version = publish ? this.#publish(machine, optionalString(input, 'versionDescription')) : undefined;
    await this.#persistMachines();
    return {
      updateDate: seconds(machine.updateDate),
      revisionId: machine.revisionId,
      ...(version ? { stateMachineVersionArn: stateMachineVersionArn(machine.arn, version.version) } : {}),
    };
  }

  async publishStateMachineVersion(input: Input) {
    const machine = this.#machine(requiredString(input, 'stateMachineArn'));
    const revisionId = optionalString(input, 'revisionId');
    if (revisionId !== undefined && revisionId !== machine.revisionId) {
      throw new SfnServiceError(
        'ConflictException',
        'The revisionId is not the latest revision of the state machine',
      );
    }
    const version = this.#publish(machine, optionalString(input, 'description'));
    await this.#persistMachines();
    return {
      creationDate: seconds(version.creationDate),
      stateMachineVersionArn: stateMachineVersionArn(machine.arn, version.version),
    };
  }

  async deleteStateMachine(input: Input) {
    const arn = requiredString(input, 'stateMachineArn');
    const parsed = parseStateMachineArn(arn);
    if (!parsed) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    this.#machines.delete(parsed.baseArn);
    await this.#persistMachines();
    return {};
  }

  listStateMachines(input: Input) {
    const all = [...this.#machines.values()].sort((a, b) => a.creationDate - b.creationDate);
    const { items, nextToken } = page(all, input);
    return {
      stateMachines: items.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: machine.type,
        creationDate: seconds(machine.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  describeStateMachine(input: Input) {
    const arn = requiredString(input, 'stateMachineArn');
    const { machine, version } = this.#machineOrVersion(arn);
    const common = {
      name: machine.name,
      status: 'ACTIVE',
      type: machine.type,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
      encryptionConfiguration: awsOwnedKey,
    };
    if (version) {
      return {
        ...common,
        stateMachineArn: stateMachineVersionArn(machine.arn, version.version),
        definition: version.definition,
        roleArn: version.roleArn,
        revisionId: version.revisionId,
        creationDate: seconds(version.creationDate),
        ...(version.description === undefined ? {} : { description: version.description }),
      };
    }
    return {
      ...common,
      stateMachineArn: machine.arn,
      definition: machine.definition,
      roleArn: machine.roleArn,
      revisionId: machine.revisionId,
      creationDate: seconds(machine.creationDate),
      ...(machine.description === undefined ? {} : { description: machine.description }),
    };
  }

  listStateMachineVersions(input: Input) {
    const machine = this.#machine(requiredString(input, 'stateMachineArn'));
    const { items, nextToken } = page([...machine.versions].reverse(), input);
    return {
      stateMachineVersions: items.map((version) => ({
        stateMachineVersionArn: stateMachineVersionArn(machine.arn, version.version),
        creationDate: seconds(version.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  // --- executions -----------------------------------------------------------------------------

  async startExecution(input: Input) {
    const arn = requiredString(input, 'stateMachineArn');
    const { machine, version } = this.#machineOrVersion(arn);
    const name = optionalString(input, 'name') ?? randomUUID();
    if (!isValidName(name)) throw new SfnServiceError('InvalidName', `Invalid Name: '${name}'`);
    const executionInput = optionalString(input, 'input') ?? '{}';
    try {
      JSON.parse(executionInput);
    } catch {
      throw new SfnServiceError('InvalidExecutionInput', 'Invalid execution input: not valid JSON');
    }
    const execArn = executionArn(this.#scope, machine.name, name);
    const existing = this.#executions.get(execArn);
    if (existing) {
      // Standard workflows: a repeated start of a RUNNING execution with the same input is idempotent.
      if (existing.status === 'RUNNING' && sameJson(existing.input, executionInput)) {
        // A start still on its way to the disk answers this one too, success or failure.
        await this.#starting.get(execArn);
        return { executionArn: execArn, startDate: seconds(existing.startDate) };
      }
      throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${execArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn: execArn,
      name,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      ...(version ? { stateMachineVersionArn: stateMachineVersionArn(machine.arn, version.version) } : {}),
      definition: version?.definition ?? machine.definition,
      roleArn: version?.roleArn ?? machine.roleArn,
      revisionId: version?.revisionId ?? machine.revisionId,
      stateMachineUpdateDate: version?.creationDate ?? machine.updateDate,
      input: executionInput,
      startDate: Date.now(),
      status: 'RUNNING',
      history: [],
      taskOutcomes: [],
      waitingTasks: [],
    };
    this.#executions.set(execArn, record);
    // On disk before anything runs: nothing is invoked for an execution a crash could forget.
    const persisted = this.#persistExecution(record);
    this.#starting.set(execArn, persisted);
    try {
      await persisted;
    } catch (error) {
      this.#executions.delete(execArn);
      throw error;
    } finally {
      this.#starting.delete(execArn);
    }
    this.#run(record);
    this.#publishStatus(record);
    return { executionArn: execArn, startDate: seconds(record.startDate) };
  }

  describeExecution(input: Input) {
    const record = this.#execution(requiredString(input, 'executionArn'));
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      input: record.input,
      inputDetails: { included: true },
      redriveCount: record.redriveCount ?? 0,
      ...(record.redriveDate === undefined ? {} : { redriveDate: seconds(record.redriveDate) }),
      ...this.#redriveState(record),
      ...(record.stopDate === undefined ? {} : { stopDate: seconds(record.stopDate) }),
      ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
      ...(record.stateMachineVersionArn ? { stateMachineVersionArn: record.stateMachineVersionArn } : {}),
    };
  }

  listExecutions(input: Input) {
    const arn = requiredString(input, 'stateMachineArn');
    const parsed = parseStateMachineArn(arn);
    if (!parsed) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    this.#machineOrVersion(arn);
    const statusFilter = optionalString(input, 'statusFilter');
    // PENDING_REDRIVE is a status of a Map Run's child executions: AWS wants a mapRunArn with it.
    if (statusFilter === 'PENDING_REDRIVE') {
      throw new SfnServiceError(
        'ValidationException',
        'The PENDING_REDRIVE statusFilter can only be used with a mapRunArn',
      );
    }
    if (statusFilter !== undefined && !executionStatuses.includes(statusFilter as ExecutionStatus)) {
      throw new SfnServiceError('ValidationException', `Invalid statusFilter '${statusFilter}'`);
    }
    const redriveFilter = optionalString(input, 'redriveFilter');
    if (redriveFilter !== undefined && redriveFilter !== 'REDRIVEN' && redriveFilter !== 'NOT_REDRIVEN') {
      throw new SfnServiceError(
        'ValidationException',
        `1 validation error detected: Value '${redriveFilter}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]`,
      );
    }
    const matching = [...this.#executions.values()]
      .filter((record) =>
        parsed.version === undefined
          ? record.stateMachineArn === parsed.baseArn
          : record.stateMachineVersionArn === arn,
      )
      .filter((record) => statusFilter === undefined || record.status === statusFilter)
      .filter(
        (record) =>
          redriveFilter === undefined || (redriveFilter === 'REDRIVEN') === (record.redriveCount ?? 0) > 0,
      )
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = page(matching, input);
    return {
      executions: items.map((record) => ({
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: seconds(record.startDate),
        ...(record.stopDate === undefined ? {} : { stopDate: seconds(record.stopDate) }),
        ...(record.stateMachineVersionArn ? { stateMachineVersionArn: record.stateMachineVersionArn } : {}),
        redriveCount: record.redriveCount ?? 0,
        ...(record.redriveDate === undefined ? {} : { redriveDate: seconds(record.redriveDate) }),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  getExecutionHistory(input: Input) {
    const record = this.#execution(requiredString(input, 'executionArn'));
    const includeExecutionData = input.includeExecutionData !== false;
    const events = input.reverseOrder === true ? [...record.history].reverse() : record.history;
    const { items, nextToken } = page(events, input);
    return {
      events: items.map((event) => toWireEvent(event, includeExecutionData)),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async sendTaskSuccess(input: Input) {
    // The runner records the result in the execution synchronously, whatever the engine does next.
    const task = this.#tokens.succeed(requiredString(input, 'taskToken'), requiredString(input, 'output'));
    await this.#persistExecution(this.#executions.get(task.executionArn));
    return {};
  }

  async sendTaskFailure(input: Input) {
    const token = requiredString(input, 'taskToken');
    // Without error or cause, AWS records neither (no empty strings): TaskFailed has no such keys.
    const task = this.#tokens.fail(token, optionalString(input, 'error'), optionalString(input, 'cause'));
    await this.#persistExecution(this.#executions.get(task.executionArn));
    return {};
  }

  sendTaskHeartbeat(input: Input) {
    this.#tokens.heartbeat(requiredString(input, 'taskToken'));
    return {};
  }

  async stopExecution(input: Input) {
    const arn = requiredString(input, 'executionArn');
    // An execution still being started gets its runner first, which is what stops it.
    await this.#starting.get(arn)?.catch(() => {});
    const record = this.#execution(arn);
    const runner = this.#runners.get(record.executionArn);
    if (runner && record.status === 'RUNNING') {
      runner.stop(optionalString(input, 'error'), optionalString(input, 'cause'));
    }
    // Also for an execution already stopped: that stop may still be on its way to the disk.
    await this.#persistExecution(record);
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  }

  /**
   * `RedriveExecution`: restarts a FAILED, TIMED_OUT or ABORTED execution (stopped within 14 days) from
   * the state that did not complete, with the same ARN, input and definition. The re-run replays what
   * the states before it did (nothing is invoked again) and keeps the history, adding `ExecutionRedriven`.
   * A repeated call with one of the last 10 client tokens answers as that redrive did.
   */
  async redriveExecution(input: Input) {
    const arn = requiredString(input, 'executionArn');
    await this.#starting.get(arn)?.catch(() => {});
    const record = this.#execution(arn);
    const clientToken = optionalString(input, 'clientToken');
    if (clientToken !== undefined && record.redriveClientTokens?.includes(clientToken)) {
      await this.#persistExecution(record);
      return { redriveDate: seconds(record.redriveDate) };
    }
    const state = this.#redriveState(record);
    if (state.redriveStatus !== 'REDRIVABLE') {
      throw new SfnServiceError(
        'ExecutionNotRedrivable',
        state.redriveStatusReason ?? 'Execution is not redrivable',
      );
    }
    // Where the re-run starts again: the last state entered (a Task that failed, timed out or was
    // waiting when stopped; a Fail state); everything after it stays in the history but is not replayed.
    const lastEntered = record.history.findLastIndex((event) => event.type.endsWith('StateEntered'));
    const restartState = lastEntered < 0 ? undefined : record.history[lastEntered]?.details?.name;
    const skipped = new Set(record.notReplayed ?? []);
    for (const event of record.history.slice(lastEntered + 1)) skipped.add(event.id);
    // The attempts that ended the execution are dropped, so the restarted state runs (and retries) anew.
    while (record.taskOutcomes.length > 0) {
      const last = record.taskOutcomes.at(-1);
      if (!last || last.state !== restartState || last.result.ok) break;
      record.taskOutcomes.pop();
    }
    const now = Date.now();
    const redriveCount = (record.redriveCount ?? 0) + 1;
    const id = record.history.length + 1;
    record.history.push({
      timestamp: now,
      type: 'ExecutionRedriven',
      id,
      previousEventId: id - 1,
      detailsField: 'executionRedrivenEventDetails',
      details: { redriveCount },
    });
    skipped.add(id);
    record.notReplayed = [...skipped].sort((a, b) => a - b);
    record.status = 'RUNNING';
    record.redriveCount = redriveCount;
    record.redriveDate = now;
    record.waitingTasks = [];
    delete record.stopDate;
    delete record.output;
    delete record.error;
    delete record.cause;
    if (clientToken !== undefined) {
      record.redriveClientTokens = [...(record.redriveClientTokens ?? []), clientToken].slice(
        -REMEMBERED_CLIENT_TOKENS,
      );
    }
    await this.#persistExecution(record);
    this.#run(record);
    this.#publishStatus(record);
    return { redriveDate: seconds(now) };
  }

  describeStateMachineForExecution(input: Input) {
    const record = this.#execution(requiredString(input, 'executionArn'));
    return {
      stateMachineArn: record.stateMachineArn,
      name: record.stateMachineName,
      definition: record.definition,
      roleArn: record.roleArn,
      updateDate: seconds(record.stateMachineUpdateDate),
      revisionId: record.revisionId,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
      encryptionConfiguration: awsOwnedKey,
    };
  }

  // --- helpers --------------------------------------------------------------------------------

  #run(record: ExecutionRecord): void {
    const runner = new ExecutionRunner(record, {
      region: this.#scope.region,
      invokeFunction: this.#invokeFunction,
      tokens: this.#tokens,
      timeScale: this.#timeScale,
      onChange: (changed) => this.#dataDir?.saveExecution(changed),
      onEnd: (ended) => this.#publishStatus(ended),
    });
    this.#runners.set(record.executionArn, runner);
    runner.start();
    void runner.finished.then(() => {
      if (this.#runners.get(record.executionArn) === runner && !runner.running) {
        this.#runners.delete(record.executionArn);
      }
    });
  }

  #redriveState(record: ExecutionRecord): RedriveState {
    return redriveState(record, this.#machines.has(record.stateMachineArn));
  }

  /**
   * Sends `Step Functions Execution Status Change` for the execution's status now, shaped as AWS's
   * (dates in epoch ms, absent values null); best effort, as AWS's delivery of these events is.
   */
  #publishStatus(record: ExecutionRecord): void {
    if (!this.#publishEvent) return;
    const redrive = this.#redriveState(record);
    const detail = {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: record.input,
      output: record.output ?? null,
      inputDetails: { included: true },
      outputDetails: record.output === undefined ? null : { included: true },
      error: record.error ?? null,
      cause: record.cause ?? null,
      redriveCount: record.redriveCount ?? 0,
      redriveDate: record.redriveDate ?? null,
      redriveStatus: redrive.redriveStatus,
      redriveStatusReason: redrive.redriveStatusReason ?? null,
    };
    const time = new Date(record.stopDate ?? record.redriveDate ?? record.startDate);
    try {
      void Promise.resolve(
        this.#publishEvent({
          Source: 'aws.states',
          DetailType: 'Step Functions Execution Status Change',
          Resources: [record.executionArn],
          Detail: JSON.stringify(detail),
          Time: time,
        }),
      ).catch(() => {});
    } catch {
      // Best effort: a bus that is closing must not fail the execution or the action.
    }
  }

  #publish(machine: StateMachineRecord, description: string | undefined): StateMachineVersionRecord {
    const latest = machine.versions.at(-1);
    // Publishing an unchanged revision returns the version that already has it, as in AWS.
    if (latest && latest.revisionId === machine.revisionId) return latest;
    const version: StateMachineVersionRecord = {
      version: (latest?.version ?? 0) + 1,
      definition: machine.definition,
      roleArn: machine.roleArn,
      revisionId: machine.revisionId,
      creationDate: Date.now(),
      ...(description === undefined ? {} : { description }),
    };
    machine.versions.push(version);
    return version;
  }

  /** Resolves once the state machines as they are now are on disk. */
  async #persistMachines(): Promise<void> {
    await this.#dataDir?.writeStateMachines(() => [...this.#machines.values()]);
  }

  /** Resolves once the execution as it is now is on disk. */
  async #persistExecution(record: ExecutionRecord | undefined): Promise<void> {
    if (record) await this.#dataDir?.writeExecution(record);
  }

  #machine(arn: string): StateMachineRecord {
    const parsed = parseStateMachineArn(arn);
    if (!parsed) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.#machines.get(parsed.baseArn);
    if (!machine)
      throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  #machineOrVersion(arn: string): { machine: StateMachineRecord; version?: StateMachineVersionRecord } {
    const parsed = parseStateMachineArn(arn);
    const machine = this.#machine(arn);
    if (parsed?.version === undefined) return { machine };
    const version = machine.versions.find((candidate) => candidate.version === parsed.version);
    if (!version)
      throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return { machine, version };
  }

  #execution(arn: string): ExecutionRecord {
    if (!isExecutionArn(arn)) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    const record = this.#executions.get(arn);
    if (!record) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }
}
