/**
 * The RFC aggregate's pure rules: its priority matrix, the states where it is approved or waits
 * for votes, the board's tally and gate, its factory, its edits and its votes.
 */
import { describe, expect, it } from 'vitest';
import {
  approvalLevel,
  approvedStates,
  awaitsApproval,
  type Change,
  cabApproval,
  type Level,
  type NewChange,
  newChange,
  priorityOf,
  recordVote,
  tally,
  updateChange,
  type Vote,
  votingStates,
} from '../../../functions/domain/change/change.ts';
import {
  ConflictError,
  ForbiddenError,
  RuleViolationError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import type { Team } from '../../../functions/domain/team/team.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { parseWorkflowDefinition } from '../../../workflows/definition.ts';
import { actor, changeFixture, fixedClock, sequentialIds, stateMachineArnOf } from '../../support/fakes.ts';

const T0 = '2026-11-26T10:00:00.000Z';
const normal = defaultWorkflows['change-normal'];
const standard = defaultWorkflows['change-standard'];
const emergency = defaultWorkflows['change-emergency'];

const board = (members: string[], over: Partial<Team> = {}): Team => ({
  id: 'team_cab',
  name: 'CAB',
  kind: 'cab',
  workGroups: [],
  members,
  approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
  version: 1,
  createdAt: T0,
  createdBy: 'root',
  updatedAt: T0,
  updatedBy: 'root',
  ...over,
});

const vote = (by: string, decision: Vote['decision'] = 'approve'): Vote => ({
  by,
  decision,
  comment: '',
  at: T0,
});

const deps = () => ({ clock: fixedClock(), ids: sequentialIds() });
const cm = actor('cm', ['change']);
const m1 = actor('m1', ['change']);
const m2 = actor('m2', ['release']);

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a refusal');
}

describe('priorityOf', () => {
  it('follows the ITIL matrix: high/high 1 … low/low 5, one step per step down on either scale', () => {
    const table: [Level, Level, number][] = [
      ['high', 'high', 1],
      ['high', 'medium', 2],
      ['medium', 'high', 2],
      ['high', 'low', 3],
      ['medium', 'medium', 3],
      ['low', 'high', 3],
      ['medium', 'low', 4],
      ['low', 'medium', 4],
      ['low', 'low', 5],
    ];
    for (const [impact, urgency, priority] of table) {
      expect({ impact, urgency, priority: priorityOf(impact, urgency) }).toEqual({
        impact,
        urgency,
        priority,
      });
    }
  });
});

describe('approvedStates', () => {
  it('is Approved and every state reachable from it in the normal change workflow', () => {
    expect([...approvedStates(normal)].sort()).toEqual(
      ['Approved', 'Cancelled', 'Closed', 'Implementing', 'Reviewed', 'Scheduled'].sort(),
    );
  });

  it('leaves out the states before approval (and Rejected, unreachable after it)', () => {
    const approved = approvedStates(normal);
    for (const before of ['Recorded', 'Assessed', 'Rejected']) expect(approved.has(before)).toBe(false);
  });

  it('starts from a state named Approved even where no transition is CAB-gated (standard)', () => {
    expect([...approvedStates(standard)].sort()).toEqual(['Approved', 'Cancelled', 'Closed', 'Implementing']);
  });

  it('holds for the emergency workflow', () => {
    expect([...approvedStates(emergency)].sort()).toEqual([
      'Approved',
      'Cancelled',
      'Closed',
      'Implementing',
      'Reviewed',
    ]);
  });

  it('starts from the target of a CAB-gated transition whatever its name', () => {
    const custom = parseWorkflowDefinition({
      name: 'Authorised',
      kind: 'change',
      initialStage: 'Draft',
      stages: [
        { name: 'Draft', transitions: [{ to: 'Authorised', gates: ['cabApproval'] }, { to: 'Dropped' }] },
        { name: 'Authorised', transitions: [{ to: 'Done' }] },
        { name: 'Done', terminal: true },
        { name: 'Dropped', terminal: true },
      ],
    });
    expect([...approvedStates(custom)].sort()).toEqual(['Authorised', 'Done']);
  });
});

