/**
 * RFCs by planned start on DynamoDB Local (issue 12, the change calendar): the sparse planned-start
 * index of RFCs (gsi6) answers `[plannedFrom, plannedTo)` in planned-start order, a reschedule
 * moves an RFC in it, other filters are applied within their own index, and RFCs stored before the
 * index get its keys from the backfill.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import type { Change } from '../../functions/domain/change/change.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { changeFixture } from '../support/fakes.ts';
import { createTestTable } from '../support/table.ts';

let ports: AppPorts;
let drop: () => Promise<void>;

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
});

afterAll(async () => drop());

const recorded = (change: Change): DomainEvent => ({
  id: `evt_${change.id}_${change.version}`,
  type: change.version === 1 ? 'Change Recorded' : 'Change Updated',
  occurredAt: change.updatedAt,
  actor: 'cm',
  subject: { kind: 'change', id: change.id },
  data: { changeId: change.id },
});

async function store(over: Partial<Change>): Promise<Change> {
  const change = changeFixture(over);
  await ports.changes.create(change, recorded(change));
  return change;
}

const planned = async (filter: Parameters<AppPorts['changes']['list']>[0]) =>
  (await ports.changes.list(filter, { limit: 100 })).items.map((c) => c.id);

describe('RFCs by planned start', () => {
  it('are listed in planned-start order over [plannedFrom, plannedTo); RFCs without a window are not', async () => {
    await store({
      id: 'chg_late',
      plannedStart: '2027-03-03T20:00:00.000Z',
      plannedEnd: '2027-03-03T22:00:00.000Z',
    });
    await store({
      id: 'chg_early',
      plannedStart: '2027-03-01T20:00:00.000Z',
      plannedEnd: '2027-03-01T22:00:00.000Z',
    });
    await store({
      id: 'chg_edge',
      plannedStart: '2027-03-05T00:00:00.000Z',
      plannedEnd: '2027-03-05T01:00:00.000Z',
    });
    await store({ id: 'chg_unplanned' });
    expect(await planned({ plannedFrom: '2027-03-01T20:00:00Z', plannedTo: '2027-03-05T00:00:00Z' })).toEqual(
      ['chg_early', 'chg_late'],
    );
    // Offsets are instants, not strings: 21:00+01:00 is 20:00Z.
    expect(
      await planned({ plannedFrom: '2027-03-01T21:00:00+01:00', plannedTo: '2027-03-02T00:00:00Z' }),
    ).toEqual(['chg_early']);
    expect(await planned({ plannedFrom: '2027-01-01T00:00:00Z' })).not.toContain('chg_unplanned');
    // A state or type filter reads its own index (newest first); the planned range is applied within it.
    const recordedOnes = await planned({
      state: 'Recorded',
      plannedFrom: '2027-03-02T00:00:00Z',
      plannedTo: '2027-04-01T00:00:00Z',
    });
    expect(recordedOnes.sort()).toEqual(['chg_edge', 'chg_late']);
  });

  it('follows a reschedule (the index key is rewritten with the state)', async () => {
    const before = await store({
      id: 'chg_moved',
      plannedStart: '2027-05-01T20:00:00.000Z',
      plannedEnd: '2027-05-01T22:00:00.000Z',
    });
    const after: Change = {
      ...before,
      version: 2,
      plannedStart: '2027-06-01T20:00:00.000Z',
      plannedEnd: '2027-06-01T22:00:00.000Z',
    };
    await ports.changes.save(after, 1, [recorded(after)]);
    const may = { plannedFrom: '2027-05-01T00:00:00Z', plannedTo: '2027-06-01T00:00:00Z' };
    const june = { plannedFrom: '2027-06-01T00:00:00Z', plannedTo: '2027-07-01T00:00:00Z' };
    expect(await planned(may)).not.toContain('chg_moved');
    expect(await planned(june)).toContain('chg_moved');
  });

  it('of an older data dir get the planned-start key from the backfill, once', async () => {
    await store({
      id: 'chg_old',
      plannedStart: '2027-08-01T20:00:00.000Z',
      plannedEnd: '2027-08-01T22:00:00.000Z',
    });
    // As an earlier version stored it: no planned-start index.
    await ports.clients.db.send(
      new UpdateCommand({
        TableName: ports.config.tableName,
        Key: { pk: 'CHG#chg_old', sk: '#STATE' },
        UpdateExpression: 'REMOVE gsi6pk, gsi6sk',
      }),
    );
    const august = { plannedFrom: '2027-08-01T00:00:00Z', plannedTo: '2027-09-01T00:00:00Z' };
    expect(await planned(august)).toEqual([]);
    expect(await ports.changes.backfillIndexKeys()).toBe(1);
    expect(await planned(august)).toEqual(['chg_old']);
    expect(await ports.changes.backfillIndexKeys()).toBe(0);
    expect((await ports.changes.get('chg_old'))?.version).toBe(1);
  });
});
