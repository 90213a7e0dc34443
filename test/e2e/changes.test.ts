/**
 * RFCs over HTTP on the local cloud (issue 10): each of the three change workflows walked to
 * Closed with the RFC's recorded state equal to its execution's waiting state (read with
 * @aws-sdk/client-sfn) after every transition; the CAB's votes and the `cabApproval` gate; who may
 * record and move RFCs; the approval queue; releases linking RFCs.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { validRelease } from '../support/http-events.ts';
import { startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud(
    {},
    {
      rm: ['release'],
      cm: ['change'],
      carol: ['change'],
      dave: ['change'],
      erin: ['change'],
      tech: ['deployment'],
    },
  );
  // The bootstrap board `team_cab` (admin alone) gets three more members.
  const board = await t.call('GET', '/teams/team_cab', undefined, 'admin');
  const joined = await t.call(
    'PATCH',
    '/teams/team_cab',
    { members: ['admin', 'carol', 'dave', 'erin'], expectedVersion: board.body.version },
    'admin',
  );
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
});

afterAll(async () => t?.stop());

const rfc = (over: Record<string, unknown> = {}) => ({
  title: 'Upgrade payroll database',
  type: 'normal',
  risk: 'medium',
  impact: 'medium',
  urgency: 'high',
  ciIds: ['ci_payroll_db'],
  ...over,
});

async function record(over: Record<string, unknown> = {}, as = 'cm') {
  const created = await t.call('POST', '/changes', rfc(over), as);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; version: number; state: string; workflow: { id: string } };
}

/** The RFC's recorded state and its execution's waiting state, read with the SFN client. */
async function states(id: string) {
  const change = await t.call('GET', `/changes/${id}`, undefined, 'cm');
  const machine = (await t.cloud.ports.changes.get(id))?.workflow.stateMachineArn as string;
  const { state } = await t.execution(id, machine);
  const described = await t.sfn.send(
    new DescribeExecutionCommand({ executionArn: executionArnOf(machine, id) }),
  );
  return {
    recorded: change.body.state as string,
    waiting: state,
    status: described.status,
    body: change.body,
  };
}

async function move(id: string, to: string, as = 'cm', reason?: string) {
  const current = await t.call('GET', `/changes/${id}`, undefined, as);
  return t.call(
    'POST',
    `/changes/${id}/transitions`,
    { to, expectedVersion: current.body.version, ...(reason ? { reason } : {}) },
    as,
    WAIT,
  );
}

const vote = (id: string, as: string, decision: 'approve' | 'reject', comment = `${as} looked at it`) =>
  t.call('POST', `/changes/${id}/approvals`, { decision, comment }, as);

describe('the three change workflows', () => {
  it.each([
    ['normal', 'change-normal', ['Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed', 'Closed']],
    ['standard', 'change-standard', ['Approved', 'Implementing', 'Closed']],
    ['emergency', 'change-emergency', ['Approved', 'Implementing', 'Reviewed', 'Closed']],
  ] as const)(
    'a %s RFC runs %s to Closed, its state equal to its execution after each move',
    async (type, workflowId, path) => {
      const created = await record({ type });
      expect(created).toMatchObject({ state: 'Recorded', version: 1, workflow: { id: workflowId } });
      await expect.poll(async () => (await states(created.id)).waiting, { timeout: 10_000 }).toBe('Recorded');
      for (const to of path) {
        if (to === 'Approved' && type !== 'standard') {
          // Normal medium risk: two approvals; emergency: the policy's one.
          for (const member of type === 'normal' ? ['carol', 'dave'] : ['carol']) {
            expect((await vote(created.id, member, 'approve')).status).toBe(201);
          }
        }
        const moved = await move(created.id, to);
        expect(moved.status, JSON.stringify(moved.body)).toBe(200);
        expect(moved.body).toMatchObject({ state: to, execution: { inStep: true } });
        const now = await states(created.id);
        expect(now.recorded).toBe(to);
        expect(now.waiting).toBe(now.recorded);
      }
      const final = await states(created.id);
      expect(final.body).toMatchObject({ state: 'Closed', status: 'closed' });
      expect(final.status).toBe('SUCCEEDED');
      const history = await t.call('GET', `/changes/${created.id}/history?limit=100`, undefined, 'cm');
      const moves = (history.body.items as { type: string; from?: string; to?: string }[]).filter(
        (e) => e.type === 'Change State Changed',
      );
      expect(moves.map((m) => m.to)).toEqual(path);
    },
  );
});

