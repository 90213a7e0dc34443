/**
 * Access policies in the release and task use cases, on the in-memory fakes: an administrator sets
 * them on a release team (`Team Updated` with the rules changed, faults named by field); creating,
 * planning, moving and deploying are refused by the rule that refuses, naming it; a move that needs
 * approvals waits for distinct approvers (`POST /releases/{id}/approvals`), who are checked, counted
 * once, and reset by a move; a team without policies behaves as before.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  RuleViolationError,
  ValidationError,
} from '../../../functions/domain/errors.ts';
import {
  approveReleaseMove,
  type CreateReleaseInput,
  createRelease,
  editRelease,
  getReleaseWithMoves,
  moveRelease,
} from '../../../functions/domain/release/service.ts';
import { readyDeploymentTasks, startDeploymentTask } from '../../../functions/domain/task/service.ts';
import type { PolicyRule } from '../../../functions/domain/team/policy.ts';
import { editTeam } from '../../../functions/domain/team/service.ts';
import { actor, inMemoryPorts, teamFixture } from '../../support/fakes.ts';

const team = teamFixture;

const POLICIES: PolicyRule[] = [
  {
    id: 'emergency-ops-only',
    description: 'Emergency releases only by work group Emergency ops',
    action: 'create',
    match: { releaseType: ['emergency'] },
    allow: { workGroups: ['wg_emergency'] },
  },
  {
    id: 'p1-full-two-approvers',
    action: 'move',
    match: { packageType: ['full'], businessPriority: [1] },
    to: 'Deployment',
    approvals: 2,
  },
  { id: 'majors-planned-by-rm', action: 'plan', match: { releaseType: ['major'] }, allow: { users: ['rm'] } },
  {
    id: 'critical-by-rm-and-dora',
    action: 'deploy',
    match: { urgency: ['critical'] },
    allow: { users: ['rm', 'dora'] },
  },
];

const rm = actor('rm', ['release', 'deployment'], { teamIds: ['team_pay'] });
const sam = actor('sam', ['release', 'deployment'], { teamIds: ['team_pay'] });
const ann = actor('ann', ['release', 'deployment'], { teamIds: ['team_pay'] });
const eve = actor('eve', ['release', 'deployment'], {
  teamIds: ['team_pay', 'team_ops'],
  workGroupIds: ['wg_emergency'],
});
const outsider = actor('olga', ['release', 'deployment'], { teamIds: ['team_other'] });
const tech = actor('tech', ['deployment'], { teamIds: ['team_dep'], workGroupIds: ['wg_dep'] });
const dora = actor('dora', ['deployment'], { teamIds: ['team_dep'], workGroupIds: ['wg_dep'] });
const admin = actor('root', [], { admin: true });

function world(policies: PolicyRule[] | null = POLICIES) {
  const ports = inMemoryPorts();
  ports.teams.seed(team('team_pay', 'release', ['rm', 'sam', 'ann', 'eve'], policies ? { policies } : {}));
  ports.teams.seed(
    team('team_ops', 'deployment', ['eve'], { workGroups: [{ id: 'wg_emergency', name: 'Emergency ops' }] }),
  );
  ports.teams.seed(
    team('team_dep', 'deployment', ['tech', 'dora'], { workGroups: [{ id: 'wg_dep', name: 'Deployers' }] }),
  );
  ports.teams.seed(team('team_other', 'release', ['olga']));
  return ports;
}
type World = ReturnType<typeof world>;

const input = (over: Partial<CreateReleaseInput> = {}): CreateReleaseInput => ({
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  teamId: 'team_pay',
  plannedStart: '2026-12-01T20:00:00Z',
  plannedEnd: '2026-12-01T23:00:00Z',
  changeIds: [],
  kbArticleIds: [],
  deployment: { managedByChange: false },
  tasks: [],
  ...over,
});

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as Error & { details?: Record<string, unknown>; code?: string };
  }
  throw new Error('expected a refusal');
}

/** Moves a release through the stages given, one accepted move each. */
async function walk(w: World, id: string, stages: string[], by = rm) {
  let release = (await w.releases.get(id)) as NonNullable<Awaited<ReturnType<World['releases']['get']>>>;
  for (const to of stages) {
    release = (await moveRelease(id, { to, expectedVersion: release.version, reason: 'because' }, by, w))
      .release;
  }
  return release;
}

