/**
 * EventBridge event-pattern matching, as documented in "Amazon EventBridge event patterns" and
 * "Content filtering in Amazon EventBridge event patterns":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *
 * Semantics implemented here:
 * - A pattern is an object; every field it names must match (AND). A field's value is either a nested
 *   object (descend into the event) or a non-empty array of alternatives (OR).
 * - Alternatives are exact values (string, number, boolean, `null`; types never coerce, `""` is not `null`)
 *   or one-key filter objects: `prefix`, `suffix` (both also as `{ "equals-ignore-case": … }`),
 *   `equals-ignore-case`, `wildcard`, `anything-but` (value, list, `prefix`, `suffix`,
 *   `equals-ignore-case`, `wildcard`), `numeric`, `exists`, `cidr`.
 * - `$or` (an array of two or more patterns) matches when any of them matches at that level.
 * - When the event's value is an array, the field matches if any element matches. For nested patterns
 *   over an array of objects, one element must match the whole nested pattern (array consistency).
 * - A field absent from the event matches only `exists: false`. `exists` looks at leaf values only:
 *   a field whose value is an object (or an empty array) does not "exist" as a leaf.
 * - `anything-but` needs the field present; its `prefix`/`suffix`/`equals-ignore-case`/`wildcard`
 *   forms take a string or a list of strings and match every value they do not exclude, so `null`, numbers
 *   and booleans (which no string filter can exclude) match them.
 * - `prefix` and `suffix` must not be empty (AWS refuses them); `wildcard` must not hold `**`, nor be so
 *   ambiguous that more than {@link MAX_WILDCARD_COMPLEXITY} of its prefixes can match one value at once
 *   (AWS refuses `*:*:*:*:*:event-bus/*` as too complex).
 * - EventBridge joins field names with `.` when it compiles a pattern, so a key `"a.b"` in the pattern or
 *   in the event is the same field as `{ "a": { "b": … } }` ("Considerations when creating event
 *   patterns", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html).
 */
import { BlockList, isIP } from 'node:net';
import type { EventPattern } from '../../rules.ts';

