/**
 * What the target of a rule a user put on the local bus does with a matched event (the choice and
 * why are in docs/decisions.md, "Local EventBridge: user rules"):
 * - an `http://` or `https://` URL (a local-only form, like an API destination without a
 *   connection): the event, shaped by the target's input settings, is POSTed to it as JSON; an
 *   answer other than 2xx, or no answer, is a failed attempt, retried and then dead-lettered;
 * - a Lambda function ARN naming a function of the local cloud: the function is invoked
 *   asynchronously, as EventBridge invokes Lambda; a name the local cloud has not is dead-lettered;
 * - any other ARN (a queue, a topic, a state machine of your own…): nothing runs it here, so the
 *   delivery is only recorded.
 * Every delivery is recorded, whatever the kind, and kept in a bounded list
 * (`GET /_local/rules/deliveries`), so that what a rule matched is always observable.
 *
 * `Input`, `InputPath` and `InputTransformer` shape what the target receives, as in
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html (dot paths
 * with array indices; the predefined `aws.events.*` variables).
 */
import type { LocalAsyncLambda } from './async-invoke.ts';
import type { LocalEvent } from './bus.ts';
import type { MatchedTarget, RuleTarget } from './rules.ts';

/** One delivery of an event to a user rule's target, as `GET /_local/rules/deliveries` lists it. */
export interface RuleDelivery {
  readonly rule: string;
  readonly ruleArn: string;
  readonly eventBusName: string;
  readonly targetId: string;
  readonly targetArn: string;
  /** `http` (POSTed), `lambda` (queued for the local function) or `recorded` (nothing runs it here). */
  readonly via: 'http' | 'lambda' | 'recorded';
  readonly eventId: string;
  /** What the target received: the event, or what its input settings made of it. */
  readonly input: unknown;
  readonly deliveredAt: string;
}

/** A target that cannot exist (an unknown local function): not retried, dead-lettered at once. */
export class MissingTargetError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ResourceNotFoundException';
  }
}

const LAMBDA_ARN = /^arn:[\w-]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;
const HTTP_TIMEOUT_MS = 5_000;

/**
 * Delivers `event` to a matched target; resolves with the delivery record, rejects on a failed
 * attempt (the bus retries it with its policy).
 */
export async function deliverToTarget(
  { rule, ruleArn, target }: MatchedTarget,
  event: LocalEvent,
  functions: LocalAsyncLambda | undefined,
): Promise<RuleDelivery> {
  const input = targetInput(target, event, rule.Name, ruleArn);
  const record = (via: RuleDelivery['via']): RuleDelivery => ({
    rule: rule.Name,
    ruleArn,
    eventBusName: rule.EventBusName,
    targetId: target.Id,
    targetArn: target.Arn,
    via,
    eventId: event.id,
    input,
    deliveredAt: new Date().toISOString(),
  });
  if (/^https?:\/\//.test(target.Arn)) {
    const response = await fetch(target.Arn, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof input === 'string' ? input : JSON.stringify(input),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    // The body is not read: only the status says whether the endpoint took the event.
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${target.Arn} answered ${response.status}`);
    return record('http');
  }
  const lambda = LAMBDA_ARN.exec(target.Arn);
  if (lambda) {
    const name = lambda[1] as string;
    if (!functions?.has(name)) {
      throw new MissingTargetError(`The local cloud has no Lambda function ${name} (${target.Arn}).`);
    }
    functions.invoke(name, input);
    return record('lambda');
  }
  return record('recorded');
}

/** What the target receives: the event, `Input`, the `InputPath` selection or the transformed template. */
export function targetInput(
  target: RuleTarget,
  event: LocalEvent,
  ruleName: string,
  ruleArn: string,
): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return select(event, target.InputPath) ?? null;
  const transformer = target.InputTransformer;
  if (!transformer) return event;
  const { detail: _detail, ...withoutDetail } = event;
  const values: Record<string, unknown> = {
    'aws.events.rule-arn': ruleArn,
    'aws.events.rule-name': ruleName,
    'aws.events.event.ingestion-time': new Date().toISOString(),
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    values[name] = select(event, path);
  }
  const template = transformer.InputTemplate;
  const json = /^\s*[[{]/.test(template);
  const text = fill(template, values, json);
  if (!json) return text;
  try {
    return JSON.parse(text);
  } catch {
    // A template that does not come out as JSON is passed on as text, as the target would receive it.
    return text;
  }
}

/** Replaces each `<name>` the values know; inside a JSON string a value goes in escaped, outside as JSON. */
function fill(template: string, values: Record<string, unknown>, json: boolean): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template.charAt(i);
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      // Own keys only: `<toString>` is not a variable of the transformer's InputPathsMap.
      if (name && Object.hasOwn(values, name)) {
        const value = values[name];
        if (!json) out += typeof value === 'string' ? value : JSON.stringify(value ?? null);
        else if (inString)
          out += JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value ?? null)).slice(
            1,
            -1,
          );
        else out += JSON.stringify(value ?? null);
        i = end;
        continue;
      }
    }
    if (char === '"' && template.charAt(i - 1) !== '\\') inString = !inString;
    out += char;
  }
  return out;
}

/** A dot path (`$.detail.items[0].id`, `$` for the whole event) into the event; `undefined` if absent. */
export function select(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) return undefined;
  let value: unknown = event;
  for (const part of path.slice(2).split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return undefined;
    const [, key, indices] = match;
    // Own keys only: `$.detail.__proto__` or `$.constructor` select nothing in an event's JSON.
    if (key)
      value =
        value !== null && typeof value === 'object' && Object.hasOwn(value, key)
          ? (value as Record<string, unknown>)[key]
          : undefined;
    for (const index of (indices ?? '').match(/\d+/g) ?? []) {
      value = Array.isArray(value) ? value[Number(index)] : undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}
