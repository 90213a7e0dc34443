/**
 * Workflows on DynamoDB Local and the local Step Functions service: publishing creates and
 * versions real state machines, the catalog resolves what releases run on, and the default
 * workflows are adopted idempotently.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListStateMachineVersionsCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/sfn/execution-view.ts';
import { SfnWorkflowPublisher } from '../../functions/adapters/sfn/workflow-publisher.ts';
import { ensureDefaultWorkflows, StoredWorkflowCatalog } from '../../functions/adapters/workflow-catalog.ts';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { createRelease } from '../../functions/domain/release/service.ts';
import { createTeam } from '../../functions/domain/team/service.ts';
import { CreateReleaseBody } from '../../functions/http/contract/releases.ts';
import { createHandler } from '../../functions/http/workflows.ts';
import { DynamoWorkflowStore } from '../../functions/store/workflow-repository.ts';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../infra/local/stepfunctions/index.ts';
import { compileWorkflow } from '../../workflows/compile.ts';
import { defaultWorkflows } from '../../workflows/defaults/index.ts';
import { parseWorkflowDefinition, type WorkflowDefinitionInput } from '../../workflows/definition.ts';
import { bodyOf, httpEvent, validRelease } from '../support/http-events.ts';
import { createTestTable, partitionItems } from '../support/table.ts';
import { seedUser } from '../support/users.ts';

const RECORD_STAGE = 'arn:aws:lambda:local:000000000000:function:record-stage';
const ROLE = 'arn:aws:iam::000000000000:role/release-desk-workflows';

type Ports = AppPorts & {
  workflows: StoredWorkflowCatalog;
  workflowStore: StoredWorkflowCatalog['store'];
  workflowPublisher: SfnWorkflowPublisher;
};

let sfnService: LocalStepFunctions;
let base: AppPorts;
let ports: Ports;
let defaultMachines: Record<string, string>;
let handler: ReturnType<typeof createHandler>;
const drops: (() => Promise<void>)[] = [];

const admin: Actor = { id: 'root', admin: true, processes: new Set(), teamIds: [], workGroupIds: [] };

/** Ports on `tableName`'s config with the workflow store, publisher and catalog built as production will. */
function workflowPorts(p: AppPorts): Ports {
  const publisher = new SfnWorkflowPublisher(p.clients.sfn, {
    recordStageFunctionArn: RECORD_STAGE,
    roleArn: ROLE,
  });
  const catalog = new StoredWorkflowCatalog({
    store: new DynamoWorkflowStore(p.clients.db, p.config.tableName),
    adopter: publisher,
    clock: p.clock,
    ids: p.ids,
    teamDefaultWorkflow: async (teamId) => (await p.teams.get(teamId))?.defaultWorkflowId,
    defaultStateMachines: defaultMachines,
  });
  return { ...p, workflows: catalog, workflowStore: catalog.store, workflowPublisher: publisher };
}

async function portsOnNewTable(): Promise<AppPorts> {
  const table = await createTestTable();
  drops.push(table.drop);
  return createPorts({ ...table.config, endpoints: { ...table.config.endpoints, sfn: sfnService.endpoint } });
}

beforeAll(async () => {
  sfnService = await startLocalStepFunctions({ invokeFunction: async () => ({}) });
  base = await portsOnNewTable();
  // As the stack (and the local cloud) does: one state machine per default workflow, no version yet.
  defaultMachines = {};
  for (const [id, def] of Object.entries(defaultWorkflows)) {
    const out = await base.clients.sfn.send(
      new CreateStateMachineCommand({
        name: id,
        definition: JSON.stringify(compileWorkflow(def, { recordStageFunctionArn: RECORD_STAGE })),
        roleArn: ROLE,
        type: 'STANDARD',
      }),
    );
    defaultMachines[id] = out.stateMachineArn as string;
  }
  ports = workflowPorts(base);
  const now = new Date().toISOString();
  for (const [id, processes, isAdmin] of [
    ['root', [], true],
    ['rm', ['release', 'deployment'], false],
    ['tech', ['deployment'], false],
  ] as const) {
    await seedUser(base, {
      id,
      processes: [...processes],
      admin: isAdmin,
      teamIds: [],
      workGroupIds: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
  }
  handler = createHandler(() => ports);
});

afterAll(async () => {
  for (const drop of drops) await drop();
  await sfnService.stop();
});

const fastTrack = (name = 'Payroll fast track'): WorkflowDefinitionInput => ({
  name,
  kind: 'release',
  initialStage: 'Build',
  deployStage: 'Deploy',
  stages: [
    { name: 'Build', transitions: [{ to: 'Deploy' }, { to: 'Cancelled', requiresReason: true }] },
    { name: 'Deploy', transitions: [{ to: 'Done' }] },
    { name: 'Done', terminal: true },
    { name: 'Cancelled', terminal: true },
  ],
});

const publish = (body: unknown, user = 'root', headers: Record<string, string> = {}) =>
  handler(httpEvent('POST /workflows', '/workflows', { user, body, headers }));

const describeMachine = (stateMachineArn: string) =>
  ports.clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));

