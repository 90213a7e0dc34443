/**
 * The console's Executions view (issue 16) in a real headless browser: a release is created and
 * moved once through the API; the view, calling the local Step Functions API straight from the
 * page, finds its execution under the release state machine, draws the definition with the
 * release's stage as the current state and lists the execution's events. The endpoint answers
 * CORS for the console's own origin only. axe; screenshot in test/artifacts/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import {
  closeConsoleTest,
  consoleUrlOf,
  expectAccessible,
  launchChromium,
  newPage,
  screenshot,
  signIn,
} from '../support/console.ts';
import { eventually, ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
let browser: Browser;
let consoleUrl: string;
let releaseId: string;
const at = (id: string) => ({ params: { path: { id } } });

beforeAll(async () => {
  // No skipping: without the browser this test fails, saying which one it needs.
  browser = await launchChromium();
  t = await startTestCloud({ schedules: false }, { rm: ['release'] });
  const created = await ok(
    t.api().POST('/releases', { body: releaseBody({ title: 'Payroll 4.3 seen as an execution' }) }),
    201,
  );
  releaseId = created.id;
  await t.cloud.settle();
  const current = await ok(t.api().GET('/releases/{id}', at(releaseId)));
  await ok(
    t.api().POST('/releases/{id}/transitions', {
      ...at(releaseId),
      body: { to: 'Development', expectedVersion: current.version },
    }),
  );
  await t.cloud.settle();
  await eventually(async () => expect((await t.execution(releaseId)).state).toBe('Development'));
  consoleUrl = consoleUrlOf(t.cloud.apiUrl);
}, 120_000);

afterAll(() => closeConsoleTest(browser, t));

describe('the Executions view', () => {
  it("tells the console its Step Functions endpoint, which answers CORS for the console's origin only", async () => {
    const config = (await (await fetch(`${consoleUrl}config.json`)).json()) as { sfnEndpoint?: string };
    expect(config.sfnEndpoint).toBe(t.cloud.sfnEndpoint);
    const preflight = (origin: string) =>
      fetch(t.cloud.sfnEndpoint, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-amz-target',
        },
      });
    const consoleOrigin = new URL(consoleUrl).origin;
    const allowed = await preflight(consoleOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(consoleOrigin);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-amz-target');
    const foreign = await preflight('http://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("finds the release's execution: the graph's current state is the release's stage, the history lists its events", async () => {
    const release = await ok(t.api().GET('/releases/{id}', at(releaseId)));
    expect(release.stage).toBe('Development');
    const machineName = (t.cloud.ports.config.defaultReleaseStateMachineArn as string)
      .split(':')
      .pop() as string;

    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'rm');
    await page.getByRole('link', { name: 'Executions' }).click();
    await expect.poll(() => page.getByRole('link', { name: machineName, exact: true }).count()).toBe(1);
    await expectAccessible(page, 'state machines');
    await screenshot(page, 'state-machines');
    await page.getByRole('link', { name: machineName, exact: true }).click();
    await page.getByLabel('Status').selectOption('RUNNING');
    await expect
      .poll(() => page.getByTestId('executions').locator('caption').textContent())
      .toMatch(/RUNNING/);
    await expectAccessible(page, 'executions list');
    await screenshot(page, 'executions');
    // By keyboard: the execution's link is focused and followed with Enter.
    await page.getByRole('link', { name: releaseId, exact: true }).focus();
    await page.keyboard.press('Enter');

    await expect.poll(() => page.getByTestId('current-state').textContent()).toBe(release.stage);
    expect(await page.locator('.node.current').textContent()).toBe(`${release.stage}current`);
    expect(await page.locator('[data-state="Assessment"]').textContent()).toBe('Assessmentdone');
    // The path the execution took is marked; the choice's way back (its Default) was not taken.
    expect(await page.locator('[data-edge="Route from Assessment→Development"]').getAttribute('class')).toBe(
      'edge taken',
    );
    expect(await page.locator('[data-edge="Route from Assessment→Assessment"]').getAttribute('class')).toBe(
      'edge',
    );
    expect(await page.getByTestId('execution-summary').textContent()).toMatch(
      /Status RUNNING, in state Development/,
    );

    // The table lists every event of the execution's history, with its state's name.
    const { events } = await t.execution(releaseId);
    const rows = page.getByTestId('execution-history').locator('tbody tr');
    expect(await rows.count()).toBe(events.length);
    // Row by row: id, type, timestamp and state name, as GetExecutionHistory gives them.
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(shown).toEqual(
      events.map((e) => [
        String(e.id),
        e.type,
        e.timestamp?.toISOString(),
        e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? '',
      ]),
    );
    expect(shown).toContainEqual([expect.any(String), 'TaskStateEntered', expect.any(String), 'Development']);

    await expectAccessible(page, 'execution');
    // 200% zoom of a 1280×900 window is a 640×450 CSS viewport: the state and the history still read.
    await page.setViewportSize({ width: 640, height: 450 });
    expect(await page.getByTestId('current-state').isVisible()).toBe(true);
    await screenshot(page, 'execution-200');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'execution');
    expect(errors).toEqual([]);
  }, 90_000);
});
