/**
 * Reads DynamoDB Local's table stream with the real DynamoDB Streams API and hands each batch to
 * the outbox relay handler as a `DynamoDBStreamEvent`, exactly as Lambda's event source mapping
 * does. Checkpoints (last sequence number per shard) are kept in a file under DATA_DIR, so a
 * restart resumes after what was already published instead of publishing it again.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-dir.ts';

export interface StreamRelayOptions {
  readonly endpoint: string;
  readonly streamArn: string;
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  readonly dataDir?: string | undefined;
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Attempts of a failing batch before it is set aside (default 5). */
  readonly maxAttempts?: number;
  /**
   * Fault injection (`relay:crash`, infra/local/faults.ts): drawn once per batch; when it says so,
   * the relay hands the handler the first half of the batch only, then dies as a crashed process
   * would — its iterators and retry counts lost, its checkpoint left where it was — and starts
   * again from the checkpoint, so the first half is published again (at-least-once).
   */
  readonly crash?: () => boolean;
}

export interface StreamRelay {
  /** Batches that failed every attempt (the local stand-in for the relay's DLQ). */
  deadLetters(): readonly DynamoDBStreamEvent[];
  /** Resolves once every record currently in the stream has been handed to the handler. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

type Checkpoints = Record<string, string>;

type Av = Record<string, unknown>;

/**
 * The DynamoDB Streams SDK client decodes an empty map `{ M: {} }` as `{}` (an AttributeValue with
 * no member), which unmarshall then rejects. Lambda's event source mapping delivers `{ M: {} }`,
 * so put it back.
 */
export function repairAttributeValue(value: Av): Av {
  if (Object.keys(value).length === 0) return { M: {} };
  if (value.M && typeof value.M === 'object') {
    return {
      M: Object.fromEntries(
        Object.entries(value.M as Record<string, Av>).map(([k, v]) => [k, repairAttributeValue(v)]),
      ),
    };
  }
  if (Array.isArray(value.L)) return { L: (value.L as Av[]).map(repairAttributeValue) };
  return value;
}

function repairImage(image: Record<string, unknown> | undefined) {
  return image
    ? Object.fromEntries(Object.entries(image).map(([k, v]) => [k, repairAttributeValue(v as Av)]))
    : undefined;
}

function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'local',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      NewImage: repairImage(record.dynamodb?.NewImage as Record<string, unknown> | undefined),
      OldImage: repairImage(record.dynamodb?.OldImage as Record<string, unknown> | undefined),
      ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime
        ? Math.floor(new Date(record.dynamodb.ApproximateCreationDateTime).getTime() / 1000)
        : undefined,
    } as DynamoDBRecord['dynamodb'],
  } as DynamoDBRecord;
}

/** The relay died mid-batch (an injected fault); the next pass starts again from the checkpoint. */
export class RelayCrash extends Error {
  override readonly name = 'RelayCrash';
  constructor(at: string) {
    super(`Injected fault: the stream relay crashed mid-batch at ${at}; restarting from the checkpoint`);
  }
}