describe('votingStates', () => {
  it('is the states a CAB-gated transition leaves: Assessed (normal), Recorded (emergency), none (standard)', () => {
    expect(votingStates(normal)).toEqual(['Assessed']);
    expect(votingStates(emergency)).toEqual(['Recorded']);
    expect(votingStates(standard)).toEqual([]);
  });
});

describe('awaitsApproval', () => {
  it('holds only for an active RFC in one of its voting states', () => {
    expect(awaitsApproval({ stage: 'Assessed', status: 'active', votingStates: ['Assessed'] })).toBe(true);
    expect(awaitsApproval({ stage: 'Recorded', status: 'active', votingStates: ['Assessed'] })).toBe(false);
    expect(awaitsApproval({ stage: 'Assessed', status: 'cancelled', votingStates: ['Assessed'] })).toBe(
      false,
    );
    expect(awaitsApproval({ stage: 'Recorded', status: 'active', votingStates: [] })).toBe(false);
  });
});

describe('approvalLevel', () => {
  it('is the risk, or emergency for an emergency RFC whatever its risk', () => {
    expect(approvalLevel({ type: 'normal', risk: 'low' })).toBe('low');
    expect(approvalLevel({ type: 'normal', risk: 'medium' })).toBe('medium');
    expect(approvalLevel({ type: 'standard', risk: 'high' })).toBe('high');
    expect(approvalLevel({ type: 'emergency', risk: 'high' })).toBe('emergency');
    expect(approvalLevel({ type: 'emergency', risk: 'low' })).toBe('emergency');
  });
});

describe('tally', () => {
  it('counts approvers and rejecters in vote order against the policy of the RFC level', () => {
    const change = {
      type: 'normal' as const,
      risk: 'high' as const,
      approvals: [vote('a'), vote('r', 'reject'), vote('b'), vote('s', 'reject')],
    };
    expect(tally(change, board(['a', 'b', 'r', 's']))).toEqual({
      approvers: ['a', 'b'],
      rejectedBy: ['r', 's'],
      required: 3,
      missing: 1,
    });
  });

  it('never reports a negative number missing', () => {
    const change = { type: 'normal' as const, risk: 'low' as const, approvals: [vote('a'), vote('b')] };
    expect(tally(change, board(['a', 'b']))).toEqual({
      approvers: ['a', 'b'],
      rejectedBy: [],
      required: 1,
      missing: 0,
    });
  });

  it('caps the policy at the board size, with a floor of 1', () => {
    const high = { type: 'normal' as const, risk: 'high' as const, approvals: [] };
    expect(tally(high, board(['a', 'b'])).required).toBe(2);
    expect(tally(high, board(['a', 'b'])).missing).toBe(2);
    expect(tally(high, board([])).required).toBe(1);
  });

  it('reads the emergency level of the policy for an emergency RFC', () => {
    const change = { type: 'emergency' as const, risk: 'high' as const, approvals: [] };
    const policy = { low: 1, medium: 2, high: 3, emergency: 2 };
    expect(tally(change, board(['a', 'b', 'c'], { approvalsRequired: policy })).required).toBe(2);
    expect(tally(change, board(['a', 'b', 'c'])).required).toBe(1);
  });
});

describe('cabApproval', () => {
  it('holds once the approvals reach the requirement and nobody rejected', () => {
    const change = { type: 'normal' as const, risk: 'medium' as const, approvals: [vote('a'), vote('b')] };
    expect(cabApproval(change, board(['a', 'b', 'c']))).toEqual({ holds: true });
  });

  it('says how many approvals are missing', () => {
    const change = { type: 'normal' as const, risk: 'medium' as const, approvals: [vote('a')] };
    expect(cabApproval(change, board(['a', 'b', 'c']))).toEqual({
      holds: false,
      why: {
        detail: 'It has 1 of the 2 CAB approvals it needs: 1 missing.',
        approvals: 1,
        required: 2,
        missing: 1,
      },
    });
  });

  it('does not hold after any rejection, however many approved', () => {
    const change = {
      type: 'normal' as const,
      risk: 'low' as const,
      approvals: [vote('a'), vote('b'), vote('c', 'reject')],
    };
    expect(cabApproval(change, board(['a', 'b', 'c']))).toEqual({
      holds: false,
      why: { detail: 'The CAB rejected it: c.', rejectedBy: ['c'], approvals: 2, required: 1 },
    });
  });

  it('names every member who rejected', () => {
    const change = {
      type: 'normal' as const,
      risk: 'low' as const,
      approvals: [vote('r', 'reject'), vote('a'), vote('s', 'reject')],
    };
    expect(cabApproval(change, board(['a', 'r', 's']))).toEqual({
      holds: false,
      why: { detail: 'The CAB rejected it: r, s.', rejectedBy: ['r', 's'], approvals: 1, required: 1 },
    });
  });
});

