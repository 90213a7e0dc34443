/**
 * Transitions under contention and faults: one winner among concurrent writers, and a lost
 * SendTaskSuccess still lands exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });

async function newRelease(): Promise<string> {
  return (await ok(t.api().POST('/releases', { body: releaseBody({ tasks: [] }) }), 201)).id;
}

describe('transitions', () => {
  it('lets exactly one of 50 concurrent transitions from the same version win; the rest get 409', async () => {
    const id = await newRelease();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t
          .api()
          .POST('/releases/{id}/transitions', { ...at(id), body: { to: 'Development', expectedVersion: 1 } }),
      ),
    );
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const loser of results.filter((r) => r.response.status === 409)) {
      expect(loser.error).toMatchObject({ status: 409, type: 'urn:release-desk:problem:version-conflict' });
    }
    const release = await ok(t.api().GET('/releases/{id}', at(id)));
    expect(release).toMatchObject({ stage: 'Development', version: 2 });
    const history = await ok(t.api().GET('/releases/{id}/history', at(id)));
    const entered = history.items.filter((e) => e.type === 'Release Stage Entered');
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
      const release = await ok(t.api().GET('/releases/{id}', at(id)));
      expect(release).toMatchObject({ stage: 'Development', version: 2 });

      // And the next transition goes through normally.
      const next = await t.moveWaiting(id, 'Testing', 2);
      expect(next.body).toMatchObject({ stage: 'Testing', execution: { inStep: true } });
    } finally {
      t.cloud.ports.clients.sfn.middlewareStack.remove('fault-injection');
    }
  });
});
