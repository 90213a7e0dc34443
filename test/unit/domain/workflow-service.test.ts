/**
 * The workflow use cases on in-memory fakes of the store and the publisher.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../functions/domain/actor.ts';
import {
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import type { DomainEvent } from '../../../functions/domain/events.ts';
import {
  getWorkflow,
  listWorkflows,
  publishWorkflow,
  type Workflow,
  type WorkflowPorts,
  type WorkflowPublication,
  type WorkflowPublisher,
  type WorkflowStore,
  type WorkflowVersion,
  workflowIdFromName,
} from '../../../functions/domain/workflow/service.ts';
import type { WorkflowDefinitionInput } from '../../../workflows/definition.ts';

class FakeStore implements WorkflowStore {
  readonly workflows = new Map<string, Workflow>();
  readonly versions = new Map<string, WorkflowVersion>();
  readonly events: DomainEvent[] = [];
  async get(id: string) {
    return this.workflows.get(id);
  }
  async getVersion(id: string, version: number) {
    return this.versions.get(`${id}@${version}`);
  }
  async list(page: { limit: number; kind?: string | undefined }) {
    const items = [...this.workflows.values()]
      .filter((w) => !page.kind || w.kind === page.kind)
      .sort((a, b) => `${a.kind}#${a.id}`.localeCompare(`${b.kind}#${b.id}`))
      .slice(0, page.limit);
    return { items };
  }
  async publish(p: WorkflowPublication) {
    const key = `${p.published.workflowId}@${p.published.version}`;
    if (this.versions.has(key) || this.workflows.get(p.workflow.id)?.version !== p.expectedVersion) {
      throw new VersionConflictError('stale');
    }
    this.versions.set(key, p.published);
    this.workflows.set(p.workflow.id, p.workflow);
    this.events.push(p.event);
    return {};
  }
  async replayed() {
    return undefined;
  }
}

class FakePublisher implements WorkflowPublisher {
  readonly calls: { workflowId: string; stateMachineArn: string | undefined }[] = [];
  readonly #versions = new Map<string, number>();
  async publish(request: Parameters<WorkflowPublisher['publish']>[0]) {
    this.calls.push({ workflowId: request.workflowId, stateMachineArn: request.stateMachineArn });
    const arn =
      request.stateMachineArn ??
      `arn:aws:states:local:000000000000:stateMachine:release-desk-${request.workflowId}`;
    const n = (this.#versions.get(arn) ?? 0) + 1;
    this.#versions.set(arn, n);
    return {
      stateMachineArn: arn,
      stateMachineVersionArn: `${arn}:${n}`,
      asl: { Comment: request.definition.name, StartAt: request.definition.initialStage, States: {} },
    };
  }
}

function setup() {
  let n = 0;
  const store = new FakeStore();
  const publisher = new FakePublisher();
  const ports: WorkflowPorts = {
    workflowStore: store,
    workflowPublisher: publisher,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    ids: { next: (prefix: string) => `${prefix}_${++n}` },
  };
  return { store, publisher, ports };
}

const actor = (over: Partial<Actor> = {}): Actor => ({
  id: 'root',
  admin: true,
  processes: new Set(),
  teamIds: [],
  workGroupIds: [],
  ...over,
});
const releaseManager = actor({ id: 'rm', admin: false, processes: new Set(['release', 'deployment']) });

const fastTrack = (over: Partial<WorkflowDefinitionInput> = {}): WorkflowDefinitionInput => ({
  name: 'Payroll fast track',
  kind: 'release',
  initialStage: 'Build',
  deployStage: 'Deploy',
  stages: [
    { name: 'Build', transitions: [{ to: 'Deploy' }, { to: 'Cancelled', requiresReason: true }] },
    { name: 'Deploy', transitions: [{ to: 'Done' }] },
    { name: 'Done', terminal: true },
    { name: 'Cancelled', terminal: true },
  ],
  ...over,
});

describe('publishWorkflow', () => {
  it('is for administrators only', async () => {
    const { ports, publisher, store } = setup();
    await expect(publishWorkflow({ definition: fastTrack() }, releaseManager, ports)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(publisher.calls).toEqual([]);
    expect(store.workflows.size).toBe(0);
  });

  it('answers an invalid definition with 400 naming each fault under definition.', async () => {
    const { ports, publisher } = setup();
    const bad = fastTrack();
    bad.stages[0] = { name: 'Build', transitions: [{ to: 'Nowhere' }] };
    const error = await publishWorkflow({ definition: { ...bad, colour: 'red' } }, actor(), ports).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toContain('definition');
    const semantic = await publishWorkflow({ definition: bad }, actor(), ports).catch((e: unknown) => e);
    expect(semantic).toBeInstanceOf(ValidationError);
    expect((semantic as ValidationError).errors).toContainEqual({
      path: 'definition.stages.0.transitions.0.to',
      message: 'Transition target "Nowhere" is not a stage.',
    });
    expect(publisher.calls).toEqual([]);
  });

  it('creates version 1 under an id derived from the name, with its Workflow Published event', async () => {
    const { ports, publisher, store } = setup();
    const out = await publishWorkflow({ definition: fastTrack() }, actor(), ports);
    expect(out).toMatchObject({ created: true, changed: true, replayed: false });
    expect(out.workflow).toMatchObject({
      id: 'payroll-fast-track',
      name: 'Payroll fast track',
      kind: 'release',
      latestVersion: 1,
      version: 1,
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:release-desk-payroll-fast-track',
      createdBy: 'root',
    });
    expect(out.published).toMatchObject({
      version: 1,
      stateMachineVersionArn:
        'arn:aws:states:local:000000000000:stateMachine:release-desk-payroll-fast-track:1',
      publishedBy: 'root',
    });
    expect(publisher.calls).toEqual([{ workflowId: 'payroll-fast-track', stateMachineArn: undefined }]);
    expect(store.events).toEqual([
      expect.objectContaining({
        type: 'Workflow Published',
        subject: { kind: 'workflow', id: 'payroll-fast-track' },
        data: expect.objectContaining({ version: 1, kind: 'release' }),
      }),
    ]);
  });

  it('publishes the next version on the same state machine and keeps the earlier one', async () => {
    const { ports, publisher, store } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const next = await publishWorkflow(
      { id: 'fast', definition: fastTrack({ name: 'Fast track v2' }), expectedVersion: 1 },
      actor({ id: 'other-admin' }),
      ports,
    );
    expect(next).toMatchObject({ created: false, changed: true });
    expect(next.workflow).toMatchObject({
      latestVersion: 2,
      version: 2,
      name: 'Fast track v2',
      createdBy: 'root',
      updatedBy: 'other-admin',
    });
    expect(next.published.stateMachineVersionArn).toMatch(/:2$/);
    expect(publisher.calls[1]?.stateMachineArn).toBe(next.workflow.stateMachineArn);
    expect(store.versions.get('fast@1')?.definition.name).toBe('Payroll fast track');
    expect(store.events.map((e) => e.data.version)).toEqual([1, 2]);
  });

  it('refuses to change the kind of a workflow (422)', async () => {
    const { ports, publisher } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const change = fastTrack({ kind: 'change' });
    delete change.deployStage;
    const error = await publishWorkflow({ id: 'fast', definition: change }, actor(), ports).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).toMatchObject({ code: 'workflow-kind-changed' });
    expect(publisher.calls).toHaveLength(1);
  });

  it('answers a stale expectedVersion with 409 and publishes nothing', async () => {
    const { ports, publisher } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    await publishWorkflow({ id: 'fast', definition: fastTrack({ name: 'v2' }) }, actor(), ports);
    await expect(
      publishWorkflow(
        { id: 'fast', definition: fastTrack({ name: 'v3' }), expectedVersion: 1 },
        actor(),
        ports,
      ),
    ).rejects.toMatchObject({ name: 'VersionConflictError', currentVersion: 2 });
    await expect(
      publishWorkflow({ id: 'new-one', definition: fastTrack(), expectedVersion: 1 }, actor(), ports),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(publisher.calls).toHaveLength(2);
  });

  it('publishes nothing when the definition equals the latest version', async () => {
    const { ports, publisher, store } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const again = await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    expect(again).toMatchObject({ created: false, changed: false, workflow: { latestVersion: 1 } });
    expect(publisher.calls).toHaveLength(1);
    expect(store.events).toHaveLength(1);
  });

  it('checks a given id and asks for one when the name gives none', async () => {
    const { ports } = setup();
    await expect(
      publishWorkflow({ id: 'Bad_Id', definition: fastTrack() }, actor(), ports),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ path: 'id' })] });
    await expect(
      publishWorkflow({ definition: fastTrack({ name: '!!!' }) }, actor(), ports),
    ).rejects.toMatchObject({
      errors: [expect.objectContaining({ path: 'id' })],
    });
  });
});

describe('workflowIdFromName', () => {
  it.each([
    ['Payroll fast track', 'payroll-fast-track'],
    ['  Émergency -- Release! ', 'emergency-release'],
    ['x', undefined],
    ['日本', undefined],
    [`A ${'b'.repeat(100)}`, `a-${'b'.repeat(61)}`],
  ])('%s → %s', (name, id) => {
    expect(workflowIdFromName(name)).toBe(id);
  });
});

describe('getWorkflow and listWorkflows', () => {
  it('reads the latest or a given version for any process holder; 404 for what is not there', async () => {
    const { ports } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    await publishWorkflow({ id: 'fast', definition: fastTrack({ name: 'v2' }) }, actor(), ports);
    const tech = actor({ id: 'tech', admin: false, processes: new Set(['deployment']) });
    expect((await getWorkflow('fast', tech, ports)).published.definition.name).toBe('v2');
    expect((await getWorkflow('fast', tech, ports, 1)).published.definition.name).toBe('Payroll fast track');
    await expect(getWorkflow('fast', tech, ports, 3)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getWorkflow('nope', tech, ports)).rejects.toBeInstanceOf(NotFoundError);
    const nobody = actor({ id: 'nobody', admin: false });
    await expect(getWorkflow('fast', nobody, ports)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listWorkflows({ limit: 10 }, nobody, ports)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listWorkflows({ limit: 10, kind: 'change' }, tech, ports)).items).toEqual([]);
    expect((await listWorkflows({ limit: 10, kind: 'release' }, tech, ports)).items.map((w) => w.id)).toEqual(
      ['fast'],
    );
  });
});