const input = (over: Partial<NewChange> = {}): NewChange => ({
  title: 'Upgrade Postgres',
  type: 'normal',
  risk: 'medium',
  impact: 'high',
  urgency: 'medium',
  ciIds: ['ci_db'],
  plannedStart: '2026-12-01T21:00:00+01:00',
  plannedEnd: '2026-12-01T23:00:00Z',
  cabTeamId: 'team_cab',
  ...over,
});
const ref = {
  id: 'change-normal',
  version: 1,
  stateMachineArn: `${stateMachineArnOf('change-normal')}:1`,
  initialStage: 'Recorded',
};

describe('newChange', () => {
  it('builds the RFC at version 1 in the initial state with its Change Recorded event', () => {
    const { change, event } = newChange(input({ description: 'Minor version' }), ref, normal, cm, deps());
    expect(change).toEqual({
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
      workflow: ref,
      stage: 'Recorded',
      stageEntry: 0,
      status: 'active',
      createdAt: T0,
      createdBy: 'cm',
      updatedAt: T0,
      updatedBy: 'cm',
    });
    expect(event).toEqual({
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
        stateMachineArn: ref.stateMachineArn,
        executionInput: { subject: { kind: 'change', id: 'chg_0001' }, signal: { to: 'Recorded', entry: 0 } },
      },
    });
  });

  it('leaves out an empty description and an absent window', () => {
    const { change } = newChange(
      input({ description: '', plannedStart: undefined, plannedEnd: undefined }),
      ref,
      normal,
      cm,
      deps(),
    );
    expect('description' in change).toBe(false);
    expect('plannedStart' in change).toBe(false);
    expect('plannedEnd' in change).toBe(false);
  });

  it('copies the CI list it was given', () => {
    const ciIds = ['ci_a'];
    const { change } = newChange(input({ ciIds }), ref, normal, cm, deps());
    ciIds.push('ci_b');
    expect(change.ciIds).toEqual(['ci_a']);
  });

  it('takes its voting states from the workflow definition', () => {
    expect(newChange(input(), ref, emergency, cm, deps()).change.votingStates).toEqual(['Recorded']);
    expect(newChange(input(), ref, standard, cm, deps()).change.votingStates).toEqual([]);
  });

  it('refuses a window that ends before (or when) it starts', () => {
    for (const plannedEnd of ['2026-12-01T19:00:00Z', '2026-12-01T20:00:00Z']) {
      const error = thrown(() => newChange(input({ plannedEnd }), ref, normal, cm, deps()));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toBe('The planned window ends before it starts.');
      expect((error as ValidationError).errors).toEqual([
        { path: 'plannedEnd', message: 'must be later than plannedStart' },
      ]);
    }
  });

  it('accepts a window of one millisecond', () => {
    const { change } = newChange(
      input({ plannedStart: '2026-12-01T20:00:00.000Z', plannedEnd: '2026-12-01T20:00:00.001Z' }),
      ref,
      normal,
      cm,
      deps(),
    );
    expect(change.plannedEnd).toBe('2026-12-01T20:00:00.001Z');
  });
});

