/**
 * One release lifecycle as its users drive it through the API, step by step: an RFC through the
 * normal change workflow (`change-normal`) with a CAB approval, and a release on the default
 * workflow (`release-default`) linked to it, with `tasks` deployment tasks each updating
 * `ciUpdatesPerTask` CIs, from creation to Closure. Each step names itself and settles the cloud
 * (stream relay and bus idle) before and after, so what it sets off is attributed to it.
 *
 * The cost bench (`bench/cost.ts`) and the cost guard (`test/e2e/cost-guard.test.ts`) both run it.
 */
import type { AppPorts } from '../../functions/app/ports.ts';
import type { LocalCloud } from '../../infra/local/cloud.ts';
import { joinTeam } from './teams.ts';
import { seedUser, userFixture } from './users.ts';

export interface LifecycleApi {
  readonly cloud: LocalCloud;
  /** Calls the API as `as`; throws on a status ≥ 300. */
  call(
    method: string,
    path: string,
    body: unknown,
    as: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Waits until everything a step set off is over (default `cloud.settle()`). */
  settle?(): Promise<void>;
}

export interface LifecycleOptions {
  readonly tasks: number;
  readonly ciUpdatesPerTask: number;
  /**
   * Wraps every step: `run` performs its one API call and then settles the cloud, and is itself
   * called on a settled cloud — so what happens within `run` is that step's cost, all of it.
   */
  readonly step?: (name: string, run: () => Promise<void>) => Promise<void>;
}

/** The users a lifecycle needs besides the release manager `rm`, change manager `cm` and technician `tech`. */
export const CAB_MEMBER = 'cab';

/** Puts a CAB member (`cab`, process change) on the bootstrap change advisory board. */
export async function seedCabMember(ports: AppPorts): Promise<void> {
  await seedUser(ports, userFixture(CAB_MEMBER, ['change']));
  await joinTeam(ports, [CAB_MEMBER], 'team_cab');
}

/** Creates the CIs the release will update (before the lifecycle, as the CMDB holds them already). */
export async function createCis(api: LifecycleApi, count: number, prefix = 'bench'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await api.call(
      'POST',
      '/cis',
      { type: 'application', name: `${prefix}-app-${i}`, attributes: { version: '1.0.0' } },
      'rm',
    );
    ids.push(created.body.id as string);
  }
  return ids;
}

/**
 * Runs the lifecycle over `ciIds` (at least `tasks × ciUpdatesPerTask` of them: task i updates the
 * CIs i·k … i·k+k-1). Answers the release's and the RFC's ids.
 */
export async function runLifecycle(
  api: LifecycleApi,
  ciIds: readonly string[],
  options: LifecycleOptions,
): Promise<{ releaseId: string; changeId: string }> {
  const step =
    options.step ??
    (async (_name: string, run: () => Promise<void>) => {
      await run();
    });
  const settle = () => (api.settle ? api.settle() : api.cloud.settle());
  const settled = (name: string, run: () => Promise<void>) =>
    step(name, async () => {
      await run();
      await settle();
    });
  const k = options.ciUpdatesPerTask;
  if (ciIds.length < options.tasks * k) throw new Error(`need ${options.tasks * k} CIs`);

  let changeId = '';
  let changeVersion = 0;
  let releaseId = '';
  let releaseVersion = 0;
  const moveChange = (to: string) =>
    settled(`change → ${to}`, async () => {
      const moved = await api.call(
        'POST',
        `/changes/${changeId}/transitions`,
        { to, expectedVersion: changeVersion },
        'cm',
      );
      changeVersion = moved.body.version as number;
    });
  const moveRelease = (to: string) =>
    settled(`release → ${to}`, async () => {
      const moved = await api.call(
        'POST',
        `/releases/${releaseId}/transitions`,
        { to, expectedVersion: releaseVersion },
        'rm',
      );
      releaseVersion = moved.body.version as number;
    });

  await settle();
  await settled('POST /changes', async () => {
    const rfc = await api.call(
      'POST',
      '/changes',
      { title: 'Bench rollout', type: 'normal', risk: 'low', impact: 'medium', urgency: 'medium' },
      'cm',
    );
    changeId = rfc.body.id as string;
    changeVersion = rfc.body.version as number;
  });
  await settled('POST /releases', async () => {
    const created = await api.call(
      'POST',
      '/releases',
      {
        title: 'Bench lifecycle',
        releaseType: 'minor',
        packageType: 'delta',
        urgency: 'medium',
        businessPriority: 3,
        plannedStart: '2027-03-01T20:00:00Z',
        plannedEnd: '2027-03-01T23:00:00Z',
        changeIds: [changeId],
        tasks: Array.from({ length: options.tasks }, (_, i) => {
          const cis = ciIds.slice(i * k, i * k + k);
          return {
            title: `Deploy part ${i + 1}`,
            workGroupId: 'wg_deployment',
            ciIds: cis,
            ciUpdates: cis.map((ciId) => ({ ciId, set: { version: '2.0.0' } })),
          };
        }),
      },
      'rm',
    );
    releaseId = created.body.id as string;
    releaseVersion = created.body.version as number;
  });

  await moveChange('Assessed');
  await settled('POST /changes/{id}/approvals', async () => {
    await api.call(
      'POST',
      `/changes/${changeId}/approvals`,
      { decision: 'approve', comment: 'Low risk; rollback tested' },
      CAB_MEMBER,
    );
    // The vote is a change of the RFC: it takes a version.
    changeVersion += 1;
  });
  await moveChange('Approved');
  await moveChange('Scheduled');
  await moveChange('Implementing');

  await moveRelease('Development');
  await moveRelease('Testing');
  await moveRelease('Deployment');

  let tasks: { id: string; version: number; status: string }[] = [];
  await settled('GET /tasks', async () => {
    tasks = (
      await api.call('GET', `/tasks?release=${releaseId}&group=wg_deployment&limit=100`, undefined, 'tech')
    ).body.items as typeof tasks;
  });
  if (tasks.length !== options.tasks || tasks.some((t) => t.status !== 'ready')) {
    throw new Error(`expected ${options.tasks} ready tasks, got ${JSON.stringify(tasks)}`);
  }
  for (const task of tasks) {
    let version = task.version;
    await settled('POST /tasks/{id}/start', async () => {
      version = (await api.call('POST', `/tasks/${task.id}/start`, { expectedVersion: version }, 'tech')).body
        .version as number;
    });
    await settled('POST /tasks/{id}/complete', async () => {
      await api.call('POST', `/tasks/${task.id}/complete`, { expectedVersion: version }, 'tech');
    });
  }

  await moveRelease('Audit');
  await moveRelease('CMDB Update');
  await moveRelease('Closure');
  await moveChange('Reviewed');
  await moveChange('Closed');
  return { releaseId, changeId };
}
