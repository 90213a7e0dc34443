/**
 * The rule operations of the local EventBridge (PutRule, ListRules, DescribeRule, DeleteRule,
 * EnableRule, DisableRule, PutTargets, ListTargetsByRule, RemoveTargets, ListRuleNamesByTarget) for
 * rules a user adds
 * locally, beside the stack's own rules (`infra/rules.ts`), which are listed and described as AWS
 * would list the stack's deployed rules but cannot be changed here (they belong to the stack).
 *
 * Request shapes, constraints and errors follow the EventBridge API reference
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html and the pages of the
 * other operations); rule ARNs follow "Managing access permissions to your Amazon EventBridge
 * resources" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-manage-iam-access.html):
 * `arn:aws:events:<region>:<account>:rule/<rule>` on the default bus and
 * `arn:aws:events:<region>:<account>:rule/<bus>/<rule>` on a custom one. The choices made where
 * AWS's behaviour is not documented are in docs/decisions.md ("Local EventBridge: user rules").
 *
 * With a data dir the user's rules and targets are kept in `<dataDir>/eventbridge/rules.json`
 * (written whole, atomically, before an operation answers), so they survive a restart.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BusRule } from './bus.ts';
import { type CompiledPattern, compilePattern, InvalidEventPatternError } from './pattern.ts';

/** An error answered in AWS's JSON 1.1 form: `{ __type: type, message }` with `status`. */
export class EventBridgeApiError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** A rule target as PutTargets takes it and ListTargetsByRule gives it back. */
export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: {
    readonly InputPathsMap?: Record<string, string>;
    readonly InputTemplate: string;
  };
  readonly [field: string]: unknown;
}

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** A rule a user put, as stored. */
export interface UserRule {
  readonly Name: string;
  readonly EventBusName: string;
  readonly EventPattern?: string;
  readonly State: RuleState;
  readonly Description?: string;
  readonly RoleArn?: string;
  readonly Targets: readonly RuleTarget[];
}

/** A user rule's target that an event matched: what the bus delivers. */
export interface MatchedTarget {
  readonly rule: UserRule;
  readonly ruleArn: string;
  readonly target: RuleTarget;
}

/** What the registry needs to know of the bus it serves. */
export interface RuleRegistryOptions {
  /** The custom bus (`release-desk`); `default` exists beside it, as in every account. */
  readonly busName: string;
  readonly region: string;
  readonly account: string;
  /** The stack's rules, all on `busName`, listed but read-only. */
  readonly stackRules: readonly BusRule[];
  /** The ARN a stack rule's target (a function name) has in ListTargetsByRule. */
  readonly stackTargetArn: (target: string) => string;
  /** When set, user rules are kept in `<dataDir>/eventbridge/rules.json`. */
  readonly dataDir?: string | undefined;
}

/** The default bus of every account; rules put without `EventBusName` go there. */
export const DEFAULT_BUS = 'default';

// Constraints of the API reference (the same in the service model the SDKs are generated from).
const NAME_PATTERN = /^[.\-_A-Za-z0-9]+$/;
const BUS_PATTERN = /^(arn:aws[\w-]*:events:[^:]+:[^:]*:event-bus\/)?[/.\-_A-Za-z0-9]+$/;
const RULE_STATES: readonly RuleState[] = [
  'ENABLED',
  'DISABLED',
  'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
];
/** EventBridge's quotas: 300 rules per bus, 5 targets per rule (eb-quota.html, API_PutTargets.html). */
export const MAX_RULES_PER_BUS = 300;
export const MAX_TARGETS_PER_RULE = 5;
const LIMIT_EXCEEDED = 'The requested resource exceeds the maximum number allowed.';

/** The local bus's rules: the stack's (read-only) and the user's, by bus and name. */
export class RuleRegistry {
  readonly #options: RuleRegistryOptions;
  readonly #file: string | undefined;
  /** Key `<bus>/<name>`. */
  readonly #rules = new Map<string, UserRule>();
  readonly #compiled = new Map<string, CompiledPattern>();
  readonly #stack: ReadonlyMap<string, BusRule>;

