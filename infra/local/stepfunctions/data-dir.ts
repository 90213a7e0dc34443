/**
 * The on-disk layout of a persisted local Step Functions service:
 * `<dataDir>/state-machines.json` (every state machine with its versions) and
 * `<dataDir>/executions/<sha256 of the execution ARN>.json` (one file per execution), all readable by
 * the owner only (files 0600, directories 0700: executions hold task tokens).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  ensurePrivateDirectory,
  JsonFileWriter,
  readJson,
  readJsonDirectory,
  tightenDirectory,
} from './json-files.ts';
import type { ExecutionRecord, StateMachineRecord } from './records.ts';

/** Loads and saves the service's records under one directory. */
export class SfnDataDir {
  readonly #dir: string;
  readonly #writer = new JsonFileWriter();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Creates the directory, or tightens what an older version left there to 0600/0700; before loading. */
  async prepare(): Promise<void> {
    await ensurePrivateDirectory(join(this.#dir, 'executions'));
    await tightenDirectory(this.#dir);
  }

  /** Every persisted state machine. */
  async loadStateMachines(): Promise<StateMachineRecord[]> {
    return (await readJson<StateMachineRecord[]>(this.#stateMachinesFile())) ?? [];
  }

  /** Every persisted execution. */
  loadExecutions(): Promise<ExecutionRecord[]> {
    return readJsonDirectory<ExecutionRecord>(join(this.#dir, 'executions'));
  }

  /** Writes all state machines; resolves once what `machines()` returns at the call is on disk. */
  writeStateMachines(machines: () => StateMachineRecord[]): Promise<void> {
    return this.#writer.write(this.#stateMachinesFile(), machines);
  }

  /** Schedules a write of one execution, without waiting for it (progress nobody was told about yet). */
  saveExecution(record: ExecutionRecord): void {
    this.#writer.schedule(this.#executionFile(record), () => record);
  }

  /** Writes one execution; resolves once the record as it is at the call is on disk. */
  writeExecution(record: ExecutionRecord): Promise<void> {
    return this.#writer.write(this.#executionFile(record), () => record);
  }

  /** Waits until every scheduled write is on disk. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  #stateMachinesFile(): string {
    return join(this.#dir, 'state-machines.json');
  }

  #executionFile(record: ExecutionRecord): string {
    const file = `${createHash('sha256').update(record.executionArn).digest('hex')}.json`;
    return join(this.#dir, 'executions', file);
  }
}
