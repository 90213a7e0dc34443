/**
 * The point-in-time property of the CMDB, for any CI store: random CIs take random edit sequences
 * (attributes set and removed, renames, relations, retirement) while a clock moves on by random
 * steps — sometimes none, sometimes backwards, as clocks of different writers do — and an
 * independent model replays the edits. At every instant probed (before a CI existed, at each
 * version's instant, between them, after the last), `GET /cis/{id}?at=` must be exactly the
 * replayed state (404 before the CI existed).
 */
import fc from 'fast-check';
import type { Actor } from '../../functions/domain/actor.ts';
import type { CiRelation } from '../../functions/domain/ci/ci.ts';
import type { CiPorts } from '../../functions/domain/ci/ports.ts';
import { createCi, editCi, getCi } from '../../functions/domain/ci/service.ts';
import { NotFoundError } from '../../functions/domain/errors.ts';

/** A clock a scenario sets: it reads whatever instant was set last. */
export function settableClock(iso: string) {
  let now = Date.parse(iso);
  return {
    now: () => new Date(now),
    set(ms: number) {
      now = ms;
    },
  };
}

const KEYS = ['version', 'owner', 'tier'] as const;
const VALUES = ['1.0', '2.0', 3, true, { nested: ['x'] }] as const;

type Edit =
  | { kind: 'set'; ci: number; set: Record<string, unknown> }
  | { kind: 'name'; ci: number; name: string }
  | { kind: 'relate'; ci: number; to: number[] }
  | { kind: 'status'; ci: number; status: 'active' | 'retired' };

export interface Scenario {
  readonly cis: number;
  /** Milliseconds the clock moves before each write (negative: a writer whose clock is behind). */
  readonly steps: readonly number[];
  readonly edits: readonly Edit[];
  /** Offsets (ms) around each recorded instant to probe. */
  readonly probes: readonly number[];
}

export const scenarioArbitrary = (maxEdits = 25): fc.Arbitrary<Scenario> =>
  fc.integer({ min: 1, max: 4 }).chain((cis) =>
    fc.record({
      cis: fc.constant(cis),
      edits: fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('set' as const),
            ci: fc.nat({ max: cis - 1 }),
            set: fc.dictionary(
              fc.constantFrom(...KEYS),
              fc.oneof(fc.constantFrom(...VALUES), fc.constant(null)),
              { minKeys: 1 },
            ),
          }),
          fc.record({
            kind: fc.constant('name' as const),
            ci: fc.nat({ max: cis - 1 }),
            name: fc.constantFrom('alpha', 'beta', 'gamma'),
          }),
          fc.record({
            kind: fc.constant('relate' as const),
            ci: fc.nat({ max: cis - 1 }),
            to: fc.uniqueArray(fc.nat({ max: cis - 1 }), { maxLength: cis }),
          }),
          fc.record({
            kind: fc.constant('status' as const),
            ci: fc.nat({ max: cis - 1 }),
            status: fc.constantFrom('active' as const, 'retired' as const),
          }),
        ),
        { maxLength: maxEdits },
      ),
      steps: fc.array(fc.integer({ min: -500, max: 2_000 }), {
        minLength: maxEdits + 4,
        maxLength: maxEdits + 4,
      }),
      probes: fc.uniqueArray(fc.integer({ min: -1_000, max: 1_000 }), { minLength: 1, maxLength: 4 }),
    }),
  );

/** What the model says a CI is after a version. */
interface ModelState {
  readonly at: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  readonly relations: CiRelation[];
  readonly status: 'active' | 'retired';
  readonly version: number;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/**
 * Runs a scenario: `clock.set(ms)` moves the store's clock (the ports' clock reads it).
 * Returns the number of instants checked; throws on the first difference.
 */
export async function checkPointInTime(
  scenario: Scenario,
  ports: CiPorts,
  clock: { set(ms: number): void },
  actor: Actor,
): Promise<number> {
  let now = Date.parse('2026-11-26T10:00:00.000Z');
  let step = 0;
  const tick = () => {
    now += scenario.steps[step++ % scenario.steps.length] ?? 0;
    clock.set(now);
  };
  const ids: string[] = [];
  const history: ModelState[][] = [];
  const latest = (i: number) => history[i]?.at(-1) as ModelState;
  // The domain's rule, restated: a version is never earlier than the one before.
  const instantAfter = (prev: string | undefined) => {
    const iso = new Date(now).toISOString();
    return prev !== undefined && prev > iso ? prev : iso;
  };
  for (let i = 0; i < scenario.cis; i++) {
    tick();
    const { ci } = await createCi(
      { type: 'application', name: `ci-${i}`, attributes: {}, relations: [] },
      actor,
      ports,
    );
    ids.push(ci.id);
    history.push([
      {
        at: instantAfter(undefined),
        name: `ci-${i}`,
        attributes: {},
        relations: [],
        status: 'active',
        version: 1,
      },
    ]);
  }
  for (const edit of scenario.edits) {
    tick();
    const before = latest(edit.ci);
    const next: ModelState = {
      ...before,
      attributes: { ...before.attributes },
      relations: [...before.relations],
    };
    let edited = false;
    let body: Parameters<typeof editCi>[1];
    if (edit.kind === 'set') {
      body = { set: edit.set };
      for (const [k, v] of Object.entries(edit.set)) {
        const had = Object.hasOwn(before.attributes, k) ? before.attributes[k] : null;
        if (canonical(had) !== canonical(v)) edited = true;
        if (v === null) delete next.attributes[k];
        else next.attributes[k] = v;
      }
    } else if (edit.kind === 'name') {
      body = { name: edit.name };
      edited = edit.name !== before.name;
      Object.assign(next, { name: edit.name });
    } else if (edit.kind === 'status') {
      body = { status: edit.status };
      edited = edit.status !== before.status;
      Object.assign(next, { status: edit.status });
    } else {
      const relations = edit.to
        .filter((t) => t !== edit.ci)
        // A new relation needs an active target; the model keeps only those the API accepts.
        .filter((t) => before.relations.some((r) => r.ciId === ids[t]) || latest(t).status === 'active')
        .map((t): CiRelation => ({ type: 'depends-on', ciId: ids[t] as string }));
      body = { relations };
      edited = canonical(relations) !== canonical(before.relations);
      Object.assign(next, { relations });
    }
    await editCi(ids[edit.ci] as string, body, before.version, actor, ports);
    if (edited) {
      (history[edit.ci] as ModelState[]).push({
        ...next,
        at: instantAfter(before.at),
        version: before.version + 1,
      });
    }
  }
  let checked = 0;
  for (let i = 0; i < ids.length; i++) {
    const states = history[i] as ModelState[];
    const instants = new Set<number>();
    for (const s of states)
      for (const offset of [0, ...scenario.probes]) instants.add(Date.parse(s.at) + offset);
    for (const instant of [...instants].sort((a, b) => a - b)) {
      const iso = new Date(instant).toISOString();
      const expected = states.filter((s) => s.at <= iso).at(-1);
      const got = await getCi(ids[i] as string, iso, actor, ports).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
      const seen = got && {
        name: got.name,
        attributes: got.attributes,
        relations: got.relations,
        status: got.status,
        version: got.version,
      };
      const want = expected && {
        name: expected.name,
        attributes: expected.attributes,
        relations: expected.relations,
        status: expected.status,
        version: expected.version,
      };
      if (canonical(seen) !== canonical(want)) {
        throw new Error(`CI ${i} at ${iso}: expected ${canonical(want)}, got ${canonical(seen)}`);
      }
      checked++;
    }
  }
  return checked;
}
