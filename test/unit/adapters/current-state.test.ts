/**
 * The state an execution is in, read from its history: what the API shows, the reconciler
 * compares and the tests wait for (on the local cloud as in AWS).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { currentStateOf } from '#adapters/sfn/execution-view';

const currentState = (events: readonly object[]) => currentStateOf(events as HistoryEvent[]);

const entered = (name: string) => ({ type: 'TaskStateEntered', stateEnteredEventDetails: { name } });
const exited = (name: string) => ({ type: 'TaskStateExited', stateExitedEventDetails: { name } });

describe('currentState', () => {
  it('is undefined before any state is entered', () => {
    expect(currentState([{ type: 'ExecutionStarted' }])).toBeUndefined();
  });

  it('is the state entered and not yet exited', () => {
    expect(currentState([{ type: 'ExecutionStarted' }, entered('A'), exited('A'), entered('B')])).toBe('B');
  });

  it('is the innermost open state when states nest (Parallel)', () => {
    const parallel = { type: 'ParallelStateEntered', stateEnteredEventDetails: { name: 'Both' } };
    expect(currentState([parallel, entered('Left'), entered('Right'), exited('Right')])).toBe('Left');
  });

  it('is the last entered state once everything has exited', () => {
    const succeed = { type: 'SucceedStateEntered', stateEnteredEventDetails: { name: 'Done' } };
    const succeedExit = { type: 'SucceedStateExited', stateExitedEventDetails: { name: 'Done' } };
    expect(
      currentState([entered('A'), exited('A'), succeed, succeedExit, { type: 'ExecutionSucceeded' }]),
    ).toBe('Done');
  });
});
