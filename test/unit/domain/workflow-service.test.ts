/**
 * The workflow use cases on the shared in-memory fakes of the store and the publisher.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../functions/domain/actor.ts';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RuleViolationError,
  ValidationError,
  VersionConflictError,
} from '../../../functions/domain/errors.ts';
import {
  getWorkflow,
  listWorkflows,
  publishWorkflow,
  type WorkflowPorts,
  workflowIdFromName,
} from '../../../functions/domain/workflow/service.ts';
import type { WorkflowDefinitionInput } from '../../../workflows/definition.ts';
import { FakeWorkflowPublisher, FakeWorkflowStore, fixedClock, sequentialIds } from '../../support/fakes.ts';

function setup() {
  const store = new FakeWorkflowStore();
  const publisher = new FakeWorkflowPublisher();
  const ports: WorkflowPorts = {
    workflowStore: store,
    workflowPublisher: publisher,
    clock: fixedClock('2026-01-01T00:00:00Z'),
    ids: sequentialIds(),
  };
  return { store, publisher, ports, events: store.table.events };
}

/** The publisher's calls: which workflow, on which state machine. */
const published = (publisher: FakeWorkflowPublisher) =>
  publisher.calls.map(({ args: [request] }) => {
    const { workflowId, stateMachineArn } = request as { workflowId: string; stateMachineArn?: string };
    return { workflowId, stateMachineArn };
  });

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
    const { ports, publisher, events } = setup();
    const out = await publishWorkflow({ definition: fastTrack() }, actor(), ports);
    expect(out).toMatchObject({ created: true, changed: true, replayed: false });
    expect(out.workflow).toMatchObject({
      id: 'payroll-fast-track',
      name: 'Payroll fast track',
      kind: 'release',
      latestVersion: 1,
      version: 1,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-payroll-fast-track',
      createdBy: 'root',
    });
    expect(out.published).toMatchObject({
      version: 1,
      stateMachineVersionArn:
        'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-payroll-fast-track:1',
      publishedBy: 'root',
    });
    expect(published(publisher)).toEqual([{ workflowId: 'payroll-fast-track', stateMachineArn: undefined }]);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'Workflow Published',
        subject: { kind: 'workflow', id: 'payroll-fast-track' },
        data: expect.objectContaining({ version: 1, kind: 'release' }),
      }),
    ]);
  });

  it('publishes the next version on the same state machine and keeps the earlier one', async () => {
    const { ports, publisher, store, events } = setup();
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
    expect(published(publisher)[1]?.stateMachineArn).toBe(next.workflow.stateMachineArn);
    expect(store.versions.get('fast@1')?.definition.name).toBe('Payroll fast track');
    expect(events.map((e) => e.data.version)).toEqual([1, 2]);
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
    const { ports, publisher, events } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const again = await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    expect(again).toMatchObject({ created: false, changed: false, workflow: { latestVersion: 1 } });
    expect(publisher.calls).toHaveLength(1);
    expect(events).toHaveLength(1);
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

describe('publishWorkflow under an Idempotency-Key', () => {
  const key = (fingerprint = 'body-1') => ({ scope: 'root', key: 'k1', fingerprint });

  it('replays the first outcome without publishing again, and refuses the key for another request', async () => {
    const { ports, publisher, events } = setup();
    const first = await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports, key());
    const again = await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports, key());
    expect(again).toEqual({ ...first, replayed: true });
    expect(publisher.calls).toHaveLength(1);
    expect(events).toHaveLength(1);
    const error = await publishWorkflow(
      { id: 'fast', definition: fastTrack({ name: 'v2' }) },
      actor(),
      ports,
      key('body-2'),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(publisher.calls).toHaveLength(1);
  });

  it('replays a later version as not created', async () => {
    const { ports } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const second = { id: 'fast', definition: fastTrack({ name: 'v2' }) };
    await publishWorkflow(second, actor(), ports, key());
    expect(await publishWorkflow(second, actor(), ports, key())).toMatchObject({
      created: false,
      changed: true,
      replayed: true,
      published: { version: 2 },
    });
  });

  it('answers the loser of two requests racing with one key with the winner’s version', async () => {
    const { ports, events } = setup();
    const [a, b] = await Promise.all([
      publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports, key()),
      publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports, key()),
    ]);
    expect([a?.replayed, b?.replayed]).toEqual([false, true]);
    expect(b).toMatchObject({ created: true, changed: true, workflow: a?.workflow, published: a?.published });
    expect(events).toHaveLength(1);
    // The same race for a later version: the loser's answer is not a creation.
    const next = { id: 'fast', definition: fastTrack({ name: 'v2' }) };
    const [c, d] = await Promise.all([
      publishWorkflow(next, actor(), ports, { ...key(), key: 'k2' }),
      publishWorkflow(next, actor(), ports, { ...key(), key: 'k2' }),
    ]);
    expect([c?.created, d?.created, d?.replayed, d?.published.version]).toEqual([false, false, true, 2]);
  });
});