const partition = (pk: string) => partitionItems(ports, pk);

interface WorkflowBody {
  id: string;
  kind: string;
  latestVersion: number;
  version: number;
  definitionVersion: number;
  stateMachineArn: string;
  stateMachineVersionArn: string;
  definition: { name: string };
  asl: Record<string, unknown>;
}

describe('default workflows', () => {
  it('are stored once as version 1 of the machines the stack created, however often ensured', async () => {
    const fresh = workflowPorts(await portsOnNewTable());
    const deps = {
      store: new DynamoWorkflowStore(fresh.clients.db, fresh.config.tableName),
      adopter: fresh.workflowPublisher,
      clock: fresh.clock,
      ids: fresh.ids,
    };
    const concurrent = await Promise.all([
      ensureDefaultWorkflows(deps, defaultMachines),
      ensureDefaultWorkflows(deps, defaultMachines),
    ]);
    expect(concurrent.flat().sort()).toEqual(Object.keys(defaultWorkflows).sort());
    expect(await ensureDefaultWorkflows(deps, defaultMachines)).toEqual([]);
    // And again on the shared table: the machines still have exactly one version each.
    await ensureDefaultWorkflows(
      { ...deps, store: new DynamoWorkflowStore(base.clients.db, base.config.tableName) },
      defaultMachines,
    );
    for (const [id, arn] of Object.entries(defaultMachines)) {
      const stored = await deps.store.get(id);
      expect(stored).toMatchObject({
        id,
        latestVersion: 1,
        version: 1,
        stateMachineArn: arn,
        createdBy: 'system:defaults',
      });
      const v1 = await deps.store.getVersion(id, 1);
      expect(v1?.stateMachineVersionArn).toBe(`${arn}:1`);
      expect(v1?.definition).toEqual(defaultWorkflows[id as keyof typeof defaultWorkflows]);
      expect(JSON.stringify(v1?.asl)).toBe((await describeMachine(`${arn}:1`)).definition);
      const versions = await ports.clients.sfn.send(
        new ListStateMachineVersionsCommand({ stateMachineArn: arn }),
      );
      expect(versions.stateMachineVersions).toHaveLength(1);
      const events = (await partition(`WF#${id}`)).filter((i) => i.entity === 'event');
      expect(events).toHaveLength(1);
    }
  });
});

