/**
 * RFCs over HTTP on the local cloud (issue 10): each of the three change workflows walked to
 * Closed with the RFC's recorded state equal to its execution's waiting state (read with
 * @aws-sdk/client-sfn) after every transition; the CAB's votes and the `cabApproval` gate; who may
 * record and move RFCs; the approval queue; releases linking RFCs.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../client/index.ts';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { ok, refused, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

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
  const admin = t.api('admin');
  const board = await ok(admin.GET('/teams/{id}', { params: { path: { id: 'team_cab' } } }));
  await ok(
    admin.PATCH('/teams/{id}', {
      params: { path: { id: 'team_cab' } },
      body: { members: ['admin', 'carol', 'dave', 'erin'], expectedVersion: board.version },
    }),
    200,
  );
});

afterAll(async () => t?.stop());

const rfc = (
  over: Partial<components['schemas']['CreateChange']> = {},
): components['schemas']['CreateChange'] => ({
  title: 'Upgrade payroll database',
  type: 'normal',
  risk: 'medium',
  impact: 'medium',
  urgency: 'high',
  ciIds: ['ci_payroll_db'],
  ...over,
});

const at = (id: string) => ({ params: { path: { id } } });

async function record(over: Partial<components['schemas']['CreateChange']> = {}, as = 'cm') {
  return ok(t.api(as).POST('/changes', { body: rfc(over) }), 201);
}

/** The RFC's recorded state and its execution's waiting state, read with the SFN client. */
async function states(id: string) {
  const change = await ok(t.api('cm').GET('/changes/{id}', at(id)));
  const machine = (await t.cloud.ports.changes.get(id))?.workflow.stateMachineArn as string;
  const { state } = await t.execution(id, machine);
  const described = await t.sfn.send(
    new DescribeExecutionCommand({ executionArn: executionArnOf(machine, id) }),
  );
  return {
    recorded: change.state,
    waiting: state,
    status: described.status,
    body: change,
  };
}

async function move(id: string, to: string, as = 'cm', reason?: string) {
  const current = await ok(t.api(as).GET('/changes/{id}', at(id)));
  return t.api(as).POST('/changes/{id}/transitions', {
    ...at(id),
    body: { to, expectedVersion: current.version, ...(reason ? { reason } : {}) },
    headers: WAIT,
  });
}

const vote = (id: string, as: string, decision: 'approve' | 'reject', comment = `${as} looked at it`) =>
  t.api(as).POST('/changes/{id}/approvals', { ...at(id), body: { decision, comment } });

/** The answer's status. */
const status = async (pending: Promise<{ response: Response }>) => (await pending).response.status;

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
            await ok(vote(created.id, member, 'approve'), 201);
          }
        }
        const moved = await ok(move(created.id, to), 200);
        expect(moved).toMatchObject({ state: to, execution: { inStep: true } });
        const now = await states(created.id);
        expect(now.recorded).toBe(to);
        expect(now.waiting).toBe(now.recorded);
      }
      const final = await states(created.id);
      expect(final.body).toMatchObject({ state: 'Closed', status: 'closed' });
      expect(final.status).toBe('SUCCEEDED');
      const history = await ok(
        t
          .api('cm')
          .GET('/changes/{id}/history', { params: { path: { id: created.id }, query: { limit: 100 } } }),
      );
      const moves = history.items.filter((e) => e.type === 'Change State Changed');
      expect(moves.map((m) => m.to)).toEqual(path);
    },
  );
});

describe('the change advisory board', () => {
  it('refuses the requester’s own approval, a second vote, too few approvals and any rejection', async () => {
    // carol, a board member, requests it: she may not approve it herself.
    const created = await record({}, 'carol');
    await refused(vote(created.id, 'dave', 'approve'), 422); // still Recorded: no vote awaited
    await ok(move(created.id, 'Assessed', 'cm'), 200);
    const own = await refused(vote(created.id, 'carol', 'approve'), 403);
    expect(own.detail).toMatch(/segregation of duties/);

    const first = await ok(vote(created.id, 'dave', 'approve'), 201);
    expect(first).toMatchObject({
      approvals: [{ by: 'dave', decision: 'approve', comment: 'dave looked at it' }],
      approval: { required: 2, approvals: 1, missing: 1, rejectedBy: [], awaitingVotes: true },
    });
    const again = await refused(vote(created.id, 'dave', 'reject'), 409);
    expect(again).toMatchObject({ type: 'urn:release-desk:problem:already-voted' });

    // Medium risk needs two distinct approvers: one is not enough.
    const tooFew = await refused(move(created.id, 'Approved'), 409);
    expect(tooFew).toMatchObject({
      type: 'urn:release-desk:problem:transition-gate-failed',
      gates: ['cabApproval'],
      cabApproval: { approvals: 1, required: 2, missing: 1 },
    });
    expect(tooFew.detail).toMatch(/1 of the 2 CAB approvals/);

    // A rejection blocks it however many approve.
    await ok(vote(created.id, 'erin', 'reject', 'Rollback untested'), 201);
    await ok(vote(created.id, 'admin', 'approve'), 201);
    const rejected = await refused(move(created.id, 'Approved'), 409);
    expect(rejected).toMatchObject({ cabApproval: { rejectedBy: ['erin'] } });
    expect(rejected.detail).toMatch(/rejected it: erin/);
    const state = await states(created.id);
    expect(state).toMatchObject({ recorded: 'Assessed', waiting: 'Assessed' });

    const trail = await ok(
      t
        .api('cm')
        .GET('/changes/{id}/history', { params: { path: { id: created.id }, query: { limit: 100 } } }),
    );
    const votes = trail.items.filter((e) => e.type === 'Change Approval Recorded');
    expect(votes.map((v) => `${v.actor}:${v.data.decision}`)).toEqual([
      'dave:approve',
      'erin:reject',
      'admin:approve',
    ]);
  });

  it('lets a medium-risk normal RFC into Approved with two distinct approvers, and keeps its queue', async () => {
    const created = await record();
    await ok(move(created.id, 'Assessed'), 200);
    const queue = async (as: string) => {
      const page = await ok(
        t.api(as).GET('/changes', { params: { query: { awaitingApprovalBy: 'me', limit: 100 } } }),
        200,
      );
      return page.items.map((c) => c.id);
    };
    expect(await queue('carol')).toContain(created.id);
    expect(await queue('dave')).toContain(created.id);
    expect(await queue('cm')).not.toContain(created.id); // not on the board
    await ok(vote(created.id, 'carol', 'approve'), 201);
    expect(await queue('carol')).not.toContain(created.id); // voted
    await ok(vote(created.id, 'dave', 'approve'), 201);
    const approved = await ok(move(created.id, 'Approved'), 200);
    expect(approved).toMatchObject({ state: 'Approved', approval: { approvals: 2, missing: 0 } });
    expect(await queue('erin')).not.toContain(created.id); // no longer waiting for votes
    // Approved: no more edits.
    const edit = await refused(
      t.api('cm').PATCH('/changes/{id}', {
        ...at(created.id),
        body: { title: 'Later', expectedVersion: approved.version },
      }),
      422,
    );
    expect(edit).toMatchObject({ type: 'urn:release-desk:problem:change-not-editable' });
  });
});

