/**
 * The console's RFC page (issue 16) in a real headless browser. Seeded through the API: a change
 * manager's low-risk normal RFC, assessed, planned inside an SLA's blackout on its CI and on an
 * application depending on it, linked by a release; the board `team_cab` with a member (carol)
 * besides the requester. The requester's
 * own approval (403) and the move to Approved before any vote (409) show the problem's title and
 * detail; carol opens the RFC from the list and approves with a comment; the requester then moves
 * it to Approved by keyboard — state, graph, history and execution agree. axe finds no serious or
 * critical violation; readable at 200% zoom; screenshots go to test/artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import { seedCi } from '../support/cis.ts';
import {
  closeConsoleTest,
  consoleUrlOf,
  expectAccessible,
  launchChromium,
  newPage,
  screenshot,
  signIn,
} from '../support/console.ts';
import { ok, startTestCloud, type TestCloud, WAIT } from '../support/local-cloud.ts';

const DAY = 86_400_000;
const TITLE = 'Patch the payroll database';
let t: TestCloud;
let browser: Browser;
let consoleUrl: string;
let rfcId = '';
let releaseId = '';
let appCiId = '';

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release'], cm: ['change'], carol: ['change'] });
  // Board team_cab: admin, carol and the requester cm (so cm may vote, but not approve their own RFC).
  const admin = t.api('admin');
  const board = await ok(admin.GET('/teams/{id}', { params: { path: { id: 'team_cab' } } }));
  await ok(
    admin.PATCH('/teams/{id}', {
      params: { path: { id: 'team_cab' } },
      body: { members: ['admin', 'carol', 'cm'], expectedVersion: board.version },
    }),
    200,
  );
  // A CI of a fixed id (as POST /cis would write it), so the conflicts read the same in every run.
  await seedCi(t.cloud.ports, 'ci_payroll_db');
  // The payroll application depends on the database: a blackout on it reaches the RFC on the database.
  appCiId = (
    await ok(
      t.api('rm').POST('/cis', {
        body: {
          type: 'application',
          name: 'Payroll app',
          attributes: {},
          relations: [{ type: 'depends-on', ciId: 'ci_payroll_db' }],
        },
      }),
      201,
    )
  ).id;
  // Next week, so the planned window lies in the future whenever the test runs.
  const now = new Date();
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + 7 * DAY;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');
  await ok(
    admin.POST('/slas', {
      body: {
        name: 'Payroll SLA',
        ciIds: ['ci_payroll_db', appCiId],
        blackouts: [{ start: iso(day), end: iso(day + DAY), tz: 'UTC', reason: 'Payroll run' }],
      },
    }),
    201,
  );
  const rfc = await ok(
    t.api('cm').POST('/changes', {
      body: {
        title: TITLE,
        type: 'normal',
        risk: 'low',
        impact: 'low',
        urgency: 'medium',
        ciIds: ['ci_payroll_db'],
        plannedStart: iso(day + 10 * 3_600_000),
        plannedEnd: iso(day + 12 * 3_600_000),
      },
    }),
    201,
  );
  rfcId = rfc.id;
  releaseId = (
    await ok(
      t.api('rm').POST('/releases', { body: releaseBody({ title: 'Payroll DB patch', changeIds: [rfcId] }) }),
      201,
    )
  ).id;
  await t.cloud.settle();
  await ok(
    t.api('cm').POST('/changes/{id}/transitions', {
      params: { path: { id: rfcId } },
      body: { to: 'Assessed', expectedVersion: rfc.version },
      headers: WAIT,
    }),
    200,
  );
  consoleUrl = consoleUrlOf(t.cloud.apiUrl);
  browser = await launchChromium();
}, 120_000);

afterAll(() => closeConsoleTest(browser, t));

const alert = (page: Page) => page.getByRole('alert').textContent();

describe('the RFC page of the console', () => {
  it('refuses the requester’s own approval (403) and the move before the votes (409), as title and detail', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'cm');
    await page.goto(`${consoleUrl}#/changes/${rfcId}`);
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Assessed');
    expect(await page.getByTestId('approval').textContent()).toBe(
      'Approvals: 0 of 1 required (1 missing). The board is voting now.',
    );

    await page.getByRole('button', { name: 'Move to Approved' }).click();
    await expect.poll(() => alert(page)).toMatch(/^Gate not met: .*0 of the 1 CAB approvals/);

    await page.getByLabel('Comment on your vote').fill('Looks fine to me');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect
      .poll(() => alert(page))
      .toBe(
        `Forbidden: You requested RFC ${rfcId}: someone else on the board must approve it (segregation of duties).`,
      );
    // Nothing was recorded.
    expect(await page.getByText('No votes cast.').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('a CAB member opens the RFC from the list and approves it with a comment', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'carol');
    await page.getByRole('link', { name: 'RFCs' }).click();
    await page.getByRole('link', { name: TITLE }).click();
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Assessed');
    // The facts: the CI, the linked release as a link, the blackout conflict in words.
    expect(await page.getByTestId('cis').textContent()).toBe('ci_payroll_db');
    expect(await page.getByRole('link', { name: releaseId }).getAttribute('href')).toBe(
      `#/releases/${releaseId}`,
    );
    // The conflicts in words, as the release page writes them (console/src/conflicts.tsx).
    expect(await page.getByTestId('conflicts').textContent()).toBe('2');
    const conflicts = await page.getByTestId('blackout-conflicts').locator('li').allTextContents();
    const blackout =
      /Conflict: SLA Payroll SLA \(sla_\w+\) forbids changes from \d{4}-\d\d-\d\d 00:00 UTC to \d{4}-\d\d-\d\d 00:00 UTC for “Payroll run”\./
        .source;
    expect(conflicts).toHaveLength(2);
    expect(conflicts).toContainEqual(
      expect.stringMatching(new RegExp(`^${blackout} It covers ci_payroll_db, a CI the RFC touches\\.$`)),
    );
    expect(conflicts).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${blackout} It covers Payroll app \\(${appCiId}\\), reached from ci_payroll_db that the RFC touches: Payroll app \\(${appCiId}\\) depends on ci_payroll_db\\.$`,
        ),
      ),
    );
    expect(await page.locator('.node.current').textContent()).toBe('Assessedcurrent');
    await expectAccessible(page, 'RFC');

    // A vote without a comment is not sent.
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect.poll(() => alert(page)).toContain('A vote needs a comment');
    await page.getByLabel('Comment on your vote').fill('Rollback plan checked');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your vote (approve) is recorded.');
    await expect
      .poll(() => page.getByTestId('votes').textContent())
      .toMatch(/carol\s*approve\s*Rollback plan checked\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await page.getByTestId('approval').textContent()).toBe(
      'Approvals: 1 of 1 required (0 missing). The board is voting now.',
    );
    // One vote per member: the form is gone once carol has voted.
    expect(await page.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('history').textContent())
      .toContain('Change Approval Recorded (approve) by carol');
    expect(errors).toEqual([]);
  });

  it('the requester moves it to Approved by keyboard: state, graph, history and execution agree', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'cm');
    await page.goto(`${consoleUrl}#/changes/${rfcId}`);
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Assessed');

    // A move that needs a reason is not sent without one.
    await page.getByRole('button', { name: 'Move to Cancelled' }).click();
    await expect.poll(() => alert(page)).toContain('Moving to Cancelled needs a reason');

    // Keyboard only: Tab from the top of the page to the button, then Enter.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      // A string: this file is type-checked without the DOM library.
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Move to Approved';
    }
    expect(reached, 'Tab reaches "Move to Approved"').toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('Approved');
    expect(await page.getByRole('status').textContent()).toBe('Moved to Approved.');
    expect(await page.locator('.node.current').textContent()).toBe('Approvedcurrent');
    expect(await page.locator('[data-edge="Assessed→Approved"]').getAttribute('class')).toBe('edge taken');
    expect(await page.getByTestId('history').textContent()).toContain('Assessed → Approved by cm');
    expect(await page.getByTestId('execution').textContent()).toMatch(/RUNNING, in state Approved/);
    expect(await page.getByTestId('approval').textContent()).toContain('No votes are awaited now.');
    const api = await ok(t.api('cm').GET('/changes/{id}', { params: { path: { id: rfcId } } }));
    expect(api.state).toBe('Approved');
    expect(
      (await t.execution(rfcId, (await t.cloud.ports.changes.get(rfcId))?.workflow.stateMachineArn)).state,
    ).toBe('Approved');
    await expectAccessible(page, 'RFC after the move');
    await screenshot(page, 'rfc');

    // 200% zoom: the page reflows into half the width; only the graph scrolls, in its own box.
    await page.setViewportSize({ width: 640, height: 900 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await screenshot(page, 'rfc-200pct');
    expect(errors).toEqual([]);
  });
});
