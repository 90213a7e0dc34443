/**
 * The operator console (issue 16) in a real headless browser: Debian's chromium driven by
 * playwright-core against a local cloud. A release manager signs in by choosing a user, opens a
 * release and moves it on — the stage, the graph, the history and the execution agree; a
 * technician completes a task from the queue; an API problem shows as its title and detail; axe
 * finds no serious or critical violation on any view. Screenshots go to test/artifacts/.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSecurityHeaders } from '../../infra/local/console.ts';
import { releaseBody, taskBody } from '../support/api-bodies.ts';
import { seedCi } from '../support/cis.ts';
import * as ui from '../support/console.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { joinTeam } from '../support/teams.ts';

let t: TestCloud;
let browser: Browser;
let consoleUrl: string;
let releaseId: string;

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release', 'change'], tech: ['deployment'] });
  await joinTeam(t.cloud.ports, ['tech'], 'team_deployment');
  await seedCi(t.cloud.ports, 'ci_payroll');
  await ok(
    t.api().POST('/changes', {
      body: {
        title: 'Upgrade payroll database',
        type: 'normal',
        risk: 'medium',
        impact: 'medium',
        urgency: 'high',
        ciIds: ['ci_payroll'],
      },
    }),
    201,
  );
  const created = await ok(
    t.api().POST('/releases', {
      body: releaseBody({
        title: 'Payroll 4.2 in the console',
        tasks: [taskBody({ title: 'Upgrade payroll nodes', workGroupId: 'wg_deployment' })],
      }),
    }),
    201,
  );
  releaseId = created.id;
  await t.cloud.settle();
  consoleUrl = ui.consoleUrlOf(t.cloud.apiUrl);
  browser = await ui.launchChromium();
}, 120_000);

afterAll(() => ui.closeConsoleTest(browser, t));

// The helpers live in test/support/console.ts, shared with the other console browser tests.
const newPage = () => ui.newPage(browser);
const { expectAccessible, screenshot } = ui;

/** GET with a Host header of our choosing (fetch does not let one set it). */
function statusWithHost(path: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.cloud.apiUrl}${path}`, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

const signIn = (page: Page, user: string) => ui.signIn(page, consoleUrl, user);

describe('the operator console on the local cloud', () => {
  it('serves its assets with the security headers, offline (no other origin)', async () => {
    for (const path of ['', 'app.js', 'app.css']) {
      const res = await fetch(`${consoleUrl}${path}`);
      expect(res.status, path).toBe(200);
      // The local console may also connect to the local Step Functions endpoint (Executions view).
      for (const [name, value] of Object.entries(consoleSecurityHeaders(undefined, t.cloud.sfnEndpoint)))
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      // No other origin is reached for (XML namespace names are identifiers, never fetched).
      const remote = (await res.text()).match(/https?:\/\/[^\s"'`)]+/g) ?? [];
      expect(remote.filter((u) => !u.startsWith('http://www.w3.org/'))).toEqual([]);
    }
    expect((await fetch(`${consoleUrl}nothing.js`)).status).toBe(404);
  });

  it('signs in only pages of its own origin, only existing users', async () => {
    const base = t.cloud.apiUrl.replace('127.0.0.1', 'localhost');
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/_local/console/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post('{"user":"rm"}', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('{"user":"nobody"}')).status).toBe(404);
    // A DNS-rebinding page reaches the port under its own host name: refused, the list too.
    expect(await statusWithHost('/_local/console/users', 'rebound.example')).toBe(403);
    expect(await statusWithHost('/_local/console/users', `localhost:${new URL(base).port}`)).toBe(200);
    expect((await post('user=rm', { 'content-type': 'text/plain' })).status).toBe(400);
    const signed = (await (await post('{"user":"rm"}')).json()) as { token: string };
    const me = await fetch(`${base}/releases/${releaseId}`, {
      headers: { authorization: `Bearer ${signed.token}` },
    });
    expect(me.status).toBe(200);
  });

  it('a release manager opens a release and moves it on: stage, graph, history and execution agree', async () => {
    const { page, errors } = await newPage();
    await page.goto(consoleUrl);
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    await signIn(page, 'rm');

    await page.getByRole('link', { name: 'Payroll 4.2 in the console' }).click();
    const stage = page.getByTestId('stage');
    await expect.poll(() => stage.textContent()).toBe('Assessment');
    await expect.poll(() => page.getByTestId('execution').textContent()).toMatch(/in state Assessment/);
    expect(await page.locator('.node.current').textContent()).toBe('Assessmentcurrent');
    await expectAccessible(page, 'release');

    await page.getByRole('button', { name: 'Move to Development' }).click();
    await expect.poll(() => stage.textContent()).toBe('Development');
    expect(await page.getByRole('status').first().textContent()).toBe('Moved to Development.');
    expect(await page.getByTestId('history').textContent()).toContain('Assessment → Development by rm');
    expect(await page.getByTestId('execution').textContent()).toMatch(/RUNNING, in state Development/);
    expect(await page.locator('.node.current').textContent()).toBe('Developmentcurrent');
    expect(await page.locator('[data-edge="Assessment→Development"]').getAttribute('class')).toBe(
      'edge taken',
    );
    expect(await page.locator('figcaption').textContent()).toContain(
      'Taken transitions: Assessment→Development',
    );
    // Gates are on their edges: a mark on the drawing, spelled out under it.
    expect(await page.getByTestId('gates').textContent()).toContain(
      'Testing → Deployment: gates noOpenBlackout',
    );
    // The API agrees with what the page shows, and the execution is in that state.
    expect((await ok(t.api().GET('/releases/{id}', { params: { path: { id: releaseId } } }))).stage).toBe(
      'Development',
    );
    expect((await t.execution(releaseId)).state).toBe('Development');
    await page.getByText(/^Execution events/).click();
    expect(await page.getByTestId('execution-events').textContent()).toMatch(
      /TaskStateEntered\s*Development/,
    );

    // 200% zoom: the layout reflows into half the width; only the graph scrolls (in its own box).
    await page.setViewportSize({ width: 640, height: 900 });
    // A string: this file is type-checked without the DOM library.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await screenshot(page, 'release-200pct');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A move that needs a reason is not sent without one.
    await page.getByRole('button', { name: 'Move to Assessment' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('A reason is needed');
    await screenshot(page, 'release');

    await page.getByRole('link', { name: 'Releases', exact: true }).click();
    await page.getByLabel('Stage').fill('Development');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Payroll 4.2 in the console' }).count()).toBe(1);
    await page.getByLabel('Stage').fill('Closure');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByText('No releases match.').count()).toBe(1);
    await expectAccessible(page, 'releases');
    await screenshot(page, 'releases');

    await page.getByRole('link', { name: 'RFCs' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'Upgrade payroll database' }).count()).toBe(1);
    await page.getByLabel('Type').selectOption('emergency');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByText('No RFCs match.').count()).toBe(1);
    await expectAccessible(page, 'RFCs');
    await screenshot(page, 'changes');
    expect(errors).toEqual([]);
  });

  it('a technician starts and completes a ready task from the queue', async () => {
    for (const to of ['Development', 'Testing', 'Deployment']) {
      const current = await ok(t.api().GET('/releases/{id}', { params: { path: { id: releaseId } } }));
      if (current.stage === to) continue;
      expect((await t.moveWaiting(releaseId, to, current.version)).status).toBe(200);
    }
    await eventually(async () => {
      const tasks = await ok(t.api().GET('/releases/{id}/tasks', { params: { path: { id: releaseId } } }));
      expect(tasks.items[0]?.status).toBe('ready');
    });
    const { page, errors } = await newPage();
    await signIn(page, 'tech');
    await page.getByRole('link', { name: 'Technician queue' }).click();
    await page.getByRole('button', { name: 'Start Upgrade payroll nodes' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Upgrade payroll nodes: started.');
    await expectAccessible(page, 'queue');
    await screenshot(page, 'queue');
    await page.getByRole('button', { name: 'Complete Upgrade payroll nodes' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Upgrade payroll nodes: completed.');
    // The queue is read again after the move: polled, as the reload lands a moment later.
    await expect.poll(() => page.getByText('In progress, held by me: none.').count()).toBe(1);
    const tasks = await ok(t.api().GET('/releases/{id}/tasks', { params: { path: { id: releaseId } } }));
    expect(tasks.items[0]).toMatchObject({ status: 'done', assignee: 'tech' });
    expect(errors).toEqual([]);
  }, 90_000);

  it("shows the API's problem as its title and detail", async () => {
    const { page } = await newPage();
    await page.goto(consoleUrl);
    // Well-formed, but signed by no key the gateway knows: its 401 problem+json.
    const forged = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"username":"mallory"}').toString('base64url')}.c2ln`;
    await page.getByLabel('Access token').fill(forged);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('Unauthorized: The bearer token is not valid or has expired.');
    await screenshot(page, 'problem');
  });
});

describe('the operator console signing in at a hosted UI (authorization code + PKCE)', () => {
  it('goes to the authorize endpoint with an S256 challenge, redeems the code with its verifier and ends signed in', async () => {
    const { page, errors } = await newPage();
    const origin = new URL(consoleUrl).origin;
    // A fake Cognito answered by the browser's router on the console's own origin, so the page's
    // real CSP (connect-src 'self') stays in force; a config.json naming it, as AWS deploys one.
    const config = {
      authDomain: origin,
      clientId: 'console-client',
      redirectUri: consoleUrl,
      scopes: ['openid'],
    };
    let challenge = '';
    let sentState = '';
    const tokenBodies: URLSearchParams[] = [];
    await page.route(`${origin}/console/config.json`, (route) => route.fulfill({ json: config }));
    await page.route(`${origin}/oauth2/authorize?*`, (route) => {
      const q = new URL(route.request().url()).searchParams;
      expect(q.get('response_type')).toBe('code');
      expect(q.get('client_id')).toBe('console-client');
      expect(q.get('redirect_uri')).toBe(consoleUrl);
      expect(q.get('code_challenge_method')).toBe('S256');
      challenge = q.get('code_challenge') ?? '';
      sentState = q.get('state') ?? '';
      return route.fulfill({
        status: 302,
        headers: { location: `${consoleUrl}?code=the-code&state=${encodeURIComponent(sentState)}` },
      });
    });
    await page.route(`${origin}/oauth2/token`, async (route) => {
      const request = route.request();
      expect(request.method()).toBe('POST');
      expect(request.headers()['content-type']).toBe('application/x-www-form-urlencoded');
      const body = new URLSearchParams(request.postData() ?? '');
      tokenBodies.push(body);
      const verifier = body.get('code_verifier') ?? '';
      const digest = createHash('sha256').update(verifier).digest('base64url');
      if (body.get('code') !== 'the-code' || digest !== challenge)
        return route.fulfill({ status: 400, json: { error: 'invalid_grant' } });
      return route.fulfill({
        json: { access_token: await t.tokenFor('rm'), id_token: 'not-for-the-api', token_type: 'Bearer' },
      });
    });

    await page.goto(consoleUrl);
    // No local user list in this mode: the hosted UI is the way in.
    expect(await page.getByLabel('User').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('Signed in as rm').count()).toBe(1);
    expect(tokenBodies).toHaveLength(1);
    expect(tokenBodies[0]?.get('grant_type')).toBe('authorization_code');
    expect(tokenBodies[0]?.get('redirect_uri')).toBe(consoleUrl);
    // The code is gone from the address bar, and the API answers with the access token.
    expect(new URL(page.url()).search).toBe('');
    await expect.poll(() => page.getByText('Payroll 4.2 in the console').count()).toBeGreaterThan(0);
    await screenshot(page, 'hosted-ui-signed-in');
    expect(errors).toEqual([]);
  });

  it('refuses a return whose state this tab did not send', async () => {
    const { page } = await newPage();
    const origin = new URL(consoleUrl).origin;
    const config = {
      authDomain: origin,
      clientId: 'console-client',
      redirectUri: consoleUrl,
      scopes: ['openid'],
    };
    let redeemed = false;
    await page.route(`${origin}/console/config.json`, (route) => route.fulfill({ json: config }));
    await page.route(`${origin}/oauth2/token`, (route) => {
      redeemed = true;
      return route.fulfill({ json: { access_token: 'x' } });
    });
    await page.goto(`${consoleUrl}?code=stolen&state=forged`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('state this tab did not send');
    expect(redeemed).toBe(false);
    expect(await page.getByText('Signed in as').count()).toBe(0);
  });
});