describe('POST /workflows', () => {
  it('creates the state machine and stores version 1 with its version ARN, ASL and event', async () => {
    const res = await publish({ definition: fastTrack() });
    expect(res.statusCode).toBe(201);
    expect(res.headers?.location).toBe('/workflows/payroll-fast-track');
    const body = bodyOf<WorkflowBody>(res);
    expect(body).toMatchObject({
      id: 'payroll-fast-track',
      kind: 'release',
      latestVersion: 1,
      version: 1,
      definitionVersion: 1,
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:release-desk-payroll-fast-track',
      stateMachineVersionArn:
        'arn:aws:states:local:000000000000:stateMachine:release-desk-payroll-fast-track:1',
      definition: { name: 'Payroll fast track' },
    });
    expect(body.asl).toMatchObject({ StartAt: 'Build' });
    const machine = await describeMachine(body.stateMachineVersionArn);
    expect(JSON.parse(machine.definition ?? '')).toEqual(body.asl);
    expect(machine.roleArn).toBe(ROLE);

    const items = await partition('WF#payroll-fast-track');
    expect(items.map((i) => i.sk)).toEqual(expect.arrayContaining(['#STATE', 'VER#000001']));
    expect(items.filter((i) => i.entity === 'event')).toEqual([
      expect.objectContaining({ type: 'Workflow Published', data: expect.objectContaining({ version: 1 }) }),
    ]);
  });

  it('publishes version 2 as a new state machine version; version 1 stays readable as it was', async () => {
    await publish({ id: 'two-step', definition: fastTrack('Two step') });
    const res = await publish({
      id: 'two-step',
      definition: fastTrack('Two step, revised'),
      expectedVersion: 1,
    });
    expect(res.statusCode).toBe(200);
    const v2 = bodyOf<WorkflowBody>(res);
    expect(v2).toMatchObject({ latestVersion: 2, version: 2, definitionVersion: 2 });
    expect(v2.stateMachineVersionArn).toBe(`${v2.stateMachineArn}:2`);
    expect(res.headers?.etag).toBe('"2"');

    const stale = await publish({ id: 'two-step', definition: fastTrack('Lost'), expectedVersion: 1 });
    expect(stale.statusCode).toBe(409);

    const latest = bodyOf<WorkflowBody>(
      await handler(httpEvent('GET /workflows/{id}', '/workflows/two-step', { user: 'tech' })),
    );
    expect(latest).toEqual(v2);
    const old = await handler(
      httpEvent('GET /workflows/{id}', '/workflows/two-step', { user: 'tech', query: { version: '1' } }),
    );
    expect(old.statusCode).toBe(200);
    const v1 = bodyOf<WorkflowBody>(old);
    expect(v1).toMatchObject({ latestVersion: 2, definitionVersion: 1, definition: { name: 'Two step' } });
    expect(v1.stateMachineVersionArn).toBe(`${v2.stateMachineArn}:1`);
    expect((await describeMachine(v1.stateMachineVersionArn)).definition).toBe(JSON.stringify(v1.asl));
    expect(v1.asl.Comment).not.toEqual(v2.asl.Comment);
    const missing = await handler(
      httpEvent('GET /workflows/{id}', '/workflows/two-step', { user: 'tech', query: { version: '3' } }),
    );
    expect(missing.statusCode).toBe(404);
  });

  it('adopts a state machine an interrupted earlier attempt left behind (retry safety)', async () => {
    // A first attempt created the machine, then failed before storing the workflow.
    const orphanArn = (
      await ports.clients.sfn.send(
        new CreateStateMachineCommand({
          name: 'release-desk-orphan',
          definition: JSON.stringify(
            compileWorkflow(parseWorkflowDefinition(fastTrack('Orphan draft')), {
              recordStageFunctionArn: RECORD_STAGE,
            }),
          ),
          roleArn: ROLE,
          type: 'STANDARD',
        }),
      )
    ).stateMachineArn;
    const res = await publish({ id: 'orphan', definition: fastTrack('Orphan') });
    expect(res.statusCode).toBe(201);
    const body = bodyOf<WorkflowBody>(res);
    expect(body).toMatchObject({
      stateMachineArn: orphanArn,
      latestVersion: 1,
      definition: { name: 'Orphan' },
    });
    expect(JSON.parse((await describeMachine(body.stateMachineVersionArn)).definition ?? '')).toEqual(
      body.asl,
    );
  });

  it('replays a retried POST with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'wf-retry-1' };
    const first = await publish({ id: 'retried', definition: fastTrack('Retried') }, 'root', headers);
    const again = await publish({ id: 'retried', definition: fastTrack('Retried') }, 'root', headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(again)).toEqual(bodyOf(first));
    const reused = await publish({ id: 'retried', definition: fastTrack('Other') }, 'root', headers);
    expect(reused.statusCode).toBe(422);
  });

  it('is refused to non-administrators (403) and to invalid definitions (400); nothing is stored', async () => {
    const forbidden = await publish({ id: 'sneaky', definition: fastTrack() }, 'rm');
    expect(forbidden.statusCode).toBe(403);
    const def = fastTrack();
    def.stages[0] = { name: 'Build', transitions: [{ to: 'Nowhere' }] };
    const invalid = await publish({ id: 'sneaky', definition: def });
    expect(invalid.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(invalid).errors.map((e) => e.path)).toContain(
      'definition.stages.0.transitions.0.to',
    );
    expect(await partition('WF#sneaky')).toEqual([]);
    const kindChange = await publish({
      id: 'payroll-fast-track',
      definition: { ...fastTrack(), kind: 'change', deployStage: undefined },
    });
    expect(kindChange.statusCode).toBe(422);
    expect(bodyOf(kindChange).type).toBe('urn:release-desk:problem:workflow-kind-changed');
  });
});

