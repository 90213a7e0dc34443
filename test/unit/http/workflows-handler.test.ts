/**
 * The workflows handler through the production middy chain on in-memory ports, and its routes in
 * the generated OpenAPI document.
 */
import { describe, expect, it } from 'vitest';
import type { User } from '../../../functions/domain/user/user.ts';
import type {
  Workflow,
  WorkflowPublication,
  WorkflowStore,
  WorkflowVersion,
} from '../../../functions/domain/workflow/service.ts';
import { buildOpenApiDocument } from '../../../functions/http/contract/openapi.ts';
import { createHandler } from '../../../functions/http/workflows.ts';
import { bodyOf, httpEvent } from '../../support/http-events.ts';

const users: Record<string, User> = {
  root: {
    id: 'root',
    processes: [],
    admin: true,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: 't',
    updatedAt: 't',
  },
  rm: {
    id: 'rm',
    processes: ['release', 'deployment'],
    admin: false,
    teamIds: [],
    workGroupIds: [],
    version: 1,
    createdAt: 't',
    updatedAt: 't',
  },
};

function handlerOnFakes() {
  const workflows = new Map<string, Workflow>();
  const versions = new Map<string, WorkflowVersion>();
  const store: WorkflowStore = {
    get: async (id) => workflows.get(id),
    getVersion: async (id, v) => versions.get(`${id}@${v}`),
    list: async () => ({ items: [...workflows.values()] }),
    publish: async (p: WorkflowPublication) => {
      workflows.set(p.workflow.id, p.workflow);
      versions.set(`${p.workflow.id}@${p.published.version}`, p.published);
      return {};
    },
    replayed: async () => undefined,
  };
  let published = 0;
  let n = 0;
  const handler = createHandler(() => ({
    users: { get: async (id: string) => users[id] },
    workflowStore: store,
    workflowPublisher: {
      publish: async ({ workflowId, definition }) => {
        published++;
        const arn = `arn:aws:states:us-east-1:123456789012:stateMachine:release-desk-${workflowId}`;
        return {
          stateMachineArn: arn,
          stateMachineVersionArn: `${arn}:${published}`,
          asl: { Comment: definition.name, StartAt: definition.initialStage, States: {} },
        };
      },
    },
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    ids: { next: (prefix: string) => `${prefix}_${++n}` },
  }));
  return { handler, publishedCount: () => published };
}

const definition = {
  name: 'Hotfix',
  kind: 'release',
  initialStage: 'Fix',
  stages: [
    { name: 'Fix', transitions: [{ to: 'Done' }] },
    { name: 'Done', terminal: true },
  ],
};

describe('POST /workflows', () => {
  it('publishes for an administrator: 201 with Location, ETag and the version ARN', async () => {
    const { handler } = handlerOnFakes();
    const res = await handler(
      httpEvent('POST /workflows', '/workflows', { user: 'root', body: { definition } }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.headers).toMatchObject({ location: '/workflows/hotfix', etag: '"1"' });
    expect(bodyOf(res)).toMatchObject({
      id: 'hotfix',
      latestVersion: 1,
      definitionVersion: 1,
      stateMachineVersionArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:release-desk-hotfix:1',
      definition: {
        name: 'Hotfix',
        stages: [{ name: 'Fix', transitions: [{ to: 'Done' }] }, { name: 'Done' }],
      },
      asl: { StartAt: 'Fix' },
    });
  });

  it('answers a non-administrator with 403 and publishes nothing', async () => {
    const { handler, publishedCount } = handlerOnFakes();
    const res = await handler(
      httpEvent('POST /workflows', '/workflows', { user: 'rm', body: { definition } }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(publishedCount()).toBe(0);
  });

  it('names every fault of the definition by its path (400)', async () => {
    const { handler, publishedCount } = handlerOnFakes();
    const bad = {
      ...definition,
      stages: [
        { name: 'Fix', transitions: [{ to: 'Nowhere', colour: 'red' }] },
        { name: 'Done', terminal: true },
      ],
    };
    const res = await handler(
      httpEvent('POST /workflows', '/workflows', {
        user: 'root',
        body: { id: 'Not A Slug', definition: bad },
      }),
    );
    expect(res.statusCode).toBe(400);
    const paths = bodyOf<{ errors: { path: string }[] }>(res).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'definition.stages.0.transitions.0.colour']));
    const semantic = await handler(
      httpEvent('POST /workflows', '/workflows', {
        user: 'root',
        body: {
          definition: { ...bad, stages: [{ name: 'Fix', transitions: [{ to: 'Nowhere' }] }, bad.stages[1]] },
        },
      }),
    );
    expect(semantic.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(semantic).errors.map((e) => e.path)).toContain(
      'definition.stages.0.transitions.0.to',
    );
    expect(publishedCount()).toBe(0);
  });

  it('answers 200 for the next version of an existing workflow', async () => {
    const { handler } = handlerOnFakes();
    await handler(httpEvent('POST /workflows', '/workflows', { user: 'root', body: { definition } }));
    const res = await handler(
      httpEvent('POST /workflows', '/workflows', {
        user: 'root',
        body: { id: 'hotfix', definition: { ...definition, description: 'Faster' }, expectedVersion: 1 },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers?.location).toBeUndefined();
    expect(bodyOf(res)).toMatchObject({ latestVersion: 2, version: 2, description: 'Faster' });
  });
});

describe('GET /workflows/{id}', () => {
  it('answers 400 to a bad version and 404 to an unknown workflow', async () => {
    const { handler } = handlerOnFakes();
    const bad = await handler(
      httpEvent('GET /workflows/{id}', '/workflows/hotfix', { user: 'rm', query: { version: 'x' } }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string }[] }>(bad).errors[0]?.path).toBe('query.version');
    const missing = await handler(httpEvent('GET /workflows/{id}', '/workflows/nope', { user: 'rm' }));
    expect(missing.statusCode).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents the workflow routes with the definition schema as a component', () => {
    const doc = buildOpenApiDocument();
    expect(
      Object.keys(doc.paths ?? {})
        .filter((p) => p.startsWith('/workflows'))
        .sort(),
    ).toEqual(['/workflows', '/workflows/{id}']);
    expect(Object.keys(doc.paths?.['/workflows'] ?? {}).sort()).toEqual(['get', 'post']);
    const schemas = doc.components?.schemas ?? {};
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['WorkflowDefinition', 'PublishWorkflow', 'Workflow']),
    );
    expect(JSON.stringify(schemas.WorkflowDefinition)).toContain('initialStage');
  });
});
