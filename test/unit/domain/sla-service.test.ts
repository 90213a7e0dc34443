/**
 * The SLA use cases on the in-memory fakes: who may record, read and edit SLAs, the CIs checked,
 * the events, optimistic locking, and the blackout windows that apply to a CI — its own SLAs' and,
 * through CMDB relations, those of every CI that depends on it, each with its path.
 */
import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import {
  blackoutsIn,
  createSla,
  editSla,
  getSla,
  listSlas,
  type SlaPorts,
} from '../../../functions/domain/sla/service.ts';
import type { NewSla } from '../../../functions/domain/sla/sla.ts';
import { actor, ciFixture, inMemoryPorts } from '../../support/fakes.ts';

const admin = actor('root', [], { admin: true });
const rm = actor('rm', ['release', 'deployment']);
const tech = actor('tech', ['deployment']);
const nobody = actor('nobody', []);

function world() {
  const all = inMemoryPorts();
  const ports: SlaPorts = { slas: all.slas, cis: all.cis, clock: all.clock, ids: all.ids };
  return { ...all, ports };
}

const christmas = {
  start: '2026-12-24T00:00:00+01:00',
  end: '2026-12-27T00:00:00+01:00',
  reason: 'Christmas',
  tz: 'Europe/Berlin',
};
const monthEnd = {
  rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
  start: '2026-01-01T22:00',
  duration: 'PT6H',
  tz: 'Europe/Berlin',
  reason: 'month-end batch',
};
const payroll = (over: Partial<NewSla> = {}): NewSla => ({
  name: 'Payroll',
  ciIds: ['ci_app'],
  blackouts: [christmas, monthEnd],
  ...over,
});

