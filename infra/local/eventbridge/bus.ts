/**
 * The local EventBridge bus: PutEvents validation as in AWS, rule matching with the EventBridge
 * pattern semantics, asynchronous delivery to each matching rule's target with retries and backoff,
 * a dead-letter list, live subscribers and a bounded list of recent events.
 *
 * A target that is a Lambda function is invoked asynchronously, as EventBridge does: the delivery
 * is done once Lambda has queued the event, and the function's own errors are retried by Lambda
 * ({@link LocalAsyncLambda}) and end in the function's on-failure destination, never in the rule's
 * dead-letter list. The rule's retries and dead letters are for failures to deliver.
 *
 * Beside the stack's rules, rules a user puts through the API ({@link RuleRegistry}, on this bus or
 * the `default` one) are matched on the same PutEvents path; their targets ({@link deliverToTarget})
 * get the same retries and dead letters, and each delivery is kept for {@link LocalEventBus.ruleDeliveries}.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import { EVENT_BUS_NAME, type EventPattern } from '../../rules.ts';
import type { FailedInvocation, LocalAsyncLambda } from './async-invoke.ts';
import { type CompiledPattern, compilePattern } from './pattern.ts';
import {
  formatEventTime,
  type PutEventsEntry,
  type PutEventsResult,
  type PutEventsResultEntry,
  validateEntry,
  validateRequest,
} from './put-events.ts';
import { busNameOf, DEFAULT_BUS, type MatchedTarget, RuleRegistry } from './rules.ts';
import { deliverToTarget, type RuleDelivery } from './targets.ts';

/** The account and region every local event carries. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

/** An event as EventBridge delivers it to targets. */
export type LocalEvent = EventBridgeEvent<string, Record<string, unknown>>;

/** A rule on the local bus; `RuleDefinition` from `infra/rules.ts` is one. */
export interface BusRule {
  readonly name: string;
  readonly eventPattern: EventPattern;
  readonly target: string;
  readonly description?: string;
}

/**
 * Delivers one event to a target; a rejected promise is a failed delivery attempt, retried with
 * the bus's policy — unless the error says `retryable: false`, which is dead-lettered at once.
 */
export type TargetInvoker = (event: LocalEvent) => Promise<void>;

/** Maps a rule's target name to the function that delivers to it, or `undefined` when there is none. */
export type TargetResolver = (target: string) => TargetInvoker | undefined;

/** A rule names a target that does not exist: EventBridge does not retry that, it dead-letters at once. */
export class TargetNotFoundError extends Error {
  /** Retrying cannot help. */
  readonly retryable = false;
  constructor(target: string) {
    super(`No target named ${target}`);
    this.name = 'ResourceNotFoundException';
  }
}

/** How failed deliveries are retried: delay before attempt n+1 is `min(baseDelayMs * 2^(n-1), maxDelayMs)`. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Local defaults; AWS retries for up to 24 hours and 185 attempts, which no laptop wants to wait for. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/** A delivery that failed every attempt. */
export interface DeadLetter {
  readonly event: LocalEvent;
  readonly rule: string;
  readonly target: string;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: string;
  /** The bus the event was put on, when it is not this bus (a user rule on `default`); replayed there. */
  readonly eventBusName?: string;
}

/** What subscribers learn about an accepted event besides the event itself. */
export interface AcceptedEventInfo {
  readonly eventBusName: string;
  readonly matchedRules: readonly string[];
}

/** Watches accepted events; called synchronously inside PutEvents, so it should be quick. */
export type EventListener = (event: LocalEvent, info: AcceptedEventInfo) => void;

