/**
 * The RFC use cases on the in-memory fakes: who may record, edit, move and vote on an RFC, the
 * board and workflow it gets, what is stored, which events commit with it, what its execution is
 * told, and how the CAB's votes gate its approval.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../functions/domain/actor.ts';
import type { Change, Decision } from '../../../functions/domain/change/change.ts';
import {
  changeHistory,
  editChange,
  getChange,
  getChangeDetail,
  getChangeExecution,
  listChanges,
  moveChange,
  type RecordChangeInput,
  recordChange,
  voteOnChange,
} from '../../../functions/domain/change/service.ts';
import {
  ConflictError,
  ForbiddenError,
  GateFailedError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import type { Release } from '../../../functions/domain/release/release.ts';
import type { Team, TeamKind } from '../../../functions/domain/team/team.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { actor, inMemoryPorts, stateMachineArnOf } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';

const team = (id: string, kind: TeamKind, members: string[], over: Partial<Team> = {}): Team => ({
  id,
  name: id,
  kind,
  workGroups: [],
  members,
  ...(kind === 'cab' ? { approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 } } : {}),
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
  ...over,
});

// A change manager who records RFCs and sits on the default board (cm); a change manager on no
// board (cm2); board members with the change process (m1, m2) and with the release process only
// (m3); the members of a board of two (s1, s2); a release manager and a technician; an administrator.
const cm = actor('cm', ['change'], { teamIds: ['team_cab'] });
const cm2 = actor('cm2', ['change']);
const m1 = actor('m1', ['change'], { teamIds: ['team_cab'] });
const m2 = actor('m2', ['change'], { teamIds: ['team_cab'] });
const m3 = actor('m3', ['release', 'deployment'], { teamIds: ['team_cab', 'team_rel'] });
const s1 = actor('s1', ['change'], { teamIds: ['team_small'] });
const s2 = actor('s2', ['change'], { teamIds: ['team_small'] });
const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_rel'] });
const tech = actor('tech', ['deployment']);
const admin = actor('root', [], { admin: true });

function world() {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_cab', 'cab', ['cm', 'm1', 'm2', 'm3']));
  ports.teams.seed(team('team_small', 'cab', ['s1', 's2']));
  ports.teams.seed(team('team_rel', 'release', ['rm', 'm3']));
  ports.workflows.seed('change-quick', defaultWorkflows['change-emergency']);
  return ports;
}
type World = ReturnType<typeof world>;

const input = (over: Partial<RecordChangeInput> = {}): RecordChangeInput => ({
  title: 'Upgrade Postgres',
  type: 'normal',
  risk: 'medium',
  impact: 'high',
  urgency: 'medium',
  ciIds: ['ci_db'],
  plannedStart: '2026-12-01T21:00:00+01:00',
  plannedEnd: '2026-12-01T23:00:00Z',
  ...over,
});

const key = (k: string, fingerprint = 'body-1') => ({ scope: 'cm', key: k, fingerprint });

async function recorded(
  ports: World,
  over: Partial<RecordChangeInput> = {},
  by: Actor = cm,
): Promise<Change> {
  return (await recordChange(input(over), by, ports)).detail.change;
}

/** Moves the RFC from where it stands now. */
async function move(ports: World, id: string, to: string, by: Actor = cm, reason?: string) {
  const current = await ports.changes.get(id);
  if (!current) throw new Error(`no RFC ${id}`);
  return moveChange(id, { to, expectedVersion: current.version, reason }, by, ports);
}

const vote = (ports: World, id: string, by: Actor, decision: Decision = 'approve', comment = 'ok') =>
  voteOnChange(id, { decision, comment }, by, ports);

/** A normal RFC (medium risk unless said otherwise) moved to Assessed, where the board votes. */
async function assessed(ports: World, over: Partial<RecordChangeInput> = {}): Promise<Change> {
  const change = await recorded(ports, over);
  return (await move(ports, change.id, 'Assessed')).detail.change;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a refusal');
  return outcome;
}

const stored = async (ports: World, id: string) => {
  const change = await ports.changes.get(id);
  if (!change) throw new Error(`no RFC ${id}`);
  return change;
};

/** A release as the store holds it, linking RFCs. */
function linkingRelease(ports: World, id: string, changeIds: string[]): void {
  const release: Release = {
    id,
    version: 1,
    title: id,
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    teamId: 'team_rel',
    workflow: {
      id: 'release-default',
      version: 1,
      stateMachineArn: `${stateMachineArnOf('release-default')}:1`,
      initialStage: 'Assessment',
    },
    stage: 'Assessment',
    stageEntry: 0,
    status: 'active',
    plannedStart: '2026-12-01T20:00:00.000Z',
    plannedEnd: '2026-12-01T23:00:00.000Z',
    changeIds,
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [],
    createdAt: T0,
    createdBy: 'rm',
    updatedAt: T0,
    updatedBy: 'rm',
  };
  ports.releases.seed(release);
}

const ARN = {
  normal: `${stateMachineArnOf('change-normal')}:1`,
  standard: `${stateMachineArnOf('change-standard')}:1`,
  emergency: `${stateMachineArnOf('change-emergency')}:1`,
};