  constructor(options: RuleRegistryOptions) {
    this.#options = options;
    this.#stack = new Map(options.stackRules.map((rule) => [rule.name, rule]));
    if (options.dataDir) {
      this.#file = join(options.dataDir, 'eventbridge', 'rules.json');
      for (const rule of loadRules(this.#file)) this.#set(rule);
    }
  }

  /** The user rules' targets on `busName` that `event` matches, enabled rules only. */
  matching(busName: string, event: unknown): MatchedTarget[] {
    const matched: MatchedTarget[] = [];
    for (const [key, rule] of this.#rules) {
      if (rule.EventBusName !== busName || rule.State === 'DISABLED') continue;
      if (!this.#compiled.get(key)?.(event)) continue;
      const ruleArn = this.#ruleArn(rule.EventBusName, rule.Name);
      for (const target of rule.Targets) matched.push({ rule, ruleArn, target });
    }
    return matched;
  }

  /** AWSEvents.PutRule: creates or replaces a rule (its targets stay); answers `{ RuleArn }`. */
  putRule(input: unknown): { RuleArn: string } {
    const request = record(input);
    const checks = new Checks();
    const name = checks.name(request.Name, 'name', true) as string;
    checks.bus(request.EventBusName);
    checks.string(request.EventPattern, 'eventPattern', { max: 4096 });
    checks.string(request.ScheduleExpression, 'scheduleExpression', { max: 256 });
    checks.string(request.Description, 'description', { max: 512 });
    checks.string(request.RoleArn, 'roleArn', { min: 1, max: 1600 });
    if (request.State !== undefined && !RULE_STATES.includes(request.State as RuleState)) {
      checks.add(
        `Value '${String(request.State)}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
      );
    }
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    const pattern = request.EventPattern as string | undefined;
    if (!pattern && !request.ScheduleExpression) {
      throw new EventBridgeApiError(
        'ValidationException',
        'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      );
    }
    if (request.ScheduleExpression) {
      if (bus !== DEFAULT_BUS) {
        throw new EventBridgeApiError(
          'ValidationException',
          'ScheduleExpression is supported only on the default event bus.',
        );
      }
      // Schedules would need a timer per rule; the stack's own schedule runs on the local cloud's timer.
      throw new EventBridgeApiError(
        'ValidationException',
        'The local EventBridge does not run scheduled rules (ScheduleExpression); use an EventPattern.',
      );
    }
    this.#refuseStackRule(bus, name, 'PutRule');
    const matcher = compileUserPattern(pattern as string);
    const key = ruleKey(bus, name);
    const existing = this.#rules.get(key);
    if (!existing && this.#countOn(bus) >= MAX_RULES_PER_BUS) {
      throw new EventBridgeApiError('LimitExceededException', LIMIT_EXCEEDED);
    }
    // PutRule replaces the rule: what the request omits is cleared, as the API reference says; targets stay.
    const rule: UserRule = {
      Name: name,
      EventBusName: bus,
      EventPattern: pattern as string,
      State: (request.State as RuleState | undefined) ?? 'ENABLED',
      ...(request.Description !== undefined ? { Description: request.Description as string } : {}),
      ...(request.RoleArn !== undefined ? { RoleArn: request.RoleArn as string } : {}),
      Targets: existing?.Targets ?? [],
    };
    this.#commit(() => this.#set(rule, matcher));
    return { RuleArn: this.#ruleArn(bus, name) };
  }

  /** AWSEvents.DescribeRule. */
  describeRule(input: unknown): Record<string, unknown> {
    const request = record(input);
    const checks = new Checks();
    const name = checks.name(request.Name, 'name', true) as string;
    checks.bus(request.EventBusName);
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    return { ...this.#view(bus, this.#find(bus, name)), CreatedBy: this.#options.account };
  }

  /** AWSEvents.ListRules: the bus's rules in name order, `NamePrefix`, pages of `Limit` (≤ 100). */
  listRules(input: unknown): { Rules: Record<string, unknown>[]; NextToken?: string } {
    const request = record(input);
    const checks = new Checks();
    const prefix = checks.name(request.NamePrefix, 'namePrefix', false);
    checks.bus(request.EventBusName);
    const limit = checks.limit(request.Limit);
    checks.string(request.NextToken, 'nextToken', { min: 1, max: 2048 });
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    const rules = this.#namesOn(bus)
      .filter((name) => !prefix || name.startsWith(prefix))
      .map((name) => this.#view(bus, this.#find(bus, name)));
    return page(rules, request.NextToken, limit, (Rules, NextToken) => ({
      Rules,
      ...(NextToken ? { NextToken } : {}),
    }));
  }

  /**
   * AWSEvents.DeleteRule: a rule with targets is refused; an absent rule is a silent success, as
   * in AWS. `Force` only concerns rules managed by an AWS service, which the local bus has none of.
   */
  deleteRule(input: unknown): Record<string, never> {
    const request = record(input);
    const checks = new Checks();
    const name = checks.name(request.Name, 'name', true) as string;
    checks.bus(request.EventBusName);
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    this.#refuseStackRule(bus, name, 'DeleteRule');
    const key = ruleKey(bus, name);
    const rule = this.#rules.get(key);
    if (!rule) return {};
    if (rule.Targets.length > 0) {
      throw new EventBridgeApiError('ValidationException', "Rule can't be deleted since it has targets.");
    }
    this.#commit(() => {
      this.#rules.delete(key);
      this.#compiled.delete(key);
    });
    return {};
  }

  /** AWSEvents.EnableRule / DisableRule. */
  setState(input: unknown, state: 'ENABLED' | 'DISABLED'): Record<string, never> {
    const request = record(input);
    const checks = new Checks();
    const name = checks.name(request.Name, 'name', true) as string;
    checks.bus(request.EventBusName);
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    this.#refuseStackRule(bus, name, state === 'ENABLED' ? 'EnableRule' : 'DisableRule');
    const rule = this.#user(bus, name);
    this.#commit(() => this.#set({ ...rule, State: state }));
    return {};
  }

  /**
   * AWSEvents.PutTargets: adds or replaces targets by `Id`. An entry AWS would refuse alone (a
   * malformed ARN) is a failed entry; the quota of 5 targets is `LimitExceededException` for all.
   */
  putTargets(input: unknown): { FailedEntryCount: number; FailedEntries: Record<string, string>[] } {
    const request = record(input);
    const checks = new Checks();
    const ruleName = checks.name(request.Rule, 'rule', true) as string;
    checks.bus(request.EventBusName);
    const targets = request.Targets;
    if (checks.list(targets, 'targets')) {
      targets.forEach((target, i) => {
        const at = `targets.${i + 1}.member`;
        const t = record(target);
        checks.name(t.Id, `${at}.id`, true);
        checks.string(t.Arn, `${at}.arn`, { min: 1, max: 1600, required: true });
        checks.string(t.Input, `${at}.input`, { max: 8192 });
        checks.string(t.InputPath, `${at}.inputPath`, { max: 256 });
        if (t.InputTransformer !== undefined) {
          const transformer = record(t.InputTransformer);
          checks.string(transformer.InputTemplate, `${at}.inputTransformer.inputTemplate`, {
            min: 1,
            max: 8192,
            required: true,
          });
        }
      });
    }
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    this.#refuseStackRule(bus, ruleName, 'PutTargets');
    const rule = this.#user(bus, ruleName);
    const failed: Record<string, string>[] = [];
    const next = new Map(rule.Targets.map((t) => [t.Id, t]));
    for (const raw of targets as Record<string, unknown>[]) {
      const target = raw as RuleTarget;
      const problem = targetProblem(target);
      if (problem) {
        failed.push({ TargetId: target.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
        continue;
      }
      if (!next.has(target.Id) && next.size >= MAX_TARGETS_PER_RULE) {
        throw new EventBridgeApiError('LimitExceededException', LIMIT_EXCEEDED);
      }
      next.set(target.Id, { ...target });
    }
    this.#commit(() => this.#set({ ...rule, Targets: [...next.values()] }));
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  /** AWSEvents.ListTargetsByRule: the rule's targets in the order they were added, paged. */
  listTargetsByRule(input: unknown): { Targets: RuleTarget[]; NextToken?: string } {
    const request = record(input);
    const checks = new Checks();
    const ruleName = checks.name(request.Rule, 'rule', true) as string;
    checks.bus(request.EventBusName);
    const limit = checks.limit(request.Limit);
    checks.string(request.NextToken, 'nextToken', { min: 1, max: 2048 });
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    const stack = bus === this.#options.busName ? this.#stack.get(ruleName) : undefined;
    const targets = stack
      ? // CDK's Rule.addTarget names a rule's first target `Target0`; the stack adds one per rule.
        [{ Id: 'Target0', Arn: this.#options.stackTargetArn(stack.target) }]
      : this.#user(bus, ruleName).Targets.map((t) => ({ ...t }));
    return page(targets, request.NextToken, limit, (Targets, NextToken) => ({
      Targets,
      ...(NextToken ? { NextToken } : {}),
    }));
  }

  /** AWSEvents.ListRuleNamesByTarget: the bus's rules (the stack's too) with a target of that ARN, in name order. */
  listRuleNamesByTarget(input: unknown): { RuleNames: string[]; NextToken?: string } {
    const request = record(input);
    const checks = new Checks();
    checks.string(request.TargetArn, 'targetArn', { min: 1, max: 1600, required: true });
    checks.bus(request.EventBusName);
    const limit = checks.limit(request.Limit);
    checks.string(request.NextToken, 'nextToken', { min: 1, max: 2048 });
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    const names = this.#namesOn(bus).filter((name) => {
      const stack = bus === this.#options.busName ? this.#stack.get(name) : undefined;
      if (stack) return this.#options.stackTargetArn(stack.target) === request.TargetArn;
      return this.#user(bus, name).Targets.some((t) => t.Arn === request.TargetArn);
    });
    return page(names, request.NextToken, limit, (RuleNames, NextToken) => ({
      RuleNames,
      ...(NextToken ? { NextToken } : {}),
    }));
  }

  /** AWSEvents.RemoveTargets: an id the rule does not have is a failed entry. */
  removeTargets(input: unknown): { FailedEntryCount: number; FailedEntries: Record<string, string>[] } {
    const request = record(input);
    const checks = new Checks();
    const ruleName = checks.name(request.Rule, 'rule', true) as string;
    checks.bus(request.EventBusName);
    const ids = request.Ids;
    if (checks.list(ids, 'ids')) {
      ids.forEach((id, i) => {
        checks.name(id, `ids.${i + 1}.member`, true);
      });
    }
    checks.throwIfAny();
    const bus = this.#bus(request.EventBusName);
    this.#refuseStackRule(bus, ruleName, 'RemoveTargets');
    const rule = this.#user(bus, ruleName);
    const failed: Record<string, string>[] = [];
    const remaining = new Map(rule.Targets.map((t) => [t.Id, t]));
    for (const id of ids as string[]) {
      if (!remaining.delete(id)) {
        failed.push({
          TargetId: id,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Rule '${ruleName}' does not have a target with the Id '${id}'.`,
        });
      }
    }
    this.#commit(() => this.#set({ ...rule, Targets: [...remaining.values()] }));
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  #bus(eventBusName: unknown): string {
    const name = busNameOf(eventBusName as string | undefined);
    if (name !== DEFAULT_BUS && name !== this.#options.busName) {
      throw new EventBridgeApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    }
    return name;
  }

  #ruleArn(bus: string, name: string): string {
    const { region, account } = this.#options;
    return `arn:aws:events:${region}:${account}:rule/${bus === DEFAULT_BUS ? '' : `${bus}/`}${name}`;
  }