describe('access policies set by an administrator', () => {
  it('are a release team’s, announced in Team Updated with the rules before and after', async () => {
    const w = world(null);
    const edited = await editTeam('team_pay', { policies: POLICIES }, 1, admin, w);
    expect(edited.policies).toEqual(POLICIES);
    const history = w.table.events.filter((e) => e.type === 'Team Updated');
    expect(history.at(-1)?.data).toMatchObject({ changed: { policies: { from: null, to: POLICIES } } });
    // The same rules again change nothing: no new version.
    expect((await editTeam('team_pay', { policies: POLICIES }, 2, admin, w)).version).toBe(2);
    const cleared = await editTeam('team_pay', { policies: [] }, 2, admin, w);
    expect(cleared.policies).toBeUndefined();
  });

  it('are refused on other kinds of team, with repeated ids and rules that say nothing, by field', async () => {
    const w = world(null);
    const wrongKind = await refusal(editTeam('team_dep', { policies: POLICIES }, 1, admin, w));
    expect(wrongKind).toBeInstanceOf(ValidationError);
    expect((wrongKind as ValidationError).errors).toEqual([
      { path: 'policies', message: 'only release teams have access policies' },
    ]);
    const bad = await refusal(
      editTeam(
        'team_pay',
        {
          policies: [
            { id: 'a', action: 'create', allow: { users: ['rm'] } },
            { id: 'a', action: 'create', to: 'Deployment', approvals: 1 },
            { id: 'b', action: 'move' },
          ],
        },
        1,
        admin,
        w,
      ),
    );
    expect((bad as ValidationError).errors).toEqual([
      { path: 'policies.1.id', message: 'repeats the id of policies.0' },
      { path: 'policies.1', message: 'a create rule has no from or to' },
      { path: 'policies.1.approvals', message: 'only move and deploy rules ask for approvals' },
      { path: 'policies.2', message: 'says nothing: give allow, approvals or both' },
    ]);
  });
});

describe('creating and planning', () => {
  it('refuses an emergency release outside Emergency ops, naming the rule, and lets Emergency ops create it', async () => {
    const w = world();
    const error = await refusal(createRelease(input({ releaseType: 'emergency' }), rm, w));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.details).toMatchObject({ rule: 'emergency-ops-only', action: 'create' });
    expect(error.message).toContain('Emergency releases only by work group Emergency ops');
    const { release } = await createRelease(input({ releaseType: 'emergency' }), eve, w);
    expect(release.releaseType).toBe('emergency');
    // A minor release is anyone's in the team, as before.
    await createRelease(input(), sam, w);
  });

  it('lets only the named user plan a major release', async () => {
    const w = world();
    const { release } = await createRelease(input({ releaseType: 'major' }), sam, w);
    const error = await refusal(editRelease(release.id, { title: 'Payroll 5' }, 1, sam, w));
    expect(error.details).toMatchObject({ rule: 'majors-planned-by-rm' });
    expect((await editRelease(release.id, { title: 'Payroll 5' }, 1, rm, w)).title).toBe('Payroll 5');
  });

  it('changes nothing for a team without policies', async () => {
    const w = world(null);
    const { release } = await createRelease(input({ releaseType: 'emergency', urgency: 'critical' }), rm, w);
    await editRelease(release.id, { title: 'Hotfix' }, 1, sam, w);
    const moved = await walk(w, release.id, ['Development', 'Testing', 'Deployment']);
    expect(moved.stage).toBe('Deployment');
    expect(moved.approvals).toBeUndefined();
  });
});

