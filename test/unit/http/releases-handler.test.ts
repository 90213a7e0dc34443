/**
 * The releases handler through the production middy chain, with the AWS SDK mocked.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../functions/app/config.ts';
import { createPorts } from '../../../functions/app/ports.ts';
import { createHandler } from '../../../functions/http/releases.ts';
import { configuredWorkflowCatalog } from '../../support/configured-workflows.ts';
import { bodyOf, httpEvent, validRelease } from '../../support/http-events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:release-default';
const config = readConfig({
  TABLE_NAME: 'release-desk',
  AWS_REGION: 'us-east-1',
  DEFAULT_RELEASE_STATE_MACHINE_ARN: STATE_MACHINE,
});
const ports = { ...createPorts(config), workflows: configuredWorkflowCatalog(STATE_MACHINE) };
const handler = createHandler(() => ports);

const releaseManager = {
  pk: 'USER#rm',
  sk: '#STATE',
  id: 'rm',
  processes: ['release'],
  admin: false,
  teamIds: ['team_release'],
  workGroupIds: ['wg_release'],
};
const releaseTeam = {
  pk: 'TEAM#team_release',
  sk: '#STATE',
  id: 'team_release',
  kind: 'release',
  members: ['rm'],
};

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: { pk: 'USER#rm', sk: '#STATE' } }).resolves({ Item: releaseManager });
  dynamo.on(GetCommand, { Key: { pk: 'TEAM#team_release', sk: '#STATE' } }).resolves({ Item: releaseTeam });
  dynamo.on(TransactWriteCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
});

afterEach(() => {
  dynamo.reset();
  sfn.reset();
});

describe('POST /releases', () => {
  it('stores the release and its Release Created event in one transaction', async () => {
    const res = await handler(httpEvent('POST /releases', '/releases', { user: 'rm', body: validRelease() }));
    expect(res.statusCode).toBe(201);
    const release = bodyOf<{ id: string }>(res);

    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const items = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    const puts = items.map((i) => i.Put);
    expect(puts).toHaveLength(2);
    const [state, event] = puts;
    expect(state?.Item?.pk).toBe(`REL#${release.id}`);
    expect(state?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(event?.Item).toMatchObject({ pk: `REL#${release.id}`, entity: 'event', type: 'Release Created' });
  });

  it('answers without waiting for Step Functions, even when it fails: the Release Created consumer starts the execution', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    const res = await handler(httpEvent('POST /releases', '/releases', { user: 'rm', body: validRelease() }));
    expect(res.statusCode).toBe(201);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 409 problem+json when a concurrent writer wins', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    const res = await handler(httpEvent('POST /releases', '/releases', { user: 'rm', body: validRelease() }));
    expect(res.statusCode).toBe(409);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
  });

  it('answers 401 without a token, before touching the table', async () => {
    const res = await handler(httpEvent('POST /releases', '/releases', { body: validRelease() }));
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Bearer');
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });

  it('names every bad field, and writes nothing', async () => {
    const res = await handler(
      httpEvent('POST /releases', '/releases', {
        user: 'rm',
        body: validRelease({
          releaseType: 'huge',
          urgency: 3,
          plannedStart: 'tomorrow',
          tasks: [{ title: '', workGroupId: 'wg', ciIds: [], ciUpdates: [{ ciId: 'ci_x', set: {} }] }],
        }),
      }),
    );
    expect(res.statusCode).toBe(400);
    const paths = bodyOf<{ errors: { path: string }[] }>(res).errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'releaseType',
        'urgency',
        'plannedStart',
        'tasks.0.title',
        'tasks.0.ciUpdates.0.set',
        'tasks.0.ciUpdates.0.ciId',
      ]),
    );
    // Cross-field rules are checked once every field is well formed.
    const crossField = await handler(
      httpEvent('POST /releases', '/releases', {
        user: 'rm',
        body: validRelease({ deployment: { managedByChange: true } }),
      }),
    );
    expect(bodyOf<{ errors: { path: string }[] }>(crossField).errors.map((e) => e.path)).toEqual([
      'deployment.changeTriggerState',
      'changeIds',
    ]);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });

  it('refuses the same RFC twice and a plan of tasks over 100,000 bytes as 400 naming the field', async () => {
    const twice = await handler(
      httpEvent('POST /releases', '/releases', {
        user: 'rm',
        body: validRelease({ changeIds: ['chg_1', 'chg_2', 'chg_1'] }),
      }),
    );
    expect(twice.statusCode).toBe(400);
    expect(bodyOf<{ errors: unknown[] }>(twice).errors).toEqual([
      { path: 'changeIds.2', message: 'repeats the id of item 0' },
    ]);
    const huge = Array.from({ length: 11 }, (_, i) => ({
      title: `Task ${i}`,
      description: 'x'.repeat(10_000),
      workGroupId: 'wg_ops',
    }));
    const plan = await handler(
      httpEvent('POST /releases', '/releases', { user: 'rm', body: validRelease({ tasks: huge }) }),
    );
    expect(plan.statusCode).toBe(400);
    expect(bodyOf<{ errors: { path: string; message: string }[] }>(plan).errors).toEqual([
      {
        path: 'tasks',
        message: expect.stringMatching(/^takes 110\d{3} bytes as JSON; a plan takes at most 100000$/),
      },
    ]);
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 0);
  });

  it('rejects a body over 256 KiB with 413, malformed JSON with 400, another media type with 415', async () => {
    const big = await handler(
      httpEvent('POST /releases', '/releases', { user: 'rm', rawBody: `"${'x'.repeat(300_000)}"` }),
    );
    expect(big.statusCode).toBe(413);
    const broken = await handler(
      httpEvent('POST /releases', '/releases', { user: 'rm', rawBody: '{"title":' }),
    );
    expect(broken.statusCode).toBe(400);
    const form = await handler(
      httpEvent('POST /releases', '/releases', {
        user: 'rm',
        rawBody: 'a=b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(form.statusCode).toBe(415);
  });

  it('turns an unknown failure into a generic 500 that leaks nothing', async () => {
    dynamo.on(TransactWriteCommand).rejects(new Error('secret connection string xyz'));
    const res = await handler(httpEvent('POST /releases', '/releases', { user: 'rm', body: validRelease() }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(bodyOf(res)).toMatchObject({ status: 500, title: 'Internal Server Error' });
  });
});

describe('GET /releases/{id}', () => {
  it('answers 404 problem+json for an unknown release and for a malformed id', async () => {
    dynamo
      .on(BatchGetCommand)
      .resolves({ Responses: { 'release-desk': [releaseManager] }, UnprocessedKeys: {} });
    const unknown = await handler(httpEvent('GET /releases/{id}', '/releases/rel_nope', { user: 'rm' }));
    expect(unknown.statusCode).toBe(404);
    const malformed = await handler(httpEvent('GET /releases/{id}', '/releases/%20bad id', { user: 'rm' }));
    expect(malformed.statusCode).toBe(404);
    // The caller and the release in one BatchGetItem; a malformed id reads the caller alone.
    expect(dynamo).toHaveReceivedCommandTimes(BatchGetCommand, 1);
    expect(
      dynamo.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.['release-desk']?.Keys,
    ).toEqual([
      { pk: 'USER#rm', sk: '#STATE' },
      { pk: 'REL#rel_nope', sk: '#STATE' },
    ]);
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'USER#rm', sk: '#STATE' } });
  });
});
