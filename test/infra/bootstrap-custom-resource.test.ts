/**
 * The bootstrap custom resource's function (functions/ops/bootstrap.ts) against a real table in
 * DynamoDB Local: what it creates on Create and Update, that a second run creates nothing, that
 * Delete leaves the data alone, and that it answers CloudFormation on every path (failure and its
 * own deadline included) with the body and headers a pre-signed response URL accepts.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppPorts, createPorts } from '../../functions/app/ports.ts';
import { BOOTSTRAP } from '../../functions/domain/team/team.ts';
import {
  BOOTSTRAP_PHYSICAL_ID,
  type CustomResourceResponse,
  createHandler,
} from '../../functions/ops/bootstrap.ts';
import { createTestTable } from '../support/table.ts';

let drop: () => Promise<void>;
let ports: AppPorts;

beforeAll(async () => {
  const table = await createTestTable();
  drop = table.drop;
  ports = createPorts(table.config);
});

afterAll(async () => {
  await drop();
});

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ReleaseDesk/1';

function cfnEvent(
  type: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string> = {},
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:bootstrap',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/signed',
    StackId: STACK_ID,
    RequestId: `request-${type}`,
    LogicalResourceId: 'Bootstrap',
    ResourceType: 'Custom::ReleaseDeskBootstrap',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
      OldResourceProperties: { ServiceToken: 'token' },
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID };
}

const context = (ms = 60_000) => ({ getRemainingTimeInMillis: () => ms });

/** A handler whose responses are collected instead of sent. */
function recording(portsFor: () => AppPorts = () => ports, marginMs?: number) {
  const responses: { url: string; body: CustomResourceResponse }[] = [];
  const handler = createHandler(portsFor, {
    respond: async (url, body) => {
      responses.push({ url, body });
    },
    ...(marginMs === undefined ? {} : { marginMs }),
  });
  return { handler, responses };
}

describe('bootstrap custom resource', () => {
  it('creates the bootstrap teams and the administrator on Create, and answers SUCCESS', async () => {
    const { handler, responses } = recording();
    await handler(cfnEvent('Create', { AdminUser: 'admin' }), context());
    expect(responses).toHaveLength(1);
    expect(responses[0]?.url).toBe('https://cloudformation-custom-resource-response.example/signed');
    expect(responses[0]?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
      StackId: STACK_ID,
      RequestId: 'request-Create',
      LogicalResourceId: 'Bootstrap',
      Data: { AdminUser: 'admin' },
    });
    expect(responses[0]?.body.Data?.Created?.split(',').sort()).toEqual(
      [
        BOOTSTRAP.releaseTeam.id,
        BOOTSTRAP.deploymentTeam.id,
        BOOTSTRAP.cabTeam.id,
        BOOTSTRAP.adminUserId,
      ].sort(),
    );
    const [release, deployment, cab, admin] = await Promise.all([
      ports.teams.get(BOOTSTRAP.releaseTeam.id),
      ports.teams.get(BOOTSTRAP.deploymentTeam.id),
      ports.teams.get(BOOTSTRAP.cabTeam.id),
      ports.users.get(BOOTSTRAP.adminUserId),
    ]);
    expect(release?.members).toEqual([BOOTSTRAP.adminUserId]);
    expect(deployment?.members).toEqual([BOOTSTRAP.adminUserId]);
    expect(cab).toMatchObject({ kind: 'cab', members: [BOOTSTRAP.adminUserId] });
    expect(admin).toMatchObject({ admin: true });
  });

  it('creates nothing on an Update once everything exists (idempotent)', async () => {
    const { handler, responses } = recording();
    await handler(cfnEvent('Update', { AdminUser: 'admin' }), context());
    expect(responses[0]?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
      Reason: 'Everything already existed.',
      Data: { Created: '' },
    });
  });

  it('makes another first administrator (adminUser) an administrator in the table too, once', async () => {
    const { handler, responses } = recording();
    await handler(cfnEvent('Update', { AdminUser: 'alice' }), context());
    await handler(cfnEvent('Update', { AdminUser: 'alice' }), context());
    expect(responses.map((r) => r.body.Data?.Created)).toEqual(['alice', '']);
    expect(await ports.users.get('alice')).toMatchObject({
      admin: true,
      processes: ['change', 'release', 'deployment'],
    });
  });

  it('leaves the data alone on Delete, without touching the table', async () => {
    const { handler, responses } = recording(() => {
      throw new Error('Delete must not build ports');
    });
    await handler(cfnEvent('Delete'), context());
    expect(responses[0]?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
    });
    expect(await ports.teams.get(BOOTSTRAP.releaseTeam.id)).toBeDefined();
  });

  it('answers FAILED with the reason when bootstrap fails', async () => {
    const failing = {
      ...ports,
      teams: { ...ports.teams, get: async () => Promise.reject(new Error('table unreachable')) },
    } as unknown as AppPorts;
    const { handler, responses } = recording(() => failing);
    await handler(cfnEvent('Create'), context());
    expect(responses).toHaveLength(1);
    expect(responses[0]?.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'Error: table unreachable',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
    });
    expect(responses[0]?.body.Data).toBeUndefined();
  });

  it('answers FAILED before its own timeout when bootstrap hangs', async () => {
    const hanging = {
      ...ports,
      teams: { ...ports.teams, get: () => new Promise(() => {}) },
    } as unknown as AppPorts;
    const { handler, responses } = recording(() => hanging, 200);
    const started = Date.now();
    await handler(cfnEvent('Create'), context(1_300));
    expect(Date.now() - started).toBeLessThan(1_250);
    expect(responses[0]?.body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^DeadlineError/),
    });
  });

  it('PUTs the response as JSON without a content type, as a pre-signed URL requires', async () => {
    const received: { method?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        Object.assign(received, { method: req.method, headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const handler = createHandler(() => ports);
      const event = {
        ...cfnEvent('Delete'),
        ResponseURL: `http://127.0.0.1:${port}/signed?X-Amz-Signature=x`,
      };
      await handler(event, context());
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(received.method).toBe('PUT');
    expect(received.headers?.['content-type'] ?? '').toBe('');
    expect(JSON.parse(received.body ?? '{}')).toMatchObject({
      Status: 'SUCCESS',
      StackId: STACK_ID,
      RequestId: 'request-Delete',
      LogicalResourceId: 'Bootstrap',
      PhysicalResourceId: BOOTSTRAP_PHYSICAL_ID,
    });
  });
});