describe('recordChange', () => {
  it('stores the RFC in Recorded on the normal workflow, voted on by team_cab, with Change Recorded', async () => {
    const ports = world();
    const { detail, replayed } = await recordChange(input({ description: 'Minor version' }), cm, ports);
    expect(replayed).toBe(false);
    const expected: Change = {
      id: 'chg_0001',
      version: 1,
      title: 'Upgrade Postgres',
      description: 'Minor version',
      type: 'normal',
      risk: 'medium',
      impact: 'high',
      urgency: 'medium',
      priority: 2,
      ciIds: ['ci_db'],
      plannedStart: '2026-12-01T20:00:00.000Z',
      plannedEnd: '2026-12-01T23:00:00.000Z',
      cabTeamId: 'team_cab',
      approvals: [],
      votingStates: ['Assessed'],
      workflow: { id: 'change-normal', version: 1, stateMachineArn: ARN.normal, initialStage: 'Recorded' },
      stage: 'Recorded',
      stageEntry: 0,
      status: 'active',
      createdAt: T0,
      createdBy: 'cm',
      updatedAt: T0,
      updatedBy: 'cm',
    };
    expect(detail.change).toEqual(expected);
    expect(await ports.changes.get('chg_0001')).toEqual(expected);
    expect(ports.changes.count('create')).toBe(1);
    expect(ports.table.events).toEqual([
      {
        id: 'evt_0002',
        type: 'Change Recorded',
        occurredAt: T0,
        actor: 'cm',
        subject: { kind: 'change', id: 'chg_0001' },
        data: {
          changeId: 'chg_0001',
          title: 'Upgrade Postgres',
          type: 'normal',
          risk: 'medium',
          priority: 2,
          state: 'Recorded',
          cabTeamId: 'team_cab',
          ciIds: ['ci_db'],
          workflow: { id: 'change-normal', version: 1 },
          stateMachineArn: ARN.normal,
          executionInput: {
            subject: { kind: 'change', id: 'chg_0001' },
            signal: { to: 'Recorded', entry: 0 },
          },
        },
      },
    ]);
  });

  it('starts exactly one execution, waiting in Recorded', async () => {
    const ports = world();
    const change = await recorded(ports);
    expect(ports.stepFunctions.count('start')).toBe(1);
    expect(ports.stepFunctions.calls.find((c) => c.method === 'start')?.args[0]).toBe('change');
    expect(ports.stepFunctions.executions.get(change.id)).toMatchObject({
      kind: 'change',
      name: change.id,
      stateMachineArn: ARN.normal,
      status: 'RUNNING',
      currentState: 'Recorded',
      waiting: { stage: 'Recorded', entry: 0 },
      entered: ['Recorded'],
    });
  });

  it('answers with the detail: no linked release, the standing of its votes, the moves out of Recorded', async () => {
    const ports = world();
    const { detail } = await recordChange(input(), cm, ports);
    expect(detail.releaseIds).toEqual([]);
    expect(detail.approval).toEqual({
      required: 2,
      approvals: 0,
      missing: 2,
      rejectedBy: [],
      awaitingVotes: false,
    });
    expect(detail.moves).toEqual([
      { to: 'Assessed', gates: [], unmetGates: [], requiresReason: false, terminal: false },
      { to: 'Rejected', gates: [], unmetGates: [], requiresReason: true, terminal: true },
      { to: 'Cancelled', gates: [], unmetGates: [], requiresReason: true, terminal: true },
    ]);
  });

  it.each([
    ['normal', 'change-normal', ['Assessed']],
    ['standard', 'change-standard', []],
    ['emergency', 'change-emergency', ['Recorded']],
  ] as const)('runs a %s RFC on %s, waiting for votes in %j', async (type, workflowId, voting) => {
    const ports = world();
    const change = await recorded(ports, { type });
    expect(change.workflow).toEqual({
      id: workflowId,
      version: 1,
      stateMachineArn: `${stateMachineArnOf(workflowId)}:1`,
      initialStage: 'Recorded',
    });
    expect(change.votingStates).toEqual(voting);
    expect(ports.workflows.calls.filter((c) => c.method === 'workflowFor').map((c) => c.args)).toEqual([
      ['change', workflowId, undefined],
    ]);
  });

  it('runs on the change workflow it names, whatever its type, with that workflow’s voting states', async () => {
    const ports = world();
    const change = await recorded(ports, { type: 'normal', workflowId: 'change-quick' });
    expect(change.workflow).toEqual({
      id: 'change-quick',
      version: 1,
      stateMachineArn: `${stateMachineArnOf('change-quick')}:1`,
      initialStage: 'Recorded',
    });
    expect(change.votingStates).toEqual(['Recorded']);
    expect(ports.stepFunctions.executions.get(change.id)?.stateMachineArn).toBe(
      `${stateMachineArnOf('change-quick')}:1`,
    );
  });

  it('refuses a release workflow or an unknown one, storing and starting nothing', async () => {
    const ports = world();
    const release = await refusal(recordChange(input({ workflowId: 'release-default' }), cm, ports));
    expect(release).toBeInstanceOf(RuleViolationError);
    expect(release).toMatchObject({
      code: 'workflow-not-change',
      details: { workflowId: 'release-default', kind: 'release' },
    });
    await expect(recordChange(input({ workflowId: 'nope' }), cm, ports)).rejects.toMatchObject({
      code: 'unknown-workflow',
    });
    expect(ports.changes.count('create')).toBe(0);
    expect(ports.stepFunctions.count('start')).toBe(0);
    expect(ports.table.events).toEqual([]);
  });

  it('is voted on by the board it names', async () => {
    const ports = world();
    const { detail } = await recordChange(input({ cabTeamId: 'team_small', risk: 'high' }), cm, ports);
    expect(detail.change.cabTeamId).toBe('team_small');
    expect(ports.table.events[0]?.data).toMatchObject({ cabTeamId: 'team_small' });
    // The policy asks 3 for high risk; a board of two gives at most 2.
    expect(detail.approval).toMatchObject({ required: 2, missing: 2 });
  });

  it('refuses an unknown board, a release team, and the default board when it does not exist', async () => {
    const ports = world();
    const unknown = await refusal(recordChange(input({ cabTeamId: 'team_nope' }), cm, ports));
    expect(unknown).toBeInstanceOf(RuleViolationError);
    expect(unknown).toMatchObject({
      code: 'unknown-cab-team',
      message: 'Team team_nope does not exist.',
      details: { cabTeamId: 'team_nope' },
    });
    const release = await refusal(recordChange(input({ cabTeamId: 'team_rel' }), cm, ports));
    expect(release).toBeInstanceOf(RuleViolationError);
    expect(release).toMatchObject({
      code: 'not-a-cab-team',
      message: 'Team team_rel is a release team, not a change advisory board.',
      details: { cabTeamId: 'team_rel' },
    });
    ports.teams.teams.delete('team_cab');
    await expect(recordChange(input(), cm, ports)).rejects.toMatchObject({
      code: 'unknown-cab-team',
      details: { cabTeamId: 'team_cab' },
    });
    expect(ports.changes.count('create')).toBe(0);
    expect(ports.stepFunctions.count('start')).toBe(0);
  });

  it('needs the change process (or an administrator)', async () => {
    const ports = world();
    for (const caller of [rm, tech, actor('nobody', [])]) {
      await expect(recordChange(input(), caller, ports)).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(ports.teams.count('get')).toBe(0);
    expect(ports.changes.count('create')).toBe(0);
    const change = await recorded(ports, {}, admin);
    expect(change.createdBy).toBe('root');
  });

  it('computes the priority from impact and urgency', async () => {
    const ports = world();
    expect((await recorded(ports, { impact: 'high', urgency: 'high' })).priority).toBe(1);
    expect((await recorded(ports, { impact: 'low', urgency: 'medium' })).priority).toBe(4);
    expect((await recorded(ports, { impact: 'low', urgency: 'low' })).priority).toBe(5);
  });

  it('refuses a window that ends before it starts', async () => {
    const ports = world();
    const error = await refusal(recordChange(input({ plannedEnd: '2026-12-01T19:59:59Z' }), cm, ports));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'plannedEnd', message: 'must be later than plannedStart' },
    ]);
    expect(ports.changes.count('create')).toBe(0);
  });

  it('replays a repeated request: the first RFC, nothing stored nor started again', async () => {
    const ports = world();
    const first = await recordChange(input(), cm, ports, key('k1'));
    const again = await recordChange(input(), cm, ports, key('k1'));
    expect(again.replayed).toBe(true);
    expect(again.detail.change).toEqual(first.detail.change);
    expect(ports.changes.subjects.size).toBe(1);
    expect(ports.table.events).toHaveLength(1);
    expect(ports.stepFunctions.count('start')).toBe(1);
    expect(ports.stepFunctions.executions.size).toBe(1);
  });

  it('refuses an Idempotency-Key reused for another request', async () => {
    const ports = world();
    await recordChange(input(), cm, ports, key('k1'));
    await expect(
      recordChange(input({ title: 'Other' }), cm, ports, key('k1', 'body-2')),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ports.changes.subjects.size).toBe(1);
    expect(ports.stepFunctions.count('start')).toBe(1);
  });
});

