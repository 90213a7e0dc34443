/**
 * The back-out plan (functions/domain/backout/plan.ts): prior values restored where only the
 * release changed a CI, a conflict listed by attribute wherever anything else changed it since,
 * and `force` restoring only the release's own attributes. A property checks it against a model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CiVersionChange, planBackout } from '../../../functions/domain/backout/plan.ts';

const v = (
  ciId: string,
  number: number,
  releaseId: string | undefined,
  changes: CiVersionChange['changes'],
): CiVersionChange => ({ ciId, number, releaseId, changes });

describe('planBackout', () => {
  it('restores the values before the release’s first change where nothing else changed the CI', () => {
    const plan = planBackout(
      'rel_1',
      [
        v('ci_a', 4, 'rel_1', { version: { from: '4.1', to: '4.2' }, port: { from: null, to: 8080 } }),
        v('ci_a', 5, 'rel_1', { version: { from: '4.2', to: '4.2.1' } }),
        v('ci_b', 2, 'rel_1', { owner: { from: 'ops', to: 'web' } }),
      ],
      [
        { id: 'ci_a', version: 5, attributes: { version: '4.2.1', port: 8080, name: 'app' } },
        { id: 'ci_b', version: 2, attributes: { owner: 'web' } },
      ],
      { force: false },
    );
    expect(plan).toEqual({
      conflicts: [],
      restores: [
        { ciId: 'ci_a', expectedVersion: 5, set: { version: '4.1', port: null } },
        { ciId: 'ci_b', expectedVersion: 2, set: { owner: 'ops' } },
      ],
    });
  });

  it('reports every attribute of a CI something else changed since, restores nothing without force', () => {
    const versions = [
      v('ci_a', 4, 'rel_1', { version: { from: '4.1', to: '4.2' }, port: { from: 80, to: 8080 } }),
      v('ci_a', 5, undefined, { version: { from: '4.2', to: '4.3' } }),
      v('ci_b', 2, 'rel_1', { owner: { from: 'ops', to: 'web' } }),
    ];
    const current = [
      { id: 'ci_a', version: 5, attributes: { version: '4.3', port: 8080 } },
      { id: 'ci_b', version: 2, attributes: { owner: 'web' } },
    ];
    const refused = planBackout('rel_1', versions, current, { force: false });
    expect(refused).toEqual({
      restores: [],
      conflicts: [
        { ciId: 'ci_a', attribute: 'version', releaseValue: '4.2', found: '4.3' },
        { ciId: 'ci_a', attribute: 'port', releaseValue: 8080, found: 8080 },
      ],
    });
    const forced = planBackout('rel_1', versions, current, { force: true });
    expect(forced.restores).toEqual([
      { ciId: 'ci_a', expectedVersion: 5, set: { version: '4.1', port: 80 } },
      { ciId: 'ci_b', expectedVersion: 2, set: { owner: 'ops' } },
    ]);
    expect(forced.conflicts).toHaveLength(2);
  });

  it('counts a CI version newer than those read as a change by something else, and ignores other releases’ CIs', () => {
    const plan = planBackout(
      'rel_1',
      [v('ci_a', 3, 'rel_1', { x: { from: 1, to: 2 } }), v('ci_z', 1, 'rel_9', { y: { from: null, to: 1 } })],
      [
        { id: 'ci_a', version: 4, attributes: { x: 2 } },
        { id: 'ci_z', version: 1, attributes: { y: 1 } },
      ],
      { force: false },
    );
    expect(plan).toEqual({
      restores: [],
      conflicts: [{ ciId: 'ci_a', attribute: 'x', releaseValue: 2, found: 2 }],
    });
  });

  it('goes on with an interrupted back-out: its own restores are neither a conflict nor written again', () => {
    const versions = [
      v('ci_a', 1, 'rel_1', { x: { from: 1, to: 2 } }),
      v('ci_b', 1, 'rel_1', { y: { from: 'a', to: 'b' } }),
      { ...v('ci_a', 2, undefined, { x: { from: 2, to: 1 } }), backoutOf: 'rel_1' },
    ];
    const plan = planBackout(
      'rel_1',
      versions,
      [
        { id: 'ci_a', version: 2, attributes: { x: 1 } },
        { id: 'ci_b', version: 1, attributes: { y: 'b' } },
      ],
      { force: false },
    );
    expect(plan).toEqual({
      conflicts: [],
      restores: [{ ciId: 'ci_b', expectedVersion: 1, set: { y: 'a' } }],
    });
  });

  it('compares values whatever the order of their keys (maps come back from the store in any order)', () => {
    const plan = planBackout(
      'rel_1',
      [v('ci_a', 1, 'rel_1', { cfg: { from: { a: 1, b: 2 }, to: { a: 9, b: 2 } } })],
      [{ id: 'ci_a', version: 1, attributes: { cfg: { b: 2, a: 9 } } }],
      { force: false },
    );
    expect(plan).toEqual({
      conflicts: [],
      restores: [{ ciId: 'ci_a', expectedVersion: 1, set: { cfg: { a: 1, b: 2 } } }],
    });
    const done = planBackout(
      'rel_1',
      [v('ci_a', 1, 'rel_1', { cfg: { from: { a: 1, b: 2 }, to: { a: 9 } } })],
      [{ id: 'ci_a', version: 1, attributes: { cfg: { b: 2, a: 1 } } }],
      { force: false },
    );
    expect(done.restores).toEqual([]);
  });

  it('restores exactly the pre-release values where nothing else touched a CI, and conflicts exactly where something did (property)', () => {
    const attr = fc.constantFrom('a', 'b', 'c');
    const value = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null });
    const edit = fc.record({
      ci: fc.constantFrom('ci_1', 'ci_2', 'ci_3'),
      byRelease: fc.boolean(),
      attr,
      value,
    });
    fc.assert(
      fc.property(
        fc.array(edit, { maxLength: 25 }),
        fc.dictionary(attr, fc.integer({ min: 0, max: 3 })),
        (edits, start) => {
          // Replay the edits on three CIs, recording versions as the CMDB would.
          const state = new Map<string, Record<string, unknown>>(
            ['ci_1', 'ci_2', 'ci_3'].map((id) => [id, { ...start }]),
          );
          const number = new Map<string, number>();
          const before = new Map<string, Record<string, unknown>>();
          const versions: CiVersionChange[] = [];
          for (const e of edits) {
            const ci = state.get(e.ci) as Record<string, unknown>;
            if (e.byRelease && !before.has(e.ci)) before.set(e.ci, { ...ci });
            const from = ci[e.attr] ?? null;
            if (e.value === null) delete ci[e.attr];
            else ci[e.attr] = e.value;
            const n = (number.get(e.ci) ?? 0) + 1;
            number.set(e.ci, n);
            versions.push(v(e.ci, n, e.byRelease ? 'rel_1' : undefined, { [e.attr]: { from, to: e.value } }));
          }
          const current = [...state].map(([id, attributes]) => ({
            id,
            version: number.get(id) ?? 0,
            attributes,
          }));
          const plan = planBackout('rel_1', versions, current, { force: false });
          for (const [ciId, pre] of before) {
            const first = versions.findIndex((x) => x.ciId === ciId && x.releaseId === 'rel_1');
            const foreign = versions.slice(first).some((x) => x.ciId === ciId && x.releaseId !== 'rel_1');
            const listed = plan.conflicts.some((c) => c.ciId === ciId);
            expect(listed).toBe(foreign);
            if (plan.conflicts.length > 0) continue;
            // Restored: every attribute the release touched is back to its pre-release value.
            const after = { ...(state.get(ciId) as Record<string, unknown>) };
            for (const [k, val] of Object.entries(plan.restores.find((r) => r.ciId === ciId)?.set ?? {})) {
              if (val === null) delete after[k];
              else after[k] = val;
            }
            expect(after).toEqual(pre);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
