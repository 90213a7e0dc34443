import { describe, expect, it } from 'vitest';
import { withImpliedProcesses } from '../../../functions/domain/actor.ts';
import {
  ForbiddenError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import {
  executionInput,
  type NewRelease,
  newRelease,
  updateRelease,
} from '../../../functions/domain/release/release.ts';
import { statusOfTerminal } from '../../../functions/domain/workflow-run/run.ts';
import { transition } from '../../../functions/domain/workflow-run/service.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { actor, fixedClock, sequentialIds } from '../../support/fakes.ts';

const workflow = { id: 'release-default', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Assessment' };
const input = (over: Partial<NewRelease> = {}): NewRelease => ({
  title: 'Payroll 4.2',
  releaseType: 'minor',
  packageType: 'delta',
  urgency: 'medium',
  businessPriority: 2,
  teamId: 'team_release',
  plannedStart: '2026-12-01T21:00:00+01:00',
  plannedEnd: '2026-12-01T23:00:00Z',
  changeIds: [],
  kbArticleIds: [],
  deployment: { managedByChange: false },
  tasks: [
    {
      title: 'Upgrade',
      workGroupId: 'wg',
      ciIds: ['ci_1'],
      ciUpdates: [{ ciId: 'ci_1', set: { version: '4.2' } }],
    },
  ],
  ...over,
});
const rm = actor('rm', ['release'], { teamIds: ['team_release'] });
const deps = () => ({ clock: fixedClock(), ids: sequentialIds() });

describe('newRelease', () => {
  it('starts in the workflow initial stage at version 1, with planned tasks and its Release Created event', () => {
    const { release, event } = newRelease(input(), workflow, rm, deps());
    expect(release).toMatchObject({
      version: 1,
      stage: 'Assessment',
      stageEntry: 0,
      status: 'active',
      createdBy: 'rm',
    });
    expect(release.plannedStart).toBe('2026-12-01T20:00:00.000Z'); // normalised to UTC
    expect(release.tasks).toEqual([expect.objectContaining({ status: 'planned', workGroupId: 'wg' })]);
    expect(event).toMatchObject({
      type: 'Release Created',
      actor: 'rm',
      subject: { kind: 'release', id: release.id },
      data: { releaseId: release.id, stateMachineArn: 'arn:sm', executionInput: executionInput(release) },
    });
  });

  it('refuses a window that ends before it starts', () => {
    expect(() => newRelease(input({ plannedEnd: '2026-12-01T19:00:00Z' }), workflow, rm, deps())).toThrow(
      ValidationError,
    );
  });
});

describe('updateRelease', () => {
  it('changes nothing, and emits nothing, for an edit to the same values', () => {
    const d = deps();
    const { release } = newRelease(input(), workflow, rm, d);
    expect(
      updateRelease(release, { title: release.title, plannedEnd: '2026-12-01T23:00:00Z' }, rm, d),
    ).toBeUndefined();
  });

  it('bumps the version and records what changed', () => {
    const d = deps();
    const { release } = newRelease(input(), workflow, rm, d);
    const updated = updateRelease(release, { title: 'Payroll 4.2.1' }, rm, d);
    if (!updated) throw new Error('expected a change');
    const { release: next, event } = updated;
    expect(next.version).toBe(2);
    expect(event.data).toEqual({
      releaseId: release.id,
      version: 2,
      changed: { title: { from: 'Payroll 4.2', to: 'Payroll 4.2.1' } },
    });
  });
});

describe('transition of a release (workflow run)', () => {
  const def = defaultWorkflows['release-default'];
  const created = () => newRelease(input({ tasks: [] }), workflow, rm, deps()).release;

  it('moves to an allowed stage, counts the entry and emits Release Stage Entered', () => {
    const {
      subject: release,
      events,
      signal,
    } = transition('release', created(), def, { to: 'Development', expectedVersion: 1 }, {}, rm, deps());
    expect(release).toMatchObject({ stage: 'Development', stageEntry: 1, version: 2, status: 'active' });
    expect(signal).toEqual({ to: 'Development', entry: 1, actor: 'rm' });
    expect(events.map((e) => e.type)).toEqual(['Release Stage Entered']);
    expect(events[0]?.data).toMatchObject({ from: 'Assessment', to: 'Development', entry: 1 });
  });

  it('refuses a stale version, an illegal move, a missing reason, a failed gate and an outsider', () => {
    const r = created();
    expect(() =>
      transition('release', r, def, { to: 'Development', expectedVersion: 2 }, {}, rm, deps()),
    ).toThrow(VersionConflictError);
    expect(() => transition('release', r, def, { to: 'Audit', expectedVersion: 1 }, {}, rm, deps())).toThrow(
      RuleViolationError,
    );
    expect(() =>
      transition('release', r, def, { to: 'Cancelled', expectedVersion: 1 }, {}, rm, deps()),
    ).toThrow(/needs a reason/);
    const tech = actor('tech', ['deployment'], { teamIds: ['team_release'] });
    expect(() =>
      transition('release', r, def, { to: 'Development', expectedVersion: 1 }, {}, tech, deps()),
    ).toThrow(ForbiddenError);
    const stranger = actor('other', ['release'], { teamIds: ['team_other'] });
    expect(() =>
      transition('release', r, def, { to: 'Development', expectedVersion: 1 }, {}, stranger, deps()),
    ).toThrow(ForbiddenError);
    const inTesting = { ...r, stage: 'Testing' };
    expect(() =>
      transition(
        'release',
        inTesting,
        def,
        { to: 'Deployment', expectedVersion: 1 },
        { noOpenBlackout: false },
        rm,
        deps(),
      ),
    ).toThrow(expect.objectContaining({ code: 'transition-gate-failed' }));
  });

  it('closes the release on Closure with a Release Closed event', () => {
    const inUpdate = { ...created(), stage: 'CMDB Update', stageEntry: 5 };
    const { subject: release, events } = transition(
      'release',
      inUpdate,
      def,
      { to: 'Closure', expectedVersion: 1 },
      { allCiUpdatesApplied: true },
      rm,
      deps(),
    );
    expect(release.status).toBe('closed');
    expect(events.map((e) => e.type)).toEqual(['Release Stage Entered', 'Release Closed']);
  });

  it('names exits by their status', () => {
    expect(statusOfTerminal('Cancelled')).toBe('cancelled');
    expect(statusOfTerminal('Backed Out')).toBe('backed-out');
    expect(statusOfTerminal('Closure')).toBe('closed');
  });
});

describe('processes', () => {
  it('grants deployment with release', () => {
    expect(withImpliedProcesses(['release'])).toEqual(['release', 'deployment']);
    expect(withImpliedProcesses(['change'])).toEqual(['change']);
  });
});