describe('getChange and getChangeDetail', () => {
  it('names the releases that link the RFC, sorted', async () => {
    const ports = world();
    const change = await recorded(ports);
    const other = await recorded(ports, { title: 'Other' });
    linkingRelease(ports, 'rel_b', [change.id]);
    linkingRelease(ports, 'rel_a', [other.id, change.id]);
    linkingRelease(ports, 'rel_c', [other.id]);
    expect((await getChangeDetail(change.id, cm, ports)).releaseIds).toEqual(['rel_a', 'rel_b']);
    expect((await getChangeDetail(other.id, cm, ports)).releaseIds).toEqual(['rel_a', 'rel_c']);
  });

  it('shows the standing of the votes and the CAB gate unmet while approvals are missing', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1);
    const detail = await getChangeDetail(change.id, cm, ports);
    expect(detail.approval).toEqual({
      required: 2,
      approvals: 1,
      missing: 1,
      rejectedBy: [],
      awaitingVotes: true,
    });
    expect(detail.moves).toEqual([
      {
        to: 'Approved',
        gates: ['cabApproval'],
        unmetGates: ['cabApproval'],
        requiresReason: false,
        terminal: false,
      },
      { to: 'Rejected', gates: [], unmetGates: [], requiresReason: true, terminal: true },
      { to: 'Recorded', gates: [], unmetGates: [], requiresReason: true, terminal: false },
      { to: 'Cancelled', gates: [], unmetGates: [], requiresReason: true, terminal: true },
    ]);
    await vote(ports, change.id, m2);
    const approved = await getChangeDetail(change.id, cm, ports);
    expect(approved.approval).toEqual({
      required: 2,
      approvals: 2,
      missing: 0,
      rejectedBy: [],
      awaitingVotes: true,
    });
    expect(approved.moves?.[0]).toEqual({
      to: 'Approved',
      gates: ['cabApproval'],
      unmetGates: [],
      requiresReason: false,
      terminal: false,
    });
  });

  it('keeps the gate unmet after a rejection, however many approved', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1);
    await vote(ports, change.id, m2);
    await vote(ports, change.id, m3, 'reject', 'No rollback plan');
    const detail = await getChangeDetail(change.id, cm, ports);
    expect(detail.approval).toEqual({
      required: 2,
      approvals: 2,
      missing: 0,
      rejectedBy: ['m3'],
      awaitingVotes: true,
    });
    expect(detail.moves?.[0]?.unmetGates).toEqual(['cabApproval']);
  });

  it('offers a reader without the change process no move, and a finished RFC none at all', async () => {
    const ports = world();
    const change = await assessed(ports);
    const read = await getChangeDetail(change.id, rm, ports);
    expect(read.moves).toEqual([]);
    expect(read.approval).toMatchObject({ required: 2, approvals: 0 });
    expect((await getChangeDetail(change.id, admin, ports)).moves).toHaveLength(4);
    await move(ports, change.id, 'Cancelled', cm, 'Not needed');
    const over = await getChangeDetail(change.id, cm, ports);
    expect(over.moves).toEqual([]);
    expect(over.approval?.awaitingVotes).toBe(false);
  });

  it('shows no standing when the board no longer exists, and the gate unmet', async () => {
    const ports = world();
    const change = await assessed(ports);
    ports.teams.teams.delete('team_cab');
    const detail = await getChangeDetail(change.id, cm, ports);
    expect('approval' in detail).toBe(false);
    expect(detail.moves?.[0]?.unmetGates).toEqual(['cabApproval']);
    const error = await refusal(move(ports, change.id, 'Approved'));
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('Its change advisory board team_cab no longer exists.');
  });

  it('is 404 for an unknown RFC and 403 for a caller without a process', async () => {
    const ports = world();
    const change = await recorded(ports);
    const missing = await refusal(getChangeDetail('chg_nope', cm, ports));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('RFC chg_nope was not found.');
    await expect(getChange(change.id, actor('nobody', []), ports)).rejects.toBeInstanceOf(ForbiddenError);
    expect(await getChange(change.id, tech, ports)).toEqual(change);
  });

  it('offers no move on an RFC whose execution failed, though its state has transitions', async () => {
    const ports = world();
    const change = await assessed(ports);
    ports.changes.seed({ ...(await stored(ports, change.id)), status: 'failed' });
    const detail = await getChangeDetail(change.id, cm, ports);
    expect(detail.moves).toEqual([]);
    expect(detail.approval?.awaitingVotes).toBe(false);
  });

  it('is 404 when the execution cannot be found', async () => {
    const ports = world();
    const change = await recorded(ports);
    ports.stepFunctions.executions.delete(change.id);
    const error = await refusal(getChangeExecution(change.id, cm, ports));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe(`Execution of change ${change.id} was not found.`);
  });

  it('gives the history oldest first and the execution', async () => {
    const ports = world();
    const change = await assessed(ports);
    const history = await changeHistory(change.id, { limit: 10 }, rm, ports);
    expect(history.items.map((e) => e.type)).toEqual(['Change Recorded', 'Change State Changed']);
    const execution = await getChangeExecution(change.id, rm, ports);
    expect(execution).toMatchObject({ status: 'RUNNING', currentState: 'Assessed' });
  });
});