describe('the change advisory board', () => {
  it('refuses the requester’s own approval, a second vote, too few approvals and any rejection', async () => {
    // carol, a board member, requests it: she may not approve it herself.
    const created = await record({}, 'carol');
    expect((await vote(created.id, 'dave', 'approve')).status).toBe(422); // still Recorded: no vote awaited
    expect((await move(created.id, 'Assessed', 'cm')).status).toBe(200);
    const own = await vote(created.id, 'carol', 'approve');
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/segregation of duties/);

    const first = await vote(created.id, 'dave', 'approve');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      approvals: [{ by: 'dave', decision: 'approve', comment: 'dave looked at it' }],
      approval: { required: 2, approvals: 1, missing: 1, rejectedBy: [], awaitingVotes: true },
    });
    const again = await vote(created.id, 'dave', 'reject');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ type: 'urn:release-desk:problem:already-voted' });

    // Medium risk needs two distinct approvers: one is not enough.
    const tooFew = await move(created.id, 'Approved');
    expect(tooFew.status).toBe(409);
    expect(tooFew.body).toMatchObject({
      type: 'urn:release-desk:problem:transition-gate-failed',
      gates: ['cabApproval'],
      cabApproval: { approvals: 1, required: 2, missing: 1 },
    });
    expect(tooFew.body.detail).toMatch(/1 of the 2 CAB approvals/);

    // A rejection blocks it however many approve.
    expect((await vote(created.id, 'erin', 'reject', 'Rollback untested')).status).toBe(201);
    expect((await vote(created.id, 'admin', 'approve')).status).toBe(201);
    const rejected = await move(created.id, 'Approved');
    expect(rejected.status).toBe(409);
    expect(rejected.body).toMatchObject({ cabApproval: { rejectedBy: ['erin'] } });
    expect(rejected.body.detail).toMatch(/rejected it: erin/);
    const state = await states(created.id);
    expect(state).toMatchObject({ recorded: 'Assessed', waiting: 'Assessed' });

    const trail = await t.call('GET', `/changes/${created.id}/history?limit=100`, undefined, 'cm');
    const votes = (trail.body.items as { type: string; actor: string; data: { decision: string } }[]).filter(
      (e) => e.type === 'Change Approval Recorded',
    );
    expect(votes.map((v) => `${v.actor}:${v.data.decision}`)).toEqual([
      'dave:approve',
      'erin:reject',
      'admin:approve',
    ]);
  });

  it('lets a medium-risk normal RFC into Approved with two distinct approvers, and keeps its queue', async () => {
    const created = await record();
    expect((await move(created.id, 'Assessed')).status).toBe(200);
    const queue = async (as: string) => {
      const page = await t.call('GET', '/changes?awaitingApprovalBy=me&limit=100', undefined, as);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      return (page.body.items as { id: string }[]).map((c) => c.id);
    };
    expect(await queue('carol')).toContain(created.id);
    expect(await queue('dave')).toContain(created.id);
    expect(await queue('cm')).not.toContain(created.id); // not on the board
    expect((await vote(created.id, 'carol', 'approve')).status).toBe(201);
    expect(await queue('carol')).not.toContain(created.id); // voted
    expect((await vote(created.id, 'dave', 'approve')).status).toBe(201);
    const approved = await move(created.id, 'Approved');
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ state: 'Approved', approval: { approvals: 2, missing: 0 } });
    expect(await queue('erin')).not.toContain(created.id); // no longer waiting for votes
    // Approved: no more edits.
    const edit = await t.call(
      'PATCH',
      `/changes/${created.id}`,
      { title: 'Later', expectedVersion: approved.body.version },
      'cm',
    );
    expect(edit.status).toBe(422);
    expect(edit.body).toMatchObject({ type: 'urn:release-desk:problem:change-not-editable' });
  });
});