describe('who records and moves RFCs', () => {
  it('a deployment-only user cannot record an RFC or create a release; a change manager records and moves RFCs but cannot create releases', async () => {
    await refused(t.api('tech').POST('/changes', { body: rfc() }), 403);
    await refused(t.api('tech').POST('/releases', { body: releaseBody() }), 403);
    await refused(t.api('cm').POST('/releases', { body: releaseBody() }), 403);
    // Nor move one: a release is its release team's to move.
    const release = await ok(t.api('rm').POST('/releases', { body: releaseBody() }), 201);
    await refused(
      t.api('cm').POST('/releases/{id}/transitions', {
        ...at(release.id),
        body: { to: 'Development', expectedVersion: release.version },
      }),
      403,
    );
    const created = await record({ type: 'standard' }, 'cm');
    await ok(move(created.id, 'Approved', 'cm'), 200);
    // Release managers read RFCs but do not move them (the change workflow's transitions need `change`).
    expect(await status(t.api('rm').GET('/changes/{id}', at(created.id)))).toBe(200);
    await refused(move(created.id, 'Implementing', 'rm'), 403);
  });

  it('edits an RFC until its approval, with optimistic locking', async () => {
    const created = await record();
    const cm = t.api('cm');
    await refused(
      cm.PATCH('/changes/{id}', { ...at(created.id), body: { risk: 'high', expectedVersion: 9 } }),
      409,
    );
    const edited = await ok(
      cm.PATCH('/changes/{id}', {
        ...at(created.id),
        body: { risk: 'high', impact: 'high', expectedVersion: created.version },
      }),
      200,
    );
    expect(edited).toMatchObject({
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
    const rm = t.api('rm');
    const create = (body: Parameters<typeof releaseBody>[0]) =>
      rm.POST('/releases', { body: releaseBody(body) });
    const unknown = await refused(create({ changeIds: ['chg_nope', 'chg_gone'] }), 422);
    expect(unknown).toMatchObject({ unknownChangeIds: ['chg_nope', 'chg_gone'] });

    const change = await record();
    const badTrigger = await refused(
      create({
        changeIds: [change.id],
        deployment: { managedByChange: true, changeTriggerState: 'Deployed' },
      }),
      422,
    );
    expect(badTrigger).toMatchObject({
      validStates: ['Recorded', 'Assessed', 'Approved', 'Scheduled', 'Implementing', 'Reviewed'],
    });
    // The same RFC twice is bad input, named by its place.
    const twice = await refused(create({ changeIds: [change.id, change.id] }), 400);
    expect(twice).toMatchObject({
      errors: [{ path: 'changeIds.1', message: 'repeats the id of item 0' }],
    });

    const other = await record({ type: 'standard' });
    const several = await refused(
      create({
        changeIds: [change.id, other.id],
        deployment: { managedByChange: true, changeTriggerState: 'Approved' },
      }),
      422,
    );
    expect(several).toMatchObject({ type: 'urn:release-desk:problem:managing-change-required' });

    const release = await ok(
      create({
        changeIds: [change.id],
        deployment: { managedByChange: true, changeTriggerState: 'Approved' },
      }),
      201,
    );
    expect(release).toMatchObject({
      changeIds: [change.id],
      deployment: { managedByChange: true, changeId: change.id, changeTriggerState: 'Approved' },
    });
    const linked = await ok(rm.GET('/changes/{id}', at(change.id)));
    expect(linked.releaseIds).toEqual([release.id]);

    // Relinked to the other RFC by PATCH: the first RFC no longer lists it.
    await ok(
      rm.PATCH('/releases/{id}', {
        ...at(release.id),
        body: {
          changeIds: [other.id],
          deployment: { managedByChange: false },
          expectedVersion: release.version,
        },
      }),
      200,
    );
    expect((await ok(rm.GET('/changes/{id}', at(change.id)))).releaseIds).toEqual([]);
    expect((await ok(rm.GET('/changes/{id}', at(other.id)))).releaseIds).toEqual([release.id]);
  });
});
