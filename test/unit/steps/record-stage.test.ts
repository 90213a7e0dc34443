/**
 * record-stage (functions/steps/record-stage.ts) counts a divergence it finds as the metric the
 * divergence alarm watches (`ReleaseExecutionDivergences`, infra/constructs/monitoring.ts), so the
 * alarm fires when the execution reports it, not only when the reconciler next runs; a move it
 * records counts nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunSubject } from '../../../functions/domain/workflow-run/run.ts';
import { createHandler, type RecordStageDeps } from '../../../functions/steps/record-stage.ts';
import { captureEmf } from '../../support/emf.ts';

/** A release in stage `Build`, its 3rd stage entry, whose workflow has no timeouts. */
const subject = {
  id: 'rel_01',
  version: 4,
  workflow: { id: 'release-default', version: 1, stateMachineArn: 'arn:sm' },
  stage: 'Build',
  stageEntry: 3,
  status: 'active',
  updatedAt: '2026-11-26T10:00:00.000Z',
  updatedBy: 'rm',
} as unknown as RunSubject;

const deps = (): RecordStageDeps =>
  ({
    runs: {
      release: { get: async () => subject, save: async () => undefined },
      change: { get: async () => undefined, save: async () => undefined },
    },
    waits: { record: async () => true },
    workflows: { definition: async () => ({ stages: [{ name: 'Build' }, { name: 'Test' }] }) },
    clock: { now: () => new Date('2026-11-26T11:00:00.000Z') },
    ids: { next: () => 'id' },
  }) as unknown as RecordStageDeps;

describe('record-stage', () => {
  let published: Record<string, unknown>[];
  beforeEach(() => {
    // What Powertools Metrics writes, with metrics on as inside Lambda.
    published = captureEmf();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('counts a divergence (a manual move and a timeout raced for one entry) as ReleaseExecutionDivergences', async () => {
    const handler = createHandler(deps);
    await expect(
      handler({ subject: { kind: 'release', id: 'rel_01' }, stage: 'Test', entry: 3, taskToken: 'token' }),
    ).resolves.toEqual({ recorded: true });
    expect(published).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: 'ReleaseDesk',
              Dimensions: [['service']],
              Metrics: [{ Name: 'ReleaseExecutionDivergences', Unit: 'Count' }],
            }),
          ],
        }),
        service: 'release-desk-staging',
        ReleaseExecutionDivergences: 1,
      }),
    ]);
  });

  it('counts nothing for an entry it knows already', async () => {
    const handler = createHandler(deps);
    await handler({
      subject: { kind: 'release', id: 'rel_01' },
      stage: 'Build',
      entry: 3,
      taskToken: 'token',
    });
    expect(published).toEqual([]);
  });
});