describe('who records and moves RFCs', () => {
  it('a deployment-only user cannot record an RFC or create a release; a change manager records and moves RFCs but cannot create releases', async () => {
    expect((await t.call('POST', '/changes', rfc(), 'tech')).status).toBe(403);
    expect((await t.call('POST', '/releases', validRelease(), 'tech')).status).toBe(403);
    expect((await t.call('POST', '/releases', validRelease(), 'cm')).status).toBe(403);
    // Nor move one: a release is its release team's to move.
    const release = await t.call('POST', '/releases', validRelease(), 'rm');
    const moveRelease = await t.call(
      'POST',
      `/releases/${release.body.id}/transitions`,
      { to: 'Development', expectedVersion: release.body.version },
      'cm',
    );
    expect(moveRelease.status).toBe(403);
    const created = await record({ type: 'standard' }, 'cm');
    expect((await move(created.id, 'Approved', 'cm')).status).toBe(200);
    // Release managers read RFCs but do not move them (the change workflow's transitions need `change`).
    expect((await t.call('GET', `/changes/${created.id}`, undefined, 'rm')).status).toBe(200);
    expect((await move(created.id, 'Implementing', 'rm')).status).toBe(403);
  });

  it('edits an RFC until its approval, with optimistic locking', async () => {
    const created = await record();
    const stale = await t.call('PATCH', `/changes/${created.id}`, { risk: 'high', expectedVersion: 9 }, 'cm');
    expect(stale.status).toBe(409);
    const edited = await t.call(
      'PATCH',
      `/changes/${created.id}`,
      { risk: 'high', impact: 'high', expectedVersion: created.version },
      'cm',
    );
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({
      risk: 'high',
      impact: 'high',
      urgency: 'high',
      priority: 1,
      version: 2,
    });
  });
});

describe('releases link RFCs', () => {
  it('refuses unknown RFCs and trigger states by name, and shows the link on both sides', async () => {
    const unknown = await t.call('POST', '/releases', validRelease({ changeIds: ['chg_nope', 'chg_gone'] }));
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ unknownChangeIds: ['chg_nope', 'chg_gone'] });

    const change = await record();
    const badTrigger = await t.call(
      'POST',
      '/releases',
      validRelease({
        changeIds: [change.id],
        deployment: { managedByChange: true, changeTriggerState: 'Deployed' },
      }),
    );
    expect(badTrigger.status).toBe(422);
    expect(badTrigger.body).toMatchObject({
      validStates: ['Recorded', 'Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed'],
    });
    // The same RFC twice is bad input, named by its place.
    const twice = await t.call('POST', '/releases', validRelease({ changeIds: [change.id, change.id] }));
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({
      errors: [{ path: 'changeIds.1', message: 'repeats the id of item 0' }],
    });

    const other = await record({ type: 'standard' });
    const several = await t.call(
      'POST',
      '/releases',
      validRelease({
        changeIds: [change.id, other.id],
        deployment: { managedByChange: true, changeTriggerState: 'Approved' },
      }),
    );
    expect(several.status).toBe(422);
    expect(several.body).toMatchObject({ type: 'urn:release-desk:problem:managing-change-required' });

    const release = await t.call(
      'POST',
      '/releases',
      validRelease({
        changeIds: [change.id],
        deployment: { managedByChange: true, changeTriggerState: 'Approved' },
      }),
    );
    expect(release.status, JSON.stringify(release.body)).toBe(201);
    expect(release.body).toMatchObject({
      changeIds: [change.id],
      deployment: { managedByChange: true, changeId: change.id, changeTriggerState: 'Approved' },
    });
    const linked = await t.call('GET', `/changes/${change.id}`, undefined, 'rm');
    expect(linked.body.releaseIds).toEqual([release.body.id]);

    // Relinked to the other RFC by PATCH: the first RFC no longer lists it.
    const relinked = await t.call('PATCH', `/releases/${release.body.id}`, {
      changeIds: [other.id],
      deployment: { managedByChange: false },
      expectedVersion: release.body.version,
    });
    expect(relinked.status, JSON.stringify(relinked.body)).toBe(200);
    expect((await t.call('GET', `/changes/${change.id}`, undefined, 'rm')).body.releaseIds).toEqual([]);
    expect((await t.call('GET', `/changes/${other.id}`, undefined, 'rm')).body.releaseIds).toEqual([
      release.body.id,
    ]);
  });
});
