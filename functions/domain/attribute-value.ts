/**
 * What a free-form attribute value may be (a CI attribute, a planned CI update): JSON that
 * DynamoDB stores exactly and that cannot reach an object's prototype. Defined once; every input
 * that accepts free-form values checks it here, and a value that breaks it is refused, never
 * silently dropped or changed.
 */
import type { FieldError } from './errors.ts';

export const ATTRIBUTE_LIMITS = {
  /** Nesting below the attribute map itself (DynamoDB allows 32 levels in all). */
  maxDepth: 10,
  /** Attributes in one map, and entries in any nested object or array. */
  maxEntries: 100,
  maxKeyLength: 128,
  maxStringLength: 16_384,
  /** The whole map as JSON. */
  maxBytes: 32_768,
} as const;

// DynamoDB numbers: magnitude from 1E-130 up to (not including) 1E+126, 38 significant digits
// (a JavaScript number has at most 17).
const MAX_MAGNITUDE = 1e126;
const MIN_MAGNITUDE = 1e-130;

/** Keys that would reach or shadow an object's prototype when the value is merged or copied. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The faults of an attribute map (`{ name: value }`), each naming its path below `path`; empty
 * when the map is acceptable. Iterative, so a hostile nesting depth cannot exhaust the stack.
 */
export function attributeMapFaults(value: unknown, path = ''): FieldError[] {
  const faults: FieldError[] = [];
  const at = (p: string) => p || '(root)';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path: at(path), message: 'must be an object of attribute names to values' }];
  }
  const names = Object.keys(value);
  if (names.length === 0) return [{ path: at(path), message: 'must set at least one attribute' }];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  while (stack.length > 0 && faults.length < 50) {
    const { value: v, path: p, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      if (v.length > ATTRIBUTE_LIMITS.maxStringLength) {
        faults.push({
          path: at(p),
          message: `must be at most ${ATTRIBUTE_LIMITS.maxStringLength} characters`,
        });
      }
      continue;
    }
    if (typeof v === 'number') {
      const magnitude = Math.abs(v);
      if (
        !Number.isFinite(v) ||
        magnitude >= MAX_MAGNITUDE ||
        (magnitude !== 0 && magnitude < MIN_MAGNITUDE)
      ) {
        faults.push({
          path: at(p),
          message: 'must be a number between -1e126 and 1e126 (and 0 or at least 1e-130 in size)',
        });
      }
      continue;
    }
    if (typeof v !== 'object') {
      faults.push({ path: at(p), message: 'must be a JSON value' });
      continue;
    }
    if (depth > ATTRIBUTE_LIMITS.maxDepth) {
      faults.push({ path: at(p), message: `nests deeper than ${ATTRIBUTE_LIMITS.maxDepth} levels` });
      continue;
    }
    const entries = Array.isArray(v) ? v.map((item, i) => [String(i), item] as const) : Object.entries(v);
    if (entries.length > ATTRIBUTE_LIMITS.maxEntries) {
      faults.push({ path: at(p), message: `must have at most ${ATTRIBUTE_LIMITS.maxEntries} entries` });
      continue;
    }
    for (const [key, child] of entries) {
      const childPath = p ? `${p}.${key}` : key;
      if (!Array.isArray(v)) {
        if (FORBIDDEN_KEYS.has(key)) {
          faults.push({
            path: at(childPath),
            message: 'is a reserved name (__proto__, constructor, prototype)',
          });
          continue;
        }
        if (key.length === 0 || key.length > ATTRIBUTE_LIMITS.maxKeyLength) {
          faults.push({
            path: at(childPath),
            message: `must be a name of 1-${ATTRIBUTE_LIMITS.maxKeyLength} characters`,
          });
          continue;
        }
      }
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  if (faults.length === 0 && JSON.stringify(value).length > ATTRIBUTE_LIMITS.maxBytes) {
    faults.push({ path: at(path), message: `must be at most ${ATTRIBUTE_LIMITS.maxBytes} bytes as JSON` });
  }
  return faults;
}
