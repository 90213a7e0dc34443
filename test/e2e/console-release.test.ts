/**
 * The console's release detail page (issue 16) in a real headless browser, on a local cloud set
 * up through the API: an SLA's blackout, in force now, covers a CI that depends on the one an
 * emergency release touches; another open release plans the same CI and its move into Deployment
 * needs two distinct approvers (a team access policy). A release manager sees the conflict and its
 * dependency path in words and the affected CIs with the collision; overrides the blackout by
 * keyboard alone, with a reason, and the history shows the override; approves the other release's
 * move and sees 0/2 become 1/2; backs a third release out once the back-out procedure the API's
 * 422 names is acknowledged. Readable at 200% zoom, axe finds no serious or critical violation;
 * screenshots go to test/artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBody } from '../support/api-bodies.ts';
import { createCi } from '../support/cis.ts';
import {
  closeConsoleTest,
  consoleUrlOf,
  expectAccessible,
  launchChromium,
  newPage,
  screenshot,
  signIn,
} from '../support/console.ts';
import { ok, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { RELEASE_TEAM } from '../support/teams.ts';

const HOUR = 3_600_000;
const base = Math.ceil(Date.now() / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestCloud;
let browser: Browser;
let consoleUrl: string;
let db = '';
let app = '';
let emergencyId = '';
let approvalId = '';
let backoutId = '';
let articleId = '';

const at = (id: string) => ({ params: { path: { id } } });

async function toTesting(id: string): Promise<void> {
  let version = 1;
  for (const to of ['Development', 'Testing']) {
    version = (
      await ok(
        t.api('rm').POST('/releases/{id}/transitions', { ...at(id), body: { to, expectedVersion: version } }),
        200,
      )
    ).version;
  }
}

beforeAll(async () => {
  t = await startTestCloud({ schedules: false }, { rm: ['release'], tech: ['deployment'] });
  db = await createCi(t, 'pay-db');
  app = await createCi(t, 'pay-app', [{ type: 'depends-on', ciId: db }]);
  const admin = t.api('admin');
  await ok(
    admin.POST('/slas', {
      body: {
        name: 'Payroll SLA',
        ciIds: [app],
        blackouts: [{ start: iso(base - 2 * HOUR), end: iso(base + 2 * HOUR), reason: 'Payroll run' }],
      },
    }),
    201,
  );
  const team = await ok(admin.GET('/teams/{id}', at(RELEASE_TEAM)));
  await ok(
    admin.PATCH('/teams/{id}', {
      ...at(RELEASE_TEAM),
      body: {
        blackoutOverriders: ['rm'],
        policies: [
          {
            id: 'p1-full-two-approvers',
            action: 'move',
            match: { packageType: ['full'], businessPriority: [1] },
            to: 'Deployment',
            approvals: 2,
          },
        ],
        expectedVersion: team.version,
      },
    }),
    200,
  );
  const task = { title: 'Patch the database', workGroupId: 'wg_deployment', ciIds: [db] };
  emergencyId = (
    await ok(
      t.api('rm').POST('/releases', {
        body: releaseBody({
          title: 'Payroll hotfix',
          releaseType: 'emergency',
          urgency: 'high',
          plannedStart: iso(base),
          plannedEnd: iso(base + HOUR),
          tasks: [{ ...task, ciUpdates: [{ ciId: db, set: { patch: '4.2.1' } }] }],
        }),
      }),
      201,
    )
  ).id;
  // Planned after the blackout (releaseBody's window): only its approvals hold it.
  approvalId = (
    await ok(
      t.api('rm').POST('/releases', {
        body: releaseBody({
          title: 'Payroll 5.0',
          packageType: 'full',
          businessPriority: 1,
          tasks: [{ ...task, ciUpdates: [] }],
        }),
      }),
      201,
    )
  ).id;
  // On no CI, so the blackout in force on pay-db's dependants lets it into Deployment.
  backoutId = (
    await ok(
      t.api('rm').POST('/releases', {
        body: releaseBody({
          title: 'Payslip layout',
          tasks: [{ title: 'Ship the layout', workGroupId: 'wg_deployment', ciIds: [], ciUpdates: [] }],
        }),
      }),
      201,
    )
  ).id;
  articleId = (
    await ok(
      t.api('rm').POST('/kb', {
        body: {
          kind: 'backout-procedure',
          title: 'Restore the old layout',
          body: 'Switch the layout flag back.',
          releaseIds: [backoutId],
        },
      }),
      201,
    )
  ).id;
  await t.cloud.settle();
  await toTesting(emergencyId);
  await toTesting(approvalId);
  await toTesting(backoutId);
  await ok(
    t.api('rm').POST('/releases/{id}/transitions', {
      ...at(backoutId),
      body: { to: 'Deployment', expectedVersion: 3 },
    }),
    200,
  );
  consoleUrl = consoleUrlOf(t.cloud.apiUrl);
  browser = await launchChromium();
}, 120_000);

afterAll(() => closeConsoleTest(browser, t));

async function open(page: Page, id: string): Promise<void> {
  await page.goto(`${consoleUrl}#/releases/${encodeURIComponent(id)}`);
  await expect.poll(() => page.getByTestId('stage').count()).toBe(1);
}

/** Tabs until the focus is on the control named `name`: the keyboard only, as a user without a mouse. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    // A string: this file is type-checked without the DOM library.
    if ((await page.evaluate('document.activeElement?.textContent?.trim()')) === name) return;
  }
  throw new Error(`"${name}" not reached by Tab`);
}

describe('the release detail page in the console', () => {
  it('shows the blackout conflict in words and the affected CIs; an allowed member overrides it by keyboard, with a reason', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'rm');
    await open(page, emergencyId);

    const conflicts = page.getByTestId('blackout-conflicts');
    const words = await conflicts.textContent();
    expect(words).toContain('Conflict: SLA Payroll SLA');
    expect(words).toContain(
      `forbids changes from ${iso(base - 2 * HOUR)
        .slice(0, 16)
        .replace('T', ' ')} UTC`,
    );
    expect(words).toContain('for “Payroll run”');
    expect(words).toContain(
      `It covers pay-app (${app}), reached from pay-db (${db}) that the release touches: pay-app (${app}) depends on pay-db (${db}).`,
    );

    const cis = page.getByTestId('affected-cis');
    const row = cis.getByRole('row', { name: /pay-db/ });
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[0]).toBe('Patch the database: sets patch');
    expect(cells[2]).toBe('collision: Payroll 5.0 (in Testing)');
    await expectAccessible(page, 'release with a blackout');

    // 200% zoom: the conflicts and the CI table reflow; the page itself never scrolls sideways.
    await page.setViewportSize({ width: 640, height: 900 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await screenshot(page, 'release-conflicts-200pct');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Keyboard only: the move, refused by the blackout; the override prompt takes the focus.
    await tabTo(page, 'Move to Deployment');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Gate not met');
    expect(await page.getByRole('alert').textContent()).toContain('SLA "Payroll SLA"');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('override-reason');
    await expectAccessible(page, 'release override prompt');
    await screenshot(page, 'release-override');
    await page.keyboard.type('Payroll is down');
    await page.keyboard.press('Enter');

    await expect.poll(() => page.getByTestId('stage').textContent()).toBe('Deployment');
    expect(await page.getByRole('status').first().textContent()).toBe(
      'Moved to Deployment, overriding the blackout.',
    );
    await expect
      .poll(() => page.getByTestId('history').textContent())
      .toContain('Blackout Overridden Testing → Deployment by rm: “Payroll is down”');
    const history = await ok(
      t.api().GET('/releases/{id}/history', { params: { path: { id: emergencyId }, query: { limit: 20 } } }),
    );
    expect(history.items.find((e) => e.type === 'Blackout Overridden')).toMatchObject({
      actor: 'rm',
      reason: 'Payroll is down',
    });

    // The colliding release's page, by its link: a fresh page, nothing of this one's moves carried over.
    await page.getByTestId('affected-cis').getByRole('link', { name: 'Payroll 5.0' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Payroll 5.0');
    await expect.poll(() => page.getByTestId('stage').textContent()).toBe('Testing');
    expect(await page.getByText('Moved to Deployment, overriding the blackout.').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 90_000);

  it('shows a move needing two approvers at 0/2, then 1/2 with who approved after pressing Approve', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'rm');
    await open(page, approvalId);
    const approvals = page.getByTestId('approvals-Deployment');
    await expect.poll(() => approvals.textContent()).toContain('approvals 0/2 (rule p1-full-two-approvers)');
    expect(await page.getByText('No blackout conflicts').count()).toBe(1);

    await page.getByLabel('Comment with an approval (optional)').fill('Tested');
    await page.getByRole('button', { name: 'Approve move to Deployment' }).click();
    await expect.poll(() => approvals.textContent()).toContain('approvals 1/2');
    expect(await page.getByRole('status').first().textContent()).toBe('Approved the move to Deployment.');
    expect(await page.getByRole('listitem').filter({ hasText: 'Move to Deployment' }).textContent()).toMatch(
      /approved by rm at .* UTC \(“Tested”\)/,
    );
    // One approval per user: the button is gone for the one who gave it.
    expect(await page.getByRole('button', { name: 'Approve move to Deployment' }).count()).toBe(0);
    const read = await ok(t.api().GET('/releases/{id}', at(approvalId)));
    expect(read.approvals).toMatchObject([{ to: 'Deployment', by: 'rm', comment: 'Tested' }]);

    await expectAccessible(page, 'release approvals');
    // Not `release`: test/e2e/console.test.ts writes console-release.png of its own release.
    await screenshot(page, 'release-approvals');
    expect(errors).toEqual([]);
  }, 60_000);

  it('backs a release out once the back-out procedure the API asks for is acknowledged', async () => {
    const { page, errors } = await newPage(browser);
    await signIn(page, consoleUrl, 'rm');
    await open(page, backoutId);
    await expect.poll(() => page.getByTestId('stage').textContent()).toBe('Deployment');
    await page.getByLabel('Why back it out').fill('Payslips unreadable');
    await page.getByRole('button', { name: 'Back out', exact: true }).click();
    // The 422 names the procedure: shown as its title and detail, and offered to acknowledge.
    const ack = page.getByLabel(`I followed “Restore the old layout” (${articleId}), version 1`);
    await expect.poll(() => ack.count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toContain('Rule violation');
    await expectAccessible(page, 'release back-out');
    await screenshot(page, 'release-backout');
    await ack.check();
    await page.getByRole('button', { name: 'Back out', exact: true }).click();
    await expect.poll(() => page.getByTestId('stage').textContent()).toBe('Backed Out');
    // Said after the reload too, when the back-out section is gone (a backed-out release stays so).
    expect(await page.getByText('Backed out: its CMDB changes are restored.').count()).toBe(1);
    const read = await ok(t.api().GET('/releases/{id}', at(backoutId)));
    expect(read).toMatchObject({ stage: 'Backed Out', status: 'backed-out' });
    expect(errors).toEqual([]);
  }, 60_000);
});
