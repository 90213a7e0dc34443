/**
 * At-least-once delivery (docs/events.md, docs/operations.md): after a relay retry or a crash an
 * event may reach its consumers again. A workload that emits the events every consumer of ours
 * takes (a release with a task planning a CI update, moved into Deployment, the task started and
 * completed; an RFC recorded and moved), then every event published so far is put on the bus
 * again, twice, so that every consumer whose rule matches it — start-execution, signal-execution,
 * create-deployment-tasks, apply-ci-updates, record-release-metrics — gets it twice more. The
 * whole table, item for item, is unchanged by those deliveries, and nothing failed.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEvent } from '../../infra/local/eventbridge/bus.ts';
import { consumerAsyncInvoke, EVENT_BUS_NAME, rules } from '../../infra/rules.ts';
import { releaseBody } from '../support/api-bodies.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;
const published: LocalEvent[] = [];
/** Invocations of each consumer. */
const invoked = new Map<string, number>();

beforeAll(async () => {
  t = await startTestCloud(
    {
      schedules: false,
      wrapFunction: (name, fn) => async (payload) => {
        invoked.set(name, (invoked.get(name) ?? 0) + 1);
        return fn(payload);
      },
    },
    { rm: ['release'], cm: ['change'], tech: ['deployment'] },
  );
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  t.cloud.bus.subscribe((event) => void published.push(event));
});

afterAll(async () => t?.stop());

const at = (id: string) => ({ params: { path: { id } } });

async function snapshot(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.cloud.ports.clients.db.send(
      new ScanCommand({
        TableName: t.cloud.tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    items.push(...(page.Items ?? []).map((i) => unmarshall(i as never)));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

describe('every event delivered twice more to every consumer', () => {
  it('leaves the table as it was', async () => {
    const rm = t.api('rm');
    const cm = t.api('cm');
    const tech = t.api('tech');
    const ci = await ok(
      rm.POST('/cis', { body: { type: 'application', name: 'dup-app', attributes: { v: 1 } } }),
    );
    const created = await ok(
      rm.POST('/releases', {
        body: releaseBody({
          tasks: [
            {
              title: 'Upgrade',
              workGroupId: 'wg_deployment',
              ciIds: [ci.id],
              ciUpdates: [{ ciId: ci.id, set: { v: 2 } }],
            },
          ],
        }),
      }),
    );
    const id = created.id;
    for (const to of ['Development', 'Testing', 'Deployment']) {
      const current = await ok(rm.GET('/releases/{id}', at(id)));
      await ok(
        rm.POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: current.version } }),
      );
    }
    let taskId = '';
    await eventually(async () => {
      const items = (await ok(rm.GET('/releases/{id}/tasks', at(id)))).items;
      expect(items.map((x) => x.status)).toEqual(['ready']);
      taskId = items[0]?.id as string;
    });
    await ok(tech.POST('/tasks/{id}/start', { ...at(taskId), body: { expectedVersion: 1 } }));
    await ok(tech.POST('/tasks/{id}/complete', { ...at(taskId), body: { expectedVersion: 2 } }));
    await eventually(async () => expect((await ok(rm.GET('/cis/{id}', at(ci.id)))).version).toBe(2));
    const rfc = await ok(
      cm.POST('/changes', {
        body: { title: 'Patch', type: 'normal', risk: 'low', impact: 'low', urgency: 'low', ciIds: [ci.id] },
      }),
    );
    await eventually(async () => {
      const change = await ok(cm.GET('/changes/{id}', at(rfc.id)));
      expect(change.allowedTransitions).not.toEqual([]);
    });
    const change = await ok(cm.GET('/changes/{id}', at(rfc.id)));
    const next = (change.allowedTransitions as ({ to: string } | string)[])[0];
    await ok(
      cm.POST('/changes/{id}/transitions', {
        ...at(rfc.id),
        body: { to: (typeof next === 'string' ? next : next?.to) as string, expectedVersion: change.version },
      }),
    );
    await t.cloud.settle();

    // Every consumer of ours has at least one event type among those published.
    const events = published.filter((e) => e.source === 'release-desk');
    const reached = new Set(
      rules
        .filter((r) =>
          events.some((e) =>
            (r.eventPattern['detail-type'] as string[] | undefined)?.includes(e['detail-type']),
          ),
        )
        .map((r) => r.target),
    );
    expect([...reached].sort()).toEqual(
      Object.keys(consumerAsyncInvoke)
        .filter((name) => name !== 'reconcile-executions')
        .sort(),
    );

    const before = await snapshot();
    const invokedBefore = new Map(invoked);
    for (let round = 0; round < 2; round++) {
      const entries = events.map((e) => ({
        EventBusName: EVENT_BUS_NAME,
        Source: e.source,
        DetailType: e['detail-type'],
        Detail: JSON.stringify(e.detail),
        Resources: [...e.resources],
        Time: new Date(e.time),
      }));
      for (let i = 0; i < entries.length; i += 10)
        expect((await t.cloud.bus.putEvents(entries.slice(i, i + 10))).FailedEntryCount).toBe(0);
      await t.cloud.settle();
    }
    // Each consumer was indeed reached again, at least twice.
    for (const name of reached)
      expect((invoked.get(name) ?? 0) - (invokedBefore.get(name) ?? 0), name).toBeGreaterThanOrEqual(2);
    expect(await snapshot()).toEqual(before);
    expect(t.cloud.bus.deadLetters()).toEqual([]);
    expect(t.cloud.bus.failedInvocations()).toEqual([]);
  });
});
