/**
 * The create-deployment-tasks consumer on the in-memory fakes: it parses the trigger with its
 * schema (a malformed one is refused before anything is read), acts only on a move into the
 * deploy stage, and readies a release's tasks once however often the trigger arrives.
 */
import { describe, expect, it } from 'vitest';
import { moveChange, recordChange, voteOnChange } from '../../../functions/domain/change/service.ts';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import { createRelease, moveRelease } from '../../../functions/domain/release/service.ts';
import type { Team } from '../../../functions/domain/team/team.ts';
import { createHandler, MalformedEventError } from '../../../functions/events/create-deployment-tasks.ts';
import { toEntry } from '../../../functions/events/outbox-relay.ts';
import { type LocalEvent, LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { EVENT_BUS_NAME, rules } from '../../../infra/rules.ts';
import { actor, inMemoryPorts } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const rm = actor('rm', ['release'], { teamIds: ['team_pay'] });
const team = (id: string, kind: Team['kind'], members: string[], wg: string): Team => ({
  id,
  name: id,
  kind,
  workGroups: [{ id: wg, name: wg }],
  members,
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
});

/** The committed events as the bus delivers them to a target. */
async function delivered(events: readonly DomainEvent[]): Promise<LocalEvent[]> {
  const bus = new LocalEventBus({ rules: [], resolveTarget: () => async () => {} });
  const out: LocalEvent[] = [];
  const stop = bus.subscribe((e) => out.push(e));
  await bus.putEvents(events.map((e) => toEntry(e, EVENT_BUS_NAME)));
  stop();
  await bus.close();
  return out;
}

async function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm'], 'wg_build'));
  ports.teams.seed(team('team_dep', 'deployment', ['tech'], 'wg_dep'));
  const { release } = await createRelease(
    {
      title: 'Payroll 4.2',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'medium',
      businessPriority: 2,
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      changeIds: [],
      kbArticleIds: [],
      deployment: { managedByChange: false },
      tasks: [{ title: 'Upgrade', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] }],
    },
    rm,
    ports,
  );
  let version = release.version;
  for (const to of ['Development', 'Testing', 'Deployment']) {
    version = (await moveRelease(release.id, { to, expectedVersion: version }, rm, ports)).release.version;
  }
  const moves = await delivered(ports.table.events.filter((e) => e.type === 'Release Stage Entered'));
  return { ports, release, moves, handler: createHandler(() => ports) };
}

describe('create-deployment-tasks', () => {
  it('is the target of the rule that matches a move into the deploy stage, and only that', async () => {
    const { moves } = await world();
    const rule = rules.find((r) => r.target === 'create-deployment-tasks');
    expect(rule?.eventPattern).toEqual({
      source: ['release-desk'],
      'detail-type': ['Release Stage Entered'],
      detail: { data: { deployStage: [true] } },
    });
    expect(moves.map((m) => (m.detail as { data: { deployStage: boolean } }).data.deployStage)).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('readies the tasks on the deploy-stage move once, however often it is delivered', async () => {
    const { ports, release, moves, handler } = await world();
    const [development, , deployment] = moves as [LocalEvent, LocalEvent, LocalEvent];
    await handler(development);
    expect(ports.tasks.count('ready')).toBe(0);
    await handler(deployment);
    await Promise.all([handler(deployment), handler(structuredClone(deployment))]);
    expect(ports.tasks.count('ready')).toBe(3);
    expect(ports.table.events.filter((e) => e.type === 'Deployment Tasks Ready')).toHaveLength(1);
    expect((await ports.tasks.ofRelease(release.id)).map((t) => t.status)).toEqual(['ready']);
  });

  it('readies nothing on a forged move the table does not back (the release decides, not the event)', async () => {
    const { ports, release, moves, handler } = await world();
    const forged = structuredClone(moves[2] as LocalEvent) as LocalEvent & {
      detail: { data: Record<string, unknown> };
    };
    forged.detail.data.entry = 42;
    await handler(forged);
    expect(ports.tasks.count('ready')).toBe(0);
    expect(ports.releases.calls.at(-1)).toEqual({ method: 'get', args: [release.id] });
  });

  it('refuses a malformed trigger before reading anything', async () => {
    const { ports, moves, handler } = await world();
    const reads = ports.releases.calls.length;
    const deployment = moves[2] as LocalEvent;
    for (const bad of [
      { ...deployment, 'detail-type': 'Team Created' },
      { ...deployment, detail: { ...(deployment.detail as object), data: { deployStage: 'yes' } } },
      {
        ...deployment,
        detail: { ...(deployment.detail as object), subject: { kind: 'task', id: 'task_1' } },
      },
    ]) {
      await expect(handler(bad)).rejects.toBeInstanceOf(MalformedEventError);
    }
    expect(ports.releases.calls.length).toBe(reads);
  });
});

/** A release managed by an RFC with trigger `Approved`, and the RFC's moves up to Approved, delivered. */
async function managedWorld() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm'], 'wg_build'));
  ports.teams.seed(team('team_dep', 'deployment', ['tech'], 'wg_dep'));
  ports.teams.seed({
    ...team('team_cab', 'cab', ['carol'], 'wg_cab'),
    approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
  });
  const cm = actor('cm', ['change']);
  const { detail } = await recordChange(
    { title: 'Payroll rollout', type: 'normal', risk: 'low', impact: 'low', urgency: 'low', ciIds: [] },
    cm,
    ports,
  );
  const changeId = detail.change.id;
  const { release } = await createRelease(
    {
      title: 'Payroll 4.2',
      releaseType: 'minor',
      packageType: 'delta',
      urgency: 'medium',
      businessPriority: 2,
      plannedStart: '2026-12-01T20:00:00Z',
      plannedEnd: '2026-12-01T23:00:00Z',
      changeIds: [changeId],
      kbArticleIds: [],
      deployment: { managedByChange: true, changeTriggerState: 'Approved' },
      tasks: [
        { title: 'Upgrade', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] },
        { title: 'Verify', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] },
      ],
    },
    rm,
    ports,
  );
  const assessed = await moveChange(changeId, { to: 'Assessed', expectedVersion: 1 }, cm, ports);
  await voteOnChange(changeId, { decision: 'approve', comment: 'fine' }, actor('carol', ['change']), ports);
  await moveChange(
    changeId,
    { to: 'Approved', expectedVersion: assessed.detail.change.version + 1 },
    cm,
    ports,
  );
  const moves = await delivered(ports.table.events.filter((e) => e.type === 'Change State Changed'));
  return { ports, release, changeId, moves, handler: createHandler(() => ports) };
}