describe('updateChange', () => {
  const later = () => ({ clock: fixedClock('2026-11-27T08:00:00.000Z'), ids: sequentialIds() });
  const rfc = (over: Partial<Change> = {}) =>
    changeFixture({
      risk: 'medium',
      impact: 'high',
      urgency: 'medium',
      priority: 2,
      description: 'Old',
      ciIds: ['ci_db'],
      plannedStart: '2026-12-01T20:00:00.000Z',
      plannedEnd: '2026-12-01T23:00:00.000Z',
      ...over,
    });

  it('bumps the version, recomputes the priority and names exactly the fields that changed', () => {
    const updated = updateChange(rfc(), { risk: 'high', impact: 'low', urgency: 'low' }, normal, m1, later());
    expect(updated?.change).toEqual({
      ...rfc(),
      risk: 'high',
      impact: 'low',
      urgency: 'low',
      priority: 5,
      version: 2,
      updatedAt: '2026-11-27T08:00:00.000Z',
      updatedBy: 'm1',
    });
    expect(updated?.event).toEqual({
      id: 'evt_0001',
      type: 'Change Updated',
      occurredAt: '2026-11-27T08:00:00.000Z',
      actor: 'm1',
      subject: { kind: 'change', id: 'chg_fixture' },
      data: {
        changeId: 'chg_fixture',
        version: 2,
        changed: {
          risk: { from: 'medium', to: 'high' },
          impact: { from: 'high', to: 'low' },
          urgency: { from: 'medium', to: 'low' },
          priority: { from: 2, to: 5 },
        },
      },
    });
  });

  it('returns undefined for an edit that changes nothing', () => {
    const same = { title: 'An RFC', risk: 'medium', impact: 'high', ciIds: ['ci_db'] } as const;
    expect(updateChange(rfc(), { ...same, ciIds: ['ci_db'] }, normal, cm, later())).toBeUndefined();
    expect(updateChange(rfc(), {}, normal, cm, later())).toBeUndefined();
    // The same instant written another way is no change either.
    expect(
      updateChange(rfc(), { plannedStart: '2026-12-01T21:00:00+01:00' }, normal, cm, later()),
    ).toBeUndefined();
  });

  it('removes the description when an empty one is sent', () => {
    const updated = updateChange(rfc(), { description: '' }, normal, cm, later());
    expect(updated && 'description' in updated.change).toBe(false);
    expect(updated?.event.data).toEqual({
      changeId: 'chg_fixture',
      version: 2,
      changed: { description: { from: 'Old', to: null } },
    });
  });

  it('normalises a new window to UTC and reports it', () => {
    const updated = updateChange(
      rfc(),
      { plannedStart: '2026-12-02T21:00:00+01:00', plannedEnd: '2026-12-02T23:30:00Z', title: 'New' },
      normal,
      cm,
      later(),
    );
    expect(updated?.change).toMatchObject({
      title: 'New',
      plannedStart: '2026-12-02T20:00:00.000Z',
      plannedEnd: '2026-12-02T23:30:00.000Z',
    });
    expect(updated?.event.data).toEqual({
      changeId: 'chg_fixture',
      version: 2,
      changed: {
        title: { from: 'An RFC', to: 'New' },
        plannedStart: { from: '2026-12-01T20:00:00.000Z', to: '2026-12-02T20:00:00.000Z' },
        plannedEnd: { from: '2026-12-01T23:00:00.000Z', to: '2026-12-02T23:30:00.000Z' },
      },
    });
  });

  it('checks the window as it would stand after the edit', () => {
    const error = thrown(() =>
      updateChange(rfc(), { plannedEnd: '2026-12-01T19:00:00Z' }, normal, cm, later()),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { path: 'plannedEnd', message: 'must be later than plannedStart' },
    ]);
    const start = thrown(() =>
      updateChange(rfc(), { plannedStart: '2026-12-02T00:00:00Z' }, normal, cm, later()),
    );
    expect(start).toBeInstanceOf(ValidationError);
  });

  it('edits an RFC while it is assessed', () => {
    expect(updateChange(rfc({ stage: 'Assessed' }), { title: 'T' }, normal, cm, later())?.change.title).toBe(
      'T',
    );
  });

  it('refuses to edit an RFC once it is approved', () => {
    for (const stage of ['Approved', 'Scheduled', 'Implementing', 'Reviewed']) {
      const error = thrown(() => updateChange(rfc({ stage }), { title: 'T' }, normal, cm, later()));
      expect(error).toBeInstanceOf(RuleViolationError);
      expect(error).toMatchObject({
        code: 'change-not-editable',
        message: `RFC chg_fixture is ${stage}: it can be edited only until it is approved.`,
        details: { state: stage, changeStatus: 'active' },
      });
    }
  });

  it('refuses to edit an RFC that is over, even before approval', () => {
    const error = thrown(() =>
      updateChange(rfc({ stage: 'Rejected', status: 'cancelled' }), { title: 'T' }, normal, cm, later()),
    );
    expect(error).toMatchObject({
      code: 'change-not-editable',
      message: 'RFC chg_fixture is cancelled and can no longer be edited.',
      details: { state: 'Rejected', changeStatus: 'cancelled' },
    });
  });
});

