/**
 * The domain's named errors and its process rules: what the HTTP edge maps to problem+json (the
 * message is the problem's detail) and what the logs name.
 */
import { describe, expect, it } from 'vitest';
import {
  PROCESSES,
  requireAdmin,
  requireProcess,
  withImpliedProcesses,
} from '../../../functions/domain/actor.ts';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import { actor } from '../../support/fakes.ts';

describe('domain errors', () => {
  it('are named errors with the message the caller reads', () => {
    const cause = new Error('TransactionCanceled');
    const cases: [Error, string, string][] = [
      [new ValidationError('Bad input.'), 'ValidationError', 'Bad input.'],
      [new NotFoundError('Release', 'rel_1'), 'NotFoundError', 'Release rel_1 was not found.'],
      [new VersionConflictError('Stale.', 3, { cause }), 'VersionConflictError', 'Stale.'],
      [new RuleViolationError('not-allowed', 'No.'), 'RuleViolationError', 'No.'],
      [new ForbiddenError('Not yours.'), 'ForbiddenError', 'Not yours.'],
      [
        new IdempotencyKeyReusedError(),
        'IdempotencyKeyReusedError',
        'This Idempotency-Key was already used with a different request.',
      ],
    ];
    for (const [error, name, message] of cases) {
      expect(error).toBeInstanceOf(Error);
      expect({ name: error.name, message: error.message }).toEqual({ name, message });
    }
  });

  it('carry their details: field errors, the current version and its cause, a rule code and facts', () => {
    expect(new ValidationError('Bad.').errors).toEqual([]);
    expect(new ValidationError('Bad.', [{ path: 'title', message: 'is required' }]).errors).toEqual([
      { path: 'title', message: 'is required' },
    ]);
    const cause = new Error('TransactionCanceled');
    expect(new VersionConflictError('Stale.', 3, { cause })).toMatchObject({ currentVersion: 3, cause });
    expect(new VersionConflictError('Stale.').currentVersion).toBeUndefined();
    expect(new RuleViolationError('gate-failed', 'No.')).toMatchObject({ code: 'gate-failed', details: {} });
    expect(new RuleViolationError('gate-failed', 'No.', { gates: ['cabApproval'] }).details).toEqual({
      gates: ['cabApproval'],
    });
  });
});

describe('processes', () => {
  it('grants deployment with release, in the fixed order, once each', () => {
    expect(PROCESSES).toEqual(['change', 'release', 'deployment']);
    expect(withImpliedProcesses(['release', 'change'])).toEqual(['change', 'release', 'deployment']);
    expect(withImpliedProcesses(['deployment', 'deployment'])).toEqual(['deployment']);
    expect(withImpliedProcesses([])).toEqual([]);
  });

  it('lets an actor holding any one of the processes through, and administrators always', () => {
    const tech = actor('tech', ['deployment']);
    expect(() => requireProcess(tech, 'release', 'deployment')).not.toThrow();
    expect(() => requireProcess(tech, 'change', 'release')).toThrow(
      new ForbiddenError('This action needs the change or release process.'),
    );
    expect(() => requireProcess(actor('root', [], { admin: true }), 'release')).not.toThrow();
    expect(() => requireAdmin(actor('root', [], { admin: true }))).not.toThrow();
    expect(() => requireAdmin(actor('rm', ['change', 'release', 'deployment']))).toThrow(
      'This action needs an administrator.',
    );
  });
});
