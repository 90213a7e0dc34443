/**
 * A meter of every AWS call the local cloud's functions make, and of every function invocation,
 * for the cost bench (`bench/cost.ts`) and the cost regression guard (`test/e2e/cost-guard.test.ts`).
 *
 * Each call is attributed to the function invocation it was made in (an AsyncLocalStorage scope
 * opened by {@link Meter.wrapFunction}, which the local cloud's `wrapFunction` option applies to
 * every function: the HTTP handlers, record-stage, the rule targets and the outbox relay), so a
 * request's own calls are told apart from the background work it sets off.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/** One AWS SDK call a function made, with the capacity DynamoDB says it consumed. */
export interface MeteredCall {
  readonly service: 'dynamodb' | 'sfn' | 'events';
  readonly command: string;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Entries of a PutEvents. */
  readonly entries: number;
  /** Of a PutEvents: the 64 KB chunks EventBridge bills its entries as (one per entry up to 64 KB). */
  readonly eventChunks?: number;
  /** Of DynamoDB writes: the units its GSIs took (included in `writeUnits`). */
  readonly indexWriteUnits?: number;
  /**
   * Of DynamoDB writes: what the call would take with every item at most 1 KB and no index:
   * 2 per item of a transaction (ConditionChecks included), 1 per item otherwise — the design's
   * floor for the same writes.
   */
  readonly floorWriteUnits?: number;
  /**
   * Of DynamoDB writes: the table's share as AWS bills it, item by item (each written item's size
   * rounded up to 1 KB, ×2 in a transaction). DynamoDB Local reports a transaction's table units
   * on the items' summed size instead, fewer than AWS bills when they are many small items.
   */
  readonly awsTableWriteUnits?: number;
  /**
   * Of DynamoDB writes: the indexes' share counted item by item — each written item's size rounded
   * up to 1 KB for every index it has keys for, ×2 in a transaction (as DynamoDB Local reports it
   * for one item). Local sums a transaction's items first, too; a moved index entry (delete and
   * put) shows only in what it reports, so the larger of the two counts.
   */
  readonly awsIndexWriteUnits?: number;
  /**
   * Of DynamoDB reads: the least AWS bills for the call whatever it finds — 0.5 unit a key or
   * Query eventually consistent, 1 strongly consistent, 2 a transactional read. DynamoDB Local
   * reports 0 for a read that finds nothing.
   */
  readonly minimumReadUnits?: number;
  /** The function whose invocation made the call; absent outside any (set-up, the reconciler at start). */
  readonly origin?: string;
  /** Of a GetItem: the sort key it read (e.g. `#WAIT`, the item a signal polls). */
  readonly sortKey?: string;
  /** Of a GetItem: the partition key it read (e.g. `TEAM#…`). */
  readonly partitionKey?: string;
  /** The error's name when the call failed (its units are then unknown to the caller: 0 here). */
  readonly error?: string;
}