export interface LocalEventBusOptions {
  /** The rules of this bus (`rules` from `infra/rules.ts` in the local stack). */
  readonly rules: readonly BusRule[];
  /**
   * Lambda functions that rules target by name, invoked asynchronously: a function's errors are
   * retried by `functions` and end in its failed invocations, not in this bus's dead letters.
   */
  readonly functions?: LocalAsyncLambda;
  /**
   * Resolves, once when the bus is built, each rule's target that is not one of `functions`: a
   * target whose rejection is a delivery failure. A target neither knows is dead-lettered.
   */
  readonly resolveTarget?: TargetResolver;
  /** Name of this bus; entries must name it (or its ARN). Default `release-desk`. */
  readonly name?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** When set, dead letters are appended to `<dataDir>/eventbridge/dead-letters.jsonl` and reloaded. */
  readonly dataDir?: string;
  /** How many recent events to keep for {@link LocalEventBus.recentEvents}. Default 500. */
  readonly recentEventsLimit?: number;
  /** How many deliveries to user rules' targets to keep for {@link LocalEventBus.ruleDeliveries}. Default 500. */
  readonly ruleDeliveriesLimit?: number;
  /** Told about every dead letter as it happens (e.g. to log it). */
  readonly onDeadLetter?: (deadLetter: DeadLetter) => void;
  /**
   * Fault injection (`target:error`, infra/local/faults.ts): called before each delivery attempt;
   * what it throws fails that attempt, which is retried and in the end dead-lettered like any.
   */
  readonly beforeDelivery?: (rule: BusRule) => void;
}

interface CompiledRule {
  readonly rule: BusRule;
  readonly matches: CompiledPattern;
  readonly invoke: TargetInvoker;
}

/** An in-process EventBridge event bus. */
export class LocalEventBus {
  /** The bus's name. */
  readonly name: string;
  readonly #rules: readonly CompiledRule[];
  readonly #retry: RetryPolicy;
  readonly #deadLetterFile: string | undefined;
  readonly #deadLetters: DeadLetter[] = [];
  readonly #recent: LocalEvent[] = [];
  readonly #recentLimit: number;
  readonly #listeners = new Set<EventListener>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #onDeadLetter: ((deadLetter: DeadLetter) => void) | undefined;
  readonly #functions: LocalAsyncLambda | undefined;
  readonly #beforeDelivery: ((rule: BusRule) => void) | undefined;
  readonly #registry: RuleRegistry;
  readonly #deliveries: RuleDelivery[] = [];
  readonly #deliveriesLimit: number;
  #closed = false;