describe('moves that need approvals', () => {
  const p1 = () => input({ packageType: 'full', businessPriority: 1 });

  it('wait for two distinct approvers of the team, each once, then go', async () => {
    const w = world();
    const { release } = await createRelease(p1(), rm, w);
    // Other moves need nothing.
    let current = await walk(w, release.id, ['Development', 'Testing']);
    const waiting = await refusal(
      moveRelease(release.id, { to: 'Deployment', expectedVersion: current.version }, rm, w),
    );
    expect(waiting).toBeInstanceOf(ConflictError);
    expect(waiting.code).toBe('approvals-required');
    expect(waiting.details).toEqual({
      rule: 'p1-full-two-approvers',
      to: 'Deployment',
      required: 2,
      have: 0,
    });

    current = await approveReleaseMove(
      release.id,
      { to: 'Deployment', comment: 'Tested in staging' },
      sam,
      w,
    );
    expect(current.approvals).toMatchObject([{ to: 'Deployment', by: 'sam', comment: 'Tested in staging' }]);
    const approvals = w.meter.counted().Approvals;
    const twice = await refusal(approveReleaseMove(release.id, { to: 'Deployment' }, sam, w));
    expect(twice.code).toBe('already-approved');
    expect(approvals).toBe(1);
    expect(w.meter.counted().Approvals).toBe(1);
    const stranger = await refusal(approveReleaseMove(release.id, { to: 'Deployment' }, outsider, w));
    expect(stranger).toBeInstanceOf(ForbiddenError);
    expect(stranger.details).toMatchObject({ rule: 'p1-full-two-approvers' });
    const nothingToApprove = await refusal(approveReleaseMove(release.id, { to: 'Development' }, ann, w));
    expect(nothingToApprove).toBeInstanceOf(RuleViolationError);
    expect(nothingToApprove.code).toBe('no-approval-required');
    const notAMove = await refusal(approveReleaseMove(release.id, { to: 'Closure' }, ann, w));
    expect(notAMove.code).toBe('transition-not-allowed');

    // The release offers the move with what it lacks.
    const offered = (await getReleaseWithMoves(release.id, rm, w)).moves.find((m) => m.to === 'Deployment');
    expect(offered?.approvals).toEqual({ rule: 'p1-full-two-approvers', required: 2, have: 1 });
    const oneShort = await refusal(
      moveRelease(release.id, { to: 'Deployment', expectedVersion: current.version }, rm, w),
    );
    expect(oneShort.details).toMatchObject({ required: 2, have: 1 });
    current = await approveReleaseMove(release.id, { to: 'Deployment' }, ann, w);
    const moved = await moveRelease(
      release.id,
      { to: 'Deployment', expectedVersion: current.version },
      rm,
      w,
    );
    expect(moved.release.stage).toBe('Deployment');

    const recorded = w.table.events.filter((e) => e.type === 'Release Approval Recorded');
    expect(recorded.map((e) => [e.actor, e.data])).toEqual([
      [
        'sam',
        expect.objectContaining({
          from: 'Testing',
          to: 'Deployment',
          comment: 'Tested in staging',
          ruleIds: ['p1-full-two-approvers'],
          approvers: ['sam'],
        }),
      ],
      ['ann', expect.objectContaining({ comment: null, approvers: ['sam', 'ann'] })],
    ]);
  });

  it('are reset when the release moves', async () => {
    const w = world();
    const { release } = await createRelease(p1(), rm, w);
    await walk(w, release.id, ['Development', 'Testing']);
    await approveReleaseMove(release.id, { to: 'Deployment' }, sam, w);
    const back = await walk(w, release.id, ['Development', 'Testing']);
    const error = await refusal(
      moveRelease(release.id, { to: 'Deployment', expectedVersion: back.version }, rm, w),
    );
    expect(error.details).toMatchObject({ have: 0 });
    // Sam may approve again, at the new entry.
    const again = await approveReleaseMove(release.id, { to: 'Deployment' }, sam, w);
    expect(again.approvals?.filter((a) => a.stageEntry === again.stageEntry)).toHaveLength(1);
  });
});

describe('deploying', () => {
  it('lets only the named users enter the deploy stage of a critical release and act on its tasks', async () => {
    const w = world();
    const { release } = await createRelease(
      input({
        urgency: 'critical',
        tasks: [{ title: 'Upgrade', workGroupId: 'wg_dep', ciIds: [], ciUpdates: [] }],
      }),
      rm,
      w,
    );
    const deployed = await walk(w, release.id, ['Development', 'Testing', 'Deployment']);
    expect(await readyDeploymentTasks(release.id, { kind: 'stage', entry: deployed.stageEntry }, w)).toBe(
      'readied',
    );
    const [task] = await w.tasks.ofRelease(release.id);
    if (!task) throw new Error('no task');
    const error = await refusal(startDeploymentTask(task.id, task.version, tech, w));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.details).toMatchObject({ rule: 'critical-by-rm-and-dora', action: 'deploy' });
    expect((await startDeploymentTask(task.id, task.version, dora, w)).status).toBe('in_progress');
  });

  it('refuses entering the deploy stage to whom a deploy rule does not name', async () => {
    const w = world([{ id: 'deploy-by-sam', action: 'deploy', allow: { users: ['sam'] } }]);
    const { release } = await createRelease(input(), rm, w);
    const testing = await walk(w, release.id, ['Development', 'Testing']);
    const error = await refusal(
      moveRelease(release.id, { to: 'Deployment', expectedVersion: testing.version }, rm, w),
    );
    expect(error.details).toMatchObject({ rule: 'deploy-by-sam', action: 'deploy' });
    // Not offered to rm, offered to sam.
    expect((await getReleaseWithMoves(release.id, rm, w)).moves.map((m) => m.to)).not.toContain('Deployment');
    expect((await getReleaseWithMoves(release.id, sam, w)).moves.map((m) => m.to)).toContain('Deployment');
    const moved = await moveRelease(
      release.id,
      { to: 'Deployment', expectedVersion: testing.version },
      sam,
      w,
    );
    expect(moved.release.stage).toBe('Deployment');
  });
});