/** One invocation of a local function, timed. */
export interface MeteredInvocation {
  readonly fn: string;
  readonly ms: number;
  /**
   * For the outbox relay: the stream records of the batch that are outbox items (inserted events).
   * The stack's event source mapping filters on them (infra/constructs/outbox-relay.ts), so a batch
   * without any would not invoke the function in AWS.
   */
  readonly outboxRecords?: number;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

const READ_COMMANDS = /^(Get|Query|Scan|BatchGet|TransactGet)/;

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/** EventBridge bills each PutEvents entry per 64 KB chunk of its payload. */
function eventChunks(entries: unknown): number {
  if (!Array.isArray(entries)) return 0;
  return entries.reduce((n: number, e: { Detail?: string; DetailType?: string; Source?: string }) => {
    const bytes = Buffer.byteLength(`${e.Detail ?? ''}${e.DetailType ?? ''}${e.Source ?? ''}`, 'utf8');
    return n + Math.max(1, Math.ceil(bytes / 65_536));
  }, 0);
}

/**
 * An item's size as DynamoDB counts it (Developer Guide, "Item sizes and formats"): each
 * attribute's name plus its value — a string's UTF-8 bytes, a number's (significant digits / 2) + 1,
 * 1 byte for a boolean or null, a binary's length, 3 bytes plus 1 per element for a map or list,
 * plus their contents.
 * Document-client input (plain JavaScript values), as the store writes it.
 */
export function itemSize(item: Record<string, unknown>): number {
  const valueSize = (v: unknown): number => {
    if (v === null || v === undefined || typeof v === 'boolean') return 1;
    if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
    if (v instanceof Uint8Array) return v.byteLength;
    if (typeof v === 'number' || typeof v === 'bigint') {
      const digits = String(v).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      return Math.ceil(Math.max(1, digits.length) / 2) + 1;
    }
    if (Array.isArray(v)) return 3 + v.reduce((n: number, e) => n + 1 + valueSize(e), 0);
    if (v instanceof Set) return [...v].reduce((n: number, e) => n + valueSize(e), 0);
    if (typeof v === 'object') {
      return (
        3 +
        Object.entries(v as Record<string, unknown>)
          .filter(([, e]) => e !== undefined)
          .reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueSize(e), 0)
      );
    }
    return 0;
  };
  return Object.entries(item)
    .filter(([, v]) => v !== undefined)
    .reduce((n, [k, v]) => n + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);
}

const kilobytes = (item: unknown) =>
  item && typeof item === 'object'
    ? Math.max(1, Math.ceil(itemSize(item as Record<string, unknown>) / 1024))
    : 1;

function minimumReadUnits(command: string, input: Record<string, unknown>): number {
  const per = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  if (command === 'BatchGetItemCommand') {
    return Object.values(
      (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>,
    ).reduce((n, r) => n + (r.Keys?.length ?? 0) * per(r.ConsistentRead), 0);
  }
  if (command === 'TransactGetItemsCommand') {
    return 2 * (Array.isArray(input.TransactItems) ? input.TransactItems.length : 0);
  }
  return per(input.ConsistentRead);
}

function awsIndexWriteUnits(command: string, input: Record<string, unknown>): number {
  const perItem = (item: unknown, factor: number) => {
    if (!item || typeof item !== 'object') return 0;
    const indexes = Object.keys(item).filter((k) => /^gsi\d+pk$/.test(k)).length;
    return indexes * kilobytes(item) * factor;
  };
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems ?? []) as { Put?: { Item?: unknown } }[];
    return items.reduce((n, t) => n + perItem(t.Put?.Item, 2), 0);
  }
  if (command === 'PutItemCommand') return perItem(input.Item, 1);
  return 0;
}

function awsTableWriteUnits(command: string, input: Record<string, unknown>): number {
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems ?? []) as { Put?: { Item?: unknown } }[];
    // An update, delete or condition check is counted at 1 KB (the stored item is not known here).
    return items.reduce((n, t) => n + 2 * kilobytes(t.Put?.Item), 0);
  }
  if (command === 'PutItemCommand') return kilobytes(input.Item);
  return floorWriteUnits(command, input);
}

function floorWriteUnits(command: string, input: Record<string, unknown>): number {
  if (command === 'TransactWriteItemsCommand') {
    return 2 * (Array.isArray(input.TransactItems) ? input.TransactItems.length : 0);
  }
  if (command === 'BatchWriteItemCommand') {
    return Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>).reduce(
      (n, requests) => n + requests.length,
      0,
    );
  }
  return 1;
}

interface StreamRecordLike {
  eventName?: string;
  dynamodb?: { NewImage?: { entity?: { S?: string } } };
}

/** The middleware stack of an AWS SDK v3 client (or a DynamoDB document client, which shares its client's). */
export interface MeterableClient {
  middlewareStack: {
    add: (mw: unknown, options: { step: 'initialize'; name: string; override?: boolean }) => void;
  };
}

/**
 * Records every call a client makes. On DynamoDB it asks each call for its consumed capacity
 * (`ReturnConsumedCapacity: TOTAL`, which costs nothing) and reads it from the answer: a read
 * command's units are read units, a write command's write units (a transaction's, as DynamoDB
 * reports them, already doubled).
 */
