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
 *   forms match string values only.
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

function compileObject(pattern: Record<string, unknown>, path: string): ObjectMatcher {
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

function compileLeaf(key: string, alternatives: readonly unknown[], path: string): FieldMatcher {
  if (alternatives.length === 0) throw new InvalidEventPatternError(path, 'empty arrays are not allowed');
  const tests: LeafTest[] = [];
  const exists: boolean[] = [];
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
  });
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
  if (typeof operand === 'string') return (leaf) => typeof leaf === 'string' && test(leaf, operand);
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      const affix = requireString(operand['equals-ignore-case'], `${path}.equals-ignore-case`).toLowerCase();
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
        case 'prefix':
        case 'suffix': {
          if (typeof inner !== 'string')
            throw new InvalidEventPatternError(at, `${operator} must be a string`);
          const affix = compileAffix(operator, inner, at);
          return (leaf) => typeof leaf === 'string' && !affix(leaf);
        }
        case 'equals-ignore-case': {
          const excluded = new Set(requireStrings(inner, at).map((s) => s.toLowerCase()));
          return (leaf) => typeof leaf === 'string' && !excluded.has(leaf.toLowerCase());
        }
        case 'wildcard': {
          const regexes = requireStrings(inner, at).map((w) => compileWildcard(w, at));
          return (leaf) => typeof leaf === 'string' && !regexes.some((r) => r.test(leaf));
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
    const value = context?.[field.key];
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

function requireNumericRange(value: number, path: string): void {
  if (!Number.isFinite(value) || value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    throw new InvalidEventPatternError(path, `numbers must be between -5.0e9 and 5.0e9 (got ${value})`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