describe('publishWorkflow: what a new version keeps and what it says', () => {
  it('keeps the creation, the kind and the machine, and takes the new name and description', async () => {
    const { ports, store } = setup();
    await publishWorkflow(
      { id: 'fast', definition: fastTrack({ description: 'First' }) },
      actor({ id: 'first' }),
      ports,
    );
    expect(store.workflows.get('fast')?.description).toBe('First');
    const next = await publishWorkflow({ id: 'fast', definition: fastTrack({ name: 'v2' }) }, actor(), ports);
    expect(next.workflow).toEqual({
      id: 'fast',
      name: 'v2',
      kind: 'release',
      latestVersion: 2,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-fast',
      version: 2,
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'first',
      updatedAt: '2026-01-01T00:00:00.000Z',
      updatedBy: 'root',
    });
    expect(store.table.events.at(-1)).toEqual({
      id: 'evt_0002',
      type: 'Workflow Published',
      occurredAt: '2026-01-01T00:00:00.000Z',
      actor: 'root',
      subject: { kind: 'workflow', id: 'fast' },
      data: {
        workflowId: 'fast',
        version: 2,
        name: 'v2',
        kind: 'release',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-fast',
        stateMachineVersionArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-desk-fast:2',
      },
    });
  });

  it('compares definitions by content: key order does not matter, stage order does', async () => {
    const { ports, publisher } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const reordered = JSON.parse(
      JSON.stringify(fastTrack(), (_k, v) =>
        v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
      ),
    );
    expect(await publishWorkflow({ id: 'fast', definition: reordered }, actor(), ports)).toMatchObject({
      changed: false,
      created: false,
      replayed: false,
      published: { version: 1 },
    });
    // An optional field left undefined is no change either.
    const undefinedDescription = { ...fastTrack(), description: undefined };
    expect(
      (await publishWorkflow({ id: 'fast', definition: undefinedDescription }, actor(), ports)).changed,
    ).toBe(false);
    // A number or a flag alone is a change.
    const timed = fastTrack();
    timed.stages[1] = { name: 'Deploy', timeoutSeconds: 60, transitions: [{ to: 'Done' }] };
    const withTimeout = await publishWorkflow({ id: 'fast', definition: timed }, actor(), ports);
    expect(withTimeout.changed).toBe(true);
    const longer = fastTrack();
    longer.stages[1] = { name: 'Deploy', timeoutSeconds: 120, transitions: [{ to: 'Done' }] };
    expect(
      (await publishWorkflow({ id: 'fast', definition: longer }, actor(), ports)).published.version,
    ).toBe(3);
    const unreasoned = fastTrack();
    unreasoned.stages[0] = {
      name: 'Build',
      transitions: [{ to: 'Deploy' }, { to: 'Cancelled', requiresReason: false }],
    };
    expect(
      (await publishWorkflow({ id: 'fast', definition: unreasoned }, actor(), ports)).published.version,
    ).toBe(4);
    const stages = [...fastTrack().stages].reverse();
    const moved = await publishWorkflow({ id: 'fast', definition: fastTrack({ stages }) }, actor(), ports);
    expect(moved).toMatchObject({ changed: true, published: { version: 5 } });
    const renamedStage = fastTrack();
    renamedStage.stages[3] = { name: 'Dropped', terminal: true };
    renamedStage.stages[0] = {
      name: 'Build',
      transitions: [{ to: 'Deploy' }, { to: 'Dropped', requiresReason: true }],
    };
    const third = await publishWorkflow({ id: 'fast', definition: renamedStage }, actor(), ports);
    expect(third.published.version).toBe(6);
    expect(publisher.calls).toHaveLength(6);
  });

  it('says why a publish is refused', async () => {
    const { ports } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    await publishWorkflow({ id: 'fast', definition: fastTrack({ name: 'v2' }) }, actor(), ports);
    await expect(
      publishWorkflow(
        { id: 'fast', definition: fastTrack({ name: 'v3' }), expectedVersion: 1 },
        actor(),
        ports,
      ),
    ).rejects.toThrow('Workflow fast is at version 2, not 1; read it again and retry.');
    const fresh = await publishWorkflow(
      { id: 'new-one', definition: fastTrack(), expectedVersion: 1 },
      actor(),
      ports,
    ).catch((e: unknown) => e);
    expect(fresh).toMatchObject({
      currentVersion: undefined,
      message: 'Workflow new-one does not exist yet; leave expectedVersion out to create it.',
    });
    const change = fastTrack({ kind: 'change' });
    delete change.deployStage;
    await expect(publishWorkflow({ id: 'fast', definition: change }, actor(), ports)).rejects.toMatchObject({
      message: 'Workflow fast is a release workflow; a new version cannot make it a change workflow.',
      details: { workflowId: 'fast', kind: 'release' },
    });
    const badId = await publishWorkflow({ id: 'Bad_Id', definition: fastTrack() }, actor(), ports).catch(
      (e: unknown) => e,
    );
    expect(badId).toMatchObject({
      message: 'The workflow id is not valid.',
      errors: [
        { path: 'id', message: 'must be 2-63 characters of a-z 0-9 -, starting with a letter or digit' },
      ],
    });
    const noSlug = await publishWorkflow({ definition: fastTrack({ name: '!!!' }) }, actor(), ports).catch(
      (e: unknown) => e,
    );
    expect(noSlug).toMatchObject({
      message: 'No workflow id can be derived from the name.',
      errors: [{ path: 'id', message: 'is required: the name gives no slug of 2-63 characters a-z 0-9 -' }],
    });
    const invalid = await publishWorkflow({ definition: { name: 'x' } }, actor(), ports).catch(
      (e: unknown) => e,
    );
    expect(invalid).toMatchObject({ message: 'The workflow definition is not valid.' });
  });

  it('reads a version that was never published as 404, naming it', async () => {
    const { ports, store } = setup();
    await publishWorkflow({ id: 'fast', definition: fastTrack() }, actor(), ports);
    const tech = actor({ id: 'tech', admin: false, processes: new Set(['deployment']) });
    await expect(getWorkflow('fast', tech, ports, 2)).rejects.toThrow(
      'Version of workflow fast v2 was not found.',
    );
    expect(store.count('getVersion')).toBe(0);
    await expect(getWorkflow('nope', tech, ports)).rejects.toThrow('Workflow nope was not found.');
    store.versions.delete('fast@1');
    await expect(getWorkflow('fast', tech, ports)).rejects.toThrow(
      'Version of workflow fast v1 was not found.',
    );
  });

  it('lists workflows by kind then id, a page at a time', async () => {
    const { ports } = setup();
    const change = fastTrack({ kind: 'change', name: 'Change flow' });
    delete change.deployStage;
    for (const [id, definition] of [
      ['zeta', fastTrack()],
      ['alpha', fastTrack()],
      ['beta', change],
    ] as const) {
      await publishWorkflow({ id, definition }, actor(), ports);
    }
    const tech = actor({ id: 'tech', admin: false, processes: new Set(['deployment']) });
    const first = await listWorkflows({ limit: 2 }, tech, ports);
    expect(first.items.map((w) => w.id)).toEqual(['beta', 'alpha']);
    const rest = await listWorkflows({ limit: 2, cursor: first.nextCursor }, tech, ports);
    expect(rest).toEqual({ items: [expect.objectContaining({ id: 'zeta' })] });
  });
});
