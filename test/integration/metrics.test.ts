/**
 * The metrics store on DynamoDB Local: incidents beside their release with their event (once per
 * reference, replayed under an Idempotency-Key), a release's fact written with the counters it
 * changes only at the versions read (a stale writer changes nothing), and the counters of a range
 * of periods read with one Query of their partition — of every team, or of one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { VersionConflictError } from '../../functions/domain/errors.ts';
import { countersOf, emptyCounter, factChange } from '../../functions/domain/metrics/counters.ts';
import type { ReleaseFact } from '../../functions/domain/metrics/fact.ts';
import { newIncident } from '../../functions/domain/metrics/incident.ts';
import { actor, fixedClock, sequentialIds } from '../support/fakes.ts';
import { createTestTable, partitionItems } from '../support/table.ts';

let ports: AppPorts;
let drop: () => Promise<void>;
const deps = { clock: fixedClock(), ids: sequentialIds() };
const rm = actor('rm', ['release'], { teamIds: ['team_pay'] });

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
});
afterAll(async () => drop?.());

const fact = (over: Partial<ReleaseFact> = {}): ReleaseFact => ({
  releaseId: 'rel_1',
  teamId: 'team_pay',
  deployedAt: '2026-11-10T22:00:00.000Z',
  month: '2026-11',
  week: '2026-W46',
  onTime: true,
  backedOut: false,
  incidents: 0,
  leadTimeMs: 738_000_000,
  ...over,
});

/** Applies a fact as the consumer does: counters read, the old fact out, the new one in. */
async function apply(releaseId: string, after: ReleaseFact | null) {
  const stored = await ports.metrics.fact(releaseId);
  const before = stored?.fact ?? null;
  const keys = [...(before ? countersOf(before) : []), ...(after ? countersOf(after) : [])];
  const current = await ports.metrics.counters(keys);
  const find = (k: (typeof keys)[number]) =>
    current.find((c) => c.granularity === k.granularity && c.period === k.period && c.teamId === k.teamId) ??
    emptyCounter(k);
  await ports.metrics.applyFact(
    releaseId,
    after,
    stored?.version ?? 0,
    factChange(before ?? undefined, after ?? undefined, find),
  );
}

describe('incidents', () => {
  it('are stored beside the release with their event, once per reference', async () => {
    const { incident, event } = newIncident(
      { id: 'rel_inc', teamId: 'team_pay' },
      { reference: 'INC0012345', severity: 'critical', occurredAt: '2026-11-26T09:00:00Z', summary: 'Down' },
      rm,
      deps,
    );
    expect(await ports.metrics.attribute(incident, event)).toEqual({});
    expect(await ports.metrics.incident('rel_inc', 'INC0012345')).toEqual(incident);
    const items = await partitionItems(ports, 'REL#rel_inc');
    expect(items.map((i) => [i.sk, i.entity])).toEqual([
      [`EVT#${event.id}`, 'event'],
      ['INC#INC0012345', 'incident'],
    ]);
    const again = newIncident({ id: 'rel_inc' }, { ...incident }, rm, deps);
    await expect(ports.metrics.attribute(again.incident, again.event)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });

  it('replay the first request under its Idempotency-Key, writing nothing', async () => {
    const key = { scope: 'rm', key: 'inc-key', fingerprint: 'fp' };
    const first = newIncident(
      { id: 'rel_idem' },
      { reference: 'INC-1', severity: 'low', occurredAt: '2026-11-26T09:00:00Z', summary: 'Slow' },
      rm,
      deps,
    );
    expect(await ports.metrics.attribute(first.incident, first.event, key)).toEqual({});
    const retry = newIncident({ id: 'rel_idem' }, { ...first.incident }, rm, deps);
    expect(await ports.metrics.attribute(retry.incident, retry.event, key)).toEqual({ replayed: 'INC-1' });
    expect((await partitionItems(ports, 'REL#rel_idem')).filter((i) => i.entity === 'event')).toHaveLength(1);
  });
});

describe('facts and counters', () => {
  it('writes a fact with its counters, and a changed fact moves its sums', async () => {
    await apply('rel_1', fact());
    await apply('rel_2', fact({ releaseId: 'rel_2', teamId: null, onTime: false, leadTimeMs: 1000 }));
    await apply('rel_1', fact({ backedOut: true, incidents: 2 }));
    expect(await ports.metrics.fact('rel_1')).toEqual({
      fact: fact({ backedOut: true, incidents: 2 }),
      version: 2,
    });
    const [pay, none] = await ports.metrics.counters([
      { granularity: 'month', period: '2026-11', teamId: 'team_pay' },
      { granularity: 'month', period: '2026-11', teamId: null },
    ]);
    expect(pay).toMatchObject({
      deployed: 1,
      onTime: 1,
      backedOut: 1,
      withIncidents: 1,
      incidents: 2,
      failed: 1,
      leadTimes: { rel_1: 738_000_000 },
      version: 2,
    });
    expect(none).toMatchObject({
      teamId: null,
      deployed: 1,
      onTime: 0,
      leadTimes: { rel_2: 1000 },
      version: 1,
    });
  });

  it('refuses a writer that read the fact or a counter before another wrote it, all or nothing', async () => {
    await apply('rel_3', fact({ releaseId: 'rel_3', month: '2026-12', week: '2026-W49' }));
    const stored = await ports.metrics.fact('rel_3');
    const counters = await ports.metrics.counters([
      { granularity: 'month', period: '2026-12', teamId: 'team_pay' },
    ]);
    // Another writer moves the December counter on.
    await apply('rel_4', fact({ releaseId: 'rel_4', month: '2026-12', week: '2026-W49' }));
    const stale = counters.map((c) => ({ ...c, deployed: 99 }));
    await expect(
      ports.metrics.applyFact(
        'rel_3',
        fact({ releaseId: 'rel_3', incidents: 9 }),
        stored?.version ?? 0,
        stale,
      ),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(await ports.metrics.fact('rel_3')).toEqual(stored);
    await expect(ports.metrics.applyFact('rel_3', null, 0, [])).rejects.toBeInstanceOf(VersionConflictError);
  });

  it('reads a range of periods with one Query of the partition, of every team or one', async () => {
    await apply('rel_5', fact({ releaseId: 'rel_5', teamId: 'team_hr', month: '2027-01', week: '2027-W01' }));
    const all = await ports.metrics.countersIn('month', { from: '2026-11', to: '2026-12' });
    expect(all.map((c) => [c.period, c.teamId, c.deployed])).toEqual([
      ['2026-11', null, 1],
      ['2026-11', 'team_pay', 1],
      ['2026-12', 'team_pay', 2],
    ]);
    const pay = await ports.metrics.countersIn('month', { from: '2026-11', to: '2027-01' }, 'team_pay');
    expect(pay.map((c) => c.period)).toEqual(['2026-11', '2026-12']);
    const weeks = await ports.metrics.countersIn('week', { from: '2026-W49', to: '2027-W01' });
    expect(weeks.map((c) => [c.period, c.teamId])).toEqual([
      ['2026-W49', 'team_pay'],
      ['2027-W01', 'team_hr'],
    ]);
  });
});
