/**
 * Transitions under contention and faults: one winner among concurrent writers, and a lost
 * SendTaskSuccess still lands exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validRelease } from '../support/http-events.ts';
import { eventually, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => t?.stop());

async function newRelease(): Promise<string> {
  const created = await t.call('POST', '/releases', validRelease({ tasks: [] }));
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe('transitions', () => {
  it('lets exactly one of 50 concurrent transitions from the same version win; the rest get 409', async () => {
    const id = await newRelease();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.call('POST', `/releases/${id}/transitions`, { to: 'Development', expectedVersion: 1 }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body).toMatchObject({ status: 409, type: 'urn:release-desk:problem:version-conflict' });
    }
    const release = await t.call('GET', `/releases/${id}`);
    expect(release.body).toMatchObject({ stage: 'Development', version: 2 });
    const history = await t.call('GET', `/releases/${id}/history`);
    const entered = (history.body.items as { type: string }[]).filter(
      (e) => e.type === 'Release Stage Entered',
    );
    expect(entered).toHaveLength(1);
    await eventually(async () => expect((await t.execution(id)).state).toBe('Development'));
    const { events } = await t.execution(id);
    expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);
  });

  it('completes a transition exactly once when SendTaskSuccess fails the first time', async () => {
    const id = await newRelease();
    // Let the execution reach its first stage before breaking the signal.
    await eventually(async () => expect((await t.execution(id)).state).toBe('Assessment'));
    let failures = 0;
    t.cloud.ports.clients.sfn.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendTaskSuccessCommand' && failures === 0) {
          failures++;
          throw Object.assign(new Error('injected: service unavailable'), { name: 'ServiceUnavailable' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'fault-injection' },
    );
    try {
      const moved = await t.moveWaiting(id, 'Development', 1);
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ stage: 'Development', execution: { inStep: false } });
      expect(failures).toBe(1);
      await t.cloud.settle();
      await eventually(async () => expect((await t.execution(id)).state).toBe('Development'));
      const { events } = await t.execution(id);
      expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);
      const release = await t.call('GET', `/releases/${id}`);
      expect(release.body).toMatchObject({ stage: 'Development', version: 2 });

      // And the next transition goes through normally.
      const next = await t.moveWaiting(id, 'Testing', 2);
      expect(next.body).toMatchObject({ stage: 'Testing', execution: { inStep: true } });
    } finally {
      t.cloud.ports.clients.sfn.middlewareStack.remove('fault-injection');
    }
  });
});