export class Meter {
  readonly calls: MeteredCall[] = [];
  readonly invocations: MeteredInvocation[] = [];
  readonly #scope = new AsyncLocalStorage<string>();
  #running = 0;

  /** Invocations started and not yet over. */
  get running(): number {
    return this.#running;
  }

  attach(service: MeteredCall['service'], client: MeterableClient): void {
    const record = (entry: MeteredCall) => this.calls.push(entry);
    const scope = this.#scope;
    client.middlewareStack.add(
      (
        next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
        context: { commandName?: string },
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          const command = String(context.commandName ?? 'unknown');
          const origin = scope.getStore();
          if (service === 'dynamodb' && CAPACITY_COMMANDS.has(command)) {
            // With the table's and each index's share (the sum is the same as with TOTAL).
            args.input.ReturnConsumedCapacity = 'INDEXES';
          }
          const entries = Array.isArray(args.input.Entries) ? args.input.Entries.length : 0;
          const key = args.input.Key as { pk?: unknown; sk?: unknown } | undefined;
          const extra = {
            ...(command === 'GetItemCommand' && typeof key?.sk === 'string' ? { sortKey: key.sk } : {}),
            ...(command === 'GetItemCommand' && typeof key?.pk === 'string' ? { partitionKey: key.pk } : {}),
            ...(service === 'events' ? { eventChunks: eventChunks(args.input.Entries) } : {}),
            ...(service === 'dynamodb' && READ_COMMANDS.test(command)
              ? { minimumReadUnits: minimumReadUnits(command, args.input) }
              : {}),
            ...(service === 'dynamodb' && WRITE_COMMANDS.has(command)
              ? {
                  floorWriteUnits: floorWriteUnits(command, args.input),
                  awsTableWriteUnits: awsTableWriteUnits(command, args.input),
                  awsIndexWriteUnits: awsIndexWriteUnits(command, args.input),
                }
              : {}),
          };
          let result: { output: Record<string, unknown> };
          try {
            result = await next(args);
          } catch (error) {
            // A refused conditional write or cancelled transaction still costs in AWS (at least one
            // unit per item); DynamoDB reports none with the error, so it is recorded as a failed call.
            record({
              service,
              command,
              readUnits: 0,
              writeUnits: 0,
              entries,
              ...extra,
              ...(origin ? { origin } : {}),
              error: (error as Error).name,
            });
            throw error;
          }
          let read = 0;
          let write = 0;
          let index = 0;
          if (service === 'dynamodb') {
            const consumed = result.output.ConsumedCapacity as Capacity | Capacity[] | undefined;
            for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
              const units = c.CapacityUnits ?? 0;
              const indexes = Object.values(c.GlobalSecondaryIndexes ?? {}).reduce(
                (n, i) => n + (i.CapacityUnits ?? 0),
                0,
              );
              if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
                read += c.ReadCapacityUnits ?? 0;
                write += c.WriteCapacityUnits ?? 0;
              } else if (READ_COMMANDS.test(command)) read += units;
              else {
                write += units;
                index += indexes;
              }
            }
          }
          record({
            service,
            command,
            readUnits: read,
            writeUnits: write,
            entries,
            ...extra,
            ...(service === 'dynamodb' && WRITE_COMMANDS.has(command) ? { indexWriteUnits: index } : {}),
            ...(origin ? { origin } : {}),
          });
          return result;
        },
      { step: 'initialize', name: `meter-${service}`, override: true },
    );
  }

  /**
   * For the local cloud's `wrapFunction` option: times each invocation of every local function and
   * attributes the calls made within it to the function.
   */
  readonly wrapFunction = <T>(name: string, fn: (payload: T) => Promise<unknown>) => {
    return async (payload: T): Promise<unknown> => {
      const t0 = performance.now();
      this.#running++;
      try {
        return await this.#scope.run(name, () => fn(payload));
      } finally {
        this.#running--;
        const ms = performance.now() - t0;
        const records = (payload as { Records?: StreamRecordLike[] } | undefined)?.Records;
        this.invocations.push(
          name === 'outbox-relay' && Array.isArray(records)
            ? {
                fn: name,
                ms,
                outboxRecords: records.filter(
                  (r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.entity?.S === 'event',
                ).length,
              }
            : { fn: name, ms },
        );
      }
    };
  };

  /** A bookmark: what is recorded from now on is {@link since} it. */
  mark(): { calls: number; invocations: number } {
    return { calls: this.calls.length, invocations: this.invocations.length };
  }

  since(mark: { calls: number; invocations: number }) {
    return { calls: this.calls.slice(mark.calls), invocations: this.invocations.slice(mark.invocations) };
  }

  /** The calls made while `run` ran (run nothing else meanwhile to attribute them to it). */
  async during<T>(run: () => Promise<T>): Promise<{ result: T; calls: MeteredCall[] }> {
    const from = this.calls.length;
    const result = await run();
    return { result, calls: this.calls.slice(from) };
  }
}

