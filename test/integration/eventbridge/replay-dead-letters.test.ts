/**
 * `npm run replay-dead-letters` (infra/local/replay-dead-letters.ts) against the local EventBridge:
 * it lists each dead letter with its reason, puts the events on the bus again, and the list is
 * empty afterwards; with no dead letter it says so.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAsyncLambda } from '../../../infra/local/eventbridge/async-invoke.ts';
import { type LocalEvent, LocalEventBus } from '../../../infra/local/eventbridge/bus.ts';
import { type LocalEventBridge, startLocalEventBridge } from '../../../infra/local/eventbridge/server.ts';
import { InjectedTargetFault } from '../../../infra/local/faults.ts';
import { EVENT_BUS_NAME } from '../../../infra/rules.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let server: LocalEventBridge | undefined;
let bus: LocalEventBus | undefined;

afterEach(async () => {
  await server?.stop();
  await bus?.close();
});

const replay = async (port: string) =>
  (
    await promisify(execFile)(process.execPath, ['infra/local/replay-dead-letters.ts'], {
      cwd: repoRoot,
      env: { ...process.env, EVENTS_PORT: port },
    })
  ).stdout;

describe('npm run replay-dead-letters', () => {
  it('replays every dead letter, naming its reason, and empties the list', async () => {
    let failing = true;
    const received: LocalEvent[] = [];
    bus = new LocalEventBus({
      rules: [{ name: 'watch', target: 'watcher', eventPattern: { source: ['release-desk'] } }],
      resolveTarget: () => async (event) => void received.push(event),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      beforeDelivery: (rule) => {
        if (failing) throw new InjectedTargetFault(rule.target);
      },
    });
    server = await startLocalEventBridge({ bus });
    const port = new URL(server.endpoint).port;
    await bus.putEvents([
      {
        EventBusName: EVENT_BUS_NAME,
        Source: 'release-desk',
        DetailType: 'Release Created',
        Detail: JSON.stringify({ id: 'evt_1' }),
        Resources: ['release/rel_1'],
      },
    ]);
    await bus.idle();
    expect(bus.deadLetters()).toHaveLength(1);

    failing = false;
    const out = await replay(port);
    expect(out).toContain(
      'Release Created release/rel_1 → watch/watcher: Injected fault: delivery to watcher failed',
    );
    expect(out).toContain(
      'Replayed 1 event(s) from 1 dead letter(s); invoked 0 function(s) again for 0 failed invocation(s).',
    );
    await bus.idle();
    expect(received.map((e) => e.detail)).toEqual([{ id: 'evt_1' }]);
    expect(bus.deadLetters()).toEqual([]);
    expect(await replay(port)).toContain('No dead letters, no failed invocations.');
  });

  it('invokes a consumer again with each event it kept failing on, and empties the failed invocations', async () => {
    let poisoned = true;
    const applied: unknown[] = [];
    const lambda = new LocalAsyncLambda({
      functions: {
        consumer: async (event) => {
          if (poisoned) throw new Error('Cannot apply: CI ci_1 is retired');
          applied.push((event as LocalEvent).detail);
        },
      },
      override: { retryDelaysMs: [1, 1], onFailure: 'destination' },
    });
    bus = new LocalEventBus({
      rules: [{ name: 'apply', target: 'consumer', eventPattern: { source: ['release-desk'] } }],
      functions: lambda,
    });
    server = await startLocalEventBridge({ bus });
    const port = new URL(server.endpoint).port;
    await bus.putEvents([
      {
        EventBusName: EVENT_BUS_NAME,
        Source: 'release-desk',
        DetailType: 'Deployment Task Completed',
        Detail: JSON.stringify({ id: 'evt_2' }),
        Resources: ['task/task_1'],
      },
    ]);
    await bus.idle();
    expect(bus.failedInvocations()).toHaveLength(1);

    poisoned = false;
    const out = await replay(port);
    expect(out).toContain(
      'Deployment Task Completed task/task_1 → consumer: Cannot apply: CI ci_1 is retired (3 attempts)',
    );
    expect(out).toContain('invoked 1 function(s) again for 1 failed invocation(s)');
    await bus.idle();
    expect(applied).toEqual([{ id: 'evt_2' }]);
    expect(bus.failedInvocations()).toEqual([]);
  });
});
