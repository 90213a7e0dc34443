/**
 * The one rule for free-form attribute values (CI attributes, planned CI updates): every fault is
 * named by its path, nothing is silently dropped, and the limits hold exactly at their edges.
 */
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_LIMITS, attributeMapFaults } from '../../../functions/domain/attribute-value.ts';

const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nest(depth - 1) });

describe('attributeMapFaults', () => {
  it('accepts JSON values DynamoDB stores exactly', () => {
    expect(
      attributeMapFaults({
        version: '4.2',
        replicas: 3,
        ratio: -0.5,
        zero: 0,
        enabled: true,
        owner: null,
        tags: ['a', 'b'],
        limits: { cpu: 2, memory: '4Gi' },
      }),
    ).toEqual([]);
  });

  it('wants an object of at least one attribute, named at the root or below the given path', () => {
    const notAMap = [{ path: '(root)', message: 'must be an object of attribute names to values' }];
    for (const value of [null, 'x', 3, ['a'], undefined]) expect(attributeMapFaults(value)).toEqual(notAMap);
    expect(attributeMapFaults([], 'set')).toEqual([
      { path: 'set', message: 'must be an object of attribute names to values' },
    ]);
    expect(attributeMapFaults({})).toEqual([{ path: '(root)', message: 'must set at least one attribute' }]);
    expect(attributeMapFaults({}, 'tasks.0.ciUpdates.1.set')).toEqual([
      { path: 'tasks.0.ciUpdates.1.set', message: 'must set at least one attribute' },
    ]);
  });

  it('takes strings up to 16,384 characters', () => {
    const max = ATTRIBUTE_LIMITS.maxStringLength;
    expect(attributeMapFaults({ s: 'x'.repeat(max) })).toEqual([]);
    expect(attributeMapFaults({ s: 'x'.repeat(max + 1) }, 'set')).toEqual([
      { path: 'set.s', message: 'must be at most 16384 characters' },
    ]);
  });

  it('takes the numbers DynamoDB stores: below 1e126 in size, and 0 or at least 1e-130', () => {
    const fault = (path: string) => ({
      path,
      message: 'must be a number between -1e126 and 1e126 (and 0 or at least 1e-130 in size)',
    });
    expect(attributeMapFaults({ a: 9.99e125, b: -9.99e125, c: 1e-130, d: -1e-130, e: 0 })).toEqual([]);
    expect(attributeMapFaults({ big: 1e126 })).toEqual([fault('big')]);
    expect(attributeMapFaults({ big: -1e126 })).toEqual([fault('big')]);
    expect(attributeMapFaults({ tiny: 1e-131 })).toEqual([fault('tiny')]);
    expect(attributeMapFaults({ tiny: -1e-131 })).toEqual([fault('tiny')]);
    expect(attributeMapFaults({ nan: Number.NaN })).toEqual([fault('nan')]);
    expect(attributeMapFaults({ inf: Number.POSITIVE_INFINITY })).toEqual([fault('inf')]);
  });

  it('refuses what is not JSON, wherever it is', () => {
    expect(attributeMapFaults({ when: { at: () => 1, n: 10n } })).toEqual([
      { path: 'when.n', message: 'must be a JSON value' },
      { path: 'when.at', message: 'must be a JSON value' },
    ]);
    expect(attributeMapFaults({ list: [1, undefined] })).toEqual([
      { path: 'list.1', message: 'must be a JSON value' },
    ]);
  });

  it('nests at most 10 levels below the map', () => {
    expect(attributeMapFaults({ a: nest(10) })).toEqual([]);
    expect(attributeMapFaults({ a: nest(11) })).toEqual([
      { path: 'a.n.n.n.n.n.n.n.n.n.n', message: 'nests deeper than 10 levels' },
    ]);
  });

  it('has at most 100 entries in the map and in any object or array inside it', () => {
    const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(attributeMapFaults(entries(100))).toEqual([]);
    expect(attributeMapFaults(entries(101))).toEqual([
      { path: '(root)', message: 'must have at most 100 entries' },
    ]);
    expect(attributeMapFaults({ list: Array.from({ length: 100 }, () => 1) })).toEqual([]);
    expect(attributeMapFaults({ list: Array.from({ length: 101 }, () => 1) })).toEqual([
      { path: 'list', message: 'must have at most 100 entries' },
    ]);
    expect(attributeMapFaults({ o: entries(101) })).toEqual([
      { path: 'o', message: 'must have at most 100 entries' },
    ]);
  });

  it('refuses names that reach a prototype, and names of no or more than 128 characters', () => {
    const hostile = JSON.parse('{"__proto__": {"admin": true}, "ok": {"constructor": 1, "prototype": 2}}');
    expect(attributeMapFaults(hostile)).toEqual([
      { path: '__proto__', message: 'is a reserved name (__proto__, constructor, prototype)' },
      { path: 'ok.constructor', message: 'is a reserved name (__proto__, constructor, prototype)' },
      { path: 'ok.prototype', message: 'is a reserved name (__proto__, constructor, prototype)' },
    ]);
    const name = (n: number) => 'k'.repeat(n);
    expect(attributeMapFaults({ [name(128)]: 1 })).toEqual([]);
    expect(attributeMapFaults({ [name(129)]: 1, '': 2 })).toEqual([
      { path: name(129), message: 'must be a name of 1-128 characters' },
      { path: '(root)', message: 'must be a name of 1-128 characters' },
    ]);
    // Array indices are not names.
    expect(attributeMapFaults({ list: ['constructor'] })).toEqual([]);
  });

  it('names at most 50 faults', () => {
    const bad = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, Number.NaN]));
    expect(attributeMapFaults(bad)).toHaveLength(50);
  });

  it('takes at most 32,768 bytes of JSON in all, once every value is fine', () => {
    const a = 'x'.repeat(ATTRIBUTE_LIMITS.maxStringLength);
    const room = ATTRIBUTE_LIMITS.maxBytes - JSON.stringify({ a, b: '' }).length;
    const atMost = { a, b: 'y'.repeat(room) };
    expect(JSON.stringify(atMost).length).toBe(ATTRIBUTE_LIMITS.maxBytes);
    expect(attributeMapFaults(atMost)).toEqual([]);
    const over = { ...atMost, c: 1 };
    expect(attributeMapFaults(over, 'set')).toEqual([
      { path: 'set', message: 'must be at most 32768 bytes as JSON' },
    ]);
    expect(attributeMapFaults({ ...over, d: Number.NaN })).toEqual([expect.objectContaining({ path: 'd' })]);
  });
});