describe('recording an SLA', () => {
  it('is for administrators; stores it with its SLA Created event', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    for (const who of [rm, tech, nobody]) {
      await expect(createSla(payroll(), who, w.ports)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const { sla, replayed } = await createSla(payroll(), admin, w.ports);
    expect(replayed).toBe(false);
    expect(sla).toMatchObject({ version: 1, name: 'Payroll', ciIds: ['ci_app'], createdBy: 'root' });
    // One-off instants are stored in UTC.
    expect(sla.blackouts[0]).toEqual({
      ...christmas,
      start: '2026-12-23T23:00:00.000Z',
      end: '2026-12-26T23:00:00.000Z',
    });
    expect(w.table.eventsOf({ kind: 'sla', id: sla.id })).toEqual([
      expect.objectContaining({
        type: 'SLA Created',
        data: { slaId: sla.id, version: 1, name: 'Payroll', ciIds: ['ci_app'], blackouts: sla.blackouts },
      }),
    ]);
    expect(await getSla(sla.id, tech, w.ports)).toEqual(sla);
    expect((await listSlas({ limit: 10 }, tech, w.ports)).items).toEqual([sla]);
    await expect(getSla(sla.id, nobody, w.ports)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getSla('sla_none', tech, w.ports)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses CIs that do not exist (422 unknown-cis listing them) and writes nothing', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    const error = await createSla(payroll({ ciIds: ['ci_app', 'ci_x', 'ci_y'] }), admin, w.ports).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({ code: 'unknown-cis', details: { unknownCiIds: ['ci_x', 'ci_y'] } });
    expect(w.slas.slas.size).toBe(0);
  });

  it('refuses bad rules, zones and durations naming each field', async () => {
    const w = world();
    const bad = payroll({
      ciIds: [],
      blackouts: [
        christmas,
        { ...monthEnd, rrule: 'FREQ=MONTHLY;BYDAY=-1XX', tz: 'Europe/Atlantis', duration: 'P1M' },
      ],
    });
    const error = await createSla(bad, admin, w.ports).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toEqual([
      'blackouts.1.tz',
      'blackouts.1.rrule',
      'blackouts.1.duration',
    ]);
  });
});

describe('editing an SLA', () => {
  it('needs the current version, checks CIs newly covered, and emits SLA Updated with what changed', async () => {
    const w = world();
    for (const id of ['ci_app', 'ci_db']) w.cis.seed(ciFixture(id));
    const { sla } = await createSla(payroll(), admin, w.ports);
    await expect(editSla(sla.id, { name: 'x' }, 1, rm, w.ports)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(editSla(sla.id, { name: 'x' }, 7, admin, w.ports)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(editSla(sla.id, { ciIds: ['ci_nope'] }, 1, admin, w.ports)).rejects.toMatchObject({
      code: 'unknown-cis',
    });
    const v2 = await editSla(sla.id, { ciIds: ['ci_db'], blackouts: [monthEnd] }, 1, admin, w.ports);
    expect(v2).toMatchObject({ version: 2, ciIds: ['ci_db'], blackouts: [monthEnd] });
    const events = w.table.eventsOf({ kind: 'sla', id: sla.id });
    expect(events.at(-1)).toMatchObject({
      type: 'SLA Updated',
      data: {
        slaId: sla.id,
        version: 2,
        changed: {
          ciIds: { from: ['ci_app'], to: ['ci_db'] },
          blackouts: { from: sla.blackouts, to: [monthEnd] },
        },
      },
    });
    expect(await w.slas.covering('ci_app')).toEqual([]);
    expect(await w.slas.covering('ci_db')).toEqual([sla.id]);
    // Nothing changes: no version, no event.
    expect(await editSla(sla.id, { name: 'Payroll' }, 2, admin, w.ports)).toEqual(v2);
    expect(w.table.eventsOf({ kind: 'sla', id: sla.id })).toHaveLength(2);
  });
});

describe('the blackout windows that apply to a CI', () => {
  it('finds one through a three-level dependency chain, with its path', async () => {
    // web depends-on app, app runs-on vm, vm part-of cluster; the SLA covers web only.
    const w = world();
    w.cis.seed(ciFixture('ci_cluster'));
    w.cis.seed(ciFixture('ci_vm', { relations: [{ type: 'part-of', ciId: 'ci_cluster' }] }));
    w.cis.seed(ciFixture('ci_app', { relations: [{ type: 'runs-on', ciId: 'ci_vm' }] }));
    w.cis.seed(ciFixture('ci_web', { relations: [{ type: 'depends-on', ciId: 'ci_app' }] }));
    const { sla } = await createSla(payroll({ ciIds: ['ci_web'], blackouts: [monthEnd] }), admin, w.ports);
    const found = await blackoutsIn(
      { from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z', ciId: 'ci_cluster' },
      tech,
      w.ports,
    );
    expect(found.truncated).toBe(false);
    expect(found.items.map((i) => [i.start, i.ciId])).toEqual([
      ['2026-03-27T21:00:00.000Z', 'ci_web'],
      ['2026-04-24T20:00:00.000Z', 'ci_web'],
    ]);
    expect(found.items[0]).toMatchObject({
      slaId: sla.id,
      slaName: 'Payroll',
      reason: 'month-end batch',
      path: [
        { ciId: 'ci_vm', relation: 'part-of' },
        { ciId: 'ci_app', relation: 'runs-on' },
        { ciId: 'ci_web', relation: 'depends-on' },
      ],
    });
    // Asked about web itself: the path is empty. About something web does not depend on: nothing.
    const own = await blackoutsIn(
      { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', ciId: 'ci_web' },
      tech,
      w.ports,
    );
    expect(own.items.map((i) => [i.ciId, i.path])).toEqual([['ci_web', []]]);
    w.cis.seed(ciFixture('ci_other'));
    const none = await blackoutsIn(
      { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', ciId: 'ci_other' },
      tech,
      w.ports,
    );
    expect(none.items).toEqual([]);
    await expect(
      blackoutsIn(
        { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', ciId: 'ci_none' },
        tech,
        w.ports,
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists every one of 80 covered CIs that depend on the CI, not the first one', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_db'));
    const servers = Array.from({ length: 80 }, (_, i) => `ci_srv${String(i).padStart(2, '0')}`);
    for (const id of servers)
      w.cis.seed(ciFixture(id, { relations: [{ type: 'depends-on', ciId: 'ci_db' }] }));
    await createSla(payroll({ ciIds: servers, blackouts: [christmas] }), admin, w.ports);
    const found = await blackoutsIn(
      { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z', ciId: 'ci_db' },
      rm,
      w.ports,
    );
    expect(found.items).toHaveLength(80);
    expect(found.items.map((i) => i.ciId).sort()).toEqual(servers);
    expect(found.items.every((i) => i.path?.length === 1 && i.start === '2026-12-23T23:00:00.000Z')).toBe(
      true,
    );
  });

  it('without a CI, lists every SLA’s windows; the range is bounded', async () => {
    const w = world();
    w.cis.seed(ciFixture('ci_app'));
    await createSla(payroll({ name: 'A', blackouts: [christmas] }), admin, w.ports);
    await createSla(payroll({ name: 'B', ciIds: [], blackouts: [monthEnd] }), admin, w.ports);
    const found = await blackoutsIn(
      { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z' },
      tech,
      w.ports,
    );
    expect(found.items.map((i) => [i.slaName, i.start])).toEqual([
      ['A', '2026-12-23T23:00:00.000Z'],
      ['B', '2026-12-25T21:00:00.000Z'],
    ]);
    expect(found.items[0]?.ciId).toBeUndefined();
    await expect(
      blackoutsIn({ from: '2026-01-01T00:00:00Z', to: '2027-02-06T00:00:00Z' }, tech, w.ports),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      blackoutsIn({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, tech, w.ports),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      blackoutsIn({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }, nobody, w.ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});