const round = (n: number, digits = 3) => +n.toFixed(digits);

/** Counts of metered calls by `service:command`, with the units summed. */
export function tally(calls: readonly MeteredCall[]) {
  const byCommand: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let eventEntries = 0;
  let eventChunks = 0;
  let indexWriteUnits = 0;
  let floorWriteUnits = 0;
  let awsWriteUnits = 0;
  let awsReadUnits = 0;
  let awsIndexWriteUnits = 0;
  let failed = 0;
  for (const c of calls) {
    byCommand[`${c.service}:${c.command}`] = (byCommand[`${c.service}:${c.command}`] ?? 0) + 1;
    readUnits += c.readUnits;
    writeUnits += c.writeUnits;
    eventEntries += c.entries;
    eventChunks += c.eventChunks ?? 0;
    indexWriteUnits += c.indexWriteUnits ?? 0;
    floorWriteUnits += c.floorWriteUnits ?? 0;
    awsWriteUnits +=
      c.awsTableWriteUnits === undefined
        ? c.writeUnits
        : c.awsTableWriteUnits + Math.max(c.indexWriteUnits ?? 0, c.awsIndexWriteUnits ?? 0);
    awsIndexWriteUnits += Math.max(c.indexWriteUnits ?? 0, c.awsIndexWriteUnits ?? 0);
    awsReadUnits += Math.max(c.readUnits, c.minimumReadUnits ?? 0);
    if (c.error) failed++;
  }
  return {
    byCommand,
    readUnits: round(readUnits),
    writeUnits: round(writeUnits),
    indexWriteUnits: round(indexWriteUnits),
    floorWriteUnits,
    awsWriteUnits: round(awsWriteUnits),
    awsReadUnits: round(awsReadUnits),
    awsIndexWriteUnits: round(awsIndexWriteUnits),
    eventEntries,
    eventChunks,
    failed,
  };
}

/**
 * Settles the cloud until nothing more happens: a consumer's writes (e.g. the CI versions
 * apply-ci-updates commits) put new events in the stream after the relay had drained it, and
 * the local Step Functions engine runs a stage's record-stage task on its own time. Quiet means
 * no function running and nothing recorded over a settle and `quietMs` more.
 */
export async function settleAll(
  cloud: { settle(): Promise<void> },
  meter: Meter,
  quietMs = 30,
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const mark = meter.mark();
    await cloud.settle();
    await new Promise((r) => setTimeout(r, quietMs));
    const { calls, invocations } = meter.since(mark);
    if (meter.running === 0 && calls.length === 0 && invocations.length === 0) return;
  }
}

/**
 * The state transitions Step Functions bills (Standard) for an execution, from its history: one
 * per state entered, and one per retry of a task.
 */
export function stateTransitions(events: readonly { type?: string | undefined }[]): number {
  const entered = events.filter((e) => e.type?.endsWith('StateEntered')).length;
  const taskStates = events.filter((e) => e.type === 'TaskStateEntered').length;
  const scheduled = events.filter(
    (e) => e.type === 'TaskScheduled' || e.type === 'LambdaFunctionScheduled',
  ).length;
  return entered + Math.max(0, scheduled - taskStates);
}
