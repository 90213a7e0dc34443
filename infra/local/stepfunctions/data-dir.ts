/**
 * The on-disk layout of a persisted local Step Functions service:
 * `<dataDir>/state-machines.json` (every state machine with its versions) and
 * `<dataDir>/executions/<sha256 of the execution ARN>.json` (one file per execution).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JsonFileWriter, readJson, readJsonDirectory } from './json-files.ts';
import type { ExecutionRecord, StateMachineRecord } from './records.ts';

/** Loads and saves the service's records under one directory. */
export class SfnDataDir {
  readonly #dir: string;
  readonly #writer = new JsonFileWriter();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Every persisted state machine. */
  async loadStateMachines(): Promise<StateMachineRecord[]> {
    return (await readJson<StateMachineRecord[]>(join(this.#dir, 'state-machines.json'))) ?? [];
  }

  /** Every persisted execution. */
  loadExecutions(): Promise<ExecutionRecord[]> {
    return readJsonDirectory<ExecutionRecord>(join(this.#dir, 'executions'));
  }

  /** Schedules a write of all state machines (the snapshot is taken when the write starts). */
  saveStateMachines(machines: () => StateMachineRecord[]): void {
    this.#writer.schedule(join(this.#dir, 'state-machines.json'), machines);
  }

  /** Schedules a write of one execution. */
  saveExecution(record: ExecutionRecord): void {
    const file = `${createHash('sha256').update(record.executionArn).digest('hex')}.json`;
    this.#writer.schedule(join(this.#dir, 'executions', file), () => record);
  }

  /** Waits until every scheduled write is on disk. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