describe('recordVote', () => {
  const assessed = (over: Partial<Change> = {}) =>
    changeFixture({ stage: 'Assessed', risk: 'medium', ...over });
  const cab = board(['cm', 'm1', 'm2']);

  it('appends the vote, bumps the version and emits Change Approval Recorded', () => {
    const { change, event } = recordVote(
      assessed({ approvals: [vote('m2')], version: 3 }),
      { decision: 'approve', comment: 'Fine' },
      cab,
      m1,
      deps(),
    );
    expect(change.approvals).toEqual([
      vote('m2'),
      { by: 'm1', decision: 'approve', comment: 'Fine', at: T0 },
    ]);
    expect(change).toMatchObject({ version: 4, updatedAt: T0, updatedBy: 'm1', stage: 'Assessed' });
    expect(event).toEqual({
      id: 'evt_0001',
      type: 'Change Approval Recorded',
      occurredAt: T0,
      actor: 'm1',
      subject: { kind: 'change', id: 'chg_fixture' },
      data: {
        changeId: 'chg_fixture',
        version: 4,
        cabTeamId: 'team_cab',
        decision: 'approve',
        comment: 'Fine',
        approvals: 2,
        required: 2,
        rejectedBy: [],
        votedAt: T0,
      },
    });
  });

  it('reports a rejection with who rejected', () => {
    const { event } = recordVote(assessed(), { decision: 'reject', comment: 'Too risky' }, cab, m2, deps());
    expect(event.data).toMatchObject({ decision: 'reject', approvals: 0, required: 2, rejectedBy: ['m2'] });
  });

  it('refuses a voter who is not on the board', () => {
    const error = thrown(() =>
      recordVote(assessed(), { decision: 'approve', comment: '' }, cab, actor('x', ['change']), deps()),
    );
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe(
      'Only members of the change advisory board team_cab may vote on RFC chg_fixture.',
    );
  });

  it("refuses the requester's approval of their own RFC but takes their rejection", () => {
    const error = thrown(() => recordVote(assessed(), { decision: 'approve', comment: '' }, cab, cm, deps()));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toContain('segregation of duties');
    const { change } = recordVote(assessed(), { decision: 'reject', comment: 'Withdrawn' }, cab, cm, deps());
    expect(change.approvals).toEqual([{ by: 'cm', decision: 'reject', comment: 'Withdrawn', at: T0 }]);
  });

  it('refuses a vote while the RFC is not awaiting approval', () => {
    const early = thrown(() =>
      recordVote(changeFixture(), { decision: 'approve', comment: '' }, cab, m1, deps()),
    );
    expect(early).toMatchObject({
      code: 'change-not-awaiting-approval',
      message: 'RFC chg_fixture is Recorded, where no CAB approval is awaited.',
      details: { state: 'Recorded', changeStatus: 'active' },
    });
    expect(early).toBeInstanceOf(RuleViolationError);
    const over = thrown(() =>
      recordVote(assessed({ status: 'cancelled' }), { decision: 'approve', comment: '' }, cab, m1, deps()),
    );
    expect(over).toMatchObject({
      code: 'change-not-awaiting-approval',
      message: 'RFC chg_fixture is cancelled; it takes no more votes.',
      details: { state: 'Assessed', changeStatus: 'cancelled' },
    });
  });

  it('refuses a second vote of the same member, whatever it says', () => {
    const first = vote('m1', 'reject');
    for (const decision of ['approve', 'reject'] as const) {
      const error = thrown(() =>
        recordVote(assessed({ approvals: [first] }), { decision, comment: '' }, cab, m1, deps()),
      );
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({
        code: 'already-voted',
        message: `You voted on RFC chg_fixture already (reject, ${T0}); votes cannot be changed.`,
        details: { vote: first },
      });
    }
  });
});