  #namesOn(bus: string): string[] {
    const names = [...this.#rules.values()].filter((r) => r.EventBusName === bus).map((r) => r.Name);
    if (bus === this.#options.busName) names.push(...this.#stack.keys());
    return names.sort();
  }

  #countOn(bus: string): number {
    return this.#namesOn(bus).length;
  }

  /** A rule by name, the stack's or the user's. @throws ResourceNotFoundException */
  #find(bus: string, name: string): UserRule {
    const stack = bus === this.#options.busName ? this.#stack.get(name) : undefined;
    if (stack) {
      return {
        Name: stack.name,
        EventBusName: bus,
        EventPattern: JSON.stringify(stack.eventPattern),
        State: 'ENABLED',
        ...(stack.description ? { Description: stack.description } : {}),
        Targets: [],
      };
    }
    return this.#user(bus, name);
  }

  #user(bus: string, name: string): UserRule {
    const rule = this.#rules.get(ruleKey(bus, name));
    if (!rule) {
      throw new EventBridgeApiError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus}.`,
      );
    }
    return rule;
  }

  #view(bus: string, rule: UserRule): Record<string, unknown> {
    return {
      Name: rule.Name,
      Arn: this.#ruleArn(bus, rule.Name),
      EventPattern: rule.EventPattern,
      State: rule.State,
      ...(rule.Description !== undefined ? { Description: rule.Description } : {}),
      ...(rule.RoleArn !== undefined ? { RoleArn: rule.RoleArn } : {}),
      EventBusName: bus,
    };
  }

  /** The stack's rules are the stack's: changed in `infra/rules.ts`, not by hand (see decisions). */
  #refuseStackRule(bus: string, name: string, operation: string): void {
    if (bus === this.#options.busName && this.#stack.has(name)) {
      throw new EventBridgeApiError(
        'ManagedRuleException',
        `Rule ${name} belongs to the Release Desk stack (infra/rules.ts) and cannot be changed by ${operation}; put a rule of your own beside it.`,
      );
    }
  }

  #set(rule: UserRule, matcher?: CompiledPattern): void {
    const key = ruleKey(rule.EventBusName, rule.Name);
    this.#rules.set(key, rule);
    if (matcher) this.#compiled.set(key, matcher);
    else if (!this.#compiled.has(key) && rule.EventPattern) {
      try {
        this.#compiled.set(key, compilePattern(JSON.parse(rule.EventPattern)));
      } catch {
        // A stored pattern this matcher no longer accepts matches nothing rather than stopping the bus.
        this.#compiled.set(key, () => false);
      }
    }
  }

  /**
   * Applies a change, then writes every user rule to disk (whole, then renamed over the old file, so
   * a crash leaves the old or the new file, never half of one) before the operation answers.
   */
  #commit(change: () => void): void {
    change();
    if (!this.#file) return;
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const temporary = `${this.#file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ rules: [...this.#rules.values()] }, null, 2)}\n`, {
      mode: 0o600,
    });
    renameSync(temporary, this.#file);
  }
}