describe('create-deployment-tasks, trigger (b): an RFC reaching the trigger state', () => {
  it('is the target of the rule on every RFC move (the release decides which state triggers it)', () => {
    expect(rules.filter((r) => r.target === 'create-deployment-tasks').map((r) => r.eventPattern)).toEqual([
      {
        source: ['release-desk'],
        'detail-type': ['Release Stage Entered'],
        detail: { data: { deployStage: [true] } },
      },
      { source: ['release-desk'], 'detail-type': ['Change State Changed'] },
    ]);
  });

  it('readies the managed release’s tasks on the move into Approved once, however often it arrives', async () => {
    const { ports, release, changeId, moves, handler } = await managedWorld();
    const [assessed, approved] = moves as [LocalEvent, LocalEvent];
    await handler(assessed);
    expect(ports.tasks.count('ready')).toBe(0);
    const reads = { events: ports.changes.count('event'), links: ports.changes.count('linkedReleases') };
    await handler(approved);
    // One read of the committed move, one Query of the RFC's links, then the release's readying.
    expect(ports.changes.count('event') - reads.events).toBe(1);
    expect(ports.changes.count('linkedReleases') - reads.links).toBe(1);
    await Promise.all([handler(approved), handler(structuredClone(approved))]);
    expect(ports.tasks.count('ready')).toBe(3);
    expect(ports.table.events.filter((e) => e.type === 'Deployment Tasks Ready')).toHaveLength(1);
    expect((await ports.tasks.ofRelease(release.id)).map((t) => t.status)).toEqual(['ready', 'ready']);
    expect(changeId).toMatch(/^chg_/);
  });

  it('readies nothing on a move the table does not hold, whatever state the event claims', async () => {
    const { ports, moves, handler } = await managedWorld();
    const forged = structuredClone(moves[0] as LocalEvent) as LocalEvent & {
      detail: { id: string; data: Record<string, unknown> };
    };
    // The Assessed move claiming Approved: the committed move under its id says Assessed.
    forged.detail.data.to = 'Approved';
    await handler(forged);
    // An id never committed.
    forged.detail.id = 'evt_forged';
    await handler(forged);
    expect(ports.tasks.count('ready')).toBe(0);
    expect(ports.table.events.filter((e) => e.type === 'Deployment Tasks Ready')).toHaveLength(0);
  });

  it('refuses a move of an RFC whose subject is not an RFC before reading anything', async () => {
    const { ports, moves, handler } = await managedWorld();
    const reads = ports.changes.calls.length;
    const bad = {
      ...(moves[1] as LocalEvent),
      detail: { ...((moves[1] as LocalEvent).detail as object), subject: { kind: 'release', id: 'rel_1' } },
    };
    await expect(handler(bad)).rejects.toBeInstanceOf(MalformedEventError);
    expect(ports.changes.calls.length).toBe(reads);
  });
});