  /** @throws {InvalidEventPatternError} when a rule's pattern is malformed. */
  constructor(options: LocalEventBusOptions) {
    this.name = options.name ?? EVENT_BUS_NAME;
    const functions = options.functions;
    this.#functions = functions;
    const resolve = (target: string): TargetInvoker => {
      if (functions?.has(target)) {
        // Delivered once Lambda has queued the event; what the function then does is Lambda's business.
        return async (event) => void functions.invoke(target, event);
      }
      return (
        options.resolveTarget?.(target) ??
        (async () => {
          throw new TargetNotFoundError(target);
        })
      );
    };
    this.#rules = options.rules.map((rule) => ({
      rule,
      matches: compilePattern(rule.eventPattern),
      invoke: resolve(rule.target),
    }));
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.#retry.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be at least 1');
    this.#recentLimit = options.recentEventsLimit ?? 500;
    this.#deliveriesLimit = options.ruleDeliveriesLimit ?? 500;
    this.#registry = new RuleRegistry({
      busName: this.name,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      stackRules: options.rules,
      stackTargetArn: (target) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${target}`,
      dataDir: options.dataDir,
    });
    this.#onDeadLetter = options.onDeadLetter;
    this.#beforeDelivery = options.beforeDelivery;
    if (options.dataDir) {
      this.#deadLetterFile = join(options.dataDir, 'eventbridge', 'dead-letters.jsonl');
      this.#deadLetters.push(...loadDeadLetters(this.#deadLetterFile));
    }
  }

  /** The rules of this bus, as given. */
  get rules(): readonly BusRule[] {
    return this.#rules.map((r) => r.rule);
  }

  /**
   * The rule operations of the EventBridge API (PutRule, ListRules, PutTargets, …): the rules a user
   * adds locally on this bus or the default one, beside the stack's (listed, read-only).
   */
  get ruleRegistry(): RuleRegistry {
    return this.#registry;
  }

  /** The last `limit` deliveries to user rules' targets (default: all kept), oldest first; `rule` filters by name. */
  ruleDeliveries(options: { rule?: string; limit?: number } = {}): RuleDelivery[] {
    const all = options.rule ? this.#deliveries.filter((d) => d.rule === options.rule) : this.#deliveries;
    const count = options.limit === undefined ? all.length : Math.max(0, Math.floor(options.limit));
    return count === 0 ? [] : all.slice(-count);
  }

  /**
   * Accepts events like EventBridge's PutEvents: per-entry errors for bad entries, an id for each good
   * one. Matching rules' targets run afterwards, asynchronously; this returns before they do.
   * @throws {PutEventsValidationError} when the request as a whole is invalid (0 or >10 entries, too large).
   */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    if (this.#closed) throw new Error('The local event bus is closed');
    validateRequest(entries);
    const results: PutEventsResultEntry[] = entries.map((entry) => this.#accept(entry));
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /** Calls `listener` with every event accepted from now on; returns the function that stops it. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Deliveries that failed every attempt, oldest first. */
  deadLetters(): DeadLetter[] {
    return [...this.#deadLetters];
  }

  /**
   * Events that Lambda-function targets received but kept failing on (their on-failure
   * destinations' records), oldest first; empty without `functions`.
   */
  failedInvocations(): FailedInvocation[] {
    return this.#functions?.failedInvocations() ?? [];
  }

  /** The last `limit` accepted events (default: all kept), oldest first. */
  recentEvents(limit?: number): LocalEvent[] {
    const count = limit === undefined ? this.#recent.length : Math.max(0, Math.floor(limit));
    return count === 0 ? [] : this.#recent.slice(-count);
  }

  /**
   * Resolves once no delivery is pending, including deliveries started while waiting, and no
   * Lambda-function target is still running or waiting for a retry.
   */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#functions?.busy) {
      await Promise.allSettled([...this.#inflight]);
      await this.#functions?.idle();
    }
  }

  /** Stops accepting events and waits for pending deliveries (and the function runs they started). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  /**
   * `npm run replay-dead-letters`: puts every dead-lettered event on the bus again (as a new
   * event with the same source, detail type, detail, resources and time, as re-putting it from an
   * archive would) and empties the list. The event goes to every rule it matches, not only the
   * one whose target failed: subscribers are idempotent (docs/events.md), so the others ignore it.
   * An event dead-lettered by several rules is put once. The failed invocations of the functions
   * (events a consumer kept failing on) are redriven too: each function invoked again with its event.
   */
  replayDeadLetters(): { replayed: number; eventIds: string[]; reinvoked: number } {
    if (this.#closed) throw new Error('The local event bus is closed');
    const letters = this.#deadLetters.splice(0, this.#deadLetters.length);
    const seen = new Set<string>();
    const eventIds: string[] = [];
    for (const { event, eventBusName } of letters) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      const result = this.#accept({
        Source: event.source,
        DetailType: event['detail-type'],
        Detail: JSON.stringify(event.detail),
        Resources: [...event.resources],
        Time: new Date(event.time),
        EventBusName: eventBusName ?? this.name,
      });
      if (result.EventId) eventIds.push(result.EventId);
    }
    try {
      if (this.#deadLetterFile && existsSync(this.#deadLetterFile))
        writeFileSync(this.#deadLetterFile, '', { mode: 0o600 });
    } catch {
      // The events are back on the bus; a stale file only means they are listed again after a restart.
    }
    const reinvoked = this.#functions?.redriveFailedInvocations() ?? 0;
    return { replayed: eventIds.length, eventIds, reinvoked };
  }

  #accept(entry: PutEventsEntry): PutEventsResultEntry {
    const checked = validateEntry(entry);
    if (!checked.ok) return checked.error;
    const { source, detailType, detail, resources, time, eventBusName } = checked.entry;
    const busName = busNameOf(eventBusName);
    if (busName !== this.name && busName !== DEFAULT_BUS) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    const event: LocalEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: LOCAL_ACCOUNT,
      time: formatEventTime(time ?? new Date()),
      region: LOCAL_REGION,
      resources,
      detail,
    };
    const matched = busName === this.name ? this.#rules.filter((r) => r.matches(event)) : [];
    // Rules users put (PutRule) on this bus or the default one, each target a delivery of its own.
    const userTargets = this.#registry.matching(busName, event);
    this.#remember(event);
    const info: AcceptedEventInfo = {
      eventBusName: busName,
      matchedRules: [...matched.map((r) => r.rule.name), ...new Set(userTargets.map((t) => t.rule.Name))],
    };
    for (const listener of this.#listeners) {
      try {
        listener(structuredClone(event), info);
      } catch {
        // A watcher's bug must not fail the producer's PutEvents.
      }
    }
    for (const rule of matched) this.#track(this.#deliver(rule, event));
    for (const target of userTargets)
      this.#track(this.#deliver(this.#userTarget(target), event, target.rule.EventBusName));
    return { EventId: event.id };
  }

  /** A user rule's target as the delivery loop takes it: same retries, same dead letters. */
  #userTarget(matched: MatchedTarget): CompiledRule {
    return {
      rule: { name: matched.rule.Name, eventPattern: {}, target: matched.target.Arn },
      matches: () => true,
      invoke: async (event) => {
        const delivery = await deliverToTarget(matched, event, this.#functions);
        this.#deliveries.push(delivery);
        if (this.#deliveries.length > this.#deliveriesLimit)
          this.#deliveries.splice(0, this.#deliveries.length - this.#deliveriesLimit);
      },
    };
  }

  #remember(event: LocalEvent): void {
    if (this.#recentLimit <= 0) return;
    this.#recent.push(event);
    if (this.#recent.length > this.#recentLimit)
      this.#recent.splice(0, this.#recent.length - this.#recentLimit);
  }

  #track(delivery: Promise<void>): void {
    this.#inflight.add(delivery);
    void delivery.finally(() => this.#inflight.delete(delivery));
  }

  async #deliver({ rule, invoke }: CompiledRule, event: LocalEvent, eventBusName?: string): Promise<void> {
    // Targets run after PutEvents has answered, as in AWS.
    await new Promise((resolve) => setImmediate(resolve));
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#retry;
    let lastError: unknown;
    let attempt = 1;
    for (; ; attempt++) {
      try {
        this.#beforeDelivery?.(rule);
        // Each target gets its own copy, so one target mutating the event cannot affect another.
        await invoke(structuredClone(event));
        return;
      } catch (error) {
        lastError = error;
        // A missing target or permission is not retried: EventBridge dead-letters it at once.
        if (attempt >= maxAttempts || (error as { retryable?: unknown } | null)?.retryable === false) break;
        await sleep(Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs));
      }
    }
    this.#deadLetter({
      event,
      rule: rule.name,
      target: rule.target,
      error: lastError instanceof Error ? lastError.message : String(lastError),
      attempts: attempt,
      failedAt: new Date().toISOString(),
      ...(eventBusName && eventBusName !== this.name ? { eventBusName } : {}),
    });
  }

  #deadLetter(deadLetter: DeadLetter): void {
    this.#deadLetters.push(deadLetter);
    try {
      if (this.#deadLetterFile) {
        mkdirSync(dirname(this.#deadLetterFile), { recursive: true, mode: 0o700 });
        appendFileSync(this.#deadLetterFile, `${JSON.stringify(deadLetter)}\n`, { mode: 0o600 });
      }
      this.#onDeadLetter?.(deadLetter);
    } catch {
      // The dead letter is kept in memory; a full disk or a failing hook must not lose it or crash the bus.
    }
  }
}

function loadDeadLetters(file: string): DeadLetter[] {
  if (!existsSync(file)) return [];
  const letters: DeadLetter[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      letters.push(JSON.parse(line) as DeadLetter);
    } catch {
      // A line torn by a crash mid-append is skipped; the rest are still good.
    }
  }
  return letters;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