export async function startStreamRelay(options: StreamRelayOptions): Promise<StreamRelay> {
  const client = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const file = options.dataDir ? join(options.dataDir, 'stream-checkpoints.json') : undefined;
  let checkpoints: Checkpoints = {};
  if (file) {
    try {
      checkpoints = JSON.parse(await readFile(file, 'utf8')) as Checkpoints;
    } catch {
      checkpoints = {};
    }
  }
  const saveCheckpoints = async () => {
    if (!file || !options.dataDir) return;
    await mkdir(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFile(`${file}.tmp`, JSON.stringify(checkpoints), { mode: PRIVATE_FILE_MODE });
    await rename(`${file}.tmp`, file);
  };

  const iterators = new Map<string, string | undefined>(); // shard → next iterator (undefined: closed)
  // Like the event source mapping's retryAttempts + on-failure destination: a batch that keeps
  // failing is set aside (logged and kept here) so it cannot block the stream for ever.
  const failures = new Map<string, number>();
  const deadLetters: DynamoDBStreamEvent[] = [];
  const maxAttempts = options.maxAttempts ?? 5;
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const iteratorFor = async (shardId: string): Promise<string | undefined> => {
    const after = checkpoints[shardId];
    const out = await client.send(
      new GetShardIteratorCommand({
        StreamArn: options.streamArn,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
        ...(after ? { SequenceNumber: after } : {}),
      }),
    );
    return out.ShardIterator;
  };

  /** One pass over every shard; returns whether any record was seen. */
  const pass = async (): Promise<boolean> => {
    let seen = false;
    const stream = await client.send(new DescribeStreamCommand({ StreamArn: options.streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId as string;
      if (!iterators.has(shardId)) iterators.set(shardId, await iteratorFor(shardId));
      let iterator = iterators.get(shardId);
      while (iterator && !stopped) {
        let out: GetRecordsCommandOutput;
        try {
          out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        } catch (error) {
          if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
            iterator = await iteratorFor(shardId);
            continue;
          }
          throw error;
        }
        const records = out.Records ?? [];
        if (records.length === 0) {
          iterator = out.NextShardIterator;
          break;
        }
        seen = true;
        const event: DynamoDBStreamEvent = {
          Records: records.map((r) => toLambdaRecord(r, options.streamArn)),
        };
        const at = `${shardId}@${checkpoints[shardId] ?? 'start'}`;
        if (options.crash?.()) {
          const half = records.slice(0, Math.ceil(records.length / 2));
          await options
            .handler({ Records: half.map((r) => toLambdaRecord(r, options.streamArn)) })
            .catch(() => undefined);
          iterators.clear();
          failures.clear();
          throw new RelayCrash(at);
        }
        let failure: string | undefined;
        try {
          const result = await options.handler(event);
          failure = result?.batchItemFailures?.[0]?.itemIdentifier;
        } catch (error) {
          failure = records[0]?.dynamodb?.SequenceNumber;
          options.onError?.(error);
        }
        if (failure && (failures.get(at) ?? 0) + 1 >= maxAttempts) {
          deadLetters.push(event);
          options.onError?.(new Error(`Stream batch at ${at} failed ${maxAttempts} times; set aside`));
          failures.delete(at);
          failure = undefined;
        }
        if (failure) {
          failures.set(at, (failures.get(at) ?? 0) + 1);
          // As Lambda does: retry from the first failed record, after the ones that succeeded.
          const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === failure);
          const lastGood = index > 0 ? records[index - 1]?.dynamodb?.SequenceNumber : undefined;
          if (lastGood) checkpoints[shardId] = lastGood;
          await saveCheckpoints();
          iterators.set(shardId, await iteratorFor(shardId));
          throw new Error(`Outbox relay reported a failure at ${failure}; retrying`);
        }
        checkpoints[shardId] =
          records[records.length - 1]?.dynamodb?.SequenceNumber ?? (checkpoints[shardId] as string);
        await saveCheckpoints();
        iterator = out.NextShardIterator;
      }
      iterators.set(shardId, iterator);
      if (iterator === undefined) iterators.delete(shardId);
    }
    return seen;
  };

  const runPass = (): Promise<boolean> => {
    const next = busy.then(pass);
    busy = next.then(
      () => undefined,
      (error) => options.onError?.(error),
    );
    return next;
  };

  const timer = setInterval(() => {
    if (!stopped) runPass().catch(() => undefined);
  }, options.pollMs ?? 200);
  timer.unref();

  return {
    deadLetters: () => deadLetters,
    async drain() {
      // Keep passing until a pass sees nothing new.
      for (let i = 0; i < 50; i++) {
        try {
          if (!(await runPass())) return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
      client.destroy();
    },
  };
}
