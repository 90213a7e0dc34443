/**
 * The planned window of releases and RFCs is at most 31 days long (the change calendar reads a
 * range of plans by planned start, widened by that much): refused as a 400 naming `plannedEnd`,
 * by the aggregates and by the request schemas alike.
 */
import { describe, expect, it } from 'vitest';
import { newChange, updateChange } from '../../../functions/domain/change/change.ts';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { MAX_PLANNED_WINDOW_DAYS, plannedWindowProblem } from '../../../functions/domain/planned-window.ts';
import { newRelease, updateRelease } from '../../../functions/domain/release/release.ts';
import { CreateChangeBody } from '../../../functions/http/contract/changes.ts';
import { CreateReleaseBody } from '../../../functions/http/contract/releases.ts';
import { defaultWorkflows } from '../../../workflows/defaults/index.ts';
import { actor, fixedClock, sequentialIds } from '../../support/fakes.ts';

const START = '2026-12-01T20:00:00Z';
const LONGEST = '2027-01-01T20:00:00Z'; // 31 days
const TOO_LONG = '2027-01-01T20:00:01Z';
const deps = () => ({ clock: fixedClock(), ids: sequentialIds() });

const thrown = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('did not throw');
};

describe('plannedWindowProblem', () => {
  it('accepts up to 31 days, refuses a second more, an empty and a reversed window, naming plannedEnd', () => {
    expect(MAX_PLANNED_WINDOW_DAYS).toBe(31);
    expect(plannedWindowProblem(START, '2026-12-01T20:00:01Z')).toBeUndefined();
    expect(plannedWindowProblem(START, LONGEST)).toBeUndefined();
    expect(plannedWindowProblem(START, TOO_LONG)).toEqual({
      path: 'plannedEnd',
      message: 'must be at most 31 days after plannedStart',
    });
    expect(plannedWindowProblem(START, START)).toEqual({
      path: 'plannedEnd',
      message: 'must be later than plannedStart',
    });
    // Offsets are instants: 21:00+01:00 on Jan 1 is 20:00Z, exactly 31 days.
    expect(plannedWindowProblem(START, '2027-01-01T21:00:00+01:00')).toBeUndefined();
    // Not an instant: the schema's to report.
    expect(plannedWindowProblem('soon', LONGEST)).toBeUndefined();
  });
});

describe('releases and RFCs', () => {
  const workflow = {
    id: 'release-default',
    version: 1,
    stateMachineArn: 'arn:sm',
    initialStage: 'Assessment',
  };
  const release = {
    title: 'Payroll 4.2',
    releaseType: 'minor' as const,
    packageType: 'delta' as const,
    urgency: 'medium' as const,
    businessPriority: 2,
    plannedStart: START,
    plannedEnd: LONGEST,
    changeIds: [],
    kbArticleIds: [],
    deployment: { managedByChange: false },
    tasks: [],
  };
  const rm = actor('rm', ['release']);

  it('a release of 31 days is planned; one a second longer, or edited to be, is refused', () => {
    const { release: planned } = newRelease(release, workflow, rm, deps());
    const error = thrown(() => newRelease({ ...release, plannedEnd: TOO_LONG }, workflow, rm, deps()));
    expect(error.errors).toEqual([
      { path: 'plannedEnd', message: 'must be at most 31 days after plannedStart' },
    ]);
    // Moving the start earlier alone stretches the window too.
    const moved = thrown(() => updateRelease(planned, { plannedStart: '2026-11-30T20:00:00Z' }, rm, deps()));
    expect(moved.errors[0]?.path).toBe('plannedEnd');
  });

  it('an RFC of 31 days is recorded; one a second longer, or edited to be, is refused', () => {
    const cm = actor('cm', ['change']);
    const normal = defaultWorkflows['change-normal'];
    const ref = { id: 'change-normal', version: 1, stateMachineArn: 'arn:sm', initialStage: 'Recorded' };
    const input = {
      title: 'Upgrade Postgres',
      type: 'normal' as const,
      risk: 'low' as const,
      impact: 'low' as const,
      urgency: 'low' as const,
      ciIds: [],
      plannedStart: START,
      plannedEnd: LONGEST,
      cabTeamId: 'team_cab',
    };
    const { change } = newChange(input, ref, normal, cm, deps());
    const error = thrown(() => newChange({ ...input, plannedEnd: TOO_LONG }, ref, normal, cm, deps()));
    expect(error.errors).toEqual([
      { path: 'plannedEnd', message: 'must be at most 31 days after plannedStart' },
    ]);
    const edited = thrown(() => updateChange(change, { plannedEnd: TOO_LONG }, normal, cm, deps()));
    expect(edited.errors[0]?.path).toBe('plannedEnd');
  });

  it('the request schemas refuse the same window as a 400 naming plannedEnd', () => {
    const releaseBody = CreateReleaseBody.safeParse({ ...release, plannedEnd: TOO_LONG });
    expect(releaseBody.success).toBe(false);
    expect(releaseBody.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['plannedEnd', 'must be at most 31 days after plannedStart'],
    ]);
    const changeBody = CreateChangeBody.safeParse({
      title: 'x',
      type: 'normal',
      risk: 'low',
      impact: 'low',
      urgency: 'low',
      plannedStart: START,
      plannedEnd: TOO_LONG,
    });
    expect(changeBody.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['plannedEnd', 'must be at most 31 days after plannedStart'],
    ]);
  });
});