describe('the CAB votes', () => {
  it('records a member’s vote with its Change Approval Recorded event', async () => {
    const ports = world();
    const change = await assessed(ports);
    // The move that brought it to Assessed was counted; then the vote.
    expect(ports.meter.counted()).toEqual({ Transitions: 1 });
    ports.clock.advance(60_000);
    const events = ports.table.events.length;
    const detail = await voteOnChange(change.id, { decision: 'approve', comment: 'Looks safe' }, m1, ports);
    expect(ports.meter.counted()).toEqual({ Transitions: 1, Approvals: 1 });
    const at = '2026-11-26T10:01:00.000Z';
    expect(detail.change).toMatchObject({
      version: 3,
      stage: 'Assessed',
      approvals: [{ by: 'm1', decision: 'approve', comment: 'Looks safe', at }],
      updatedAt: at,
      updatedBy: 'm1',
    });
    expect(await stored(ports, change.id)).toEqual(detail.change);
    expect(ports.changes.count('save')).toBe(2); // the move to Assessed, the vote
    expect(ports.table.events.slice(events)).toEqual([
      {
        id: 'evt_0004',
        type: 'Change Approval Recorded',
        occurredAt: at,
        actor: 'm1',
        subject: { kind: 'change', id: change.id },
        data: {
          changeId: change.id,
          version: 3,
          cabTeamId: 'team_cab',
          decision: 'approve',
          comment: 'Looks safe',
          approvals: 1,
          required: 2,
          rejectedBy: [],
          votedAt: at,
        },
      },
    ]);
    // A vote does not move the RFC nor its execution.
    expect(ports.stepFunctions.count('signal')).toBe(1);
  });

  it('takes the vote of a board member who holds another process than change', async () => {
    const ports = world();
    const change = await assessed(ports);
    const detail = await vote(ports, change.id, m3, 'reject', 'No rollback plan');
    expect(detail.change.approvals).toEqual([
      { by: 'm3', decision: 'reject', comment: 'No rollback plan', at: T0 },
    ]);
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      decision: 'reject',
      rejectedBy: ['m3'],
      approvals: 0,
    });
  });

  it('refuses the requester’s approval of their own RFC (segregation of duties)', async () => {
    const ports = world();
    const change = await assessed(ports);
    const error = await refusal(vote(ports, change.id, cm));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe(
      `You requested RFC ${change.id}: someone else on the board must approve it (segregation of duties).`,
    );
    expect(ports.changes.count('save')).toBe(1);
    expect((await stored(ports, change.id)).approvals).toEqual([]);
  });

  it('takes the requester’s rejection of their own RFC, which then blocks its approval', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, cm, 'reject', 'Withdrawn');
    await vote(ports, change.id, m1);
    await vote(ports, change.id, m2);
    expect((await stored(ports, change.id)).approvals.map((v) => [v.by, v.decision])).toEqual([
      ['cm', 'reject'],
      ['m1', 'approve'],
      ['m2', 'approve'],
    ]);
    await expect(move(ports, change.id, 'Approved')).rejects.toMatchObject({
      details: { cabApproval: { rejectedBy: ['cm'] } },
    });
  });

  it('refuses a voter who is not on the board, even an administrator', async () => {
    const ports = world();
    const change = await assessed(ports);
    for (const outsider of [cm2, s1, actor('root', [], { admin: true })]) {
      const error = await refusal(vote(ports, change.id, outsider));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe(
        `Only members of the change advisory board team_cab may vote on RFC ${change.id}.`,
      );
    }
    // A caller without any process is refused before the RFC is read.
    const gets = ports.changes.count('get');
    await expect(vote(ports, change.id, actor('m1', [], { teamIds: ['team_cab'] }))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(ports.changes.count('get')).toBe(gets);
    expect(ports.changes.count('save')).toBe(1);
  });

  it('refuses a second vote of the same member with 409 already-voted', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1, 'approve', 'First');
    const error = await refusal(vote(ports, change.id, m1, 'reject', 'Changed my mind'));
    expect(error).toBeInstanceOf(ConflictError);
    // A refused vote is not counted.
    expect(ports.meter.counted().Approvals).toBe(1);
    expect(error).toMatchObject({
      code: 'already-voted',
      details: { vote: { by: 'm1', decision: 'approve', comment: 'First', at: T0 } },
    });
    expect((await stored(ports, change.id)).approvals).toHaveLength(1);
    expect(ports.changes.count('save')).toBe(2);
  });

  it('refuses votes on a standard RFC and on a normal RFC still in Recorded', async () => {
    const ports = world();
    const standard = await recorded(ports, { type: 'standard' });
    const early = await recorded(ports, { type: 'normal' });
    for (const change of [standard, early]) {
      const error = await refusal(vote(ports, change.id, m1));
      expect(error).toBeInstanceOf(RuleViolationError);
      expect(error).toMatchObject({
        code: 'change-not-awaiting-approval',
        message: `RFC ${change.id} is Recorded, where no CAB approval is awaited.`,
        details: { state: 'Recorded', changeStatus: 'active' },
      });
    }
    expect(ports.changes.count('save')).toBe(0);
  });

  it('refuses votes once the RFC is approved or over', async () => {
    const ports = world();
    const change = await assessed(ports, { risk: 'low' });
    await vote(ports, change.id, m1);
    await move(ports, change.id, 'Approved');
    await expect(vote(ports, change.id, m2)).rejects.toMatchObject({
      code: 'change-not-awaiting-approval',
      details: { state: 'Approved', changeStatus: 'active' },
    });
    const other = await assessed(ports);
    await move(ports, other.id, 'Rejected', cm, 'Too risky');
    await expect(vote(ports, other.id, m2)).rejects.toMatchObject({
      code: 'change-not-awaiting-approval',
      message: `RFC ${other.id} is cancelled; it takes no more votes.`,
      details: { state: 'Rejected', changeStatus: 'cancelled' },
    });
  });

  it('blocks Assessed → Approved while approvals are missing (409 naming how many)', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1);
    const before = await stored(ports, change.id);
    const error = await refusal(move(ports, change.id, 'Approved'));
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'Moving from "Assessed" to "Approved" needs a CAB approval. It has 1 of the 2 CAB approvals it needs: 1 missing.',
    );
    expect(error).toMatchObject({
      code: 'transition-gate-failed',
      details: {
        from: 'Assessed',
        to: 'Approved',
        gates: ['cabApproval'],
        cabApproval: {
          detail: 'It has 1 of the 2 CAB approvals it needs: 1 missing.',
          approvals: 1,
          required: 2,
          missing: 1,
        },
      },
    });
    expect(await stored(ports, change.id)).toEqual(before);
    expect(ports.stepFunctions.count('signal')).toBe(1);
  });

  it('blocks the approval after any rejection, naming who rejected', async () => {
    const ports = world();
    const change = await assessed(ports, { risk: 'low' });
    await vote(ports, change.id, m1);
    await vote(ports, change.id, m2, 'reject', 'No');
    const error = await refusal(move(ports, change.id, 'Approved'));
    expect(error).toBeInstanceOf(GateFailedError);
    expect((error as GateFailedError).details).toEqual({
      from: 'Assessed',
      to: 'Approved',
      gates: ['cabApproval'],
      cabApproval: { detail: 'The CAB rejected it: m2.', rejectedBy: ['m2'], approvals: 1, required: 1 },
    });
    // The rejected RFC goes to Rejected instead.
    const { detail } = await move(ports, change.id, 'Rejected', cm, 'The CAB rejected it');
    expect(detail.change).toMatchObject({ stage: 'Rejected', status: 'cancelled' });
  });

  it('approves a medium-risk RFC with two distinct approvals: version bumps, Change State Changed', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1);
    await expect(move(ports, change.id, 'Approved')).rejects.toBeInstanceOf(GateFailedError);
    await vote(ports, change.id, m2);
    const events = ports.table.events.length;
    const { detail, executionInStep } = await move(ports, change.id, 'Approved');
    // Answered once committed; the Change State Changed consumer moved the execution.
    expect(executionInStep).toBe(false);
    expect(ports.stepFunctions.executions.get(change.id)?.waiting?.stage).toBe('Approved');
    expect(detail.change).toMatchObject({ stage: 'Approved', stageEntry: 2, version: 5, status: 'active' });
    expect(await stored(ports, change.id)).toEqual(detail.change);
    expect(ports.table.events.slice(events)).toEqual([
      {
        id: 'evt_0006',
        type: 'Change State Changed',
        occurredAt: T0,
        actor: 'cm',
        subject: { kind: 'change', id: change.id },
        data: {
          changeId: change.id,
          from: 'Assessed',
          to: 'Approved',
          entry: 2,
          version: 5,
          reason: null,
          status: 'active',
          deployStage: false,
          stateMachineArn: ARN.normal,
          signal: { to: 'Approved', entry: 2, actor: 'cm' },
        },
      },
    ]);
    expect(ports.stepFunctions.executions.get(change.id)?.waiting).toMatchObject({
      stage: 'Approved',
      entry: 2,
    });
    expect(detail.approval).toEqual({
      required: 2,
      approvals: 2,
      missing: 0,
      rejectedBy: [],
      awaitingVotes: false,
    });
  });

  it('approves an emergency RFC with one approval (the policy’s emergency level), whatever its risk', async () => {
    const ports = world();
    const change = await recorded(ports, { type: 'emergency', risk: 'high' });
    const error = await refusal(move(ports, change.id, 'Approved'));
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'Moving from "Recorded" to "Approved" needs a CAB approval. It has 0 of the 1 CAB approvals it needs: 1 missing.',
    );
    const voted = await vote(ports, change.id, m1, 'approve', 'Go');
    expect(voted.approval).toEqual({
      required: 1,
      approvals: 1,
      missing: 0,
      rejectedBy: [],
      awaitingVotes: true,
    });
    expect(ports.table.events.at(-1)?.data).toMatchObject({ approvals: 1, required: 1 });
    const { detail } = await move(ports, change.id, 'Approved');
    expect(detail.change).toMatchObject({ stage: 'Approved', stageEntry: 1, version: 3 });
  });

  it('reads the board’s own emergency level', async () => {
    const ports = world();
    ports.teams.seed(
      team('team_ecab', 'cab', ['e1', 'e2', 'e3'], {
        approvalsRequired: { low: 1, medium: 1, high: 1, emergency: 2 },
      }),
    );
    const change = await recorded(ports, { type: 'emergency', risk: 'low', cabTeamId: 'team_ecab' });
    const e1 = actor('e1', ['change']);
    await vote(ports, change.id, e1);
    await expect(move(ports, change.id, 'Approved')).rejects.toMatchObject({
      details: { cabApproval: { approvals: 1, required: 2, missing: 1 } },
    });
    await vote(ports, change.id, actor('e2', ['change']));
    expect((await move(ports, change.id, 'Approved')).detail.change.stage).toBe('Approved');
  });

  it('approves a low-risk normal RFC with one approval, a high-risk one with three', async () => {
    const ports = world();
    const low = await assessed(ports, { risk: 'low' });
    await vote(ports, low.id, m1);
    expect((await move(ports, low.id, 'Approved')).detail.change.stage).toBe('Approved');
    const high = await assessed(ports, { risk: 'high' });
    await vote(ports, high.id, m1);
    await vote(ports, high.id, m2);
    await expect(move(ports, high.id, 'Approved')).rejects.toMatchObject({
      details: { cabApproval: { approvals: 2, required: 3, missing: 1 } },
    });
    await vote(ports, high.id, m3);
    expect((await move(ports, high.id, 'Approved')).detail.change.stage).toBe('Approved');
  });

  it('caps the policy at the board size: a board of two approves a high-risk RFC with two', async () => {
    const ports = world();
    const change = await assessed(ports, { risk: 'high', cabTeamId: 'team_small' });
    const first = await vote(ports, change.id, s1);
    expect(first.approval).toEqual({
      required: 2,
      approvals: 1,
      missing: 1,
      rejectedBy: [],
      awaitingVotes: true,
    });
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      cabTeamId: 'team_small',
      approvals: 1,
      required: 2,
    });
    await expect(move(ports, change.id, 'Approved')).rejects.toMatchObject({
      details: { cabApproval: { approvals: 1, required: 2, missing: 1 } },
    });
    await vote(ports, change.id, s2);
    expect((await move(ports, change.id, 'Approved')).detail.change.stage).toBe('Approved');
  });

  it('keeps both votes when two members vote at once (the loser is re-applied on the new version)', async () => {
    const ports = world();
    const change = await assessed(ports);
    const save = ports.changes.save.bind(ports.changes);
    let raced = false;
    ports.changes.save = async (subject, expectedVersion, events) => {
      if (!raced) {
        raced = true;
        // m2's vote lands between m1's read and m1's write.
        await vote(ports, change.id, m2, 'approve', 'm2 first');
      }
      return save(subject, expectedVersion, events);
    };
    const detail = await vote(ports, change.id, m1, 'approve', 'm1 second');
    expect(detail.change.approvals.map((v) => [v.by, v.comment])).toEqual([
      ['m2', 'm2 first'],
      ['m1', 'm1 second'],
    ]);
    expect(detail.change.version).toBe(4);
    expect(await stored(ports, change.id)).toEqual(detail.change);
    // The move, m2's vote, m1's lost write, m1's write on m2's version.
    expect(ports.changes.count('save')).toBe(4);
    expect(
      ports.table.events.filter((e) => e.type === 'Change Approval Recorded').map((e) => [e.actor, e.data]),
    ).toEqual([
      ['m2', expect.objectContaining({ version: 3, approvals: 1 })],
      ['m1', expect.objectContaining({ version: 4, approvals: 2 })],
    ]);
    ports.changes.save = save;
    expect((await move(ports, change.id, 'Approved')).detail.change.stage).toBe('Approved');
  });

  it('still refuses a member’s own second vote that raced their first', async () => {
    const ports = world();
    const change = await assessed(ports);
    const save = ports.changes.save.bind(ports.changes);
    let raced = false;
    ports.changes.save = async (subject, expectedVersion, events) => {
      if (!raced) {
        raced = true;
        await vote(ports, change.id, m1, 'approve', 'double click');
      }
      return save(subject, expectedVersion, events);
    };
    await expect(vote(ports, change.id, m1, 'approve', 'double click')).rejects.toMatchObject({
      code: 'already-voted',
    });
    expect((await stored(ports, change.id)).approvals).toHaveLength(1);
  });

  it('gives up after five lost writes with the VersionConflictError', async () => {
    const ports = world();
    const change = await assessed(ports);
    const save = ports.changes.save.bind(ports.changes);
    let attempts = 0;
    ports.changes.save = async () => {
      attempts++;
      throw new VersionConflictError('lost');
    };
    await expect(vote(ports, change.id, m1)).rejects.toBeInstanceOf(VersionConflictError);
    expect(attempts).toBe(5);
    ports.changes.save = save;
    expect((await stored(ports, change.id)).approvals).toEqual([]);
  });

  it('does not retry on any other failure of the write', async () => {
    const ports = world();
    const change = await assessed(ports);
    let attempts = 0;
    ports.changes.save = async () => {
      attempts++;
      throw new Error('DynamoDB is down');
    };
    await expect(vote(ports, change.id, m1)).rejects.toThrow('DynamoDB is down');
    expect(attempts).toBe(1);
  });
});