describe('GET /workflows', () => {
  it('lists release and change workflows (defaults included), filters by kind and pages', async () => {
    const all: { id: string; kind: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await handler(
        httpEvent('GET /workflows', '/workflows', {
          user: 'tech',
          query: { limit: '2', ...(cursor ? { cursor } : {}) },
        }),
      );
      expect(res.statusCode).toBe(200);
      const page = bodyOf<{ items: { id: string; kind: string }[]; nextCursor?: string }>(res);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const ids = all.map((w) => w.id);
    expect(ids).toEqual(
      expect.arrayContaining(['change-normal', 'release-default', 'payroll-fast-track', 'two-step']),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.map((w) => w.kind)).toEqual([...all.map((w) => w.kind)].sort());

    const changes = bodyOf<{ items: { kind: string; id: string }[] }>(
      await handler(httpEvent('GET /workflows', '/workflows', { user: 'tech', query: { kind: 'change' } })),
    );
    expect(changes.items.map((w) => w.id).sort()).toEqual([
      'change-emergency',
      'change-normal',
      'change-standard',
    ]);
    const bad = await handler(
      httpEvent('GET /workflows', '/workflows', { user: 'tech', query: { kind: 'rfc' } }),
    );
    expect(bad.statusCode).toBe(400);
    const nobody = await handler(httpEvent('GET /workflows', '/workflows', { user: 'stranger' }));
    expect(nobody.statusCode).toBe(403);
  });
});

describe('the workflow catalog', () => {
  it('resolves the named workflow, else the team default, else release-default; only release workflows', async () => {
    await publish({ id: 'team-flow', definition: fastTrack('Team flow') });
    const { team } = await createTeam(
      { name: 'Payroll', kind: 'release', workGroups: [], members: [], defaultWorkflowId: 'team-flow' },
      admin,
      ports,
    );
    const teamFlow = await ports.workflowStore.get('team-flow');
    expect(await ports.workflows.workflowFor('release', undefined, team.id)).toEqual({
      id: 'team-flow',
      version: 1,
      stateMachineArn: `${teamFlow?.stateMachineArn}:1`,
      initialStage: 'Build',
    });
    expect(await ports.workflows.workflowFor('release', 'release-fast-track', team.id)).toMatchObject({
      id: 'release-fast-track',
      stateMachineArn: `${defaultMachines['release-fast-track']}:1`,
    });
    expect(await ports.workflows.workflowFor('release', undefined, undefined)).toEqual({
      id: 'release-default',
      version: 1,
      stateMachineArn: `${defaultMachines['release-default']}:1`,
      initialStage: 'Assessment',
    });
    await expect(ports.workflows.workflowFor('release', 'change-normal', undefined)).rejects.toMatchObject({
      code: 'workflow-not-release',
    });
    await expect(ports.workflows.workflowFor('release', 'no-such-flow', undefined)).rejects.toMatchObject({
      code: 'unknown-workflow',
    });
  });

  it('keeps a release on the version it started on after the next version is published', async () => {
    await publish({ id: 'pinned', definition: fastTrack('Pinned v1') });
    const { release } = await createRelease(
      CreateReleaseBody.parse(validRelease({ workflowId: 'pinned' })),
      admin,
      ports,
    );
    const v1Arn = release.workflow.stateMachineArn;
    // What the Release Created consumer does (no consumers run here).
    await ports.executions.start('release', release);
    expect(release.workflow).toMatchObject({ id: 'pinned', version: 1, initialStage: 'Build' });
    expect(v1Arn).toMatch(/:stateMachine:release-desk-pinned:1$/);

    const def2 = fastTrack('Pinned v2');
    def2.initialStage = 'Deploy';
    def2.stages[1] = { name: 'Deploy', transitions: [{ to: 'Done' }, { to: 'Build' }] };
    const v2 = await publish({ id: 'pinned', definition: def2 });
    expect(v2.statusCode).toBe(200);

    const stored = await ports.releases.get(release.id);
    expect(stored?.workflow).toEqual(release.workflow);
    expect((await ports.workflows.definition(release.workflow)).name).toBe('Pinned v1');
    const execution = await ports.clients.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(v1Arn, release.id) }),
    );
    expect(execution.stateMachineVersionArn).toBe(v1Arn);

    const next = await ports.workflows.workflowFor('release', 'pinned', undefined);
    expect(next).toMatchObject({ version: 2, initialStage: 'Deploy' });
    expect(next.stateMachineArn).toMatch(/:stateMachine:release-desk-pinned:2$/);
  });
});