/** A user's pattern as PutRule takes it: JSON text, refused with AWS's `InvalidEventPatternException`. */
function compileUserPattern(text: string): CompiledPattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EventBridgeApiError(
      'InvalidEventPatternException',
      `Event pattern is not valid. Reason: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return compilePattern(parsed);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new EventBridgeApiError('InvalidEventPatternException', error.message);
    }
    throw error;
  }
}

/** What AWS refuses in one target of PutTargets (a failed entry, not the whole request). */
function targetProblem(target: RuleTarget): string | undefined {
  // An http(s) URL is the local bus's webhook target (docs/decisions.md); anything else must be an ARN.
  if (!/^arn:[\w-]+:[\w-]+:/.test(target.Arn) && !/^https?:\/\//.test(target.Arn)) {
    return `Parameter ${target.Arn} is not valid. Reason: Provided Arn is not in correct format.`;
  }
  const kinds = [target.Input, target.InputPath, target.InputTransformer].filter((v) => v !== undefined);
  if (kinds.length > 1) {
    return `Only one of Input, InputPath, or InputTransformer must be provided for target ${target.Id}.`;
  }
  if (target.Input !== undefined) {
    try {
      JSON.parse(target.Input);
    } catch {
      return `Parameter Input is not valid. Reason: Input must be valid JSON for target ${target.Id}.`;
    }
  }
  return undefined;
}

/** The name at the end of an event-bus ARN, or the name itself; `default` when absent. */
export function busNameOf(eventBusName: string | undefined): string {
  if (!eventBusName) return DEFAULT_BUS;
  const arn = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(eventBusName);
  return arn?.[1] ?? eventBusName;
}

function ruleKey(bus: string, name: string): string {
  return `${bus}/${name}`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A page of `items` from an opaque `NextToken` (base64 of the offset), `limit` long. */
function page<T, R>(
  items: readonly T[],
  token: unknown,
  limit: number,
  answer: (page: T[], next: string | undefined) => R,
): R {
  let start = 0;
  if (token !== undefined) {
    const decoded = Number(Buffer.from(String(token), 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!String(token).length || !Number.isInteger(decoded) || decoded < 0) {
      // "Using an expired pagination token results in an HTTP 400 InvalidToken error." (API_ListRules)
      throw new EventBridgeApiError('InvalidToken', 'The NextToken is invalid or has expired.');
    }
    start = decoded;
  }
  const end = start + limit;
  const next = end < items.length ? Buffer.from(`o:${end}`).toString('base64url') : undefined;
  return answer(items.slice(start, end), next);
}

/**
 * AWS's request validation for JSON 1.1 services: every broken constraint is collected and the
 * request refused with "N validation error(s) detected: …; …".
 */
class Checks {
  readonly #errors: string[] = [];

  add(message: string): void {
    this.#errors.push(message);
  }

  name(value: unknown, at: string, required: boolean): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(`Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must be a string`);
      return undefined;
    }
    if (value.length > 64) {
      this.add(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have length less than or equal to 64`,
      );
    }
    if (value.length < 1) {
      this.add(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    if (!NAME_PATTERN.test(value)) {
      this.add(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    return value;
  }

  /** A required list of 1 to 100 members (PutTargets' targets, RemoveTargets' ids). */
  list(value: unknown, at: string): value is unknown[] {
    if (value === undefined || value === null) {
      this.add(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return false;
    }
    if (!Array.isArray(value) || value.length < 1 || value.length > 100) {
      this.add(
        `Value at '${at}' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1`,
      );
      return false;
    }
    return true;
  }

  bus(value: unknown): void {
    if (value === undefined || value === null) return;
    this.string(value, 'eventBusName', { min: 1, max: 1600 });
    if (typeof value === 'string' && value.length > 0 && !BUS_PATTERN.test(value)) {
      this.add(
        `Value '${value}' at 'eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+`,
      );
    }
  }

  string(
    value: unknown,
    at: string,
    { min = 0, max, required = false }: { min?: number; max: number; required?: boolean },
  ): void {
    if (value === undefined || value === null) {
      if (required) this.add(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return;
    }
    if (typeof value !== 'string') {
      this.add(`Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must be a string`);
      return;
    }
    if (value.length > max) {
      this.add(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
    if (value.length < min) {
      this.add(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    }
  }

  /** ListRules' and ListTargetsByRule's `Limit`: 1 to 100; 100 when absent (the page size AWS documents). */
  limit(value: unknown): number {
    if (value === undefined || value === null) return 100;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(`Value '${String(value)}' at 'limit' failed to satisfy constraint: Member must be an integer`);
      return 100;
    }
    if (value < 1) {
      this.add(
        `Value '${value}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    if (value > 100) {
      this.add(
        `Value '${value}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`,
      );
    }
    return value;
  }

  throwIfAny(): void {
    const count = this.#errors.length;
    if (count === 0) return;
    throw new EventBridgeApiError(
      'ValidationException',
      `${count} validation error${count > 1 ? 's' : ''} detected: ${this.#errors.join('; ')}`,
    );
  }
}

function loadRules(file: string): UserRule[] {
  if (!existsSync(file)) return [];
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { rules?: UserRule[] };
    return Array.isArray(stored.rules) ? stored.rules : [];
  } catch {
    // A torn file (a crash mid-write cannot tear it: the write is a rename) would be a bug; start empty.
    return [];
  }
}