describe('editChange', () => {
  it('edits risk, impact and urgency: recomputed priority, new version, Change Updated with exactly what changed', async () => {
    const ports = world();
    const change = await recorded(ports);
    ports.clock.advance(1000);
    const detail = await editChange(
      change.id,
      { risk: 'high', impact: 'low', urgency: 'low' },
      1,
      cm2,
      ports,
    );
    const at = '2026-11-26T10:00:01.000Z';
    expect(detail.change).toEqual({
      ...change,
      risk: 'high',
      impact: 'low',
      urgency: 'low',
      priority: 5,
      version: 2,
      updatedAt: at,
      updatedBy: 'cm2',
    });
    expect(await stored(ports, change.id)).toEqual(detail.change);
    expect(ports.changes.count('save')).toBe(1);
    expect(ports.table.events.at(-1)).toEqual({
      id: 'evt_0003',
      type: 'Change Updated',
      occurredAt: at,
      actor: 'cm2',
      subject: { kind: 'change', id: change.id },
      data: {
        changeId: change.id,
        version: 2,
        changed: {
          risk: { from: 'medium', to: 'high' },
          impact: { from: 'high', to: 'low' },
          urgency: { from: 'medium', to: 'low' },
          priority: { from: 2, to: 5 },
        },
      },
    });
    // The standing follows the new risk: 3 approvals for high.
    expect(detail.approval?.required).toBe(3);
  });

  it('reports only the fields whose value differs', async () => {
    const ports = world();
    const change = await recorded(ports);
    await editChange(
      change.id,
      { title: 'Upgrade Postgres', risk: 'medium', ciIds: ['ci_db', 'ci_app'] },
      1,
      cm,
      ports,
    );
    expect(ports.table.events.at(-1)?.data).toEqual({
      changeId: change.id,
      version: 2,
      changed: { ciIds: { from: ['ci_db'], to: ['ci_db', 'ci_app'] } },
    });
  });

  it('stores nothing and emits nothing for a PATCH that changes nothing', async () => {
    const ports = world();
    const change = await recorded(ports);
    const events = ports.table.events.length;
    const detail = await editChange(
      change.id,
      { title: 'Upgrade Postgres', impact: 'high', plannedEnd: '2026-12-02T00:00:00+01:00' },
      1,
      cm,
      ports,
    );
    expect(detail.change).toEqual(change);
    expect(ports.changes.count('save')).toBe(0);
    expect(ports.table.events).toHaveLength(events);
    expect(await stored(ports, change.id)).toEqual(change);
  });

  it('edits an RFC while it is assessed, keeping its votes', async () => {
    const ports = world();
    const change = await assessed(ports);
    await vote(ports, change.id, m1);
    const detail = await editChange(change.id, { title: 'Upgrade Postgres to 17' }, 3, cm, ports);
    expect(detail.change).toMatchObject({ title: 'Upgrade Postgres to 17', version: 4, stage: 'Assessed' });
    expect(detail.change.approvals.map((v) => v.by)).toEqual(['m1']);
  });

  it('refuses a risk edit once the board has voted: the votes were cast on that risk', async () => {
    const ports = world();
    const change = await assessed(ports, { risk: 'high' });
    await vote(ports, change.id, m1);
    const events = ports.table.events.length;
    const error = await editChange(change.id, { risk: 'low' }, 3, cm, ports).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'change-has-votes',
      message: `RFC ${change.id} has 1 CAB vote(s) on its high risk; its risk can no longer change.`,
      details: { risk: 'high', votes: 1 },
    });
    expect(ports.table.events).toHaveLength(events);
    // The same risk again, with another field, is still an edit.
    const same = await editChange(change.id, { risk: 'high', title: 'Same risk' }, 3, cm, ports);
    expect(same.change).toMatchObject({ risk: 'high', title: 'Same risk', version: 4 });
  });

  it('refuses an edit once the RFC is approved', async () => {
    const ports = world();
    const change = await assessed(ports, { risk: 'low' });
    await vote(ports, change.id, m1);
    const { detail } = await move(ports, change.id, 'Approved');
    const error = await refusal(editChange(change.id, { title: 'Late' }, detail.change.version, cm, ports));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({
      code: 'change-not-editable',
      details: { state: 'Approved', changeStatus: 'active' },
    });
    await move(ports, change.id, 'Scheduled');
    await expect(editChange(change.id, { title: 'Late' }, 5, cm, ports)).rejects.toMatchObject({
      code: 'change-not-editable',
      details: { state: 'Scheduled' },
    });
    expect(ports.changes.count('save')).toBe(4); // Assessed, the vote, Approved, Scheduled
  });

  it('refuses an edit of a standard RFC once approved, and of a cancelled one', async () => {
    const ports = world();
    const standard = await recorded(ports, { type: 'standard' });
    expect((await editChange(standard.id, { title: 'Still open' }, 1, cm, ports)).change.version).toBe(2);
    await move(ports, standard.id, 'Approved');
    await expect(editChange(standard.id, { title: 'Late' }, 3, cm, ports)).rejects.toMatchObject({
      code: 'change-not-editable',
    });
    const cancelled = await recorded(ports);
    await move(ports, cancelled.id, 'Cancelled', cm, 'Not needed');
    await expect(editChange(cancelled.id, { title: 'Late' }, 2, cm, ports)).rejects.toMatchObject({
      code: 'change-not-editable',
      details: { state: 'Cancelled', changeStatus: 'cancelled' },
    });
  });

  it('refuses a stale version with the current one', async () => {
    const ports = world();
    const change = await assessed(ports);
    const error = await refusal(editChange(change.id, { title: 'T' }, 1, cm, ports));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).currentVersion).toBe(2);
    expect(error.message).toBe(`RFC ${change.id} is at version 2, not 1; read it again and retry.`);
    expect(ports.changes.count('save')).toBe(1);
  });

  it('refuses a window that would end before it starts', async () => {
    const ports = world();
    const change = await recorded(ports);
    const error = await refusal(editChange(change.id, { plannedEnd: '2026-12-01T19:00:00Z' }, 1, cm, ports));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'plannedEnd', message: 'must be later than plannedStart' },
    ]);
    await expect(
      editChange(
        change.id,
        { plannedStart: '2026-12-03T10:00:00Z', plannedEnd: '2026-12-03T09:00:00Z' },
        1,
        cm,
        ports,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(ports.changes.count('save')).toBe(0);
  });

  it('needs the change process; 404 for an unknown RFC', async () => {
    const ports = world();
    const change = await recorded(ports);
    for (const caller of [rm, tech, m3]) {
      await expect(editChange(change.id, { title: 'T' }, 1, caller, ports)).rejects.toBeInstanceOf(
        ForbiddenError,
      );
    }
    await expect(editChange('chg_nope', { title: 'T' }, 1, cm, ports)).rejects.toBeInstanceOf(NotFoundError);
    expect(ports.changes.count('save')).toBe(0);
  });
});