/** Thrown by {@link validatePattern} (and anything that compiles a pattern) for a malformed pattern. */
export class InvalidEventPatternError extends Error {
  /** Where in the pattern the problem is, as a dotted path (empty for the pattern itself). */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`Event pattern is not valid. Reason: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'InvalidEventPatternError';
    this.path = path;
  }
}

type Leaf = string | number | boolean | null;
type LeafTest = (leaf: Leaf) => boolean;

type FieldMatcher =
  | { readonly kind: 'object'; readonly key: string; readonly matcher: ObjectMatcher }
  | {
      readonly kind: 'leaf';
      readonly key: string;
      readonly tests: readonly LeafTest[];
      readonly exists: readonly boolean[];
    };

interface ObjectMatcher {
  readonly fields: readonly FieldMatcher[];
  readonly or: readonly ObjectMatcher[] | undefined;
}

/** A compiled pattern: a predicate over events. */
export type CompiledPattern = (event: unknown) => boolean;

/** EventBridge limits numeric matching to this range (documented). */
const NUMERIC_LIMIT = 5e9;

/**
 * The most wildcard prefixes that may match one value at once. AWS's matcher (Event Ruler) measures a
 * rule's wildcards this way and refuses rules above a limit; 10 is the smallest that accepts every wildcard
 * example of the user guide and refuses its too-complex one (see docs/decisions.md).
 */
const MAX_WILDCARD_COMPLEXITY = 10;

const compiled = new WeakMap<object, CompiledPattern>();

/**
 * Checks a pattern against EventBridge's rules for patterns.
 * @throws {InvalidEventPatternError} naming the offending place in the pattern.
 */
export function validatePattern(pattern: unknown): asserts pattern is EventPattern {
  compilePattern(pattern);
}

/** Validates a pattern once and returns a fast predicate for it. */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (typeof pattern === 'object' && pattern !== null) {
    const cached = compiled.get(pattern);
    if (cached) return cached;
  }
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError('', 'the pattern must be a JSON object');
  const matcher = compileObject(pattern, '');
  const predicate: CompiledPattern = (event) =>
    matchObject(matcher, isPlainObject(event) ? event : undefined);
  compiled.set(pattern, predicate);
  return predicate;
}

/**
 * Whether `event` (a full EventBridge event: `source`, `detail-type`, `detail`, …) matches `pattern`.
 * @throws {InvalidEventPatternError} when the pattern is malformed.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

function compileObject(source: Record<string, unknown>, path: string): ObjectMatcher {
  const pattern = nestDottedKeys(source);
  const keys = Object.keys(pattern);
  if (keys.length === 0)
    throw new InvalidEventPatternError(path, 'an object in a pattern must name at least one field');
  const fields: FieldMatcher[] = [];
  let or: ObjectMatcher[] | undefined;
  for (const key of keys) {
    const value = pattern[key];
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidEventPatternError(at, '$or must be an array of at least two patterns');
      }
      or = value.map((alternative, i) => {
        if (!isPlainObject(alternative))
          throw new InvalidEventPatternError(`${at}[${i}]`, 'must be an object');
        return compileObject(alternative, `${at}[${i}]`);
      });
    } else if (isPlainObject(value)) {
      fields.push({ kind: 'object', key, matcher: compileObject(value, at) });
    } else if (Array.isArray(value)) {
      fields.push(compileLeaf(key, value, at));
    } else {
      throw new InvalidEventPatternError(at, `${JSON.stringify(value)} must be an object or an array`);
    }
  }
  return { fields, or };
}

/**
 * `{ "a.b": x }` as `{ "a": { "b": x } }`, merged with the pattern's own `"a"` object when there is one.
 * When two keys name the same leaf the later one wins, as the user guide says of repeated fields.
 */
function nestDottedKeys(pattern: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(pattern).some(isDottedKey)) return pattern;
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const segments = isDottedKey(key) ? key.split('.') : [key];
    let into = nested;
    for (const segment of segments.slice(0, -1)) {
      const existing = into[segment];
      const next: Record<string, unknown> = isPlainObject(existing) ? { ...existing } : {};
      into[segment] = next;
      into = next;
    }
    const last = segments[segments.length - 1] as string;
    const existing = into[last];
    into[last] = isPlainObject(existing) && isPlainObject(value) ? { ...existing, ...value } : value;
  }
  return nested;
}

/** A key that names a path: dots between non-empty names (`$or` and odd keys like `"a."` stay literal). */
function isDottedKey(key: string): boolean {
  return key.includes('.') && key.split('.').every((segment) => segment.length > 0);
}

function compileLeaf(key: string, alternatives: readonly unknown[], path: string): FieldMatcher {
  if (alternatives.length === 0) throw new InvalidEventPatternError(path, 'empty arrays are not allowed');
  const tests: LeafTest[] = [];
  const exists: boolean[] = [];
  const wildcards: string[] = [];
  alternatives.forEach((alternative, i) => {
    const at = `${path}[${i}]`;
    if (isLeaf(alternative)) {
      tests.push((leaf) => leaf === alternative);
      return;
    }
    if (!isPlainObject(alternative)) {
      throw new InvalidEventPatternError(
        at,
        'values must be strings, numbers, booleans, null or filter objects',
      );
    }
    const entries = Object.entries(alternative);
    const [entry] = entries;
    if (!entry || entries.length !== 1) {
      throw new InvalidEventPatternError(at, 'a filter object must have exactly one operator');
    }
    const [operator, operand] = entry;
    if (operator === 'exists') {
      if (typeof operand !== 'boolean')
        throw new InvalidEventPatternError(at, 'exists must be true or false');
      exists.push(operand);
      return;
    }
    tests.push(compileOperator(operator, operand, `${at}.${operator}`));
    wildcards.push(...wildcardsOf(operator, operand));
  });
  if (wildcards.length > 0 && wildcardComplexity(wildcards) > MAX_WILDCARD_COMPLEXITY) {
    throw new InvalidEventPatternError(path, 'Rule is too complex - try using fewer wildcard characters');
  }
  return { kind: 'leaf', key, tests, exists };
}

function compileOperator(operator: string, operand: unknown, path: string): LeafTest {
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(operator, operand, path);
    case 'equals-ignore-case': {
      const expected = requireString(operand, path).toLowerCase();
      return (leaf) => typeof leaf === 'string' && leaf.toLowerCase() === expected;
    }
    case 'wildcard': {
      const regex = compileWildcard(requireString(operand, path), path);
      return (leaf) => typeof leaf === 'string' && regex.test(leaf);
    }
    case 'anything-but':
      return compileAnythingBut(operand, path);
    case 'numeric':
      return compileNumeric(operand, path);
    case 'cidr':
      return compileCidr(operand, path);
    default:
      throw new InvalidEventPatternError(path, `unrecognized match type ${operator}`);
  }
}

function compileAffix(operator: 'prefix' | 'suffix', operand: unknown, path: string): LeafTest {
  const test = (value: string, affix: string) =>
    operator === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
  if (typeof operand === 'string') {
    requireNonEmpty(operand, operator, path);
    return (leaf) => typeof leaf === 'string' && test(leaf, operand);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      const at = `${path}.equals-ignore-case`;
      const affix = requireNonEmpty(
        requireString(operand['equals-ignore-case'], at),
        operator,
        at,
      ).toLowerCase();
      return (leaf) => typeof leaf === 'string' && test(leaf.toLowerCase(), affix);
    }
  }
  throw new InvalidEventPatternError(
    path,
    `${operator} must be a string or { "equals-ignore-case": string }`,
  );
}

function compileAnythingBut(operand: unknown, path: string): LeafTest {
  if (typeof operand === 'string' || typeof operand === 'number') {
    if (typeof operand === 'number') requireNumericRange(operand, path);
    return (leaf) => leaf !== operand;
  }
  if (Array.isArray(operand)) {
    const allStrings = operand.every((v) => typeof v === 'string');
    const allNumbers = operand.every((v) => typeof v === 'number');
    if (operand.length === 0 || !(allStrings || allNumbers)) {
      throw new InvalidEventPatternError(
        path,
        'anything-but lists must be non-empty and all strings or all numbers',
      );
    }
    const excluded = new Set<unknown>(operand);
    return (leaf) => !excluded.has(leaf);
  }
  if (isPlainObject(operand)) {
    const entries = Object.entries(operand);
    const [entry] = entries;
    if (entry && entries.length === 1) {
      const [operator, inner] = entry;
      const at = `${path}.${operator}`;
      switch (operator) {
        // A string filter cannot exclude a non-string value, so `null`, numbers and booleans match.
        case 'prefix':
        case 'suffix': {
          const affixes = requireStrings(inner, at).map((affix) => requireNonEmpty(affix, operator, at));
          const excludes = (value: string) =>
            affixes.some((affix) =>
              operator === 'prefix' ? value.startsWith(affix) : value.endsWith(affix),
            );
          return (leaf) => typeof leaf !== 'string' || !excludes(leaf);
        }
        case 'equals-ignore-case': {
          const excluded = new Set(requireStrings(inner, at).map((s) => s.toLowerCase()));
          return (leaf) => typeof leaf !== 'string' || !excluded.has(leaf.toLowerCase());
        }
        case 'wildcard': {
          const regexes = requireStrings(inner, at).map((w) => compileWildcard(w, at));
          return (leaf) => typeof leaf !== 'string' || !regexes.some((r) => r.test(leaf));
        }
      }
    }
  }
  throw new InvalidEventPatternError(
    path,
    'anything-but takes a string, a number, a list of either, or one of prefix, suffix, equals-ignore-case, wildcard',
  );
}

function compileNumeric(operand: unknown, path: string): LeafTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new InvalidEventPatternError(path, 'numeric takes one or two [operator, number] pairs');
  }
  let lower: { value: number; inclusive: boolean } | undefined;
  let upper: { value: number; inclusive: boolean } | undefined;
  let equal: number | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    const value: unknown = operand[i + 1];
    if (typeof value !== 'number')
      throw new InvalidEventPatternError(path, `value for ${String(op)} must be a number`);
    requireNumericRange(value, path);
    if (op === '=' && operand.length === 2) equal = value;
    else if ((op === '>' || op === '>=') && !lower) lower = { value, inclusive: op === '>=' };
    else if ((op === '<' || op === '<=') && !upper) upper = { value, inclusive: op === '<=' };
    else
      throw new InvalidEventPatternError(path, `bad numeric operator ${JSON.stringify(op)} in this position`);
  }
  if (lower && upper && lower.value >= upper.value) {
    throw new InvalidEventPatternError(
      path,
      'bad numeric range, the lower bound must be less than the upper bound',
    );
  }
  if (equal !== undefined) {
    const expected = equal;
    return (leaf) => typeof leaf === 'number' && leaf === expected;
  }
  return (leaf) =>
    typeof leaf === 'number' &&
    (!lower || (lower.inclusive ? leaf >= lower.value : leaf > lower.value)) &&
    (!upper || (upper.inclusive ? leaf <= upper.value : leaf < upper.value));
}

function compileCidr(operand: unknown, path: string): LeafTest {
  const text = requireString(operand, path);
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  const maxBits = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? maxBits : Number(bits);
  if (
    family === 0 ||
    rest.length > 0 ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > maxBits ||
    bits === ''
  ) {
    throw new InvalidEventPatternError(path, `${JSON.stringify(text)} is not a valid CIDR block`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(address, prefix, type);
  return (leaf) => typeof leaf === 'string' && isIP(leaf) === family && block.check(leaf, type);
}

/** `*` is any run of characters; `\*` a literal star; `\\` a literal backslash; `**` is not allowed. */
function compileWildcard(wildcard: string, path: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard.charAt(i);
    if (char === '\\') {
      const next = wildcard.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(path, 'a backslash may only escape "*" or "\\" in a wildcard');
      }
      source += escapeRegExp(next);
      i++;
    } else if (char === '*') {
      if (wildcard.charAt(i + 1) === '*') {
        throw new InvalidEventPatternError(path, 'consecutive wildcard characters are not allowed');
      }
      source += '.*';
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function matchObject(matcher: ObjectMatcher, context: Record<string, unknown> | undefined): boolean {
  for (const field of matcher.fields) {
    const value = fieldValue(context, field.key);
    if (field.kind === 'object') {
      if (!objectCandidates(value).some((candidate) => matchObject(field.matcher, candidate))) return false;
    } else if (!matchLeaf(field, value)) {
      return false;
    }
  }
  return !matcher.or || matcher.or.some((alternative) => matchObject(alternative, context));
}

function matchLeaf(field: Extract<FieldMatcher, { kind: 'leaf' }>, value: unknown): boolean {
  const leaves = leafValues(value);
  for (const wanted of field.exists) if (wanted === leaves.length > 0) return true;
  return field.tests.some((test) => leaves.some(test));
}

/**
 * The event's value for `key`. Event keys are joined with dots too, so `{ "a.b": 1 }` holds `a` as
 * `{ "b": 1 }`; when both spellings are present the field has both (merged when `a` is an object).
 */
function fieldValue(context: Record<string, unknown> | undefined, key: string): unknown {
  if (!context) return undefined;
  const value = context[key];
  let dotted: Record<string, unknown> | undefined;
  for (const name in context) {
    if (name.length > key.length + 1 && name.charCodeAt(key.length) === 46 && name.startsWith(key)) {
      dotted ??= {};
      dotted[name.slice(key.length + 1)] = context[name];
    }
  }
  if (!dotted) return value;
  if (value === undefined) return dotted;
  if (!isPlainObject(value)) return [value, dotted];
  // Both spellings describe one object: its fields are the union (a field named both ways has both values).
  const merged: Record<string, unknown> = { ...value };
  for (const [name, inner] of Object.entries(dotted)) {
    merged[name] = name in merged ? [merged[name], inner] : inner;
  }
  return merged;
}

/** The objects a nested pattern is tried against: the value, or each object in an array value. */
function objectCandidates(value: unknown): (Record<string, unknown> | undefined)[] {
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value)) {
    const objects = value.flat(Number.POSITIVE_INFINITY).filter(isPlainObject);
    if (objects.length > 0) return objects;
  }
  // Nothing to descend into: only "absent" filters (exists: false) can still match below.
  return [undefined];
}

/** The leaf (non-object) values at a field; arrays contribute each of their leaf elements. */
function leafValues(value: unknown): Leaf[] {
  if (isLeaf(value)) return [value];
  if (Array.isArray(value)) return value.flat(Number.POSITIVE_INFINITY).filter(isLeaf);
  return [];
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new InvalidEventPatternError(path, 'must be a string');
  return value;
}

function requireStrings(value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  throw new InvalidEventPatternError(path, 'must be a string or a non-empty list of strings');
}

function requireNonEmpty(value: string, operator: string, path: string): string {
  if (value === '')
    throw new InvalidEventPatternError(path, `Null or empty ${operator} value is not allowed`);
  return value;
}

/** The wildcard strings of an alternative, for the complexity check. */
function wildcardsOf(operator: string, operand: unknown): string[] {
  if (operator === 'wildcard' && typeof operand === 'string') return [operand];
  if (operator === 'anything-but' && isPlainObject(operand)) {
    const inner = operand.wildcard;
    if (typeof inner === 'string') return [inner];
    if (Array.isArray(inner)) return inner.filter((w): w is string => typeof w === 'string');
  }
  return [];
}

/**
 * The largest number of wildcard prefixes (`a*`, `a*b`, …, over all the given wildcards) that one value
 * can match at the same time: Event Ruler's measure of how much work a wildcard costs per value. Explores
 * the subsets of prefixes reachable over the wildcards' own characters plus one other character.
 */
function wildcardComplexity(wildcards: readonly string[]): number {
  const tokens = wildcards.map(wildcardTokens);
  const alphabet = [...new Set(tokens.flat().filter((t) => t !== STAR)), '\u0000'];
  const initial = tokens.map((t) => {
    const state = new Array<boolean>(t.length + 1).fill(false);
    state[0] = true;
    for (let k = 1; k <= t.length && t[k - 1] === STAR; k++) state[k] = true;
    return state;
  });
  const keyOf = (states: boolean[][]) => states.map((s) => s.map(Number).join('')).join('|');
  const seen = new Set([keyOf(initial)]);
  const queue = [initial];
  let max = 0;
  // A bound on the exploration keeps validation fast on pathological input; reaching it means "too complex".
  while (queue.length > 0) {
    if (seen.size > 10_000) return Number.POSITIVE_INFINITY;
    const states = queue.shift() as boolean[][];
    const active = states.reduce((sum, s) => sum + s.slice(1).filter(Boolean).length, 0);
    if (active > max) max = active;
    for (const char of alphabet) {
      const next = states.map((state, i) => {
        const t = tokens[i] as string[];
        const after = new Array<boolean>(t.length + 1).fill(false);
        for (let k = 1; k <= t.length; k++) {
          after[k] =
            t[k - 1] === STAR
              ? Boolean(state[k] || after[k - 1])
              : t[k - 1] === char && Boolean(state[k - 1]);
        }
        return after;
      });
      const key = keyOf(next);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return max;
}

/** A wildcard star among the tokens; two characters, so no literal character token equals it. */
const STAR = '**';

/** A wildcard as a list of literal characters and {@link STAR}s (escapes resolved). */
function wildcardTokens(wildcard: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard.charAt(i);
    if (char === '\\') tokens.push(wildcard.charAt(++i));
    else tokens.push(char === '*' ? STAR : char);
  }
  return tokens;
}

function requireNumericRange(value: number, path: string): void {
  if (!Number.isFinite(value) || value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    throw new InvalidEventPatternError(path, `numbers must be between -5.0e9 and 5.0e9 (got ${value})`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