describe('moveChange', () => {
  it('lets a change manager in no team move an RFC, and (asked to wait) sees its execution follow', async () => {
    const ports = world();
    const change = await recorded(ports);
    const { detail, executionInStep } = await moveChange(
      change.id,
      { to: 'Assessed', expectedVersion: 1, waitMs: 3_000 },
      cm2,
      ports,
    );
    expect(executionInStep).toBe(true);
    expect(detail.change).toMatchObject({
      stage: 'Assessed',
      stageEntry: 1,
      version: 2,
      status: 'active',
      updatedBy: 'cm2',
    });
    expect(ports.changes.count('save')).toBe(1);
    expect(ports.table.events.at(-1)).toMatchObject({
      type: 'Change State Changed',
      actor: 'cm2',
      data: { from: 'Recorded', to: 'Assessed', entry: 1, version: 2 },
    });
    expect(ports.stepFunctions.signals).toEqual([
      { kind: 'change', id: change.id, signal: { to: 'Assessed', entry: 1, actor: 'cm2' } },
    ]);
    expect(detail.approval?.awaitingVotes).toBe(true);
  });

  it('refuses a caller without the change process', async () => {
    const ports = world();
    const change = await recorded(ports);
    for (const caller of [rm, tech]) {
      const error = await refusal(
        moveChange(change.id, { to: 'Assessed', expectedVersion: 1 }, caller, ports),
      );
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe('Moving from "Recorded" to "Assessed" needs the "change" process.');
    }
    await expect(
      moveChange(change.id, { to: 'Assessed', expectedVersion: 1 }, actor('nobody', []), ports),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(ports.changes.count('save')).toBe(0);
    expect(ports.stepFunctions.count('signal')).toBe(0);
  });

  it('refuses a stale version', async () => {
    const ports = world();
    const change = await assessed(ports);
    const error = await refusal(
      moveChange(change.id, { to: 'Cancelled', expectedVersion: 1, reason: 'x' }, cm, ports),
    );
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).currentVersion).toBe(2);
    expect(ports.changes.count('save')).toBe(1);
  });

  it('needs a reason where the workflow asks one, and records it', async () => {
    const ports = world();
    const change = await assessed(ports);
    await expect(move(ports, change.id, 'Recorded')).rejects.toMatchObject({
      code: 'transition-reason-required',
    });
    const { detail } = await move(ports, change.id, 'Recorded', cm, '  More detail needed  ');
    expect(detail.change).toMatchObject({ stage: 'Recorded', stageEntry: 2, version: 3 });
    expect(ports.table.events.at(-1)?.data).toMatchObject({
      reason: 'More detail needed',
      signal: { to: 'Recorded', entry: 2, actor: 'cm', reason: 'More detail needed' },
    });
    expect(ports.stepFunctions.executions.get(change.id)?.waiting).toMatchObject({
      stage: 'Recorded',
      entry: 2,
    });
  });

  it('refuses a move the workflow does not have, and any move of a finished RFC', async () => {
    const ports = world();
    const change = await recorded(ports);
    await expect(move(ports, change.id, 'Approved')).rejects.toMatchObject({
      code: 'transition-not-allowed',
    });
    await move(ports, change.id, 'Rejected', cm, 'Duplicate');
    await expect(move(ports, change.id, 'Assessed')).rejects.toMatchObject({ code: 'change-not-active' });
  });

  it.each([
    ['normal', ['Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed']],
    ['standard', ['Approved', 'Implementing', 'Closed']],
    ['emergency', ['Approved', 'Implementing', 'Reviewed', 'Closed']],
  ] as const)('takes a %s RFC to Closed, its execution following every move', async (type, path) => {
    const ports = world();
    const change = await recorded(ports, { type, risk: 'low' });
    for (const [i, stage] of path.entries()) {
      const current = await stored(ports, change.id);
      if (current.votingStates.includes(current.stage)) await vote(ports, change.id, m1);
      const { detail, executionInStep } = await move(ports, change.id, stage);
      // Not waited for: the consumer moves the execution, checked below.
      expect(executionInStep).toBe(false);
      expect(detail.change).toMatchObject({ stage, stageEntry: i + 1 });
      const execution = ports.stepFunctions.executions.get(change.id);
      if (stage === 'Closed') {
        expect(detail.change.status).toBe('closed');
        expect(execution).toMatchObject({ status: 'SUCCEEDED', currentState: 'Closed', waiting: undefined });
      } else {
        expect(detail.change.status).toBe('active');
        expect(execution?.waiting).toMatchObject({
          stage: detail.change.stage,
          entry: detail.change.stageEntry,
        });
      }
    }
    expect(ports.stepFunctions.executions.get(change.id)?.entered).toEqual(['Recorded', ...path]);
    expect(ports.stepFunctions.signals.map((s) => s.signal.to)).toEqual([...path]);
    expect(ports.table.events.filter((e) => e.type === 'Change State Changed').map((e) => e.data.to)).toEqual(
      [...path],
    );
    expect(ports.table.events.at(-1)?.data).toMatchObject({ to: 'Closed', status: 'closed' });
    // Recorded, one vote where the workflow gates its approval, one event per move: closing adds none.
    const votes = type === 'standard' ? 0 : 1;
    expect(ports.table.events.map((e) => e.type)).toEqual([
      'Change Recorded',
      ...path.flatMap((_, i) =>
        i === 1 && type === 'normal'
          ? ['Change Approval Recorded', 'Change State Changed']
          : i === 0 && type === 'emergency'
            ? ['Change Approval Recorded', 'Change State Changed']
            : ['Change State Changed'],
      ),
    ]);
    expect(ports.changes.count('save')).toBe(path.length + votes);
  });

  it('lets an administrator move an RFC, and refuses an RFC that does not exist', async () => {
    const ports = world();
    const change = await recorded(ports);
    const { detail } = await moveChange(change.id, { to: 'Assessed', expectedVersion: 1 }, admin, ports);
    expect(detail.change).toMatchObject({ stage: 'Assessed', updatedBy: 'root' });
    await expect(
      moveChange('chg_nope', { to: 'Assessed', expectedVersion: 1 }, cm, ports),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listChanges', () => {
  it('lists newest first, narrowed by state and type', async () => {
    const ports = world();
    const a = await recorded(ports, { type: 'normal' });
    ports.clock.advance(1000);
    const b = await recorded(ports, { type: 'standard' });
    ports.clock.advance(1000);
    const c = await assessed(ports, { type: 'normal' });
    const ids = (page: { items: readonly Change[] }) => page.items.map((x) => x.id);
    expect(ids(await listChanges({}, { limit: 10 }, rm, ports))).toEqual([c.id, b.id, a.id]);
    expect(ids(await listChanges({ type: 'normal' }, { limit: 10 }, rm, ports))).toEqual([c.id, a.id]);
    expect(ids(await listChanges({ state: 'Recorded' }, { limit: 10 }, rm, ports))).toEqual([b.id, a.id]);
    expect(ids(await listChanges({ state: 'Recorded', type: 'normal' }, { limit: 10 }, rm, ports))).toEqual([
      a.id,
    ]);
    const first = await listChanges({}, { limit: 2 }, rm, ports);
    expect(ids(first)).toEqual([c.id, b.id]);
    expect(ids(await listChanges({}, { limit: 2, cursor: first.nextCursor }, rm, ports))).toEqual([a.id]);
    await expect(listChanges({}, { limit: 10 }, actor('nobody', []), ports)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  async function queueWorld() {
    const ports = world();
    const at = async <T>(make: () => Promise<T>) => {
      ports.clock.advance(1000);
      return make();
    };
    const waiting = await at(() => assessed(ports)); // in the queue
    const early = await at(() => recorded(ports)); // Recorded: no votes yet
    const emergency = await at(() => recorded(ports, { type: 'emergency' })); // votes in Recorded
    const standard = await at(() => recorded(ports, { type: 'standard' })); // never voted on
    const own = await at(async () => {
      const c = await recorded(ports, {}, m1);
      return (await move(ports, c.id, 'Assessed')).detail.change;
    }); // m1 requested it
    const voted = await at(() => assessed(ports)); // m1 voted already
    await vote(ports, voted.id, m1);
    const byM2 = await at(() => assessed(ports)); // only m2 voted
    await vote(ports, byM2.id, m2);
    const otherBoard = await at(() => assessed(ports, { cabTeamId: 'team_small' }));
    const cancelled = await at(() => assessed(ports));
    await move(ports, cancelled.id, 'Cancelled', cm, 'Not needed');
    return { ports, waiting, early, emergency, standard, own, voted, byM2, otherBoard, cancelled };
  }

  it("lists the caller's approval queue: their boards' RFCs awaiting votes, neither their own nor voted on", async () => {
    const { ports, waiting, emergency, byM2 } = await queueWorld();
    const page = await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, m1, ports);
    expect(page.items.map((c) => c.id)).toEqual([byM2.id, emergency.id, waiting.id]);
    expect(ports.changes.calls.filter((c) => c.method === 'awaitingVote').map((c) => c.args[0])).toEqual([
      { voterId: 'm1', boardIds: ['team_cab'] },
    ]);
    // The caller's own id names the same queue.
    const own = await listChanges({ awaitingApprovalBy: 'm1' }, { limit: 10 }, m1, ports);
    expect(own.items.map((c) => c.id)).toEqual([byM2.id, emergency.id, waiting.id]);
  });

  it('narrows the queue by state and type', async () => {
    const { ports, waiting, emergency, byM2 } = await queueWorld();
    const list = (filter: object) =>
      listChanges({ awaitingApprovalBy: 'me', ...filter }, { limit: 10 }, m1, ports).then((p) =>
        p.items.map((c) => c.id),
      );
    expect(await list({ type: 'emergency' })).toEqual([emergency.id]);
    expect(await list({ state: 'Assessed' })).toEqual([byM2.id, waiting.id]);
    expect(await list({ state: 'Recorded', type: 'normal' })).toEqual([]);
  });

  it("leaves out the requester's own RFCs from their queue", async () => {
    const { ports, own, voted, byM2 } = await queueWorld();
    const queue = await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, cm, ports);
    // cm requested every RFC but own (m1's); m1 already voted on `voted`, cm did not.
    expect(queue.items.map((c) => c.id)).toEqual([own.id]);
    const m2Queue = await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, m2, ports);
    expect(m2Queue.items.map((c) => c.id)).not.toContain(byM2.id);
    expect(m2Queue.items.map((c) => c.id)).toContain(voted.id);
  });

  it('lists the queue of a small board to its members', async () => {
    const { ports, otherBoard } = await queueWorld();
    const page = await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, s1, ports);
    expect(page.items.map((c) => c.id)).toEqual([otherBoard.id]);
  });

  it("refuses another user's queue", async () => {
    const ports = world();
    const error = await refusal(listChanges({ awaitingApprovalBy: 'm2' }, { limit: 10 }, m1, ports));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({
      code: 'approval-queue-not-yours',
      message: 'Only your own approval queue can be listed: use awaitingApprovalBy=me.',
      details: { awaitingApprovalBy: 'm2' },
    });
    expect(ports.changes.count('awaitingVote')).toBe(0);
  });

  it('gives a caller on no board an empty page without asking the store', async () => {
    const { ports } = await queueWorld();
    for (const caller of [
      cm2,
      rm, // a release team only
      actor('stale', ['change'], { teamIds: ['team_cab'] }), // not (or no longer) a member
    ]) {
      expect(await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, caller, ports)).toEqual({
        items: [],
      });
    }
    expect(ports.changes.count('awaitingVote')).toBe(0);
  });

  it('ignores a team of the caller that no longer exists', async () => {
    const { ports, waiting, emergency, byM2 } = await queueWorld();
    const m1Stale = actor('m1', ['change'], { teamIds: ['team_gone', 'team_cab'] });
    const page = await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, m1Stale, ports);
    expect(page.items.map((c) => c.id)).toEqual([byM2.id, emergency.id, waiting.id]);
  });

  it('asks the store for the boards the caller is on only', async () => {
    const { ports } = await queueWorld();
    await listChanges({ awaitingApprovalBy: 'me' }, { limit: 10 }, m3, ports);
    expect(ports.changes.calls.filter((c) => c.method === 'awaitingVote').map((c) => c.args[0])).toEqual([
      { voterId: 'm3', boardIds: ['team_cab'] },
    ]);
  });
});
